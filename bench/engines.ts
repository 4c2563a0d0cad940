/**
 * Benchmark of the scheduler engines (`npm run bench:engines`, `--quick` skips 1,000,000 nodes):
 * the TypeScript and native engines beside a minimal Kahn executor on chain, fan and layered
 * DAGs of trivial nodes, synchronous and async. Prints the results and writes them as the
 * "## Engines" section of bench/RESULTS.md.
 */
import { availableParallelism, cpus, loadavg } from "node:os";

import { type DAG, dag, engineInfo, xn } from "../index.js";
import { type KahnGraph, buildKahn, runKahnAsync, runKahnSync } from "./kahn.js";
import {
  type NodeFunctions,
  type Shape,
  type Workload,
  asyncFunctions,
  chain,
  expectedValues,
  fan,
  layered,
  layeredSeed,
  nodeFunctions,
  syncFunctions,
} from "./fixtures/workloads.js";
import { writeSection } from "./results.js";

const quick = process.argv.includes("--quick");
const sizes = quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
/** How many builds and runs after the first a row measures; the median of each is reported. */
interface Repeats {
  builds: number;
  runs: number;
}

/** At least 3 of each, more on small graphs so that the timed code is warm, and 1 build at 1,000,000 nodes. */
function repeatsFor(size: number): Repeats {
  if (size >= 1_000_000) return { builds: 1, runs: 3 };
  const count = Math.max(3, Math.round(100_000 / size));
  return { builds: count, runs: count };
}

/** maxConcurrency of every DAG, and the in-flight window of the Kahn executor. */
const concurrency = 64;

const shapes: Record<Shape, (size: number) => Workload> = { chain, fan, layered };
type Mode = "sync" | "async";
type Engine = "ts" | "native";
const engines: Engine[] = ["ts", "native"];

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("global.gc is missing: run with node --expose-gc, as npm run bench:engines does");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Times `call`, in milliseconds. */
function timeSync<T>(call: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = call();
  return { ms: performance.now() - start, value };
}

async function timeAsync<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await call();
  return { ms: performance.now() - start, value };
}

/** The output of a run as the DAG returns it: one number, or the last layer of a layered DAG. */
function outputOf(workload: Workload, values: readonly unknown[]): unknown {
  return workload.shape === "layered" ? values.slice(workload.outputStart) : values[workload.size - 1];
}

function check(label: string, actual: unknown, expected: unknown): void {
  const same = Array.isArray(expected)
    ? Array.isArray(actual) && actual.length === expected.length && expected.every((value, i) => actual[i] === value)
    : actual === expected;
  if (!same) {
    const received = JSON.stringify(actual)?.slice(0, 200);
    throw new Error(`${label}: the result differs from the plain loop, received ${received}`);
  }
}

type AnyNode = (...args: any[]) => any;

/** Returns the describing function of a workload, calling ExecNodes made from `functions`. */
function describingFunction(workload: Workload, functions: NodeFunctions): () => unknown {
  const { size, parentLists, outputStart } = workload;
  const one = xn(functions.one) as AnyNode;
  const increment = xn(functions.increment) as AnyNode;
  const sumArray = xn(functions.sumArray) as AnyNode;
  const sumMod = xn(functions.sumMod) as AnyNode;

  switch (workload.shape) {
    case "chain":
      return function chain() {
        let value = one();
        for (let node = 1; node < size; node++) value = increment(value);
        return value;
      };
    case "fan":
      return function fan() {
        const root = one();
        const middle = [];
        for (let node = 1; node < size - 1; node++) middle.push(increment(root));
        return sumArray(middle);
      };
    case "layered":
      return function layered() {
        const traced = new Array<unknown>(size);
        for (let node = 0; node < size; node++) {
          const parents = parentLists[node]!;
          traced[node] = parents.length === 0 ? one() : sumMod(...parents.map((parent) => traced[parent]));
        }
        return traced.slice(outputStart);
      };
  }
}

/** Timings of one executor on one workload and mode, in milliseconds. */
interface Measurement {
  executor: string;
  buildMs: number;
  firstRunMs: number;
  runMs: number;
}

/**
 * Builds `builds` times, then runs the last build once and `runs` times more, checking every
 * result. Garbage is collected before the builds and before the first run, not between runs:
 * a forced full collection discards optimized code that refers to objects of the previous run,
 * so the run after it pays for recompiling.
 */
async function measure<Built>(
  label: string,
  { builds, runs }: Repeats,
  expected: unknown,
  build: () => Built,
  run: (built: Built) => unknown,
): Promise<Omit<Measurement, "executor">> {
  gc!();
  const buildTimes: number[] = [];
  let built: Built | undefined;
  for (let i = 0; i < builds; i++) {
    built = undefined;
    const timing = timeSync(build);
    buildTimes.push(timing.ms);
    built = timing.value;
  }

  gc!();
  const runTimes: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const timing = await timeAsync(async () => run(built!));
    check(label, timing.value, expected);
    runTimes.push(timing.ms);
  }
  return { buildMs: median(buildTimes), firstRunMs: runTimes[0]!, runMs: median(runTimes.slice(1)) };
}

async function measureKahn(workload: Workload, mode: Mode, repeats: Repeats, expected: unknown): Promise<Measurement> {
  const functions = nodeFunctions(workload, mode === "sync" ? syncFunctions : asyncFunctions);
  const label = `${workload.shape} ${workload.size} ${mode} Kahn`;
  const build = () => buildKahn(functions, workload.parentLists);
  const run =
    mode === "sync"
      ? (graph: KahnGraph) => outputOf(workload, runKahnSync(graph))
      : async (graph: KahnGraph) => outputOf(workload, await runKahnAsync(graph, concurrency));
  return { executor: "Kahn floor", ...(await measure(label, repeats, expected, build, run)) };
}

async function measureEngine(
  workload: Workload,
  mode: Mode,
  engine: Engine,
  repeats: Repeats,
  expected: unknown,
): Promise<Measurement> {
  const describe = describingFunction(workload, mode === "sync" ? syncFunctions : asyncFunctions);
  const label = `${workload.shape} ${workload.size} ${mode} ${engine}`;
  const build = () => dag(describe, { engine, maxConcurrency: concurrency }) as DAG<[], unknown>;
  const run = mode === "sync" ? (pipeline: DAG<[], unknown>) => pipeline.runSync() : (pipeline: DAG<[], unknown>) => pipeline();
  return { executor: engine, ...(await measure(label, repeats, expected, build, run)) };
}

/** Formats milliseconds with about three significant digits. */
function formatMs(ms: number): string {
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

function formatRows(workload: Workload, mode: Mode, measurements: Measurement[]): string[] {
  const floor = measurements[0]!;
  const ts = measurements.find((measurement) => measurement.executor === "ts")!;
  return measurements.map((measurement) => {
    const nsPerNode = (measurement.runMs * 1e6) / workload.size;
    const buildNsPerNode = (measurement.buildMs * 1e6) / workload.size;
    const nativeToTs = measurement.executor === "native" ? (measurement.runMs / ts.runMs).toFixed(2) : "–";
    return (
      `| ${workload.shape} | ${workload.size.toLocaleString("en-US")} | ${mode} | ${measurement.executor} | ` +
      `${formatMs(measurement.buildMs)} | ${buildNsPerNode.toFixed(0)} | ${formatMs(measurement.firstRunMs)} | ` +
      `${formatMs(measurement.runMs)} | ${nsPerNode.toFixed(0)} | ${(measurement.runMs / floor.runMs).toFixed(2)} | ` +
      `${nativeToTs} |`
    );
  });
}

async function measureAll(): Promise<string[]> {
  const rows: string[] = [];
  for (const size of sizes) {
    const repeats = repeatsFor(size);
    for (const shape of Object.keys(shapes) as Shape[]) {
      const workload = shapes[shape](size);
      const expected = outputOf(workload, expectedValues(workload));
      for (const mode of ["sync", "async"] as Mode[]) {
        const measurements = [await measureKahn(workload, mode, repeats, expected)];
        for (const engine of engines) measurements.push(await measureEngine(workload, mode, engine, repeats, expected));
        const formatted = formatRows(workload, mode, measurements);
        for (const row of formatted) console.log(row);
        rows.push(...formatted);
      }
    }
  }
  return rows;
}

const info = engineInfo();
if (info.engine !== "native") throw new Error(`the native engine is not available (build it with npm run build:native): ${info.reason}`);

const loadAtStart = loadavg()[0]!;
const started = performance.now();
const columns = [
  "| workload | nodes | node functions | executor | describe + compile ms | describe + compile ns/node | " +
    "first run ms | run ms | run ns/node | × floor | native / ts |",
  "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
];
console.log(columns.join("\n"));
const rows = await measureAll();
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const totalSeconds = (performance.now() - started) / 1000;

const drive = process.env["TAWAZI_NATIVE_DRIVE"];
const section = [
  "## Engines",
  "",
  `Measured with \`npm run bench:engines${quick ? " -- --quick" : ""}\`. Each workload runs on the ` +
    "TypeScript engine (`ts`), the native engine (`native`) and the floor: a minimal Kahn " +
    "executor in plain JavaScript (bench/kahn.ts: typed-array CSR, FIFO ready queue, no " +
    "priorities, concurrency budget or failure handling).",
  "",
  "- chain: node 0 returns 1, node i returns its input + 1. The DAG returns the last node.",
  "- fan: a root returning 1, N − 2 middle nodes returning root + 1, and one sink summing " +
    "them, passed to it as one array argument. The DAG returns the sink.",
  "- layered: layers of width round(√N); layer 0 returns 1; every later node takes 1 to 4 " +
    "distinct nodes drawn uniformly from all earlier layers (mulberry32, seed " +
    `0x${layeredSeed.toString(16).toUpperCase()}) and returns the sum of its inputs mod 1e9+7. ` +
    "The DAG returns the last layer.",
  "",
  "How it is measured:",
  "",
  "- Synchronous nodes run with `pipeline.runSync()`, async nodes (`async` functions) with " +
    `\`await pipeline()\`. Every DAG has \`maxConcurrency: ${concurrency}\` (a chain never has ` +
    `more than one node ready), and the Kahn executor keeps at most ${concurrency} async nodes ` +
    "in flight.",
  "- The native engine uses its default drive, where the main thread takes batches " +
    `(TAWAZI_NATIVE_DRIVE ${drive === undefined || drive === "" ? "unset" : `= ${drive}`}).`,
  "- \"describe + compile\" is the time of `dag(...)` for the engines and of building the CSR " +
    "arrays for the Kahn executor. The native engine copies the compiled graph into Rust on " +
    "the first call of a DAG, so \"first run\" includes that copy; \"run\" does not.",
  "- \"describe + compile\" and \"run\" are the median of k builds and of k runs after the " +
    "first, with k = max(3, 100,000 / N) below 1,000,000 nodes; at 1,000,000 nodes they are " +
    "one build and the median of 3 runs after the first.",
  "- Garbage is collected before the builds and before the first run of each row, not between " +
    "runs: a forced full collection discards optimized code that refers to objects of the " +
    "previous run, which makes the next run pay for recompiling.",
  "- Every run's result is checked against a plain loop computing the same values. " +
    "\"× floor\" divides the run time by the Kahn executor's, \"native / ts\" the native " +
    "engine's run time by the TypeScript engine's.",
  "",
  ...columns,
  ...rows,
  "",
  `Peak RSS of the whole benchmark process: ${peakRssMiB.toFixed(0)} MiB. Total time ` +
    `${totalSeconds.toFixed(0)} s; 1-minute load average at the start: ${loadAtStart.toFixed(2)}.`,
].join("\n");

await writeSection(section, {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: availableParallelism(),
  node: process.version,
});
console.log(`\n${section}`);
console.log("\nWritten to bench/RESULTS.md.");
