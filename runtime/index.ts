/**
 * `reawait`: the durable runtime. Client starts and inspects executions,
 * Worker runs them; on Redis + bee-queue (`{ redis }`) or on the embedded
 * backend (`{ store: 'local', dir }`: one SQLite file, any number of processes).
 */
export { Client, type ClientOptions } from './engine/client.js';
export { Worker, type WorkerOptions } from './engine/worker.js';
export { ExecutionHandle, ExecutionTimeoutError, type Description, type StartOptions } from './engine/client-engine.js';
export type { Backend, BackendOptions } from './engine/backend.js';
export { DatabaseDamagedError } from './sqlite/damage.js';
export { activityContext, type ActivityContext } from './activity-context.js';
export { serializable, type SerializableOptions } from './serializable.js';
export { upgrade, type UpgradeFn, type UpgradeTarget } from './upgrade.js';
export { DuplicateWorkflowError } from './definitions.js';
export {
  ActivityTimeoutError,
  CancelledError,
  NonRetryableError,
  CorruptStateError,
  PayloadTooLargeError,
  StateEncodeError,
  UnknownActivityError,
  UnknownWorkflowError,
  ValueEncodeError,
  VersionMismatchError,
} from './errors.js';
export { ExecutionEndedError, ExecutionNotFoundError } from './store.js';
export { InvalidExecutionIdError } from './ids.js';
export type { ExecutionStatus, ExecutionSummary, HistoryEvent, ListFilter, Store } from './store.js';
export type { Queue } from './queue.js';
export type { RedisInput } from './redis/connection.js';
export { RedisUnavailableError } from './redis/unavailable.js';
