/**
 * One process at a time owns a data folder: `<dir>/lock` holds the owner's
 * pid and, where the OS tells it (Linux /proc), the process's start time. A
 * second process gets FolderLockedError naming the folder and the pid; a lock
 * whose process is dead (a kill -9) is taken over, also when its pid has
 * since been reused by an unrelated process (the start time differs).
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

/** When process `pid` started (clock ticks since boot, /proc/<pid>/stat field 22), or undefined where unknown. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface Holder {
  pid: number;
  start?: string;
}

function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: exists, owned by someone else
  }
  const now = h.start === undefined ? undefined : startTime(h.pid);
  return now === undefined || now === h.start; // a different start time: the pid was reused
}

function readHolder(file: string): Holder | undefined {
  try {
    const [pidText, start] = readFileSync(file, 'utf8').trim().split(' ');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return start ? { pid, start } : { pid };
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
        const start = startTime(process.pid);
        writeSync(fd, `${process.pid}${start ? ` ${start}` : ''}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return {
        release() {
          if (readHolder(file)?.pid === process.pid) unlinkSync(file);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 5) throw e;
    }
    const holder = readHolder(file);
    const pid = holder?.pid;
    // A pid-less lock is one being written right now (or torn by a crash at that moment): only take it over on a later try.
    if (holder && (holder.pid === process.pid || alive(holder))) throw new FolderLockedError(dir, holder.pid);
    if (!holder && tries < 3) {
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
    const moved = readHolder(aside);
    if (moved && moved.pid !== pid && alive(moved)) {
      // Someone took it over between our read and our rename: put theirs back.
      renameSync(aside, file);
      throw new FolderLockedError(dir, moved.pid);
    }
    unlinkSync(aside);
  }
}
