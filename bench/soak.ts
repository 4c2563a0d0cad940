/**
 * Soak test of both engines: `npm run soak` calls a 50-node DAG 200,000 times per engine in a
 * child process with forced garbage collection. `-- --runs N` changes the number of calls and
 * `-- --engine ts` runs one engine. It prints the memory figures after warm-up and after the
 * last run, and exits with code 1 when a limit of bench/soak/measure.ts is broken.
 */
import { parseArgs } from "node:util";

import {
  type SoakEngine,
  heapRatio,
  measureSoak,
  mebibytes,
  soakProblems,
  soakWarmup,
} from "./soak/measure.js";

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "200000" },
    engine: { type: "string" },
  },
});
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs <= soakWarmup) {
  throw new Error(`--runs must be an integer above the ${soakWarmup} warm-up runs, received ${options.runs}`);
}
const engines: SoakEngine[] = options.engine === undefined ? ["ts", "native"] : [options.engine as SoakEngine];
if (!engines.every((engine) => engine === "ts" || engine === "native")) {
  throw new Error(`--engine must be ts or native, received ${options.engine}`);
}

const header = ["engine", "runs", "seconds", "heap 1k MiB", "heap last MiB", "heap ratio", "RSS 1k MiB", "RSS last MiB", "outside heap Δ MiB", "result"];
const rows: string[][] = [];
let failed = false;
for (const engine of engines) {
  const sample = await measureSoak(engine, runs);
  const problems = soakProblems(sample);
  failed ||= problems.length > 0;
  rows.push([
    engine,
    String(sample.runs),
    sample.seconds.toFixed(1),
    mebibytes(sample.heapAfterWarmup),
    mebibytes(sample.heapAfterLast),
    heapRatio(sample).toFixed(3),
    mebibytes(sample.rssAfterWarmup),
    mebibytes(sample.rssAfterLast),
    mebibytes(sample.outsideHeapAfterLast - sample.outsideHeapAfterWarmup),
    problems.length === 0 ? "ok" : problems.join("; "),
  ]);
}

const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
/** Pads a cell: text columns (the first and the last) to the left, numbers to the right. */
function pad(cell: string, column: number): string {
  const isText = column === 0 || column === header.length - 1;
  return isText ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
}

for (const row of [header, ...rows]) console.log(row.map(pad).join("  "));
process.exitCode = failed ? 1 : 0;
