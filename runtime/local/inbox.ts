/**
 * Requests to the process that holds an embedded folder, through files in
 * `<dir>/inbox/`: a client in another process (`reawait signal --dir` while
 * `reawait run` holds the folder) cannot open the folder, so it asks the
 * holder. One request is one file:
 *
 *   <key>.req   written atomically by the requester (temp file + rename)
 *   <key>.work  the holder claims it by renaming (a request runs once)
 *   <key>.res   the holder's reply, written atomically; the requester reads and deletes it
 *
 * Requests and replies are codec payloads (data only). The holder serves
 * only the operations a client needs (see REMOTE_OPERATIONS), on its own
 * store and queue.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeValue, encodeValue } from '../codec.js';
import { encodeError } from '../engine/payload.js';

export interface InboxRequest {
  target: 'store' | 'queue';
  method: string;
  args: unknown[];
}

type Reply = { ok: true; value: unknown } | { ok: false; error: string };

/** What a client on a held folder may ask for: what ClientEngine uses. */
export const REMOTE_OPERATIONS: Readonly<Record<InboxRequest['target'], readonly string[]>> = {
  store: ['create', 'load', 'list', 'history', 'signal', 'requestCancel'],
  queue: ['pushResume'],
};

const POLL_MS = 50;

export function inboxDir(dir: string): string {
  return path.join(dir, 'inbox');
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/**
 * Serve the inbox of `dir` until stop(): every POLL_MS, claim each request,
 * run it with `serve` and write the reply.
 */
export function serveInbox(dir: string, serve: (request: InboxRequest) => Promise<unknown>): { stop(): Promise<void> } {
  const box = inboxDir(dir);
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const once = async (): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(box);
    } catch {
      return; // no inbox yet: nobody has asked
    }
    for (const name of names) {
      if (stopped || !name.endsWith('.req')) continue;
      const base = path.join(box, name.slice(0, -'.req'.length));
      try {
        await rename(`${base}.req`, `${base}.work`);
      } catch {
        continue; // withdrawn by its requester
      }
      let reply: Reply;
      try {
        const request = decodeValue(await readFile(`${base}.work`, 'utf8')) as InboxRequest;
        reply = { ok: true, value: await serve(request) };
      } catch (error) {
        reply = { ok: false, error: encodeError(error) };
      }
      await writeAtomically(`${base}.res`, encodeValue(reply)).catch(() => {});
      await unlink(`${base}.work`).catch(() => {});
    }
  };
  const timer = setInterval(() => {
    running = running.then(once, once);
  }, POLL_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

export class InboxTimeoutError extends Error {
  override name = 'InboxTimeoutError';
}

/** Ask the holder of `dir`; resolves with its reply or rejects with its error (named as thrown there). */
export async function callInbox(dir: string, request: InboxRequest, holder: number, timeoutMs = 10_000): Promise<unknown> {
  const box = inboxDir(dir);
  await mkdir(box, { recursive: true });
  const base = path.join(box, `${Date.now()}-${randomUUID().slice(0, 8)}`);
  await writeAtomically(`${base}.req`, encodeValue(request));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text: string | undefined;
    try {
      text = await readFile(`${base}.res`, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      await unlink(`${base}.res`).catch(() => {});
      const reply = decodeValue(text) as Reply;
      if (reply.ok) return reply.value;
      throw decodeValue(reply.error);
    }
    if (Date.now() > deadline) {
      // Withdraw it if the holder has not claimed it, so that it never runs late.
      const withdrawn = await unlink(`${base}.req`).then(
        () => true,
        () => false,
      );
      throw new InboxTimeoutError(
        `no reply within ${timeoutMs} ms from process ${holder}, which holds the reawait folder '${dir}'` +
          (withdrawn ? ' (the request was withdrawn: nothing was done)' : ' (it took the request: it may still be carried out)'),
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
