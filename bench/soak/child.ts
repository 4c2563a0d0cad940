/**
 * One soak measurement, run by `measureSoak` in its own process with `node --expose-gc
 * --import=tsx bench/soak/child.ts --engine E --runs N --warmup W`. It calls the soak DAG N
 * times, four calls at a time, checks every result, and prints one JSON line: a `SoakSample`.
 *
 * The nodes settle in microtasks only, so the loop never yields a turn of the event loop until
 * it ends. Memory that is freed only on a later turn (such as by Node-API finalizers) therefore
 * piles up here and fails the limits.
 */
import { parseArgs } from "node:util";

import { buildSoakPipeline, expectedSoakResult } from "./pipeline.js";
import type { SoakSample } from "./measure.js";

const { values: options } = parseArgs({
  options: {
    engine: { type: "string" },
    runs: { type: "string" },
    warmup: { type: "string" },
  },
});
const engine = options.engine;
if (engine !== "ts" && engine !== "native") throw new Error(`--engine must be ts or native, received ${engine}`);
const runs = Number(options.runs);
const warmup = Number(options.warmup);
if (!Number.isInteger(runs) || !Number.isInteger(warmup) || warmup < 1 || runs <= warmup) {
  throw new Error(`--runs and --warmup must be integers with runs > warmup ≥ 1, received ${runs} and ${warmup}`);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("global.gc is missing: run with node --expose-gc");

/** Calls in flight at once, so that runs overlap as they do in a server. */
const callsAtOnce = 4;


/** Collects garbage until the heap stops shrinking, then returns the memory figures in bytes. */
async function settledMemory(): Promise<{ heapUsed: number; rss: number; outsideHeap: number }> {
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round += 1) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= previous) break;
    previous = used;
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, outsideHeap: usage.rss - usage.heapTotal };
}

const pipeline = buildSoakPipeline(engine);
let wrongResults = 0;
let afterWarmup: Awaited<ReturnType<typeof settledMemory>> | undefined;
const started = performance.now();

for (let first = 0; first < runs; first += callsAtOnce) {
  const inputs = Array.from({ length: Math.min(callsAtOnce, runs - first) }, (_, offset) => first + offset);
  const results = await Promise.all(inputs.map((input) => pipeline(input)));
  results.forEach((result, position) => {
    const expected = expectedSoakResult(inputs[position]!);
    const [last, gated] = result as [number, number | undefined];
    if (last !== expected[0] || gated !== expected[1]) wrongResults += 1;
  });
  if (afterWarmup === undefined && first + callsAtOnce >= warmup) afterWarmup = await settledMemory();
}

const seconds = (performance.now() - started) / 1000;
const afterLast = await settledMemory();
const sample: SoakSample = {
  engine,
  runs,
  warmup,
  seconds,
  wrongResults,
  heapAfterWarmup: afterWarmup!.heapUsed,
  heapAfterLast: afterLast.heapUsed,
  rssAfterWarmup: afterWarmup!.rss,
  rssAfterLast: afterLast.rss,
  outsideHeapAfterWarmup: afterWarmup!.outsideHeap,
  outsideHeapAfterLast: afterLast.outsideHeap,
};
process.stdout.write(`${JSON.stringify(sample)}\n`);
