/**
 * One process at a time owns a data folder: `<dir>/lock` holds the owner's
 * pid. A second process gets FolderLockedError naming the folder and the pid;
 * a lock whose pid is dead (a kill -9) is taken over.
 */
import { openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import path from 'node:path';

export class FolderLockedError extends Error {
  override name = 'FolderLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `the reawait folder '${dir}' is in use by process ${pid}: the embedded backend serves one process at a time ` +
        `(stop that process, or use another --dir; if no reawait process has pid ${pid}, delete '${path.join(dir, 'lock')}')`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface DirLock {
  release(): void;
}

/** Take the lock of `dir` (which must exist) for this process. */
export function lockDir(dir: string): DirLock {
  const file = path.join(dir, 'lock');
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return {
        release() {
          if (readPid(file) === process.pid) unlinkSync(file);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 5) throw e;
    }
    const pid = readPid(file);
    // A pid-less lock is one being written right now (or torn by a crash at that moment): only take it over on a later try.
    if (pid !== undefined && (pid === process.pid || alive(pid))) throw new FolderLockedError(dir, pid);
    if (pid === undefined && tries < 3) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      continue;
    }
    // Stale: move it aside atomically; of two processes taking over at once, only one rename succeeds.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readPid(aside);
    if (moved !== undefined && moved !== pid && alive(moved)) {
      // Someone took it over between our read and our rename: put theirs back.
      renameSync(aside, file);
      throw new FolderLockedError(dir, moved);
    }
    unlinkSync(aside);
  }
}
