// The plan of `npm run bench`: the rows, in the order they run, and the limits of each.
import { basename } from "node:path";

import type { Mode } from "./implementations/implementation.js";
import type { Shape } from "./fixtures/workloads.js";
import type { RowResult } from "./row.js";

/** Our native engine first, since every ratio is taken against it. */
export const implementationNames = ["native", "ts", "Kahn floor", "p-graph", "async.auto", "Python Tawazi"] as const;
export type ImplementationName = (typeof implementationNames)[number];

export interface Row {
  implementation: ImplementationName;
  shape: Shape;
  /** The shape, or the workflow's name. */
  name: string;
  /** The node count of a generated shape; 0 for a workflow until its file is read. */
  size: number;
  path?: string;
  mode: Mode;
  repeats: number;
}

export type RowOutcome =
  | { kind: "measured"; result: RowResult }
  | { kind: "failed" | "timeout" | "skipped"; message: string };

export interface Plan {
  sizes: number[];
  workflows: string[];
  /** The workflows replayed with their recorded runtimes, scaled. */
  replays: string[];
  /** The lower bound of every replay's makespan, once its runtimes are scaled. */
  replayLowerBoundMs: number;
  concurrency: number;
  /** A row process still running after this long is killed and reported as not finished. */
  rowLimitMs: number;
  /** A row stops repeating its builds (or its runs) once they have taken this long. */
  budgetMs: number;
  rows: Row[];
}

export const generatedShapes: Shape[] = ["chain", "fan", "layered"];
export const modes: Mode[] = ["sync", "async"];

/** At least 3 builds and runs, more on small graphs so that the timed code is warm. */
function repeatsFor(size: number): number {
  return Math.min(100, Math.max(3, Math.round(100_000 / size)));
}

/**
 * Lists the rows: generated shapes by mode, then size, then executor, so that a peer that fails
 * or runs out of time at one size is not started again at a larger one. Every workflow comes
 * last. Python Tawazi has sync rows only, because it runs plain functions on threads.
 */
export function planFor(quick: boolean, workflowPaths: string[]): Plan {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000, 1_000_000];
  const workflows = quick ? workflowPaths.slice(0, 3) : workflowPaths;
  const rows: Row[] = [];
  const executorsFor = (mode: Mode) => implementationNames.filter((name) => mode === "sync" || name !== "Python Tawazi");

  for (const shape of generatedShapes) {
    for (const mode of modes) {
      for (const size of sizes) {
        for (const implementation of executorsFor(mode)) {
          rows.push({ implementation, shape, name: shape, size, mode, repeats: repeatsFor(size) });
        }
      }
    }
  }
  for (const path of workflows) {
    for (const mode of modes) {
      for (const implementation of executorsFor(mode)) {
        rows.push({ implementation, shape: "workflow", name: basename(path, ".json"), size: 0, path, mode, repeats: 100 });
      }
    }
  }
  return {
    sizes,
    workflows,
    replays: workflows,
    replayLowerBoundMs: quick ? 300 : 1000,
    concurrency: 64,
    rowLimitMs: quick ? 6_000 : 90_000,
    budgetMs: quick ? 300 : 15_000,
    rows,
  };
}
