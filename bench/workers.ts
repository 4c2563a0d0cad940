/**
 * Benchmark of worker nodes (`npm run bench:workers`): speed-up of a CPU-bound fan-out as the
 * pool grows, and the cost per node of the worker path for trivial nodes. Prints the results
 * and writes them as the "## Worker nodes" section of bench/RESULTS.md.
 */
import { cpus, availableParallelism } from "node:os";

import { type ExecNode, close, configureWorkers, dag, xn } from "../index.js";
import { increment, spin } from "./fixtures/work.js";
import { writeSection } from "./results.js";

/** Runs of each measurement after one warm-up run. The median of them is reported. */
const repeats = 5;
/** Independent nodes of the CPU-bound fan-out. */
const fanOutWidth = 8;
/** Target duration of one CPU-bound node on the main thread, in milliseconds. */
const nodeMs = 150;
/** Nodes of each trivial DAG. */
const trivialNodes = 5000;

const fixtureUrl = new URL("./fixtures/work.ts", import.meta.url);
const cores = availableParallelism();

type Spin = typeof spin;
type Increment = typeof increment;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Wall-clock times of the repeated runs of one measurement, in milliseconds. */
interface Timing {
  median: number;
  min: number;
  max: number;
}

function scale(timing: Timing, factor: number): Timing {
  return { median: timing.median * factor, min: timing.min * factor, max: timing.max * factor };
}

/** Formats the median, the min–max range and `factor` as cells of a Markdown table row. */
function formatRow(timing: Timing, factor: number, digits = 0): string {
  const range = `${timing.min.toFixed(digits)}–${timing.max.toFixed(digits)}`;
  return `${timing.median.toFixed(digits)} | ${range} | ${factor.toFixed(2)}`;
}

/** Runs `call` once to warm up, then `repeats` times, and checks the result of every run. */
async function measure(
  label: string,
  call: () => Promise<unknown>,
  expected: unknown,
): Promise<Timing> {
  const check = (result: unknown) => {
    if (JSON.stringify(result) !== JSON.stringify(expected)) {
      const received = JSON.stringify(result).slice(0, 200);
      throw new Error(`${label}: the result does not match the direct call, received ${received}`);
    }
  };
  check(await call());
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const result = await call();
    times.push(performance.now() - start);
    check(result);
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

/** Picks the iteration count that makes one `spin` call last about `nodeMs` on this thread. */
function calibrateSpin(): number {
  const probe = 20_000_000;
  spin(1, probe);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    spin(1, probe);
    times.push(performance.now() - start);
  }
  return Math.round((probe * nodeMs) / median(times));
}

async function measureSpeedUp(): Promise<string> {
  const iterations = calibrateSpin();
  const seeds = Array.from({ length: fanOutWidth }, (_, i) => i + 1);
  const expected = seeds.map((seed) => spin(seed, iterations));
  const describe = (node: (seed: number, n: number) => unknown) =>
    function fanOut(n: number) {
      return seeds.map((seed) => node(seed, n));
    };

  const rows: string[] = [];
  let oneThreadMs = 0;
  const spinWorker = xn.worker<Spin>(fixtureUrl, "spin");
  for (let threads = 1; threads <= cores; threads++) {
    await configureWorkers({ threads });
    const pipeline = dag(describe(spinWorker), { maxConcurrency: threads });
    const label = `worker fan-out, ${threads} threads`;
    const timing = await measure(label, () => pipeline(iterations), expected);
    if (threads === 1) oneThreadMs = timing.median;
    const speedUp = oneThreadMs / timing.median;
    rows.push(`| worker | ${threads} | ${formatRow(timing, speedUp)} |`);
  }

  const spinAsync = xn(spin, { name: "spin" });
  const pipeline = dag(describe(spinAsync), { maxConcurrency: cores });
  const timing = await measure("async fan-out", () => pipeline(iterations), expected);
  const speedUp = oneThreadMs / timing.median;
  rows.push(`| async (main thread) | – | ${formatRow(timing, speedUp)} |`);

  return [
    `### Speed-up of a CPU-bound fan-out`,
    "",
    `${fanOutWidth} independent nodes, each running \`spin\` (32-bit xorshift) for ` +
      `${iterations.toLocaleString("en-US")} iterations, about ${nodeMs} ms on the main thread. ` +
      "Worker rows use a pool of that many threads and `maxConcurrency` equal to it; " +
      `the async row runs the same function as async nodes with \`maxConcurrency: ${cores}\`. ` +
      "Speed-up is relative to the worker row with 1 thread.",
    "",
    "| nodes | pool threads | wall ms | min–max ms | speed-up |",
    "|---|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

type Kind = "worker" | "async" | "main-thread";

function incrementNode(kind: Kind): ExecNode<Increment> {
  if (kind === "worker") return xn.worker<Increment>(fixtureUrl, "increment");
  return xn(increment, { resource: kind });
}

function chainDag(node: ExecNode<Increment>) {
  return dag(
    function chain() {
      let value = node(0);
      for (let i = 1; i < trivialNodes; i++) value = node(value);
      return value;
    },
    { maxConcurrency: cores },
  );
}

function fanOutDag(node: ExecNode<Increment>) {
  return dag(
    function fanOut() {
      return Array.from({ length: trivialNodes }, (_, i) => node(i));
    },
    { maxConcurrency: cores },
  );
}

async function measureOverhead(): Promise<string> {
  await configureWorkers({ threads: cores });
  const kinds: Kind[] = ["worker", "async", "main-thread"];
  let chainResult = 0;
  for (let i = 0; i < trivialNodes; i++) chainResult = increment(chainResult);
  const shapes = [
    { shape: "chain", build: chainDag, expected: chainResult },
    {
      shape: "fan-out",
      build: fanOutDag,
      expected: Array.from({ length: trivialNodes }, (_, i) => increment(i)),
    },
  ];

  const rows: string[] = [];
  for (const { shape, build, expected } of shapes) {
    const perNode = new Map<Kind, Timing>();
    for (const kind of kinds) {
      const pipeline = build(incrementNode(kind));
      const timing = await measure(`${kind} ${shape}`, () => pipeline(), expected);
      perNode.set(kind, scale(timing, 1000 / trivialNodes));
    }
    for (const kind of kinds) {
      const micros = perNode.get(kind)!;
      const ratio = micros.median / perNode.get("async")!.median;
      rows.push(`| ${shape} | ${kind} | ${formatRow(micros, ratio, 2)} |`);
    }
  }

  return [
    "### Cost per node of trivial nodes",
    "",
    `DAGs of ${trivialNodes.toLocaleString("en-US")} nodes running \`increment\` (returns x + 1): ` +
      "a chain, where each node takes the previous result, and a fan-out of independent nodes. " +
      `Every DAG has \`maxConcurrency: ${cores}\`, and the pool has ${cores} threads. ` +
      "The wall time of one DAG call is divided by the node count. One warm-up call before " +
      "measuring starts the pool threads and loads the module in them, so the measured runs " +
      "include a thread start only where the pool replaces a thread it ended while idle.",
    "",
    "| shape | resource | µs per node | min–max µs | ratio to async |",
    "|---|---|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

const started = performance.now();
const section = [
  "## Worker nodes",
  "",
  `Measured with \`npm run bench:workers\`. Wall-clock times are the median of ${repeats} runs ` +
    "after one warm-up run, with the fastest and slowest of them beside it. Every run's result " +
    "is checked against a direct call of the same function.",
  "",
  await measureSpeedUp(),
  "",
  await measureOverhead(),
].join("\n");
await close();

await writeSection(section, {
  cpu: cpus()[0]?.model ?? "unknown",
  cores,
  node: process.version,
});
console.log(section);
const totalSeconds = (performance.now() - started) / 1000;
console.log(`\nTotal ${totalSeconds.toFixed(1)} s; written to bench/RESULTS.md.`);
