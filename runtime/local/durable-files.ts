/**
 * The file operations the embedded store is built on. A document is replaced
 * atomically (write a temp file, fsync it, rename it over the old one, fsync
 * the folder), so a crash at any moment leaves the old or the new document,
 * never a torn one. A log is appended, and fsynced when what it carries must
 * survive a power cut on its own (the store decides: history lines and
 * settlements a document write supersedes need not); a crash may tear only
 * its last line, which readLog() cuts off.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';

/** Suffix of a document being written; a leftover one is from a crash and is ignored. */
export const TEMP_SUFFIX = '.tmp';

/**
 * A file name for an execution id: ids may hold any character (child ids
 * hold ':', user ids may hold '/'), so everything but [A-Za-z0-9_-] is
 * escaped; a very long id becomes a hash (the document holds the real id).
 */
export function fileKey(id: string): string {
  const escaped = [...Buffer.from(id, 'utf8')].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
  return escaped.length <= 180 ? escaped : `h-${createHash('sha256').update(id).digest('hex')}`;
}

/** A folder whose entries (creations, renames) are made durable by fsyncing it; keeps one handle open. */
export class DurableFolder {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}
  static async open(dir: string): Promise<DurableFolder> {
    return new DurableFolder(dir, await open(dir, 'r'));
  }
  sync(): Promise<void> {
    return this.handle.sync();
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Replace `file` with `text`: write temp, fsync, rename, fsync the folder. */
export async function writeAtomic(dir: DurableFolder, file: string, text: string): Promise<void> {
  const temp = `${file}${TEMP_SUFFIX}`;
  const h = await open(temp, 'w');
  try {
    await h.writeFile(text);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(temp, file);
  await dir.sync();
}

/** Append `text` to `file` and fsync it (unless `sync` is false); `created` (the file is new) also fsyncs the folder. */
export async function appendDurable(dir: DurableFolder, file: string, text: string, created: boolean, sync = true): Promise<void> {
  const h = await open(file, 'a');
  try {
    await h.write(text);
    if (sync) await h.datasync();
  } finally {
    await h.close();
  }
  if (created) await dir.sync();
}

/** The complete lines of a log; a torn last line (a crash mid-append) is cut off the file. */
export async function readLog(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) await truncate(file, Buffer.byteLength(text.slice(0, end)));
  return text.slice(0, end).split('\n').filter((l) => l !== '');
}
