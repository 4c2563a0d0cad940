import type { CompiledGraph } from "../graph/compiled.js";
import { TawaziCycleError } from "../errors.js";
import type { NativeAddon } from "./addon.js";
import type { Outcome, RunPlan, ScheduleRun, Scheduler } from "./scheduler.js";

/**
 * The native engine: the same Scheduler contract, backed by the Rust state machine. The
 * compiled graph crosses once per graph and revision (a configuration bumps the revision);
 * each run then costs one call per batch taken and one per node finished.
 *
 * NOTE: only the synchronous drive from the main thread exists. The drive from a Rust
 * scheduler thread through a thread-safe function, and the rule choosing between the two per
 * run, are not written yet.
 */
export function nativeScheduler(addon: NativeAddon): Scheduler {
  const handles = new WeakMap<CompiledGraph, { revision: number; handle: object }>();

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
    start(graph: CompiledGraph, plan: RunPlan): ScheduleRun {
      const run = addon.createRun(graphHandle(graph), plan.mask, plan.maxConcurrency, plan.behavior);
      return new NativeScheduleRun(addon, run, graph.size);
    },
  };
}

class NativeScheduleRun implements ScheduleRun {
  private done: boolean;
  private readonly stateBuffer: Uint8Array;

  constructor(
    private readonly addon: NativeAddon,
    private readonly run: object,
    size: number,
  ) {
    this.done = addon.isFinished(run);
    this.stateBuffer = new Uint8Array(size);
  }

  get finished(): boolean {
    return this.done;
  }

  /** A copy of the states, refreshed on each read. */
  get states(): Uint8Array {
    this.addon.copyStates(this.run, this.stateBuffer);
    return this.stateBuffer;
  }

  take(out: Uint32Array): number {
    return this.addon.take(this.run, out);
  }

  finish(node: number, outcome: Outcome): void {
    this.done = this.addon.finish(this.run, node, outcome);
  }
}
