// The shape every benchmarked executor takes: a build step (description and compilation) and a run step.
import type { Workload } from "../fixtures/workloads.js";

export type Mode = "sync" | "async";

/** One executor ready for one workload: `build` makes what `run` runs, `run` returns the DAG's output. */
export interface Prepared<Built = any> {
  build(): Built;
  run(built: Built): unknown;
}

export interface Implementation {
  readonly name: string;
  prepare(workload: Workload, mode: Mode, concurrency: number): Prepared | Promise<Prepared>;
}
