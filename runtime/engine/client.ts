/** `new Client({ redis })`: start, inspect, signal and cancel executions. */
import type { ExecutionSummary, ListFilter } from '../store.js';
import { parseDuration, type Duration } from '../duration.js';
import { openBackend, type Backend, type BackendOptions } from './backend.js';
import { ClientEngine, type ExecutionHandle, type StartOptions } from './client-engine.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';

export type ClientOptions = BackendOptions;

/** A workflow as the app imports it: its source function (typed as written) or its compiled output (the same type). */
export type WorkflowFunction = (...args: never[]) => Promise<unknown>;
type WorkflowResult<W> = W extends (...args: never[]) => Promise<infer R> ? R : unknown;
type WorkflowArgs<W> = W extends (...args: infer A) => Promise<unknown> ? A : unknown[];

export class Client {
  private readonly opened: Promise<{ backend: Backend; engine: ClientEngine }>;

  constructor(options: ClientOptions) {
    // Queue connection errors surface as failed pushes; no need to print them too.
    this.opened = openBackend(options, false, () => {}).then((backend) => ({
      backend,
      engine: new ClientEngine({ ...backend, maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES }),
    }));
    this.opened.catch(() => {}); // surfaced by the first call
  }

  private async engine(): Promise<ClientEngine> {
    return (await this.opened).engine;
  }

  /**
   * Start `workflow` with `args`; an existing id returns that execution.
   * `workflow` is the function as imported (typed from its source: the
   * arguments and `handle.result()` follow it) or a workflow's name. At run
   * time it must be the compiled function (compiled output, the Node loader
   * or the Vite plugin); a function that was not compiled is refused, saying so.
   */
  async start<W extends WorkflowFunction | string>(workflow: W, args: W extends string ? unknown[] : WorkflowArgs<W>, options: StartOptions = {}): Promise<ExecutionHandle<W extends string ? unknown : WorkflowResult<W>>> {
    return (await this.engine()).start(workflow, args as unknown[], options) as Promise<ExecutionHandle<W extends string ? unknown : WorkflowResult<W>>>;
  }

  async get(id: string): Promise<ExecutionHandle | undefined> {
    return (await this.engine()).get(id);
  }

  async list(filter: ListFilter = {}): Promise<{ items: ExecutionSummary[]; cursor?: string }> {
    return (await this.engine()).list(filter);
  }

  /**
   * Remove completed, failed and cancelled executions that ended more than
   * `olderThan` ago (default 0: every ended one), state and history included.
   * Resolves how many were removed.
   */
  async prune(options: { olderThan?: Duration } = {}): Promise<number> {
    const ms = options.olderThan === undefined ? 0 : parseDuration(options.olderThan);
    // ended at least `ms` ago: completedAt <= now - ms
    return (await this.engine()).prune(Date.now() - ms + 1);
  }

  async close(): Promise<void> {
    const { backend } = await this.opened;
    await backend.queue.close();
    await backend.store.close();
  }
}
