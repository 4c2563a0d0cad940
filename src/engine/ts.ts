import type { CompiledGraph } from "../graph/compiled.js";
import { NodeFlag } from "../graph/flags.js";
import { ReadyQueue } from "./ready-queue.js";
import {
  Behavior,
  NodeState,
  type Outcome,
  type RunPlan,
  type ScheduleRun,
  type Scheduler,
} from "./scheduler.js";

/**
 * The pure-TypeScript engine. Two ready queues share one ordering: inline nodes (main thread,
 * outside the concurrency budget) and budgeted nodes. The best eligible top of the two goes
 * first, so a full budget never holds back inline nodes.
 */
export const tsScheduler: Scheduler = {
  name: "ts",
  start(graph: CompiledGraph, plan: RunPlan): ScheduleRun {
    return new TsScheduleRun(graph, plan);
  },
};

class TsScheduleRun implements ScheduleRun {
  readonly states: Uint8Array;
  private readonly inDegree: Uint32Array;
  /** 1 when a parent was skipped, or failed under "all-children". */
  private readonly poisoned: Uint8Array;
  private readonly inlineQueue: ReadyQueue;
  private readonly budgetQueue: ReadyQueue;
  private readonly releaseStack: number[] = [];
  /** The flags the run started with: a configuration made during the run applies to later runs. */
  private readonly flags: Uint8Array;
  private remaining = 0;
  private running = 0;
  private budgetRunning = 0;
  private sequentialRunning = false;
  private stopped = false;

  constructor(
    private readonly graph: CompiledGraph,
    private readonly plan: RunPlan,
  ) {
    const { size, parentOffsets, parents, compoundPriority } = graph;
    const mask = plan.mask;
    this.flags = graph.flags;
    this.states = new Uint8Array(size);
    this.inDegree = new Uint32Array(size);
    this.poisoned = new Uint8Array(size);
    this.inlineQueue = new ReadyQueue(compoundPriority);
    this.budgetQueue = new ReadyQueue(compoundPriority);

    for (let node = 0; node < size; node += 1) {
      if (mask !== null && mask[node] === 0) {
        this.states[node] = NodeState.notRun;
        continue;
      }
      let degree = 0;
      for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
        if (mask === null || mask[parents[edge]!] === 1) degree += 1;
      }
      this.inDegree[node] = degree;
      this.remaining += 1;
      if (degree === 0) this.enqueue(node);
    }
  }

  get finished(): boolean {
    return this.remaining === 0 || (this.stopped && this.running === 0);
  }

  take(out: Uint32Array): number {
    const flags = this.flags;
    let count = 0;

    while (count < out.length && !this.stopped && !this.sequentialRunning) {
      const inlineTop = this.inlineQueue.peek();
      const budgetTop =
        this.budgetRunning < this.plan.maxConcurrency ? this.budgetQueue.peek() : undefined;

      let queue: ReadyQueue;
      if (inlineTop === undefined) {
        if (budgetTop === undefined) break;
        queue = this.budgetQueue;
      } else if (budgetTop === undefined || this.inlineQueue.before(inlineTop, budgetTop)) {
        queue = this.inlineQueue;
      } else {
        queue = this.budgetQueue;
      }

      const node = queue.peek()!;
      const nodeFlags = flags[node]!;
      if ((nodeFlags & NodeFlag.sequential) !== 0) {
        // A sequential node waits for everything running to end, and holds back the rest.
        if (this.running > 0) break;
        this.sequentialRunning = true;
      }

      queue.pop();
      this.states[node] = NodeState.running;
      this.running += 1;
      if ((nodeFlags & NodeFlag.inline) === 0) this.budgetRunning += 1;
      out[count++] = node;

      if ((nodeFlags & (NodeFlag.blocking | NodeFlag.sequential)) !== 0) break;
    }
    return count;
  }

  finish(node: number, outcome: Outcome): void {
    const nodeFlags = this.flags[node]!;
    this.running -= 1;
    if ((nodeFlags & NodeFlag.inline) === 0) this.budgetRunning -= 1;
    if ((nodeFlags & NodeFlag.sequential) !== 0) this.sequentialRunning = false;
    this.states[node] = outcome;
    this.remaining -= 1;

    if (
      outcome === NodeState.notRun ||
      (outcome === NodeState.failed && this.plan.behavior === Behavior.strict)
    ) {
      this.stopped = true;
    }
    if (this.stopped) {
      if (this.running === 0) this.markUnstartedNotRun();
      return;
    }

    const poison =
      outcome === NodeState.skippedInactive ||
      (outcome === NodeState.failed && this.plan.behavior === Behavior.allChildren);
    this.release(node, poison);
  }

  /** Lets the children of an ended node become ready, skipping those with a poisoned parent. */
  private release(ended: number, poison: boolean): void {
    const { childOffsets, children } = this.graph;
    const mask = this.plan.mask;
    const stack = this.releaseStack;
    stack.push(ended, poison ? 1 : 0);

    while (stack.length > 0) {
      const poisonChildren = stack.pop() === 1;
      const node = stack.pop()!;
      for (let edge = childOffsets[node]!; edge < childOffsets[node + 1]!; edge += 1) {
        const child = children[edge]!;
        if (mask !== null && mask[child] === 0) continue;
        if (poisonChildren) this.poisoned[child] = 1;
        this.inDegree[child]! -= 1;
        if (this.inDegree[child] !== 0) continue;

        if (this.poisoned[child] === 1) {
          this.states[child] = NodeState.skippedDependency;
          this.remaining -= 1;
          stack.push(child, 1);
        } else {
          this.enqueue(child);
        }
      }
    }
  }

  private enqueue(node: number): void {
    this.states[node] = NodeState.ready;
    if ((this.flags[node]! & NodeFlag.inline) !== 0) this.inlineQueue.push(node);
    else this.budgetQueue.push(node);
  }

  private markUnstartedNotRun(): void {
    const states = this.states;
    for (let node = 0; node < states.length; node += 1) {
      if (states[node] === NodeState.pending || states[node] === NodeState.ready) {
        states[node] = NodeState.notRun;
      }
    }
  }
}
