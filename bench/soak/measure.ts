// Runs a soak measurement in a child process and checks its memory figures against the limits.

import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type SoakEngine = "ts" | "native";

/** The measurements of one soak process; memory figures are in bytes, after forced garbage collection. */
export interface SoakSample {
  readonly engine: SoakEngine;
  readonly runs: number;
  readonly warmup: number;
  readonly seconds: number;
  /** Calls whose result differed from the plain computation. */
  readonly wrongResults: number;
  readonly heapAfterWarmup: number;
  readonly heapAfterLast: number;
  readonly rssAfterWarmup: number;
  readonly rssAfterLast: number;
  /** RSS minus the V8 heap's reserved size: native allocations (the addon's), code and stacks. */
  readonly outsideHeapAfterWarmup: number;
  readonly outsideHeapAfterLast: number;
}

/** Runs after which the baseline is taken; the first runs fill caches and compile code. */
export const soakWarmup = 1_000;

/** The heap used after the last run may exceed the heap used after warm-up by this fraction. */
export const heapGrowthLimit = 0.1;

/**
 * The RSS after the last run may exceed the RSS after warm-up by this many bytes. RSS includes
 * the space V8 reserves for its heap, which keeps growing after warm-up without a leak because
 * its new space widens under steady allocation. Both engines grew 7 to 12 MiB over 20,000 and
 * 200,000 runs (2 vCPU, Node 20), so this bound catches gross growth only.
 */
export const rssGrowthLimitBytes = 32 * 1024 * 1024;

/**
 * The memory outside the V8 heap (RSS minus the heap's reserved size) after the last run may
 * exceed its value after warm-up by this many bytes. The native engine's allocations live
 * there, and so do the typed arrays of every run, whose freed memory the allocator may keep.
 * Over 20,000 to 200,000 runs both engines moved it by -2 to +10 MiB, not growing with the
 * number of runs (2 vCPU, Node 20). Before native run handles were reused, each run of this
 * 50-node graph kept about 0.9 KB there until a later turn of the event loop: 16 MiB over
 * 20,000 runs and 166 MiB over 200,000. With 50,000 runs, a per-run leak of 340 bytes or more
 * exceeds this limit.
 */
export const outsideHeapGrowthLimitBytes = 16 * 1024 * 1024;

const childScript = fileURLToPath(new URL("./child.ts", import.meta.url));
const projectRoot = path.resolve(path.dirname(childScript), "../..");

/** Runs `runs` calls of the soak DAG on `engine` in a child process and returns what it measured. */
export function measureSoak(engine: SoakEngine, runs: number, warmup = soakWarmup): Promise<SoakSample> {
  const args = [
    "--expose-gc",
    "--import=tsx",
    childScript,
    "--engine",
    engine,
    "--runs",
    String(runs),
    "--warmup",
    String(warmup),
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: projectRoot, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`the soak process for engine ${engine} failed: ${error.message}\n${stderr}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as SoakSample);
      } catch (parseError) {
        reject(new Error(`the soak process for engine ${engine} printed no result: ${stdout}${stderr}`, { cause: parseError }));
      }
    });
  });
}

/** Returns the heap used after the last run as a fraction of the heap used after warm-up. */
export function heapRatio(sample: SoakSample): number {
  return sample.heapAfterLast / sample.heapAfterWarmup;
}

/** Returns the limits `sample` breaks, as sentences; empty when it passes. */
export function soakProblems(sample: SoakSample): string[] {
  const problems: string[] = [];
  if (sample.wrongResults > 0) problems.push(`${sample.wrongResults} of ${sample.runs} calls returned a wrong result`);
  if (heapRatio(sample) > 1 + heapGrowthLimit) {
    problems.push(
      `heap used grew from ${mebibytes(sample.heapAfterWarmup)} to ${mebibytes(sample.heapAfterLast)} MiB, ` +
        `more than ${heapGrowthLimit * 100}%`,
    );
  }
  if (sample.rssAfterLast - sample.rssAfterWarmup > rssGrowthLimitBytes) {
    problems.push(
      `RSS grew from ${mebibytes(sample.rssAfterWarmup)} to ${mebibytes(sample.rssAfterLast)} MiB, ` +
        `more than ${mebibytes(rssGrowthLimitBytes)} MiB`,
    );
  }
  if (sample.outsideHeapAfterLast - sample.outsideHeapAfterWarmup > outsideHeapGrowthLimitBytes) {
    problems.push(
      `memory outside the V8 heap grew from ${mebibytes(sample.outsideHeapAfterWarmup)} to ` +
        `${mebibytes(sample.outsideHeapAfterLast)} MiB, more than ${mebibytes(outsideHeapGrowthLimitBytes)} MiB`,
    );
  }
  return problems;
}

/** Formats a byte count in MiB with one decimal. */
export function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
