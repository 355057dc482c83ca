/** `new Worker({ redis, workflows, activities })`: serves resumes, activity calls and timers. */
import { openBackend, retentionMs, type Backend, type BackendOptions } from './backend.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';
import { loadActivities, loadWorkflows, type ActivityFn, type ActivitySource, type WorkflowRegistry, type WorkflowSource } from './registry.js';
import { WorkerEngine } from './worker-engine.js';
import { pushStalledResumes } from './stalled-resumes.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, RedisUnavailableError } from '../redis/unavailable.js';
import { keptFoldersOf, loadKeptBuilds } from './kept-builds.js';
import { checkUpgrades } from '../upgrade.js';

export interface WorkerOptions extends BackendOptions {
  /** Compiled workflow functions, modules holding them, or module paths. */
  workflows: WorkflowSource[] | WorkflowSource;
  /** Objects of activity functions (a module namespace works), or module paths. */
  activities: ActivitySource[] | ActivitySource;
  /** Activity calls run at once in this worker (default 10). */
  concurrency?: number;
  /** How often the recovery sweep re-pushes work a crash dropped (default 30 s; it also runs at start). */
  sweepIntervalMs?: number;
  /** How often a running activity checks whether it is still wanted; a cancel aborts its AbortSignal (default 1000 ms). */
  liveCheckMs?: number;
  /**
   * A worker started while Redis is unreachable retries with backoff (each
   * attempt reported to onError) for this long, then run() rejects with
   * RedisUnavailableError (default 60 s).
   */
  startTimeoutMs?: number;
  /**
   * Folders of earlier builds kept by `reawait compile` (`<out>/.reawait/versions`),
   * loaded so that executions suspended by them resume on their code.
   * Default: next to the workflow modules given by path; false: none.
   */
  versions?: string | string[] | false;
  /** Called with errors the worker survives (default: printed to stderr). */
  onError?: (error: unknown, where: string) => void;
}

/** Backoff between connection attempts at start: 250 ms doubling up to 5 s. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
/** How often a worker prunes ended executions past the retention (more often for a short retention). */
const PRUNE_EVERY_MS = 60_000;

export class Worker {
  private running: Promise<{ backend: Backend; engine: WorkerEngine }> | undefined;
  private closing = false;
  private wakeRetry: () => void = () => {};
  private pruneTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerOptions) {}

  /** Connect and start serving; resolves once the worker takes jobs. */
  run(): Promise<void> {
    this.running ??= this.open();
    return this.running.then(() => undefined);
  }

  private onError(): (e: unknown, where: string) => void {
    return this.options.onError ?? ((e: unknown, where: string) => process.stderr.write(`reawait worker: ${where}: ${e instanceof Error ? e.message : String(e)}\n`));
  }

  private async open(): Promise<{ backend: Backend; engine: WorkerEngine }> {
    const o = this.options;
    const onError = this.onError();
    const sources = Array.isArray(o.workflows) ? o.workflows : [o.workflows];
    const workflows = await loadWorkflows(sources);
    const kept = o.versions === false ? [] : o.versions !== undefined ? [o.versions].flat() : keptFoldersOf(sources.filter((s): s is string => typeof s === 'string'));
    await loadKeptBuilds(kept);
    if (kept.length) workflows.builds.keptIn = kept.join(', ');
    // upgrade() registrations name old builds and lines: a line without an await there is a mistake to report now.
    const checked = checkUpgrades(workflows.builds, workflows.names());
    for (const w of checked.warnings) onError(new Error(w), 'checking upgrades');
    if (checked.errors.length) throw new Error(`reawait: ${checked.errors.join('; ')}`);
    const activities = await loadActivities(o.activities);
    const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
    let wait = FIRST_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      const backend = await openBackend(o, true, (e) => onError(e, 'queue'));
      try {
        return { backend, engine: await this.serve(backend, workflows, activities, onError, deadline) };
      } catch (error) {
        await closeBackend(backend, 0);
        // Only a Redis that cannot be reached is worth waiting for.
        if (!backend.ready || this.closing) throw error;
        const left = deadline - Date.now();
        const reason = error instanceof Error ? error.message : String(error);
        if (left <= 0) throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(backend.address ?? 'Redis', reason);
        const pause = Math.min(wait, left);
        onError(new Error(`${reason}; attempt ${attempt} failed, retrying in ${pause} ms (giving up in ${Math.ceil(left / 1000)} s)`), 'connecting');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pause);
          this.wakeRetry = () => (clearTimeout(t), resolve());
        });
        if (this.closing) throw new Error('reawait worker: closed before it could connect');
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    }
  }

  private async serve(backend: Backend, workflows: WorkflowRegistry, activities: Map<string, ActivityFn>, onError: (e: unknown, where: string) => void, deadline: number): Promise<WorkerEngine> {
    const o = this.options;
    if (backend.ready) await backend.ready(Math.max(1, Math.min(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, deadline - Date.now())));
    const engine = new WorkerEngine({
      ...backend,
      workflows,
      activities,
      concurrency: o.concurrency ?? 10,
      maxPayloadBytes: o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      sweepIntervalMs: o.sweepIntervalMs ?? 30_000,
      ...(o.liveCheckMs ? { liveCheckMs: o.liveCheckMs } : {}),
      onError,
    });
    try {
      await engine.start();
    } catch (error) {
      await engine.stop(0).catch(() => {});
      throw error;
    }
    for (const w of (await backend.warnings?.().catch(() => [])) ?? []) onError(new Error(w), 'warning');
    this.startPruning(backend, onError);
    // An in-process resume that died with its worker leaves a ready execution without a job: found within a stall interval.
    const stall = o.stallInterval ?? 5000;
    this.stallTimer = setInterval(() => void pushStalledResumes(backend, Date.now() - stall).catch((e: unknown) => onError(e, 'looking for stalled resumes')), stall);
    this.stallTimer.unref();
    return engine;
  }

  /** Ended executions older than the retention go now and then (on Redis their keys expire anyway; this drops their index entries). */
  private startPruning(backend: Backend, onError: (e: unknown, where: string) => void): void {
    const retention = retentionMs(this.options.retention);
    if (!Number.isFinite(retention)) return;
    const every = Math.min(PRUNE_EVERY_MS, Math.max(1000, retention / 10));
    const prune = () => void backend.store.prune(Date.now() - retention).catch((e: unknown) => onError(e, 'pruning ended executions'));
    this.pruneTimer = setInterval(prune, every);
    this.pruneTimer.unref();
  }

  /**
   * Stop taking jobs and wait up to `timeoutMs` for running ones; unfinished
   * jobs are redelivered to other workers. Returns within about `timeoutMs`
   * even when Redis is gone (the connections are then cut).
   */
  async close(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    this.wakeRetry();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    if (!this.running) return;
    const opened = await this.running.catch(() => undefined);
    if (!opened) return;
    const { backend, engine } = opened;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([engine.stop(timeoutMs).catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs + 1000)))]);
    clearTimeout(timer);
    await closeBackend(backend, timeoutMs);
  }
}

/** Close a backend's queue and store, never waiting past `timeoutMs` (+ a little) for a Redis that is gone. */
async function closeBackend(backend: Backend, timeoutMs: number): Promise<void> {
  await backend.queue.close(timeoutMs).catch(() => {});
  await backend.store.close().catch(() => {});
}
