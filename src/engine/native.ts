import type { CompiledGraph } from "../graph/compiled.js";
import { TawaziCycleError } from "../errors.js";
import type { NativeAddon } from "./addon.js";
import { type ScheduleTrace, TraceShelf } from "./schedule-trace.js";
import type { Outcome, RunPlan, ScheduleRun, Scheduler } from "./scheduler.js";

/**
 * The native engine: the same Scheduler contract, backed by the Rust state machine. The
 * compiled graph crosses once per graph and revision, and a configuration bumps the revision.
 * Each run then costs about one call per batch, because completions are buffered and cross
 * with the next take. A run that repeats a recorded schedule makes no call at all (see
 * ScheduleTrace).
 *
 * Two drives exist: the synchronous drive, where the run layer asks for batches with `take`,
 * and the thread drive, where a Rust thread pushes batches through a thread-safe function.
 */
export function nativeScheduler(addon: NativeAddon): Scheduler {
  const handles = new WeakMap<CompiledGraph, { revision: number; handle: object; traces: TraceShelf }>();

  const graphEntry = (graph: CompiledGraph) => {
    const known = handles.get(graph);
    if (known !== undefined && known.revision === graph.revision) return known;
    let handle: object;
    try {
      handle = addon.createGraph(graph.parentOffsets, graph.parents, graph.flags, graph.priority);
    } catch (error) {
      const cycle = (error as { cycle?: number[] }).cycle;
      if (cycle !== undefined) throw new TawaziCycleError(cycle.map((node) => graph.ids[node]!));
      throw error;
    }
    const entry = { revision: graph.revision, handle, traces: new TraceShelf() };
    handles.set(graph, entry);
    return entry;
  };

  return {
    name: "native",
    start(graph: CompiledGraph, plan: RunPlan): ScheduleRun {
      // The addon counts the budget in 64-bit integers: a limit no run can reach means none.
      const limit = plan.maxConcurrency > Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : plan.maxConcurrency;
      const { handle, traces } = graphEntry(graph);
      const createRun = () => addon.createRun(handle, plan.mask, limit, plan.behavior);
      if (useThreadDrive()) return new NativeScheduleRun(addon, createRun, graph.size, true);

      // Only whole-graph runs are traced: a mask would have to be part of the key.
      const key = `${limit}|${plan.behavior}`;
      const shelf = plan.mask === null ? traces : undefined;
      return new NativeScheduleRun(addon, createRun, graph.size, false, shelf, key);
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
 */
function useThreadDrive(): boolean {
  return process.env["TAWAZI_NATIVE_DRIVE"] === "thread";
}

/** Completions buffered before they cross to the addon, as (node, outcome) pairs. */
const completionPairs = 1024;

/**
 * One native run. It follows a recorded trace of its plan while its completions match the
 * trace's, and otherwise drives the addon, recording a trace when its plan has none yet.
 */
class NativeScheduleRun implements ScheduleRun {
  private done = false;
  /** The addon's run, created when the run first needs it (never, while it follows a trace). */
  private nativeRun: object | undefined;
  /** Completions not yet applied by the addon; they cross with the next take. */
  private readonly completions = new Uint32Array(completionPairs * 2);
  private completionCount = 0;
  private stale = false;
  private readonly stateBuffer: Uint8Array;
  readonly drive: ((onBatch: (batch: Uint32Array) => void) => void) | undefined;
  readonly abandon: (() => void) | undefined;

  /** The trace this run follows, the step it is at and the next completion it expects (in pairs). */
  private following: ScheduleTrace | undefined;
  private step = 0;
  private expected = 0;
  /** The trace this run records, until it finishes or departs from what a trace can hold. */
  private recording: ScheduleTrace | undefined;

  constructor(
    private readonly addon: NativeAddon,
    private readonly createRun: () => object,
    size: number,
    private readonly threaded: boolean,
    private readonly shelf?: TraceShelf,
    private readonly key = "",
  ) {
    this.stateBuffer = new Uint8Array(size);
    this.following = shelf?.find(key);
    if (this.following === undefined) {
      this.recording = shelf?.startRecording(key);
      this.done = addon.isFinished(this.run());
    }
    if (threaded) {
      this.drive = (onBatch) => addon.driveOnThread(this.run(), onBatch);
      this.abandon = () => addon.abandon(this.run());
    }
  }

  private run(): object {
    this.nativeRun ??= this.createRun();
    return this.nativeRun;
  }

  get finished(): boolean {
    const trace = this.following;
    if (trace !== undefined) return this.step === trace.steps && this.expected === trace.completionStarts[trace.steps];
    this.flush();
    return this.done;
  }

  /** A copy of the states, refreshed on each read. */
  get states(): Uint8Array {
    const trace = this.following;
    if (trace !== undefined) {
      if (this.finished) {
        this.stateBuffer.set(trace.finalStates!);
        return this.stateBuffer;
      }
      this.depart();
    }
    this.flush();
    this.addon.copyStates(this.run(), this.stateBuffer);
    return this.stateBuffer;
  }

  take(out: Uint32Array): number {
    const trace = this.following;
    if (trace !== undefined) {
      if (this.step < trace.steps && this.expected === trace.completionStarts[this.step + 1]) return this.takeFromTrace(trace, out);
      this.depart();
    }

    const count = this.completionCount;
    let batchSize: number;
    if (count === 0) {
      batchSize = this.addon.take(this.run(), out);
    } else {
      this.completionCount = 0;
      batchSize = this.addon.finishAndTake(this.run(), this.completions, count, out);
      // `done` is refreshed lazily: the run layer reads `finished` once per pump, not per batch.
      this.stale = true;
    }
    this.record(count, out, batchSize);
    return batchSize;
  }

  private takeFromTrace(trace: ScheduleTrace, out: Uint32Array): number {
    const start = trace.batchStarts[this.step]!;
    const count = trace.batchStarts[this.step + 1]! - start;
    if (count > out.length) {
      this.depart();
      return this.take(out);
    }
    for (let position = 0; position < count; position += 1) out[position] = trace.batches[start + position]!;
    this.step += 1;
    return count;
  }

  /**
   * Buffers a completion: it is applied by the addon together with the next `take`, in the same
   * order, so the schedule is the same as with one call per completion. A thread-driven run
   * applies it at once, because the scheduler thread waits for it.
   */
  finish(node: number, outcome: Outcome): void {
    if (this.threaded) {
      this.done = this.addon.finish(this.run(), node, outcome);
      return;
    }

    const trace = this.following;
    if (trace !== undefined) {
      const position = this.expected * 2;
      const matches =
        this.expected < trace.completionStarts[this.step + 1]! &&
        trace.completions[position] === node &&
        trace.completions[position + 1] === outcome;
      if (matches) {
        this.expected += 1;
        return;
      }
      this.depart();
    }

    if (this.completionCount === completionPairs) this.flush();
    const position = this.completionCount * 2;
    this.completions[position] = node;
    this.completions[position + 1] = outcome;
    this.completionCount += 1;
    this.stale = true;
  }

  /**
   * Leaves the trace: replays its finished steps into a new addon run, which then has the
   * state this run reached, and buffers the completions of the current step seen so far.
   */
  private depart(): void {
    const trace = this.following!;
    this.following = undefined;
    this.shelf!.departed(this.key);

    const run = this.run();
    const scratch = new Uint32Array(Math.max(1, maxBatchOf(trace)));
    for (let step = 0; step < this.step; step += 1) {
      const first = trace.completionStarts[step]!;
      const pairs = trace.completionStarts[step + 1]! - first;
      if (pairs === 0) this.addon.take(run, scratch);
      else this.addon.finishAndTake(run, trace.completions.subarray(first * 2), pairs, scratch);
    }
    for (let pair = trace.completionStarts[this.step]!; pair < this.expected; pair += 1) {
      this.finish(trace.completions[pair * 2]!, trace.completions[pair * 2 + 1]! as Outcome);
    }
    this.stale = true;
  }

  /** Adds a take to the trace being recorded, and completes the trace when the run finished. */
  private record(pairs: number, batch: Uint32Array, count: number): void {
    const trace = this.recording;
    if (trace === undefined) return;
    trace.recordStep(this.completions, pairs, batch, count);
    if (count === 0 && this.finished) {
      this.recording = undefined;
      this.addon.copyStates(this.run(), this.stateBuffer);
      trace.complete(this.stateBuffer);
    }
  }

  private flush(): void {
    if (this.completionCount > 0) {
      // A flush outside `take` applies completions that no recorded step can contain.
      this.recording = undefined;
      this.done = this.addon.finishMany(this.run(), this.completions, this.completionCount);
      this.completionCount = 0;
      this.stale = false;
    } else if (this.stale) {
      this.done = this.addon.isFinished(this.run());
      this.stale = false;
    }
  }
}

/** Returns the size of the largest batch of a trace. */
function maxBatchOf(trace: ScheduleTrace): number {
  let largest = 0;
  for (let step = 0; step < trace.steps; step += 1) {
    largest = Math.max(largest, trace.batchStarts[step + 1]! - trace.batchStarts[step]!);
  }
  return largest;
}
