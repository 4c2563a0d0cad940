import { validateSignal, validateTimeout } from "./validate.js";

/**
 * Options of one run: `pipeline.run(options, ...args)`, `pipeline.runSyncWith(options, ...args)`
 * and `pipeline.executor(options)`.
 */
export interface DagRunOptions {
  /**
   * Aborting it cancels the run: nothing more starts, and the run rejects with
   * `signal.reason` at once, without waiting for the nodes still running. Their results are
   * discarded; `signal: true` nodes see their own signal abort. A signal that is already
   * aborted rejects before any node starts.
   */
  signal?: AbortSignal;
  /**
   * The maximum time the run may take, in milliseconds: a number ≥ 0, or Infinity for no
   * limit. A run that takes longer is cancelled like an abort, and rejects with a
   * TawaziTimeoutError.
   * @default Infinity
   */
  timeout?: number;
}

/** The keys of DagRunOptions, for option checks. */
export const runOptionKeys = ["signal", "timeout"] as const;

/** Validates the signal and timeout of a run, returning them with defaults filled in. */
export function validateRunOptions(where: string, options: DagRunOptions): RunLimitOptions {
  const signal = options.signal === undefined ? undefined : validateSignal(where, options.signal);
  const timeout =
    options.timeout === undefined
      ? Number.POSITIVE_INFINITY
      : validateTimeout(where, "timeout", options.timeout);
  return { signal, timeout };
}

/** A run's validated signal and time limit. */
export interface RunLimitOptions {
  readonly signal?: AbortSignal;
  readonly timeout: number;
}
