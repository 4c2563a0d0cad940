/**
 * Measures one executor on one workload in a process of its own, so that its peak RSS is its
 * own and a run that overflows the stack or never ends costs only this process. Started by
 * bench/index.ts with a JSON `RowRequest` as its argument; prints one JSON `RowResult` line.
 */
import { fileURLToPath } from "node:url";

import { asyncAuto } from "./implementations/async-auto.js";
import type { Implementation, Mode } from "./implementations/implementation.js";
import { kahnFloor } from "./implementations/kahn-floor.js";
import { pGraph } from "./implementations/p-graph.js";
import { tawazi } from "./implementations/tawazi.js";
import { type Shape, type Workload, chain, checkOutput, expectedValues, fan, layered, outputOf, workflow } from "./fixtures/workloads.js";

export interface RowRequest {
  implementation: string;
  shape: Shape;
  /** The node count of a generated shape, or ignored for a workflow. */
  size: number;
  /** The WfCommons instance of a workflow row. */
  path?: string;
  mode: Mode;
  concurrency: number;
  /** How many builds and runs after the first to measure, at most. */
  repeats: number;
  /** Stop repeating once this many milliseconds of builds (or of runs) have passed. */
  budgetMs: number;
}

export interface RowResult {
  nodes: number;
  builds: number;
  runs: number;
  buildMs: number;
  firstRunMs: number;
  runMs: number;
  /** Bytes of JavaScript heap and typed-array memory that one build keeps, per node. */
  builtBytesPerNode: number;
  /** Of those, the bytes in typed arrays (the compiled CSR graph for tawazi), per node. */
  typedArrayBytesPerNode: number;
  peakRssMiB: number;
}

export const implementations: Record<string, Implementation> = {
  "Kahn floor": kahnFloor,
  ts: tawazi("ts"),
  native: tawazi("native"),
  "p-graph": pGraph,
  "async.auto": asyncAuto,
};

const gc = (globalThis as { gc?: () => void }).gc;

/** Builds and runs measured at least, whatever the time budget. */
const minimumSamples = 3;

export async function loadWorkload(request: Pick<RowRequest, "shape" | "size" | "path">): Promise<Workload> {
  switch (request.shape) {
    case "chain":
      return chain(request.size);
    case "fan":
      return fan(request.size);
    case "layered":
      return layered(request.size);
    case "workflow":
      return workflow(request.path!);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function retainedMemory(): { heap: number; typedArrays: number } {
  gc!();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, typedArrays: usage.arrayBuffers };
}

/**
 * Builds once to weigh what a build keeps, then builds up to `repeats` times and runs the last
 * build once and up to `repeats` times more, checking every output. Garbage is collected before
 * the builds and before the first run, not between runs: a forced full collection discards
 * optimized code that refers to the previous run's objects, so the run after it would pay for
 * recompiling.
 */
async function measureRow(request: RowRequest): Promise<RowResult> {
  const workload = await loadWorkload(request);
  const expected = outputOf(workload, expectedValues(workload));
  const implementation = implementations[request.implementation]!;
  const prepared = await implementation.prepare(workload, request.mode, request.concurrency);
  const label = `${request.implementation} on ${workload.name} ${workload.size} ${request.mode}`;

  const before = retainedMemory();
  let built = prepared.build();
  const after = retainedMemory();
  const builtBytes = after.heap + after.typedArrays - before.heap - before.typedArrays;

  const buildTimes: number[] = [];
  // At least 3 samples, so that one slow build (a garbage collection) is not the median.
  for (let i = 0; i < request.repeats && (i < minimumSamples || sum(buildTimes) < request.budgetMs); i++) {
    built = undefined;
    const start = performance.now();
    built = prepared.build();
    buildTimes.push(performance.now() - start);
  }

  gc!();
  const runTimes: number[] = [];
  for (let i = 0; i <= request.repeats && (i <= minimumSamples || sum(runTimes.slice(1)) < request.budgetMs); i++) {
    const start = performance.now();
    const output = await prepared.run(built);
    runTimes.push(performance.now() - start);
    checkOutput(label, output, expected);
  }

  return {
    nodes: workload.size,
    builds: buildTimes.length,
    runs: runTimes.length - 1,
    buildMs: median(buildTimes),
    firstRunMs: runTimes[0]!,
    runMs: runTimes.length > 1 ? median(runTimes.slice(1)) : runTimes[0]!,
    builtBytesPerNode: builtBytes / workload.size,
    typedArrayBytesPerNode: (after.typedArrays - before.typedArrays) / workload.size,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

// Measures only when started as a row process, so that bench/index.ts can import the types and loadWorkload.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (gc === undefined) throw new Error("global.gc is missing: bench/row.ts runs with node --expose-gc");
  const result = await measureRow(JSON.parse(process.argv[2]!) as RowRequest);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
