import type { ResourceLimits } from "node:worker_threads";
import { debuglog } from "node:util";

import { Piscina } from "piscina";

import { cfg } from "../config.js";
import { TawaziTypeError, TawaziUsageError, TawaziWorkerError, describeValue } from "../errors.js";

const log = debuglog("tawazi");

/** Settings of the shared worker pool, applied when it next starts. */
export interface WorkerPoolOptions {
  /**
   * Number of worker threads.
   * @default cfg.TAWAZI_WORKER_THREADS (the number of CPUs)
   */
  threads?: number;
  /** Memory limits of each worker thread; a worker that exceeds them fails its node. */
  resourceLimits?: ResourceLimits;
}

/** What a worker node sends to the pool. */
export interface WorkerTask {
  readonly nodeName: string;
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly transferList: readonly ArrayBuffer[];
}

type Failure =
  | { kind: "module"; message: string }
  | { kind: "export"; exports: string[]; found: string }
  | { kind: "error"; name: string; message: string; stack?: string; props: Record<string, unknown> }
  | { kind: "thrown"; value: unknown };

const entryUrl = new URL("./worker-entry.mjs", import.meta.url).href;

let pool: Piscina | undefined;
let poolOptions: WorkerPoolOptions = {};

/**
 * Sets the worker pool's size and limits. A running pool is closed first (waiting for its
 * tasks), so the next worker node starts a pool with the new settings.
 */
export async function configureWorkers(options: WorkerPoolOptions): Promise<void> {
  const where = "configureWorkers()";
  if (typeof options !== "object" || options === null) {
    throw new TawaziUsageError(`${where}: options must be an object, received ${describeValue(options)}.`);
  }
  const threads = options.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new TawaziUsageError(
      `${where}: option threads must be an integer ≥ 1, received ${describeValue(threads)}.`,
    );
  }
  await close();
  poolOptions = { ...options };
}

/** Closes the worker pool, waiting for running tasks; the next worker node starts a new one. */
export async function close(): Promise<void> {
  const closing = pool;
  pool = undefined;
  if (closing !== undefined) await closing.destroy();
}

function sharedPool(): Piscina {
  if (pool === undefined) {
    const threads = poolOptions.threads ?? cfg.TAWAZI_WORKER_THREADS;
    // Idle workers are unreferenced by the pool, so an idle pool never keeps the process alive.
    pool = new Piscina({
      filename: entryUrl,
      minThreads: 0,
      maxThreads: threads,
      // Keep idle threads (and their loaded modules) for 10 s: piscina's default of 0 ends a
      // thread idle for one timer tick, so the next node pays for a new thread and module load.
      idleTimeout: 10_000,
      // Tasks wait in the pool's queue only when maxConcurrency exceeds the thread count.
      maxQueue: "auto",
      resourceLimits: poolOptions.resourceLimits,
    });
    log("worker pool started with %d threads", threads);
  }
  return pool;
}

/** Runs a worker node's function in the pool and returns its result, or throws its failure. */
export async function runInWorker(task: WorkerTask): Promise<unknown> {
  let outcome: { value?: unknown; failure?: Failure };
  try {
    outcome = await sharedPool().run(
      { moduleUrl: task.moduleUrl, exportName: task.exportName, args: task.args },
      { transferList: task.transferList as never },
    );
  } catch (error) {
    throw poolFailure(task, error);
  }
  if (outcome.failure === undefined) return outcome.value;
  throw rebuildFailure(task, outcome.failure);
}

/** Turns an error of the pool itself into a clear error naming the node. */
function poolFailure(task: WorkerTask, error: unknown): Error {
  if (error instanceof Error && error.name === "DataCloneError") {
    const position = task.args.findIndex((arg) => !isCloneable(arg));
    const what =
      position === -1
        ? "an argument"
        : `argument ${position + 1} (${describeValue(task.args[position])})`;
    return new TawaziTypeError(
      `worker node "${task.nodeName}": ${what} cannot be sent to a worker thread, which receives ` +
        "a structured clone. Pass plain data, or make the node async or main-thread.",
      { cause: error },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new TawaziWorkerError(
    `worker node "${task.nodeName}" (export "${task.exportName}" of ${task.moduleUrl}) failed ` +
      `because its worker thread stopped: ${reason}. The pool replaces the worker.`,
    { cause: error },
  );
}

const errorClasses: Record<string, ErrorConstructor> = {
  Error,
  RangeError,
  TypeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds the failure a worker reported as an error on this thread. */
function rebuildFailure(task: WorkerTask, failure: Failure): unknown {
  switch (failure.kind) {
    case "module":
      return new TawaziWorkerError(
        `worker node "${task.nodeName}": the module ${task.moduleUrl} could not be loaded in a ` +
          `worker thread: ${failure.message}. Check the module URL.`,
      );
    case "export":
      return new TawaziWorkerError(
        `worker node "${task.nodeName}": the module ${task.moduleUrl} has no function export ` +
          `"${task.exportName}" (found ${failure.found}). Function exports: ` +
          `${failure.exports.join(", ") || "none"}.`,
      );
    case "thrown":
      return failure.value;
    case "error": {
      const ErrorClass = errorClasses[failure.name] ?? Error;
      const error = new ErrorClass(failure.message);
      Object.defineProperty(error, "name", { value: failure.name, configurable: true, writable: true });
      if (failure.stack !== undefined) {
        Object.defineProperty(error, "stack", { value: failure.stack, configurable: true, writable: true });
      }
      Object.assign(error, failure.props);
      return error;
    }
  }
}

function isCloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
