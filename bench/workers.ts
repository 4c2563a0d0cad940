/**
 * Benchmark of worker nodes (`npm run bench:workers`): speed-up of a CPU-bound fan-out as the
 * pool grows, and the cost per node of the worker path for trivial nodes. Prints the results
 * and writes them as the "## Worker nodes" section of bench/RESULTS.md.
 */
import { cpus, availableParallelism } from "node:os";

import { close, configureWorkers, dag, xn } from "../index.js";
import { increment, spin } from "./fixtures/work.js";
import { writeSection } from "./results.js";

/** Each measurement is repeated this many times after one warm-up run; the median is reported. */
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

/** Runs `call` once to warm up, then `repeats` times; checks each result and returns the median ms. */
async function measure(label: string, call: () => Promise<unknown>, expected: unknown): Promise<number> {
  const check = (result: unknown) => {
    if (JSON.stringify(result) !== JSON.stringify(expected)) {
      throw new Error(`${label}: wrong result ${JSON.stringify(result).slice(0, 200)}`);
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
  return median(times);
}

/** Picks the iteration count that makes one `spin` call last about `nodeMs` on this thread. */
function calibrateSpin(): number {
  const probe = 20_000_000;
  spin(1, probe);
  const start = performance.now();
  spin(1, probe);
  return Math.round((probe * nodeMs) / (performance.now() - start));
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
    const ms = await measure(`worker fan-out, ${threads} threads`, () => pipeline(iterations), expected);
    if (threads === 1) oneThreadMs = ms;
    rows.push(`| worker | ${threads} | ${ms.toFixed(0)} | ${(oneThreadMs / ms).toFixed(2)} |`);
  }

  const spinAsync = xn(spin, { name: "spin" });
  const pipeline = dag(describe(spinAsync), { maxConcurrency: cores });
  const asyncMs = await measure("async fan-out", () => pipeline(iterations), expected);
  rows.push(`| async (main thread) | – | ${asyncMs.toFixed(0)} | ${(oneThreadMs / asyncMs).toFixed(2)} |`);

  return [
    `### Speed-up of a CPU-bound fan-out`,
    "",
    `${fanOutWidth} independent nodes, each running \`spin\` (32-bit xorshift) for ` +
      `${iterations.toLocaleString("en-US")} iterations, about ${nodeMs} ms on the main thread. ` +
      "Worker rows use a pool of that many threads and `maxConcurrency` equal to it; " +
      `the async row runs the same function as async nodes with \`maxConcurrency: ${cores}\`. ` +
      "Speed-up is relative to the worker row with 1 thread.",
    "",
    "| nodes | pool threads | wall ms | speed-up |",
    "|---|---:|---:|---:|",
    ...rows,
  ].join("\n");
}

type Kind = "worker" | "async" | "main-thread";

function incrementNode(kind: Kind) {
  if (kind === "worker") return xn.worker<Increment>(fixtureUrl, "increment");
  return xn(increment, { resource: kind });
}

function chainDag(node: (x: number) => unknown) {
  return dag(
    function chain(x: number) {
      let value = node(x) as number;
      for (let i = 1; i < trivialNodes; i++) value = node(value) as number;
      return value;
    },
    { maxConcurrency: cores },
  );
}

function fanOutDag(node: (x: number) => unknown) {
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
  const shapes = [
    { shape: "chain", build: chainDag, expected: trivialNodes },
    { shape: "fan-out", build: fanOutDag, expected: Array.from({ length: trivialNodes }, (_, i) => i + 1) },
  ];

  const rows: string[] = [];
  for (const { shape, build, expected } of shapes) {
    const perNode = new Map<Kind, number>();
    for (const kind of kinds) {
      const pipeline = build(incrementNode(kind));
      const ms = await measure(`${kind} ${shape}`, () => pipeline(0), expected);
      perNode.set(kind, (ms * 1000) / trivialNodes);
    }
    for (const kind of kinds) {
      const us = perNode.get(kind)!;
      const ratio = us / perNode.get("async")!;
      rows.push(`| ${shape} | ${kind} | ${us.toFixed(2)} | ${ratio.toFixed(1)} |`);
    }
  }

  return [
    "### Cost per node of trivial nodes",
    "",
    `DAGs of ${trivialNodes.toLocaleString("en-US")} nodes running \`increment\` (returns x + 1): ` +
      "a chain, where each node takes the previous result, and a fan-out of independent nodes. " +
      `Every DAG has \`maxConcurrency: ${cores}\`, and the pool has ${cores} threads. ` +
      "The wall time of one DAG call is divided by the node count. One warm-up call before " +
      "measuring starts the pool threads and loads the module, so thread start-up is excluded.",
    "",
    "| shape | resource | µs per node | ratio to async |",
    "|---|---|---:|---:|",
    ...rows,
  ].join("\n");
}

const started = performance.now();
const section = [
  "## Worker nodes",
  "",
  `Measured with \`npm run bench:workers\`. Wall-clock times are the median of ${repeats} runs ` +
    "after one warm-up run, and every run's result is checked against a direct call.",
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
console.log(`\nTotal ${((performance.now() - started) / 1000).toFixed(1)} s; written to bench/RESULTS.md.`);
