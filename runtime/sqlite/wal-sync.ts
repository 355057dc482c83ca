/**
 * Group commit off the event loop. Every transaction commits with
 * `synchronous = NORMAL` (its frames are written to the WAL, no fsync);
 * one that must be durable then waits here for an fdatasync of the WAL
 * file, run on libuv's thread pool. One fdatasync covers every commit made
 * before it started (the WAL is one file, appended in commit order), so
 * commits that arrive while a sync runs share the next one, and the event
 * loop keeps running activities meanwhile. What SQLite's FULL does at each
 * commit, once per wave of commits. (A checkpoint, which moves WAL frames
 * into the database file, syncs both files itself in NORMAL mode.)
 *
 * A process with nothing else to do meanwhile (one sequential workflow:
 * its next call waits for this very commit) syncs on the event loop
 * instead (`inline`): handing the fdatasync to a thread and being woken by
 * it costs more than the sync itself on a small VM (on this project's
 * 2-core machines: about 180 µs inline, 400 µs from call to callback).
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

export class WalSync {
  private fd: number | undefined;
  private committed = 0;
  private synced = 0;
  private running = false;
  private readonly waiters: { ticket: number; resolve(): void; reject(e: unknown): void }[] = [];
  private closed = false;

  constructor(private readonly dbFile: string) {}

  /** Resolves once every commit made so far is on disk; `inline`: sync now, on the event loop, unless a sync is under way. */
  afterCommit(inline = false): Promise<void> {
    const ticket = ++this.committed;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ ticket, resolve, reject });
      if (!this.running) this.run(inline);
    });
  }

  private run(inline = false): void {
    if (this.closed) {
      this.settle(this.committed, new Error(`reawait: the database '${this.dbFile}' was closed before its last commits were synced`));
      return;
    }
    this.running = true;
    const target = this.committed;
    let fd: number;
    try {
      fd = this.walFd();
    } catch (e) {
      this.running = false;
      this.settle(target, e);
      return;
    }
    const done = (e: unknown): void => {
      this.running = false;
      this.synced = target;
      this.settle(target, e ?? undefined);
      if (this.committed > this.synced) this.run();
    };
    if (!inline) return fdatasync(fd, done);
    let error: unknown;
    try {
      fdatasyncSync(fd);
    } catch (e) {
      error = e;
    }
    done(error);
  }

  private settle(upTo: number, error: unknown): void {
    while (this.waiters.length && this.waiters[0]!.ticket <= upTo) {
      const w = this.waiters.shift()!;
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  /**
   * Make the WAL file at least `bytes` long by writing zeros past its end,
   * and sync them. The caller holds the write lock (an open IMMEDIATE
   * transaction), so no commit appends meanwhile and nothing is written over
   * a frame. Why: an fdatasync of a file that grew must also commit the new
   * size to the file system's journal, about twice the cost of one over
   * blocks it already has (bench row 8a: ~350 against ~170 µs here), and a
   * WAL grows at every commit until its first checkpoint restarts it
   * (WAL_AUTOCHECKPOINT frames, thousands of steps). Safe for SQLite: it
   * reads the WAL only up to the last valid frame (a zero frame fails its
   * salt and checksum, as do the stale frames it leaves past the end after a
   * restart), a writer of an empty WAL writes the header at offset 0, and
   * with `journal_size_limit` unset it never truncates the file while open.
   * Returns the bytes written.
   */
  reserve(bytes: number): number {
    const fd = this.walFd();
    const size = fstatSync(fd).size;
    if (size >= bytes) return 0;
    const zeros = Buffer.alloc(Math.min(1 << 20, bytes - size));
    for (let at = size; at < bytes; ) at += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
    fdatasyncSync(fd);
    return bytes - size;
  }

  /** The WAL file stays while this connection is open (SQLite deletes it only at the last close). */
  private walFd(): number {
    if (this.fd === undefined) {
      this.fd = openSync(`${this.dbFile}-wal`, 'r+');
      // The WAL's directory entry must be durable too (its first commit may be the first sync of a new file).
      const dir = openSync(path.dirname(this.dbFile), 'r');
      fsync(dir, () => closeSync(dir));
    }
    return this.fd;
  }

  /** After the database is closed: no more syncs; waiting commits fail clearly. */
  async close(): Promise<void> {
    while (this.running) await new Promise((r) => setImmediate(r));
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.settle(this.committed, new Error(`reawait: the database '${this.dbFile}' was closed before its last commits were synced`));
  }
}
