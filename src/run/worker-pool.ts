import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ResourceLimits } from "node:worker_threads";
import { debuglog } from "node:util";

import { Piscina } from "piscina";

import { cfg } from "../config.js";
import { TawaziTypeError, TawaziUsageError, TawaziWorkerError, describeValue } from "../errors.js";
import { sourceDirectory } from "../module-location.js";
import { checkKeys, checkOptionsObject } from "../trace/validate.js";

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

/** The message a worker node sends to the pool. */
export interface WorkerTask {
  readonly nodeName: string;
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly transferList: readonly ArrayBuffer[];
  /**
   * Cancels the task: piscina removes it from its queue, or terminates the thread running it
   * (the pool starts a new thread for a later task).
   */
  readonly signal?: AbortSignal;
}

type Failure =
  | { kind: "module"; message: string }
  | { kind: "result"; type: string; message: string }
  | { kind: "export"; exports: string[]; found: string }
  | {
      kind: "error";
      name: string;
      message: string;
      stack?: string;
      props: Record<string, unknown>;
      cause?: Failure;
    }
  | { kind: "thrown"; value: unknown };

// The entry is plain JavaScript, shipped beside the compiled modules of both formats.
const entryUrl = pathToFileURL(path.join(sourceDirectory, "run", "worker-entry.mjs")).href;

/** The running pool and the worker nodes waiting for it, so a pool failure can reject them. */
interface PoolState {
  readonly piscina: Piscina;
  readonly pending: Set<{
    readonly task: WorkerTask;
    readonly reject: (error: unknown) => void;
    settled?: Promise<unknown>;
  }>;
}

let pool: PoolState | undefined;
let poolOptions: WorkerPoolOptions = {};

const poolOptionKeys = ["threads", "resourceLimits"];
const resourceLimitKeys = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"];

/**
 * Sets the worker pool's size and limits. A running pool is closed first (waiting for its
 * tasks), so the next worker node starts a pool with the new settings.
 */
export async function configureWorkers(options: WorkerPoolOptions): Promise<void> {
  const where = "configureWorkers()";
  checkOptionsObject(where, options);
  checkKeys(where, "option", options, poolOptionKeys);
  const threads = options.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new TawaziUsageError(
      `${where}: option threads must be an integer ≥ 1, received ${describeValue(threads)}.`,
    );
  }
  const limits: unknown = options.resourceLimits;
  if (limits !== undefined) {
    if (typeof limits !== "object" || limits === null || Array.isArray(limits)) {
      throw new TawaziUsageError(
        `${where}: option resourceLimits must be an object of limits in MB, received ${describeValue(limits)}.`,
      );
    }
    checkKeys(`${where} resourceLimits`, "limit", limits, resourceLimitKeys);
    for (const [key, value] of Object.entries(limits)) {
      if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
        throw new TawaziUsageError(
          `${where}: resourceLimits.${key} must be a positive number of MB, received ${describeValue(value)}.`,
        );
      }
    }
  }
  await close();
  poolOptions = { ...options };
}

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * Milliseconds to wait for worker nodes still running before their threads are terminated
   * (those nodes then fail with a TawaziWorkerError).
   * @default 5000
   */
  timeout?: number;
}

/**
 * Closes the worker pool: waits for the worker nodes handed to it, up to `timeout`, then stops
 * its threads. The next worker node starts a new pool.
 */
export async function close(options: CloseOptions = {}): Promise<void> {
  if (typeof options !== "object" || options === null) {
    throw new TawaziUsageError(`close(): options must be an object, received ${describeValue(options)}.`);
  }
  checkKeys("close()", "option", options, ["timeout"]);
  const timeout = options.timeout === undefined ? 5000 : options.timeout;
  if (!(typeof timeout === "number" && timeout >= 0)) {
    throw new TawaziUsageError(
      `close(): option timeout must be a number of milliseconds ≥ 0, received ${describeValue(timeout)}.`,
    );
  }
  const closing = pool;
  pool = undefined;
  if (closing === undefined) return;

  // Piscina's close() rejects the tasks still queued, so wait for every node handed to it first.
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), timeout);
  });
  const settled = Promise.allSettled([...closing.pending].map((waiting) => waiting.settled));
  const outcome = await Promise.race([settled, expired]);
  clearTimeout(timer);
  if (outcome === "expired") {
    log("worker pool closed after %d ms with %d nodes still running", timeout, closing.pending.size);
    await closing.piscina.destroy();
  } else {
    await closing.piscina.close();
  }
}

function sharedPool(): PoolState {
  if (pool === undefined) {
    const threads = poolOptions.threads ?? cfg.TAWAZI_WORKER_THREADS;
    // Idle workers are unreferenced by the pool, so an idle pool never keeps the process alive.
    const piscina = new Piscina({
      filename: entryUrl,
      minThreads: 0,
      maxThreads: threads,
      // Keep idle threads (and their loaded modules) for 10 s: piscina's default of 0 ends a
      // thread idle for one timer tick, so the next node pays for a new thread and module load.
      idleTimeout: 10_000,
      // Tasks wait in the pool's queue when more worker nodes run than there are threads.
      maxQueue: Number.POSITIVE_INFINITY,
      resourceLimits: poolOptions.resourceLimits,
    });
    const state: PoolState = { piscina, pending: new Set() };
    // A thread that fails outside a task (for example out of memory while starting) is reported
    // on the pool, not on a task: fail the waiting nodes and start a fresh pool next time.
    piscina.on("error", (error: unknown) => {
      log("worker pool failed: %o", error);
      if (pool === state) pool = undefined;
      for (const waiting of state.pending) waiting.reject(poolFailure(waiting.task, error));
      state.pending.clear();
      piscina.destroy().catch(() => {});
    });
    pool = state;
    log("worker pool started with %d threads", threads);
  }
  return pool;
}

/** Runs a worker node's function in the pool and returns its result, or throws its failure. */
export function runInWorker(task: WorkerTask): Promise<unknown> {
  const state = sharedPool();
  const result = new Promise((resolve, reject) => {
    const waiting: { task: WorkerTask; reject: (error: unknown) => void; settled?: Promise<unknown> } = {
      task,
      reject,
    };
    state.pending.add(waiting);
    waiting.settled = state.piscina
      .run(
        { moduleUrl: task.moduleUrl, exportName: task.exportName, args: task.args },
        { transferList: task.transferList as never, signal: task.signal },
      )
      .then(
        (outcome: { value?: unknown; failure?: Failure }) => {
          if (outcome.failure === undefined) resolve(outcome.value);
          else reject(rebuildFailure(task, outcome.failure));
        },
        (error: unknown) => {
          // A cancelled task rejects with piscina's AbortError; the node fails with the reason.
          if (task.signal?.aborted === true) reject(task.signal.reason);
          else reject(poolFailure(task, error));
        },
      )
      .finally(() => state.pending.delete(waiting));
  });
  return result;
}

/** Turns an error of the pool itself into a clear error naming the node. */
function poolFailure(task: WorkerTask, error: unknown): Error {
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && (error.name === "DataCloneError" || /deserialize cloned data/iu.test(text))) {
    const position = task.args.findIndex((arg) => !isCloneable(arg));
    const what =
      position === -1
        ? "an argument"
        : `argument ${position + 1} (${describeValue(task.args[position])})`;
    return new TawaziTypeError(
      `worker node "${task.nodeName}": ${what} cannot be sent to a worker thread, which receives ` +
        "a structured clone (a buffer already transferred to another node cannot be sent " +
        "either). Pass plain data, or make the node async or main-thread.",
      { cause: error },
    );
  }
  const reason = text.replace(/\.+$/u, "");
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
        `worker node "${task.nodeName}": the module ${task.moduleUrl} of export ` +
          `"${task.exportName}" could not be loaded in a worker thread: ${failure.message}. ` +
          "Check the module URL.",
      );
    case "result":
      return new TawaziTypeError(
        `worker node "${task.nodeName}": its result (${failure.type}) cannot be sent back from the ` +
          `worker thread, which sends a structured clone (${failure.message}). Return plain data.`,
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
      if (failure.cause !== undefined) {
        Object.defineProperty(error, "cause", {
          value: rebuildFailure(task, failure.cause),
          configurable: true,
          writable: true,
        });
      }
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
