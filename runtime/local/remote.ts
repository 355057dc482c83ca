/**
 * A client's backend on an embedded folder that another process holds
 * (FolderLockedError): every store and queue call a client makes is asked of
 * the holder through the folder's inbox (./inbox.ts). A worker cannot run
 * here: the holder is the folder's one worker.
 */
import type { Backend } from '../engine/backend.js';
import type { Queue } from '../queue.js';
import type { Store } from '../store.js';
import { FolderLockedError } from './dir-lock.js';
import { callInbox, REMOTE_OPERATIONS, type InboxRequest } from './inbox.js';

function remote<T extends object>(dir: string, locked: FolderLockedError, target: InboxRequest['target'], local: Partial<T>): T {
  return new Proxy(local as T, {
    get(obj, prop) {
      if (typeof prop !== 'string') return undefined;
      if (prop in obj) return (obj as Record<string, unknown>)[prop];
      if (!REMOTE_OPERATIONS[target].includes(prop))
        return () => Promise.reject(new Error(`${target}.${prop}() is not available while process ${locked.pid} holds the reawait folder '${dir}'`));
      return (...args: unknown[]) => callInbox(dir, { target, method: prop, args }, locked.pid);
    },
  });
}

export function remoteBackend(dir: string, locked: FolderLockedError): Backend {
  const store = remote<Store>(dir, locked, 'store', { close: async () => {} });
  const queue = remote<Queue>(dir, locked, 'queue', {
    close: async () => {},
    process: () => Promise.reject(locked),
  });
  return { store, queue };
}
