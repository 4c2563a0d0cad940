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
import { type Program, resolveEntry } from "./program.js";

const log = debuglog("tawazi");

const batchSize = 1024;

export type Settlement =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * Executes one run of a program: launches the nodes the engine hands out, stores results,
 * reports completions. It never decides order; the engine does.
 *
 * In synchronous mode a node that returns a thenable ends the run with a TawaziUsageError.
 */
export class Run {
  readonly results: unknown[];
  readonly errors = new Map<number, unknown>();
  readonly schedule: ScheduleRun;
  settlement: Settlement | undefined;
  onSettle: ((settlement: Settlement) => void) | undefined;

  private readonly buffer: Uint32Array;
  private pumping = false;
  /** The main-thread node whose promise is awaited before anything else starts, or -1. */
  private blockedBy = -1;

  constructor(
    private readonly program: Program,
    private readonly args: readonly unknown[],
    private readonly plan: RunPlan,
    scheduler: Scheduler,
    private readonly synchronous: boolean,
  ) {
    this.results = new Array(program.graph.size);
    this.schedule = scheduler.start(program.graph, plan);
    this.buffer = new Uint32Array(Math.max(1, Math.min(batchSize, program.graph.size)));
  }

  /** Launches every node the engine allows, until it has nothing more to hand out now. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.blockedBy === -1 && this.settlement === undefined) {
        const count = this.schedule.take(this.buffer);
        if (count === 0) break;
        for (let position = 0; position < count; position += 1) {
          if (this.settlement !== undefined) {
            // A strict failure or a runSync misuse ended the run: the rest of the batch never starts.
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

    if (kind === NodeKind.lookup) {
      this.lookup(node);
      return;
    }

    const flags = program.graph.flags[node]!;
    let value: unknown;
    let thenable: boolean;
    try {
      if ((flags & NodeFlag.conditional) !== 0) {
        const active = resolveEntry(program.actives.get(node), this.results);
        if (!active) {
          this.schedule.finish(node, NodeState.skippedInactive);
          return;
        }
      }
      const entries = program.payloads[node] as readonly unknown[];
      const args = new Array<unknown>(entries.length);
      for (let position = 0; position < entries.length; position += 1) {
        args[position] = resolveEntry(entries[position], this.results);
      }
      value = program.fns[node]!(...args);
      thenable = isThenable(value);
    } catch (error) {
      this.fail(node, error);
      return;
    }

    if (!thenable) {
      this.succeed(node, value);
      return;
    }

    if (this.synchronous) {
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
    Promise.resolve(value as PromiseLike<unknown>).then(
      (result) => this.succeed(node, result),
      (error: unknown) => this.fail(node, error),
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

  private succeed(node: number, value: unknown): void {
    if (this.settlement !== undefined) return;
    if (this.blockedBy === node) this.blockedBy = -1;

    const expected = this.program.unpackTo[node]!;
    if (expected !== 0 && !(Array.isArray(value) && value.length === expected)) {
      const received = Array.isArray(value)
        ? `an array of length ${value.length}`
        : describeValue(value);
      this.fail(
        node,
        new TawaziTypeError(
          `node "${this.program.graph.ids[node]}" is declared with unpackTo ${expected} but ` +
            `returned ${received}. Return an array of ${expected} values or change unpackTo.`,
        ),
      );
      return;
    }

    this.results[node] = value;
    this.schedule.finish(node, NodeState.succeeded);
    this.pump();
  }

  private fail(node: number, error: unknown): void {
    if (this.settlement !== undefined) return;
    if (this.blockedBy === node) this.blockedBy = -1;

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
    this.onSettle?.(settlement);
  }
}

function isThenable(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
