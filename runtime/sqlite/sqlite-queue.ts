/**
 * The embedded Queue: jobs are rows of the `jobs` table, so every process
 * on the database shares them. A worker claims a due job by moving its
 * `avail` time one lease ahead under a claim token (in one IMMEDIATE
 * transaction: two workers never claim the same row), renews the lease
 * while the handler runs, and deletes the row when it is done. A worker
 * that dies stops renewing: the job is due again when its lease runs out
 * and another worker takes it (delivery is at least once; the store's
 * guards make a duplicate a no-op). A job id exists once while its row
 * does, as in bee-queue; timers are rows whose `avail` is their time.
 *
 * Queue writes commit without their own fsync (./database.ts): a lost push
 * is pushed again by the recovery sweep from the store's outbox flag or
 * 'ready' status, a lost claim or deletion means one more delivery.
 * Pushes made in this process wake its workers at once; jobs pushed by
 * another process are found by polling (`pollMs`).
 */
import { randomBytes } from 'node:crypto';
import type { ActivityJob, Attempt, HandBack, ProcessOptions, Queue, QueueHandlers, ResumeJob, TimerJob } from '../queue.js';
import { activityJobId, backoffDelay, resumeJobId, timerJobId } from '../queue.js';
import type { QueuedJobs } from '../store.js';
import type { Opened } from './database.js';

export interface SqliteQueueOptions {
  /** How long a claimed job stays with its worker without a renewal (default 5 s): a dead worker's jobs run again after it. */
  leaseMs?: number;
  /** How often an idle worker looks for jobs pushed by other processes (default 50 ms). */
  pollMs?: number;
  onError?: (error: unknown, where: string) => void;
}

type Kind = 'a' | 'r' | 't';
const KINDS: readonly Kind[] = ['r', 't', 'a'];
const KIND_NAME: Record<Kind, string> = { a: 'activity', r: 'resume', t: 'timer' };

interface Claimed {
  kind: Kind;
  id: string;
  body: string;
  attempt: number;
  token: string;
  /** A commit deleted its row (stage): nothing is left to delete when it ends. */
  gone?: boolean;
  /** Leased by the commit that queued it (stage): live when it starts. */
  fresh?: boolean;
}

/** Queues serving workers in this process, by database file: a push wakes them all (a Client and a Worker of one process have two connections). */
const serving = new Map<string, Set<SqliteQueue>>();

const wakeServing = (file: string): void => {
  for (const q of serving.get(file) ?? []) q.wake();
};

/** Jobs a store transaction wrote (SqliteQueue.stage): what to do once it is on disk, or if it failed. */
export interface Handoff {
  /** The transaction is durable: start the jobs leased to this worker, wake the others. */
  done(): void;
  /** The transaction did not commit: give back the slots held for it. */
  failed(): void;
}

/** Retries of resume/timer jobs whose handler threw (a database error); the sweep covers the rest. */
const INFRA_RETRIES = 8;

export class SqliteQueue implements Queue {
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly q;
  private handlers: QueueHandlers | undefined;
  private concurrency = 1;
  private readonly running: Record<Kind, number> = { a: 0, r: 0, t: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs running here, by claim token. */
  private readonly tokens = new Map<string, Claimed>();
  /** The same, by kind and id: a commit that deletes a job's row tells it (stage). */
  private readonly byJob = new Map<string, Claimed>();
  /** Activity slots held for jobs leased by a commit that is not on disk yet (stage). */
  private held = 0;
  /** Jobs done and not yet deleted: the next claim's transaction deletes them (one write for both). */
  private finished: Claimed[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private closed = false;
  private readonly onError: (error: unknown, where: string) => void;
  private readonly tokenPrefix = randomBytes(9).toString('base64url');
  private claims = 0;

  constructor(
    private readonly d: Opened,
    options: SqliteQueueOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 5_000;
    this.pollMs = options.pollMs ?? 50;
    this.onError = options.onError ?? ((e, where) => process.stderr.write(`reawait: ${where}: ${e instanceof Error ? e.message : String(e)}\n`));
    const p = (sql: string) => d.db.prepare(sql);
    this.q = {
      push: p('INSERT OR IGNORE INTO jobs (kind, id, body, avail) VALUES (?, ?, ?, ?)'),
      pushLeased: p('INSERT OR IGNORE INTO jobs (kind, id, body, avail, lease) VALUES (?, ?, ?, ?, ?)'),
      drop: p('DELETE FROM jobs WHERE kind = ? AND id = ?'),
      // which kinds have a job due: one statement, one index seek per kind
      due: p(`SELECT ${KINDS.map((k) => `EXISTS (SELECT 1 FROM jobs WHERE kind = '${k}' AND avail <= @now) AS ${k}`).join(', ')}`),
      take: p('SELECT id, body, attempt FROM jobs WHERE kind = ? AND avail <= ? ORDER BY avail LIMIT ?'),
      lease: p('UPDATE jobs SET avail = ?, lease = ? WHERE kind = ? AND id = ?'),
      renew: p('UPDATE jobs SET avail = ? WHERE kind = ? AND id = ? AND lease = ?'),
      release: p('UPDATE jobs SET avail = ?, lease = NULL WHERE kind = ? AND id = ? AND lease = ?'),
      done: p('DELETE FROM jobs WHERE kind = ? AND id = ? AND lease = ?'),
      retry: p('UPDATE jobs SET attempt = attempt + 1, avail = ?, lease = NULL WHERE kind = ? AND id = ? AND lease = ?'),
      handBack: p('UPDATE jobs SET body = ?, avail = ?, lease = NULL WHERE kind = ? AND id = ? AND lease = ?'),
    };
  }

  async pushActivities(jobs: readonly ActivityJob[]): Promise<void> {
    this.push(jobs.map((j) => ({ kind: 'a', id: activityJobId(j), body: j, at: Date.now() })));
  }

  async pushResume(job: ResumeJob): Promise<void> {
    this.push([{ kind: 'r', id: resumeJobId(job), body: { executionId: job.executionId, rev: job.rev }, at: Date.now() }]);
  }

  async pushTimers(timers: readonly { job: TimerJob; at: number }[]): Promise<void> {
    this.push(timers.map(({ job, at }) => ({ kind: 't', id: timerJobId(job), body: job, at })));
  }

  private push(rows: { kind: Kind; id: string; body: unknown; at: number }[]): void {
    if (this.closed || rows.length === 0) return;
    this.d.tx(() => {
      for (const r of rows) this.q.push.run(r.kind, r.id, JSON.stringify(r.body), r.at);
    });
    wakeServing(this.d.file);
  }

  /**
   * Inside a store transaction on this connection (a step's commit): queue
   * the step's calls and timers, and delete the jobs of `over`, ops whose
   * outcome the step consumed or which it dropped (their deliveries would
   * find them not live). Calls this worker has free slots for are leased to
   * it in the same rows: once the transaction is on disk they start here
   * with no claim of their own (Handoff.done); a crash before that leaves
   * them to their lease, like any claimed job.
   */
  stage(exec: string, jobs: QueuedJobs | undefined, over: readonly number[], now: number): Handoff {
    const leased: Claimed[] = [];
    const gone: Claimed[] = [];
    let wake = false;
    for (const op of over) {
      const id = `${exec}:${op}`;
      const call = this.byJob.get(`a:${id}`);
      if (this.q.drop.run('a', id).changes > 0 && call) gone.push(call);
      // An op whose call runs here is a call: it has no timer job (sleeps and signal waits have no call job).
      if (call) continue;
      const timer = this.byJob.get(`t:${id}`);
      if (this.q.drop.run('t', id).changes > 0 && timer) gone.push(timer);
    }
    for (const j of jobs?.activities ?? []) {
      const id = activityJobId(j);
      const body = JSON.stringify(j);
      if (this.handlers && !this.closed && this.free('a') > 0) {
        const token = this.token();
        if (this.q.pushLeased.run('a', id, body, now + this.leaseMs, token).changes > 0) {
          this.held++;
          leased.push({ kind: 'a', id, body, attempt: 1, token, fresh: true });
        }
      } else {
        this.q.push.run('a', id, body, now);
        wake = true;
      }
    }
    for (const { job, at } of jobs?.timers ?? []) {
      this.q.push.run('t', timerJobId(job), JSON.stringify(job), at);
      wake ||= at <= now;
    }
    return {
      done: () => {
        for (const c of gone) c.gone = true;
        this.held -= leased.length;
        const handlers = this.handlers;
        for (const c of leased) {
          if (handlers && !this.closed) this.start(handlers, c);
          else this.giveBack(c);
        }
        if (wake) wakeServing(this.d.file);
      },
      failed: () => {
        this.held -= leased.length;
      },
    };
  }

  /** A job leased by a commit to a worker that stopped meanwhile: due again at once, for any worker. */
  private giveBack(c: Claimed): void {
    try {
      if (this.d.db.open) this.d.tx(() => this.q.release.run(Date.now(), c.kind, c.id, c.token));
    } catch (e) {
      this.onError(e, `giving back ${KIND_NAME[c.kind]} job ${c.id}`);
    }
  }

  async process(handlers: QueueHandlers, options: ProcessOptions): Promise<void> {
    if (this.closed) throw new Error('reawait: this embedded queue is closed');
    if (this.handlers) throw new Error('reawait: this embedded queue already serves a worker');
    this.handlers = handlers;
    this.concurrency = Math.max(1, options.concurrency);
    this.renewTimer = setInterval(() => this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
    // One job running (the one whose commit syncs; the jobs it leases wait for that sync): nothing could use the sync's time.
    this.d.idle = () => this.running.a + this.running.r + this.running.t <= 1;
    let here = serving.get(this.d.file);
    if (!here) serving.set(this.d.file, (here = new Set()));
    here.add(this);
    this.wake();
  }

  /** Look for due jobs now (and keep polling while serving). */
  wake(): void {
    if (!this.handlers || this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    // After this turn of the event loop: the jobs that finish together are deleted, and their successors claimed, in one transaction.
    setImmediate(() => {
      try {
        do {
          this.again = false;
          this.pump();
        } while (this.again && this.handlers);
      } catch (e) {
        this.onError(e, 'claiming jobs');
      } finally {
        this.pumping = false;
        this.schedulePoll();
      }
    });
  }

  private schedulePoll(): void {
    if (!this.handlers || this.closed) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.wake();
    }, this.pollMs);
  }

  private pump(): void {
    const handlers = this.handlers;
    if (!handlers) return;
    const now = Date.now();
    const free = KINDS.filter((kind) => this.free(kind) > 0);
    const due = free.length ? (this.q.due.get({ now }) as Record<Kind, number>) : undefined;
    const wanted = free.filter((kind) => due?.[kind] === 1);
    if (wanted.length === 0 && this.finished.length === 0) return;
    const claimed = this.d.tx(() => {
      this.deleteFinished();
      const out: Claimed[] = [];
      for (const kind of wanted) {
        const rows = this.q.take.all(kind, now, this.free(kind)) as { id: string; body: string; attempt: number }[];
        for (const r of rows) {
          const token = this.token();
          this.q.lease.run(now + this.leaseMs, token, kind, r.id);
          out.push({ kind, id: r.id, body: r.body, attempt: r.attempt, token });
        }
      }
      return out;
    });
    for (const c of claimed) this.start(handlers, c);
  }

  /**
   * A claim token: this queue's random 72-bit prefix and a counter. Unique
   * across processes as a UUID would be, in a third of the bytes (a job row
   * of 1 KiB pages spills to an overflow page past ~230 bytes).
   */
  private token(): string {
    return `${this.tokenPrefix}${(++this.claims).toString(36)}`;
  }

  private free(kind: Kind): number {
    return this.concurrency - this.running[kind] - (kind === 'a' ? this.held : 0);
  }

  /** Inside a transaction: delete the rows of the jobs that are done. */
  private deleteFinished(): void {
    for (const c of this.finished) this.q.done.run(c.kind, c.id, c.token);
    this.finished = [];
  }

  private start(handlers: QueueHandlers, c: Claimed): void {
    this.running[c.kind]++;
    this.tokens.set(c.token, c);
    this.byJob.set(`${c.kind}:${c.id}`, c);
    const p = this.run(handlers, c)
      .catch((e: unknown) => this.onError(e, `${KIND_NAME[c.kind]} job ${c.id}`))
      .finally(() => {
        this.running[c.kind]--;
        this.tokens.delete(c.token);
        if (this.byJob.get(`${c.kind}:${c.id}`) === c) this.byJob.delete(`${c.kind}:${c.id}`);
        this.inFlight.delete(p);
        this.wake();
      });
    this.inFlight.add(p);
  }

  private async run(handlers: QueueHandlers, c: Claimed): Promise<void> {
    let failure: unknown;
    let retries = INFRA_RETRIES;
    let wait = 100 * 2 ** (c.attempt - 1);
    try {
      if (c.kind === 'a') {
        const job = JSON.parse(c.body) as ActivityJob;
        retries = job.options.retries ?? 0;
        wait = backoffDelay(job.options, c.attempt);
        const attempt: Attempt = { attempt: c.attempt, final: c.attempt > retries, ...(c.fresh ? { fresh: true } : {}) };
        const back = await handlers.activity(job, attempt);
        // Its worker lacks the activity: the row goes back (same attempt), due later, for any worker.
        // A hand-back that cannot be written (or a closed queue) leaves the row to its lease, never deletes it.
        if (back) return this.handBack(c, back);
      } else if (c.kind === 'r') await handlers.resume(JSON.parse(c.body) as ResumeJob);
      else await handlers.timer(JSON.parse(c.body) as TimerJob);
      if (!this.closed && !c.gone) this.finished.push(c);
      return;
    } catch (error) {
      failure = error;
    }
    // A closed queue leaves the job to its lease: it is delivered again, as after a crash.
    if (this.closed) return;
    if (c.attempt > retries) {
      this.d.tx(() => this.q.done.run(c.kind, c.id, c.token));
      this.onError(failure, `${KIND_NAME[c.kind]} job ${c.id}`);
      return;
    }
    this.d.tx(() => this.q.retry.run(Date.now() + wait, c.kind, c.id, c.token));
  }

  private handBack(c: Claimed, back: HandBack): void {
    if (this.closed) return;
    try {
      this.d.tx(() => this.q.handBack.run(JSON.stringify(back.job), Date.now() + back.delayMs, c.kind, c.id, c.token));
    } catch (e) {
      this.onError(e, `handing back ${KIND_NAME[c.kind]} job ${c.id} (left to its lease)`);
    }
  }

  /** Keep the leases of running jobs (a stuck handler keeps its job, as bee-queue's heartbeat does). */
  private renew(): void {
    if (this.closed || this.tokens.size === 0) return;
    try {
      const until = Date.now() + this.leaseMs;
      this.d.tx(() => {
        for (const c of this.tokens.values()) this.q.renew.run(until, c.kind, c.id, c.token);
      });
    } catch (e) {
      this.onError(e, 'renewing job leases');
    }
  }

  /**
   * Stop taking jobs; wait up to `timeoutMs` for running ones. Jobs still
   * running then are given back (due at once, for any worker); their
   * handlers' late outcomes find the store closed (./sqlite-store.ts).
   */
  async close(timeoutMs = 5000): Promise<void> {
    this.handlers = undefined;
    delete this.d.idle;
    serving.get(this.d.file)?.delete(this);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    if ((this.tokens.size > 0 || this.finished.length > 0) && !this.closed) {
      const now = Date.now();
      try {
        this.d.tx(() => {
          this.deleteFinished();
          for (const c of this.tokens.values()) this.q.release.run(now, c.kind, c.id, c.token);
        });
      } catch (e) {
        this.onError(e, 'giving back unfinished jobs');
      }
    }
    this.closed = true;
  }
}
