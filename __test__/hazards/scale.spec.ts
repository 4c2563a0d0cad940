import test from "ava";

import { type EngineKind, Resource, TawaziCycleError, dag, xn } from "../../index.js";
import { compileGraph } from "../../src/graph/compiled.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

const chainLength = 100_000;

const incInline = xn(function incInline(x: number) {
  return x + 1;
}, { resource: Resource.mainThread });
const incAsync = xn(function incAsync(x: number) {
  return x + 1;
});
const incPromise = xn(async function incPromise(x: number) {
  return x + 1;
});

/** Builds a chain of `chainLength` uses of `inc`, starting from 0. */
function chainOf(engine: EngineKind, inc: typeof incInline | typeof incAsync | typeof incPromise) {
  return dag(
    function chain() {
      let value = inc(0);
      for (let step = 1; step < chainLength; step += 1) value = inc(value);
      return value;
    },
    { engine },
  );
}

const one = xn(function one() {
  return 1;
});
const leaf = xn(function leaf(r: number, i: number) {
  return r + i;
});
const sum = xn(function sum(...values: number[]) {
  let total = 0;
  for (const value of values) total += value;
  return total;
});

const groupSize = 1000;

/** Builds `groups` sums of 1,000 leaves each and one sum of those: leaves × 1.001 + 2 nodes. */
function wideSum(engine: EngineKind, groups: number) {
  return dag(
    function wide() {
      const r = one();
      const parts = [];
      for (let group = 0; group < groups; group += 1) {
        const leaves = [];
        for (let k = 0; k < groupSize; k += 1) leaves.push(leaf(r, group * groupSize + k));
        parts.push(sum(...leaves));
      }
      return sum(...parts);
    },
    { engine, maxConcurrency: Number.POSITIVE_INFINITY },
  );
}

/** Σ (1 + i) for i in [0, leaves): exact in a double up to 10^6 leaves. */
function expectedWideSum(leaves: number): number {
  return leaves + (leaves * (leaves - 1)) / 2;
}

/** Traces and runs the wide sum once; returns the result and both durations. */
async function timeWideSum(engine: EngineKind, groups: number) {
  const traceStart = performance.now();
  const pipeline = wideSum(engine, groups);
  const runStart = performance.now();
  const result = await pipeline();
  const runEnd = performance.now();
  return { result, traceMs: runStart - traceStart, runMs: runEnd - runStart };
}

// Times under this are treated as this, so that a few milliseconds of noise on the smaller size
// cannot make the ratio fail.
const floorMs = 25;
// Ten times the nodes may cost at most this many times the time: linear with room for noise.
const maxGrowth = 15;

for (const engine of engines) {
  test(`100k chain runSync on main thread [${engine}]`, (t) => {
    t.is(chainOf(engine, incInline).runSync(), chainLength);
  });

  test(`100k chain awaited [${engine}]`, async (t) => {
    const result = await checkUnhandled(t, () => chainOf(engine, incAsync)());
    t.is(result, chainLength);
  });

  test(`100k chain of promises [${engine}]`, async (t) => {
    const result = await checkUnhandled(t, () => chainOf(engine, incPromise)());
    t.is(result, chainLength);
  });

  test(`100k wide sum exact [${engine}]`, async (t) => {
    const pipeline = wideSum(engine, 100);
    t.is(pipeline.nodes.size, 100_000 + 100 + 2);
    t.is(await checkUnhandled(t, () => pipeline()), expectedWideSum(100_000));
    t.is(pipeline.runSync(), expectedWideSum(100_000));
  });

  // Serial, so that the other tests of this file do not share the CPU with the measurements.
  test.serial(`wide sum grows linearly [${engine}]`, async (t) => {
    // The two sizes are measured in alternation, so both see the same machine load, and the
    // fastest of three runs counts.
    const small = { traceMs: Number.POSITIVE_INFINITY, runMs: Number.POSITIVE_INFINITY };
    const medium = { ...small };
    for (let round = 0; round < 3; round += 1) {
      for (const [groups, best] of [
        [10, small],
        [100, medium],
      ] as const) {
        const { result, traceMs, runMs } = await timeWideSum(engine, groups);
        t.is(result, expectedWideSum(groups * groupSize), `${groups * groupSize} leaves`);
        best.traceMs = Math.min(best.traceMs, traceMs);
        best.runMs = Math.min(best.runMs, runMs);
      }
    }
    const large = await timeWideSum(engine, 1000);
    t.is(large.result, expectedWideSum(1_000_000));

    t.log(`10k leaves: trace ${small.traceMs.toFixed(1)} ms, run ${small.runMs.toFixed(1)} ms`);
    t.log(`100k leaves: trace ${medium.traceMs.toFixed(1)} ms, run ${medium.runMs.toFixed(1)} ms`);
    t.log(`1M leaves: trace ${large.traceMs.toFixed(1)} ms, run ${large.runMs.toFixed(1)} ms`);

    // NOTE: only the 10k → 100k step is asserted. From 100k to 1M leaves, tracing measured
    // 11–20× slower on a 2-vCPU machine (garbage collection of the growing heap is most of the
    // extra), too close to the bound to assert without flaky failures, so it is only logged.
    for (const phase of ["traceMs", "runMs"] as const) {
      const bound = maxGrowth * Math.max(small[phase], floorMs);
      t.true(
        medium[phase] <= bound,
        `10k → 100k ${phase}: ${medium[phase].toFixed(1)} > ${bound.toFixed(1)}`,
      );
    }
  });
}

test("back edge on a 100k chain is a cycle", (t) => {
  // n0 → n1 → … → n99999, plus n99999 → n0, given as explicit edges.
  const ids = Array.from({ length: chainLength }, (_, node) => `n${node}`);
  const parentOffsets = Array.from({ length: chainLength + 1 }, (_, node) => node);
  const parents = Array.from({ length: chainLength }, (_, node) =>
    node === 0 ? chainLength - 1 : node - 1,
  );

  const error = t.throws(
    () =>
      compileGraph({
        ids,
        parentOffsets,
        parents,
        flags: new Uint8Array(chainLength),
        priority: new Float64Array(chainLength),
      }),
    { instanceOf: TawaziCycleError },
  );
  t.is(error?.cycle.length, chainLength + 1);
  t.is(error?.cycle[0], "n0");
  t.is(error?.cycle[1], "n1");
  t.is(error?.cycle[chainLength - 1], "n99999");
  t.is(error?.cycle[chainLength], "n0");
});
