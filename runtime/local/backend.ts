/**
 * The embedded backend: a LocalStore and a LocalQueue on one folder. The
 * folder is locked to one process, so in a process every Client and Worker
 * naming the same folder shares one instance (a registry keyed by the
 * resolved path); each opener gets its own handle, and the last close()
 * closes the store and gives the lock back.
 */
import path from 'node:path';
import type { Backend } from '../engine/backend.js';
import type { Queue, QueueHandlers, ProcessOptions, ActivityJob, ResumeJob, TimerJob } from '../queue.js';
import type { Store } from '../store.js';
import { REMOTE_OPERATIONS, serveInbox, type InboxRequest } from './inbox.js';
import { LocalQueue } from './local-queue.js';
import { LocalStore } from './local-store.js';

export interface LocalBackendOptions {
  /** The data folder (default '.reawait'); created if missing. */
  dir?: string;
  historyCap?: number;
  /** Errors of jobs this opener serves that are not retried. */
  onError?: (error: unknown, where: string) => void;
}

interface Shared {
  store: LocalStore;
  queue: LocalQueue;
  /** Serves clients of other processes (./inbox.ts) while this process holds the folder. */
  inbox: { stop(): Promise<void> };
  refs: number;
}

const open = new Map<string, Promise<Shared>>();
/** Folders whose last handle is closing: a new open waits for the lock to be given back. */
const closing = new Map<string, Promise<void>>();

/** Open the embedded backend on `dir` (or share the instance this process already has open). */
export async function localBackend(options: LocalBackendOptions = {}): Promise<Backend> {
  const dir = path.resolve(options.dir ?? '.reawait');
  await closing.get(dir);
  let opening = open.get(dir);
  if (!opening) {
    opening = LocalStore.open({ dir, ...(options.historyCap ? { historyCap: options.historyCap } : {}) }).then((store) => {
      const queue = new LocalQueue();
      return { store, queue, inbox: serveInbox(dir, (request) => serveRemote(store, queue, request)), refs: 0 };
    });
    open.set(dir, opening);
    opening.catch(() => open.delete(dir));
  }
  const shared = await opening;
  shared.refs++;
  return handle(dir, shared, options.onError);
}

/** One opener's view: closing its queue stops only its own serving; closing its store releases its reference. */
function handle(dir: string, shared: Shared, onError: LocalBackendOptions['onError']): Backend {
  let serving = false;
  let released = false;
  const queue: Queue = {
    pushActivities: (jobs: readonly ActivityJob[]) => shared.queue.pushActivities(jobs),
    pushResume: (job: ResumeJob) => shared.queue.pushResume(job),
    pushTimers: (timers: readonly { job: TimerJob; at: number }[]) => shared.queue.pushTimers(timers),
    async process(handlers: QueueHandlers, o: ProcessOptions) {
      await shared.queue.process(handlers, o, onError);
      serving = true;
    },
    async close(timeoutMs?: number) {
      if (!serving) return;
      serving = false;
      await shared.queue.stopProcessing(timeoutMs);
    },
  };
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    if (serving) await queue.close();
    if (--shared.refs > 0) return;
    open.delete(dir);
    const done = (async () => {
      await shared.inbox.stop();
      await shared.queue.close(0);
      await shared.store.close();
    })().finally(() => closing.delete(dir));
    closing.set(dir, done);
    await done;
  };
  const store = new Proxy(shared.store as Store, {
    get(target, prop) {
      if (prop === 'close') return release;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, queue };
}

/** One request of another process's client, on this process's store or queue (only what a client may ask). */
function serveRemote(store: LocalStore, queue: LocalQueue, request: InboxRequest): Promise<unknown> {
  const { target, method, args } = request;
  if (!REMOTE_OPERATIONS[target]?.includes(method) || !Array.isArray(args)) throw new Error(`the reawait folder's holder does not serve ${String(target)}.${String(method)}()`);
  const on = (target === 'store' ? store : queue) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return on[method]!.apply(on, args);
}
