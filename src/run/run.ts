import { AsyncResource } from "node:async_hooks";
import { debuglog } from "node:util";

import {
  TawaziTypeError,
  TawaziUsageError,
  attachNodeId,
  describeValue,
} from "../errors.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import {
  Behavior,
  NodeState,
  type RunPlan,
  type ScheduleRun,
  type Scheduler,
} from "../engine/scheduler.js";
import { RunLimits, type TimedCall } from "./limits.js";
import type { NodeProfile } from "./profile.js";
import { LimitFlag, type Program, resolveEntry } from "./program.js";
import { type Deferred, type SetupCache, defer } from "./setup-cache.js";

const log = debuglog("tawazi");

const batchSize = 1024;

/**
 * The rejection reason of a setup computation whose run was cancelled, or whose run had ended
 * before it failed: runs that waited for it compute the result themselves instead of failing
 * with another call's reason.
 */
const setupAbandoned = Symbol("tawazi.setupAbandoned");

export type Settlement =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** The state a run shares with its DAG and execution, besides the program and arguments. */
export interface RunOptions {
  /** Setup results of the DAG instance; setup nodes run as plain nodes without it. */
  readonly setupCache?: SetupCache;
  /** Results loaded from a cache file: these nodes succeed without being called. */
  readonly preset?: ReadonlyMap<number, unknown>;
  /** Record a NodeProfile for every call node. */
  readonly profile?: boolean;
  /** Aborting it cancels the run, which then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The maximum time the run may take, in milliseconds; Infinity or absent for no limit. */
  readonly timeout?: number;
  /** The DAG's name, for timeout messages. */
  readonly dagName?: string;
}

/**
 * Executes one run of a program: launches the nodes the engine hands out, stores results,
 * reports completions. It never decides order; the engine does.
 *
 * In synchronous mode a node that returns a thenable ends the run with a TawaziUsageError.
 */
export class Run {
  readonly results: unknown[];
  readonly errors = new Map<number, unknown>();
  /** Profiles of call nodes, by node; present only when profiling. */
  readonly profiles: Map<number, NodeProfile> | undefined;
  readonly schedule: ScheduleRun;
  settlement: Settlement | undefined;
  onSettle: ((settlement: Settlement) => void) | undefined;

  private readonly buffer: Uint32Array;
  private pumping = false;
  /** True when the engine pushes batches from its own thread. */
  private pushed = false;
  /** The main-thread node whose promise is awaited before anything else starts, or -1. */
  private blockedBy = -1;
  /** Setup results this run is computing, settled when the node ends even after the run did. */
  private readonly computingSetup = new Map<number, Deferred>();
  private readonly starts: Float64Array | undefined;
  /** Present when the run has a signal or a time limit, or nodes that use either. */
  private readonly limits: RunLimits | undefined;

  constructor(
    private readonly program: Program,
    private readonly args: readonly unknown[],
    readonly plan: RunPlan,
    scheduler: Scheduler,
    private readonly synchronous: boolean,
    private readonly options: RunOptions = {},
  ) {
    const size = program.graph.size;
    this.results = new Array(size);
    this.schedule = scheduler.start(program.graph, plan);
    this.buffer = new Uint32Array(Math.max(1, Math.min(batchSize, size)));
    if (options.profile === true) {
      this.profiles = new Map();
      // NaN marks nodes whose function was not called in this run (a stored setup result).
      this.starts = new Float64Array(size).fill(Number.NaN);
    }
    const timeout = options.timeout ?? Number.POSITIVE_INFINITY;
    if (options.signal !== undefined || timeout !== Number.POSITIVE_INFINITY || program.limits !== null) {
      this.limits = new RunLimits(options.dagName ?? "(unnamed)", timeout);
    }
  }

  /**
   * Starts an asynchronous run: the engine pushes batches from its own thread when it offers
   * to, and is asked through `take` otherwise. Synchronous runs call `pump` directly.
   */
  start(): void {
    const limits = this.limits;
    const cancel = (reason: unknown): void => this.cancel(reason);
    if (limits !== undefined && !limits.watch(this.options.signal, this.synchronous, cancel)) {
      // An already aborted signal: nothing launches.
      this.cancel(this.options.signal!.reason);
      return;
    }
    const drive = this.schedule.drive;
    if (this.synchronous || drive === undefined) {
      this.pump();
      return;
    }
    this.pushed = true;
    // Batches arrive from a thread-safe function, outside the caller's async context: bind the
    // callback to the context of the call, so nodes see its AsyncLocalStorage values.
    drive(AsyncResource.bind((batch: Uint32Array) => this.launchBatch(batch)));
    this.pump();
  }

  /**
   * Ends the run at once, rejecting with `reason`: an abort of the caller's signal or the run's
   * timeout. Running nodes are no longer awaited, and setup results they were computing are
   * dropped.
   */
  cancel(reason: unknown): void {
    if (this.settlement !== undefined) return;
    this.abandonSetup();
    this.settle({ ok: false, error: reason });
  }

  /** Returns whether the run's time limit has passed, cancelling the run if so. */
  private pastDeadline(): boolean {
    const limits = this.limits!;
    if (performance.now() < limits.deadline) return false;
    this.cancel(limits.runTimeoutError());
    return true;
  }

  private launchBatch(batch: Uint32Array): void {
    const checkDeadline = this.limits !== undefined && this.limits.deadline !== Number.POSITIVE_INFINITY;
    for (const node of batch) {
      if (this.settlement !== undefined || (checkDeadline && this.pastDeadline())) {
        this.schedule.finish(node, NodeState.notRun);
      } else {
        this.launch(node);
      }
    }
    this.pump();
  }

  /** Launches every node the engine allows, until it has nothing more to hand out now. */
  pump(): void {
    if (this.pushed) {
      // The engine pushes batches itself; only the end of the run is checked here.
      if (this.settlement === undefined && this.schedule.finished) {
        this.settle({ ok: true, value: resolveEntry(this.program.returnEntry, this.results) });
      }
      return;
    }
    if (this.pumping) return;
    this.pumping = true;
    const checkDeadline = this.limits !== undefined && this.limits.deadline !== Number.POSITIVE_INFINITY;
    try {
      while (this.blockedBy === -1 && this.settlement === undefined) {
        const count = this.schedule.take(this.buffer);
        if (count === 0) break;
        for (let position = 0; position < count; position += 1) {
          if (this.settlement !== undefined || (checkDeadline && this.pastDeadline())) {
            // A strict failure, a cancellation or a runSync misuse ended the run: the rest of
            // the batch never starts.
            this.schedule.finish(this.buffer[position]!, NodeState.notRun);
            continue;
          }
          this.launch(this.buffer[position]!);
        }
      }
    } finally {
      this.pumping = false;
    }

    if (this.settlement === undefined && this.schedule.finished) {
      this.settle({ ok: true, value: resolveEntry(this.program.returnEntry, this.results) });
    }
  }

  private launch(node: number): void {
    const program = this.program;
    const kind = program.kinds[node];

    if (kind === NodeKind.argument) {
      this.results[node] = this.args[program.payloads[node] as number];
      this.schedule.finish(node, NodeState.succeeded);
      return;
    }

    const preset = this.options.preset;
    if (preset !== undefined && preset.has(node)) {
      this.succeed(node, preset.get(node));
      return;
    }

    if (kind === NodeKind.lookup) {
      this.lookup(node);
      return;
    }

    const flags = program.graph.flags[node]!;
    let value: unknown;
    let thenable: boolean;
    let cpuStart: NodeJS.CpuUsage | undefined;
    let timed: TimedCall | undefined;
    try {
      if ((flags & NodeFlag.conditional) !== 0 && !this.isActive(node)) {
        this.schedule.finish(node, NodeState.skippedInactive);
        return;
      }
      if (kind === NodeKind.forward) {
        this.succeed(node, resolveEntry(program.payloads[node], this.results));
        return;
      }
      if (this.synchronous && (flags & NodeFlag.worker) !== 0) {
        this.settle({
          ok: false,
          error: new TawaziUsageError(
            `runSync(): node "${program.graph.ids[node]}" runs in a worker thread. ` +
              "Call the DAG with `await pipeline(...)` to run worker nodes.",
          ),
        });
        return;
      }
      if ((flags & NodeFlag.setup) !== 0 && this.reuseSetup(node)) return;

      const entries = program.payloads[node] as readonly unknown[];
      // A node with a signal or a time limit gets an argument array it can extend.
      const limitFlags = program.limits === null ? 0 : program.limits[node]!;
      let args: unknown[] | undefined;
      if (limitFlags !== 0) {
        args = this.resolveArguments(entries);
        if (limitFlags === LimitFlag.signal) {
          args.push(this.limits!.runSignal());
        } else {
          const withSignal = (limitFlags & LimitFlag.signal) !== 0;
          timed = this.limits!.beginTimed(node, program.timeouts![node]!, withSignal, args);
        }
      }
      if (this.starts !== undefined) {
        this.starts[node] = performance.now();
        cpuStart = process.cpuUsage();
      }
      value = args === undefined ? this.call(program.fns[node]!, entries) : program.fns[node]!(...args);
      thenable = isThenable(value);
    } catch (error) {
      if (timed !== undefined) this.limits!.endTimed(timed);
      this.fail(node, error, cpuSince(cpuStart));
      return;
    }

    if (!thenable) {
      if (timed !== undefined) {
        // A synchronous function cannot be interrupted: it fails when it returns late.
        this.limits!.endTimed(timed);
        if (this.limits!.overdue(timed)) {
          this.fail(node, this.limits!.nodeTimeoutError(timed, program.graph.ids[node]!), cpuSince(cpuStart));
          return;
        }
      }
      this.succeed(node, value, cpuSince(cpuStart));
      return;
    }

    if (this.synchronous) {
      if (timed !== undefined) this.limits!.endTimed(timed);
      Promise.resolve(value).catch(() => {});
      this.settle({
        ok: false,
        error: new TawaziUsageError(
          `runSync(): node "${program.graph.ids[node]}" returned a promise. ` +
            "Call the DAG with `await pipeline(...)` to run asynchronous nodes.",
        ),
      });
      return;
    }

    if ((flags & NodeFlag.blocking) !== 0) this.blockedBy = node;
    if (timed !== undefined) {
      this.awaitTimed(timed, value as PromiseLike<unknown>);
      return;
    }
    Promise.resolve(value as PromiseLike<unknown>).then(
      (result) => this.settleNode(node, true, result),
      (error: unknown) => this.settleNode(node, false, error),
    );
  }

  /**
   * Records how an async node ended. An error the library itself throws while doing so ends the
   * run with that error, so that a bug of ours rejects the call instead of leaving it pending
   * behind an unhandled rejection.
   */
  private settleNode(node: number, succeeded: boolean, valueOrError: unknown): void {
    try {
      if (succeeded) this.succeed(node, valueOrError);
      else if (valueOrError === setupAbandoned) this.retrySetup(node);
      else this.fail(node, valueOrError);
    } catch (internal) {
      log("internal error while recording the end of node %d: %o", node, internal);
      if (this.settlement === undefined) this.settle({ ok: false, error: internal });
    }
  }

  /**
   * Calls a node function with its resolved arguments. Calls with up to two arguments skip the
   * argument array, which most nodes of large graphs would otherwise allocate per run.
   */
  private call(fn: (...args: unknown[]) => unknown, entries: readonly unknown[]): unknown {
    const results = this.results;
    switch (entries.length) {
      case 0:
        return fn();
      case 1:
        return fn(resolveEntry(entries[0], results));
      case 2:
        return fn(resolveEntry(entries[0], results), resolveEntry(entries[1], results));
      default:
        return fn(...this.resolveArguments(entries));
    }
  }

  private resolveArguments(entries: readonly unknown[]): unknown[] {
    const args = new Array<unknown>(entries.length);
    for (let position = 0; position < entries.length; position += 1) {
      args[position] = resolveEntry(entries[position], this.results);
    }
    return args;
  }

  /** Awaits the promise of a node with a time limit; whichever of it and the timer ends first wins. */
  private awaitTimed(call: TimedCall, promise: PromiseLike<unknown>): void {
    const limits = this.limits!;
    const node = call.node;
    limits.startTimer(call, () => {
      if (call.done) return;
      limits.endTimed(call);
      const error = limits.nodeTimeoutError(call, this.program.graph.ids[node]!);
      call.controller?.abort(error);
      this.fail(node, error);
    });
    Promise.resolve(promise).then(
      (result) => {
        if (call.done) return;
        limits.endTimed(call);
        this.settleNode(node, true, result);
      },
      (error: unknown) => {
        if (call.done) return;
        limits.endTimed(call);
        this.settleNode(node, false, error);
      },
    );
  }

  private lookup(node: number): void {
    const { graph, payloads } = this.program;
    const parent = graph.parents[graph.parentOffsets[node]!]!;
    const container = this.results[parent];
    const key = payloads[node] as string;

    if (container === null || container === undefined) {
      this.fail(
        node,
        new TawaziTypeError(
          `node "${graph.ids[node]}" cannot read key ${JSON.stringify(key)}: node ` +
            `"${graph.ids[parent]}" returned ${String(container)}.`,
        ),
      );
      return;
    }
    try {
      this.succeed(node, (container as Record<string, unknown>)[key]);
    } catch (error) {
      this.fail(node, error);
    }
  }

  private isActive(node: number): boolean {
    for (const entry of this.program.actives.get(node)!) {
      if (!resolveEntry(entry, this.results)) return false;
    }
    return true;
  }

  /** Returns where a setup node's result is kept: the inlined sub-DAG's results, or this DAG's. */
  private setupSlot(node: number): { cache: SetupCache; id: string } | undefined {
    const origin = this.program.setupOrigins.get(node);
    if (origin !== undefined) return origin;
    const cache = this.options.setupCache;
    return cache === undefined ? undefined : { cache, id: this.program.graph.ids[node]! };
  }

  /**
   * Serves a setup node from the DAG instance's setup results: a stored result at once, a
   * result being computed by another run when it settles. Otherwise registers this run as the
   * one computing it and returns false, so the node is called.
   */
  private reuseSetup(node: number): boolean {
    const slot = this.setupSlot(node);
    if (slot === undefined) return false;
    const { cache, id } = slot;
    const entry = cache.get(id);

    if (entry === undefined) {
      const deferred = defer();
      this.computingSetup.set(node, deferred);
      cache.set(id, { done: false, promise: deferred.promise });
      return false;
    }
    if (entry.done) {
      this.succeed(node, entry.value);
      return true;
    }
    if (this.synchronous) {
      this.settle({
        ok: false,
        error: new TawaziUsageError(
          `runSync(): setup node "${id}" is being computed by another call of the DAG. ` +
            "Await that call (or pipeline.setup()) before calling runSync().",
        ),
      });
      return true;
    }
    entry.promise.then(
      (value) => this.settleNode(node, true, value),
      (error: unknown) => this.settleNode(node, false, error),
    );
    return true;
  }

  /** Launches a setup node again after the run computing it dropped the computation. */
  private retrySetup(node: number): void {
    if (this.settlement !== undefined) return;
    this.launch(node);
  }

  /**
   * Drops the setup results this run is computing, when it is cancelled: nothing is cached even
   * if a node completes later, and runs waiting for a result compute it themselves.
   */
  private abandonSetup(): void {
    for (const [node, deferred] of this.computingSetup) {
      const { cache, id } = this.setupSlot(node)!;
      const entry = cache.get(id);
      if (entry !== undefined && !entry.done && entry.promise === deferred.promise) cache.delete(id);
      deferred.reject(setupAbandoned);
    }
    this.computingSetup.clear();
  }

  /** Stores or drops the setup result this run computed, whether or not the run has ended. */
  private settleSetup(node: number, outcome: { value: unknown } | { error: unknown }): void {
    const deferred = this.computingSetup.get(node);
    if (deferred === undefined) return;
    this.computingSetup.delete(node);
    const { cache, id } = this.setupSlot(node)!;
    if ("value" in outcome) {
      cache.set(id, { done: true, value: outcome.value });
      deferred.resolve(outcome.value);
    } else {
      // A failed setup node caches nothing, so the next call computes it again. A failure after
      // this run ended may come from this run's aborted signal: waiting runs then retry.
      cache.delete(id);
      deferred.reject(this.settlement === undefined ? outcome.error : setupAbandoned);
    }
  }

  private recordProfile(node: number, cpu: number | undefined): void {
    if (this.starts === undefined || this.program.kinds[node] !== NodeKind.call) return;
    const start = this.starts[node]!;
    if (Number.isNaN(start)) return;
    const end = performance.now();
    const profile: NodeProfile =
      cpu === undefined ? { start, end, duration: end - start } : { start, end, duration: end - start, cpu };
    this.profiles!.set(node, profile);
  }

  private succeed(node: number, value: unknown, cpu?: number): void {
    const expected = this.program.unpackTo[node]!;
    const mismatch = expected !== 0 && !(Array.isArray(value) && value.length === expected);
    if (!mismatch && this.computingSetup.size !== 0) this.settleSetup(node, { value });
    if (this.settlement !== undefined) return;
    if (this.blockedBy === node) this.blockedBy = -1;

    if (mismatch) {
      const received = Array.isArray(value)
        ? `an array of length ${value.length}`
        : describeValue(value);
      this.fail(
        node,
        new TawaziTypeError(
          `node "${this.program.graph.ids[node]}" is declared with unpackTo ${expected} but ` +
            `returned ${received}. Return an array of ${expected} values or change unpackTo.`,
        ),
        cpu,
      );
      return;
    }

    this.recordProfile(node, cpu);
    this.results[node] = value;
    this.schedule.finish(node, NodeState.succeeded);
    this.pump();
  }

  private fail(node: number, error: unknown, cpu?: number): void {
    if (this.computingSetup.size !== 0) this.settleSetup(node, { error });
    if (this.settlement !== undefined) return;
    if (this.blockedBy === node) this.blockedBy = -1;
    this.recordProfile(node, cpu);

    const id = this.program.graph.ids[node]!;
    attachNodeId(error, id);
    this.errors.set(node, error);
    this.schedule.finish(node, NodeState.failed);
    log("node %s failed: %o", id, error);

    if (this.plan.behavior === Behavior.strict) {
      this.settle({ ok: false, error });
      return;
    }
    this.pump();
  }

  private settle(settlement: Settlement): void {
    this.settlement = settlement;
    if (this.pushed && !this.schedule.finished) this.schedule.abandon?.();
    this.limits?.release(settlement.ok ? undefined : { reason: settlement.error });
    this.onSettle?.(settlement);
  }
}

/** CPU milliseconds since `start`, or undefined when not profiling. */
function cpuSince(start: NodeJS.CpuUsage | undefined): number | undefined {
  if (start === undefined) return undefined;
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Returns whether `value` has a `then` method, as `await` and Promise.resolve check. */
export function isThenable(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
