import assert from "node:assert/strict";

import type { CompiledGraph } from "../graph/compiled.js";
import { TawaziCycleError } from "../errors.js";
import type { NativeAddon } from "./addon.js";
import type { Outcome, RunPlan, ScheduleRun, Scheduler } from "./scheduler.js";

/**
 * The native engine: the same Scheduler contract, backed by the Rust state machine. The
 * compiled graph crosses once per graph and revision, and a configuration bumps the revision.
 * Each run then costs about one call per batch, because completions are buffered and cross
 * with the next take.
 *
 * Two drives exist: the synchronous drive, where the run layer asks for batches with `take`,
 * and the thread drive, where a Rust thread pushes batches through a thread-safe function.
 */
export function nativeScheduler(addon: NativeAddon): Scheduler {
  const handles = new WeakMap<CompiledGraph, { revision: number; handle: object }>();
  /** Finished run handles of each graph handle, reset and reused by the next runs. */
  const idleRuns = new WeakMap<object, object[]>();

  const graphHandle = (graph: CompiledGraph): object => {
    const known = handles.get(graph);
    if (known !== undefined && known.revision === graph.revision) return known.handle;
    let handle: object;
    try {
      handle = addon.createGraph(graph.parentOffsets, graph.parents, graph.flags, graph.priority);
    } catch (error) {
      const cycle = (error as { cycle?: number[] }).cycle;
      if (cycle !== undefined) throw new TawaziCycleError(cycle.map((node) => graph.ids[node]!));
      throw error;
    }
    handles.set(graph, { revision: graph.revision, handle });
    return handle;
  };

  return {
    name: "native",
    pushesBatches: useThreadDrive,
    start(graph: CompiledGraph, plan: RunPlan): ScheduleRun {
      // The addon counts the budget in 64-bit integers: a limit no run can reach means none.
      const limit = plan.maxConcurrency > Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : plan.maxConcurrency;
      const handle = graphHandle(graph);
      if (useThreadDrive()) {
        return new NativeScheduleRun(addon, addon.createRun(handle, plan.mask, limit, plan.behavior), graph.size, true, undefined);
      }

      let idle = idleRuns.get(handle);
      if (idle === undefined) {
        idle = [];
        idleRuns.set(handle, idle);
      }
      let run = idle.pop();
      if (run === undefined) run = addon.createRun(handle, plan.mask, limit, plan.behavior);
      else addon.resetRun(run, handle, plan.mask, limit, plan.behavior);
      return new NativeScheduleRun(addon, run, graph.size, false, idle);
    },
  };
}

/**
 * Decides whether runs use the scheduler thread (pushing batches through a thread-safe
 * function) or the synchronous drive from the main thread.
 *
 * Measured on 2 vCPU, Node 20, `await` of 20,000 trivial nodes (several runs on a busy machine):
 * a chain took 28-32 ms with the main-thread drive and 90-1170 ms with the thread drive, a
 * fan-out 16-84 ms against 69-147 ms. Every node still launches on the JavaScript thread, so a
 * thread-safe-function round trip (microseconds) per batch never pays for itself, however wide
 * the ready set. The main-thread drive is therefore used for every run, and the environment
 * variable TAWAZI_NATIVE_DRIVE=thread selects the thread drive (for tests and measurements).
 *
 * NOTE: the thread drive's order of execution is not fully determined. At maxConcurrency 1,
 * 2 of 200 runs of one DAG started ready nodes in another order, for a cause not yet known.
 */
function useThreadDrive(): boolean {
  return process.env["TAWAZI_NATIVE_DRIVE"] === "thread";
}

/** Completions buffered before they cross to the addon, as (node, outcome) pairs. */
const completionPairs = 1024;

/**
 * Most finished run handles kept per graph for reuse. A burst of concurrent runs leaves at most
 * this many behind; the rest are freed by their finalizers.
 */
const idleRunLimit = 64;

class NativeScheduleRun implements ScheduleRun {
  private done: boolean;
  /** Completions not yet applied by the addon; they cross with the next take. */
  private readonly completions = new Uint32Array(completionPairs * 2);
  private completionCount = 0;
  private readonly threaded: boolean;
  private readonly stateBuffer: Uint8Array;
  readonly drive: ((onBatch: (batch: Uint32Array) => void) => void) | undefined;
  readonly abandon: (() => void) | undefined;

  /** Set once the run finished and its handle went back to the idle list: the states are a copy. */
  private released = false;

  /**
   * `idle` receives the run handle when the run finishes, so a later run of the same graph can
   * reset and reuse it. It is undefined for a thread-driven run, since the thread uses its handle too.
   */
  constructor(
    private readonly addon: NativeAddon,
    private readonly run: object,
    size: number,
    threaded: boolean,
    private readonly idle: object[] | undefined,
  ) {
    this.done = addon.isFinished(run);
    this.stateBuffer = new Uint8Array(size);
    this.threaded = threaded;
    if (threaded) {
      this.drive = (onBatch) => addon.driveOnThread(run, onBatch);
      this.abandon = () => addon.abandon(run);
    }
  }

  get finished(): boolean {
    if (this.released) return true;
    this.flush();
    if (this.done) this.release();
    return this.done;
  }

  /** A copy of the states, refreshed on each read until the run finishes. */
  get states(): Uint8Array {
    if (this.released) return this.stateBuffer;
    this.flush();
    this.addon.copyStates(this.run, this.stateBuffer);
    if (this.done) this.release();
    return this.stateBuffer;
  }

  /**
   * Keeps the final states and hands the run handle to the idle list. Once the run finished, the
   * run layer reads only `finished` and `states`, and both return values kept on this side.
   */
  private release(): void {
    if (this.idle === undefined || this.released) return;
    this.addon.copyStates(this.run, this.stateBuffer);
    this.released = true;
    if (this.idle.length < idleRunLimit) this.idle.push(this.run);
  }

  take(out: Uint32Array): number {
    if (this.released) return 0;
    const count = this.completionCount;
    if (count === 0) return this.addon.take(this.run, out);
    this.completionCount = 0;
    const taken = this.addon.finishAndTake(this.run, this.completions, count, out);
    // `done` is refreshed lazily: the run layer reads `finished` once per pump, not per batch.
    this.stale = true;
    return taken;
  }

  /**
   * Buffers a completion: it is applied by the addon together with the next `take`, in the same
   * order, so the schedule is the same as with one call per completion. A thread-driven run
   * applies it at once, because the scheduler thread waits for it.
   */
  finish(node: number, outcome: Outcome): void {
    assert(!this.released, "a node finished after its native run was released");
    if (this.threaded) {
      this.done = this.addon.finish(this.run, node, outcome);
      return;
    }
    if (this.completionCount === completionPairs) this.flush();
    const position = this.completionCount * 2;
    this.completions[position] = node;
    this.completions[position + 1] = outcome;
    this.completionCount += 1;
    this.stale = true;
  }

  private stale = false;

  private flush(): void {
    if (this.completionCount > 0) {
      this.done = this.addon.finishMany(this.run, this.completions, this.completionCount);
      this.completionCount = 0;
      this.stale = false;
    } else if (this.stale) {
      this.done = this.addon.isFinished(this.run);
      this.stale = false;
    }
  }
}
