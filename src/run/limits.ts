import { setMaxListeners } from "node:events";

import { TawaziTimeoutError } from "../errors.js";

/**
 * The maximum delay `setTimeout` accepts (2^31 - 1 ms, about 24.8 days). Node turns a longer
 * delay into 1 ms, so a longer limit starts no timer.
 */
const maxTimerDelay = 2 ** 31 - 1;

/** The runs listening to one signal, through one listener. */
interface SignalWatch {
  readonly cancels: Set<(reason: unknown) => void>;
  readonly onAbort: () => void;
}

/**
 * The watch of each signal that runs listen to. Concurrent runs of one signal share one
 * listener, so many of them do not make Node warn about a listener leak.
 */
const signalWatches = new WeakMap<AbortSignal, SignalWatch>();

/** Calls `cancel` with the reason when `signal` aborts; returns the function that stops it. */
function watchSignal(signal: AbortSignal, cancel: (reason: unknown) => void): () => void {
  let watch = signalWatches.get(signal);
  if (watch === undefined) {
    const cancels = new Set<(reason: unknown) => void>();
    const onAbort = (): void => {
      signalWatches.delete(signal);
      for (const cancelRun of [...cancels]) cancelRun(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    watch = { cancels, onAbort };
    signalWatches.set(signal, watch);
  }
  const current = watch;
  current.cancels.add(cancel);
  return () => {
    current.cancels.delete(cancel);
    if (current.cancels.size === 0 && signalWatches.get(signal) === current) {
      signal.removeEventListener("abort", current.onAbort);
      signalWatches.delete(signal);
    }
  };
}

/** A running call node that has a time limit. */
export interface TimedCall {
  readonly node: number;
  readonly timeout: number;
  /** `performance.now()` when the function was called. */
  readonly started: number;
  /** The node's own signal, when it accepts one: aborted on its timeout and at the run's end. */
  readonly controller: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set when the node ended or timed out: a later settlement of its promise is ignored. */
  done: boolean;
}

/**
 * The cancellation state of one run: the caller's signal and the run's time limit, the signal
 * given to `signal: true` nodes, and the timers of nodes with a time limit. A run makes one
 * only when it has a signal, a time limit, or such nodes, so plain runs allocate nothing.
 */
export class RunLimits {
  /** `performance.now()` after which the run has timed out; Infinity without a limit. */
  readonly deadline: number;
  private controller: AbortController | undefined;
  private readonly timed = new Set<TimedCall>();
  private stopWatching: (() => void) | undefined;
  private runTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dagName: string,
    private readonly runTimeout: number,
  ) {
    this.deadline =
      runTimeout === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : performance.now() + runTimeout;
  }

  /**
   * Calls `cancel` with the signal's reason when `signal` aborts, and with a TawaziTimeoutError
   * when the run's time limit passes. A synchronous run starts no timer: its drive checks
   * `deadline` between nodes instead. Returns false, without watching, when `signal` is
   * already aborted.
   */
  watch(signal: AbortSignal | undefined, synchronous: boolean, cancel: (reason: unknown) => void): boolean {
    if (signal !== undefined) {
      if (signal.aborted) return false;
      this.stopWatching = watchSignal(signal, cancel);
    }
    if (!synchronous && this.runTimeout <= maxTimerDelay) {
      this.runTimer = setTimeout(() => cancel(this.runTimeoutError()), this.runTimeout);
    }
    return true;
  }

  runTimeoutError(): TawaziTimeoutError {
    return new TawaziTimeoutError(
      `DAG "${this.dagName}" timed out: the run took longer than its timeout of ` +
        `${this.runTimeout} ms and was stopped. Raise the run's timeout option or make the run faster.`,
      { timeout: this.runTimeout },
    );
  }

  /** Returns the signal of the `signal: true` nodes without a time limit, made on first use. */
  runSignal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Every running signal node may listen to it: that is no leak, so Node need not warn.
      setMaxListeners(0, this.controller.signal);
    }
    return this.controller.signal;
  }

  /**
   * Records a call of a node with a time limit, just before its function is called. When the
   * node accepts a signal, its own signal is appended to `args`.
   */
  beginTimed(node: number, timeout: number, withSignal: boolean, args: unknown[]): TimedCall {
    let controller: AbortController | undefined;
    if (withSignal) {
      controller = new AbortController();
      setMaxListeners(0, controller.signal);
      args.push(controller.signal);
    }
    const call: TimedCall = {
      node,
      timeout,
      started: performance.now(),
      controller,
      timer: undefined,
      done: false,
    };
    this.timed.add(call);
    return call;
  }

  /**
   * Starts the timer of a timed call whose function returned a promise; `onTimeout` runs when
   * the rest of its time limit passes first.
   */
  startTimer(call: TimedCall, onTimeout: () => void): void {
    const remaining = Math.max(0, call.timeout - (performance.now() - call.started));
    if (remaining <= maxTimerDelay) call.timer = setTimeout(onTimeout, remaining);
  }

  /** Marks a timed call as ended and stops its timer. */
  endTimed(call: TimedCall): void {
    call.done = true;
    if (call.timer !== undefined) clearTimeout(call.timer);
    this.timed.delete(call);
  }

  /** Returns whether a timed call has run longer than its limit by now. */
  overdue(call: TimedCall): boolean {
    return performance.now() - call.started > call.timeout;
  }

  nodeTimeoutError(call: TimedCall, id: string): TawaziTimeoutError {
    return new TawaziTimeoutError(
      `node "${id}" timed out: it took longer than its timeout of ${call.timeout} ms. ` +
        "Raise the node's timeout option or make the node faster.",
      { timeout: call.timeout, node: id },
    );
  }

  /**
   * Stops watching and clears every timer when the run settles. When it ended early (`reason`
   * given: a cancellation or a strict failure), the signals of the nodes still running abort
   * with that reason, so signal-aware nodes can stop work whose result will be discarded.
   */
  release(ended: { reason: unknown } | undefined): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    if (this.runTimer !== undefined) clearTimeout(this.runTimer);
    for (const call of this.timed) {
      if (call.timer !== undefined) clearTimeout(call.timer);
      if (ended !== undefined) call.controller?.abort(ended.reason);
    }
    this.timed.clear();
    if (ended !== undefined) this.controller?.abort(ended.reason);
  }
}
