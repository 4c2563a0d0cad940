import type { CompiledGraph } from "../graph/compiled.js";
import { type ScheduleTrace, TraceShelf, ensureLength } from "./schedule-trace.js";
import type { Outcome, RunPlan, ScheduleRun, Scheduler } from "./scheduler.js";

/**
 * Puts schedule traces in front of an engine. The first run of a graph and plan records the
 * completions the engine received and the batches it returned. Later runs follow that trace
 * without starting the engine at all, as long as they report the same completions, and hand
 * over to a real engine run when they depart from it. Both engines are deterministic, so results, order and states
 * are the same as without traces.
 *
 * Runs over a subgraph (a mask) and runs the engine drives from a thread of its own are not
 * traced.
 */
export function withScheduleTraces(engine: Scheduler): Scheduler {
  const shelves = new WeakMap<CompiledGraph, { revision: number; shelf: TraceShelf }>();

  const shelfOf = (graph: CompiledGraph): TraceShelf => {
    const known = shelves.get(graph);
    if (known !== undefined && known.revision === graph.revision) return known.shelf;
    const shelf = new TraceShelf();
    shelves.set(graph, { revision: graph.revision, shelf });
    return shelf;
  };

  return {
    name: engine.name,
    start(graph: CompiledGraph, plan: RunPlan): ScheduleRun {
      if (plan.mask !== null || engine.pushesBatches?.() === true) return engine.start(graph, plan);
      const key = `${plan.maxConcurrency}|${plan.behavior}`;
      // A run that departs later starts its engine then: with the flags and priorities this run
      // started with, should a configuration have replaced them since (it never changes them in place).
      const { flags, priority, compoundPriority, revision } = graph;
      const startEngine = () =>
        graph.revision === revision
          ? engine.start(graph, plan)
          : engine.start({ ...graph, flags, priority, compoundPriority }, plan);
      return new TracedScheduleRun(startEngine, shelfOf(graph), key);
    },
  };
}

/** One run that follows a trace while it can, and otherwise runs on the engine, recording a trace when its plan has none. */
class TracedScheduleRun implements ScheduleRun {
  /** The engine's run: created at once when there is no trace to follow, else when the run departs. */
  private inner: ScheduleRun | undefined;

  /** The trace this run follows, the step it is at and the next completion it expects (in pairs). */
  private following: ScheduleTrace | undefined;
  private step = 0;
  private expected = 0;

  /** The trace this run records, with the completions reported since the last take. */
  private recording: ScheduleTrace | undefined;
  private pending: Uint32Array = new Uint32Array(64);
  private pendingPairs = 0;

  /** A copy of the trace's final states, made when a finished run that followed it is asked. */
  private finalStates: Uint8Array | undefined;

  constructor(
    private readonly startEngine: () => ScheduleRun,
    private readonly shelf: TraceShelf,
    private readonly key: string,
  ) {
    this.following = shelf.find(key);
    if (this.following === undefined) {
      this.inner = startEngine();
      this.recording = shelf.startRecording(key);
    }
  }

  get finished(): boolean {
    const trace = this.following;
    if (trace === undefined) return this.inner!.finished;
    return this.step === trace.steps && this.expected === trace.completionStarts[trace.steps];
  }

  get states(): Uint8Array {
    const trace = this.following;
    if (trace !== undefined) {
      // A copy, since callers may keep the states of their run while the trace serves others.
      if (this.finished) {
        this.finalStates ??= trace.finalStates!.slice();
        return this.finalStates;
      }
      this.depart();
    }
    return this.inner!.states;
  }

  take(out: Uint32Array): number {
    const trace = this.following;
    if (trace !== undefined) {
      const start = trace.batchStarts[this.step]!;
      const count = trace.batchStarts[this.step + 1]! - start;
      const allReported = this.expected === trace.completionStarts[this.step + 1];
      if (this.step < trace.steps && allReported && count <= out.length) {
        for (let position = 0; position < count; position += 1) out[position] = trace.batches[start + position]!;
        this.step += 1;
        return count;
      }
      this.depart();
    }

    const count = this.inner!.take(out);
    this.record(out, count);
    return count;
  }

  finish(node: number, outcome: Outcome): void {
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

    this.inner!.finish(node, outcome);
    if (this.recording !== undefined) this.remember(node, outcome);
  }

  /** Keeps a completion for the step the next take records. */
  private remember(node: number, outcome: Outcome): void {
    this.pending = ensureLength(this.pending, (this.pendingPairs + 1) * 2);
    this.pending[this.pendingPairs * 2] = node;
    this.pending[this.pendingPairs * 2 + 1] = outcome;
    this.pendingPairs += 1;
  }

  /** Adds a take to the trace being recorded, and completes the trace once the run finished. */
  private record(batch: Uint32Array, count: number): void {
    const trace = this.recording;
    if (trace === undefined) return;
    trace.recordStep(this.pending, this.pendingPairs, batch, count);
    this.pendingPairs = 0;
    if (count === 0 && this.inner!.finished) {
      this.recording = undefined;
      trace.complete(this.inner!.states);
    }
  }

  /**
   * Leaves the trace: starts the engine's run and replays into it the steps this run went
   * through, then the completions of the current step reported so far.
   */
  private depart(): void {
    const trace = this.following!;
    this.following = undefined;
    this.shelf.departed(this.key);

    const inner = this.startEngine();
    this.inner = inner;
    const scratch = new Uint32Array(Math.max(1, trace.largestBatch));
    for (let step = 0; step < this.step; step += 1) {
      for (let pair = trace.completionStarts[step]!; pair < trace.completionStarts[step + 1]!; pair += 1) {
        inner.finish(trace.completions[pair * 2]!, trace.completions[pair * 2 + 1]! as Outcome);
      }
      inner.take(scratch);
    }
    for (let pair = trace.completionStarts[this.step]!; pair < this.expected; pair += 1) {
      inner.finish(trace.completions[pair * 2]!, trace.completions[pair * 2 + 1]! as Outcome);
    }
  }
}
