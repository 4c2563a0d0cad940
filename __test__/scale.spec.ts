import test from "ava";

import { dag, xn } from "../index.js";
import { engines } from "./helpers/engines.js";
import { failOnProcessErrors } from "./helpers/process-failures.js";
import { seededRandom } from "./helpers/random-graph.js";

failOnProcessErrors();

// Each test describes, compiles and runs a graph of a million nodes. The timings it logs are
// informative, and only the results are asserted.
const nodeCount = 1_000_000;
const modulus = 1_000_000_007;
const layerWidth = 1000;

const inc = xn(function inc(x: number) {
  return x + 1;
});

const incLater = xn(async function incLater(x: number) {
  return x + 1;
});

const leaf = xn(function leaf(seed: number, position: number) {
  return (seed + position) % modulus;
});

const sum = xn(function sum(...inputs: number[]) {
  let total = 0;
  for (const input of inputs) total = (total + input) % modulus;
  return total;
});

/**
 * Draws the parents of a layered DAG: layer 0 has no parents, and every node of a later layer depends on
 * 1 to 4 nodes of the layer before it, drawn (with repeats allowed) by a seeded PRNG.
 */
function layeredParents(seed: number): Int32Array[] {
  const random = seededRandom(seed);
  const parents: Int32Array[] = new Array(nodeCount);
  for (let node = 0; node < nodeCount; node += 1) {
    const layer = Math.floor(node / layerWidth);
    if (layer === 0) {
      parents[node] = new Int32Array(0);
      continue;
    }
    const count = 1 + Math.floor(random() * 4);
    const chosen = new Int32Array(count);
    for (let slot = 0; slot < count; slot += 1) {
      chosen[slot] = (layer - 1) * layerWidth + Math.floor(random() * layerWidth);
    }
    parents[node] = chosen;
  }
  return parents;
}

/** Computes the value every node must have with a plain loop in node order. */
function expectedValues(parents: readonly Int32Array[], seed: number): Float64Array {
  const values = new Float64Array(nodeCount);
  for (let node = 0; node < nodeCount; node += 1) {
    const chosen = parents[node]!;
    if (chosen.length === 0) {
      values[node] = (seed + node) % modulus;
      continue;
    }
    let total = 0;
    for (const parent of chosen) total = (total + values[parent]!) % modulus;
    values[node] = total;
  }
  return values;
}

function firstDifference(actual: readonly number[], expected: Float64Array): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let node = 0; node < expected.length; node += 1) {
    if (actual[node] !== expected[node]) return node;
  }
  return -1;
}

function elapsed(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(2)} s`;
}

for (const engine of engines) {
  test.serial(`million-node chain runs [${engine}]`, async (t) => {
    t.timeout(60_000);

    let start = performance.now();
    const chain = dag(function chain(x: number) {
      let value = x;
      for (let node = 0; node < nodeCount; node += 1) value = inc(value) as unknown as number;
      return value;
    }, { engine });
    t.log(`describe + compile: ${elapsed(start)}`);
    t.is(chain.nodes.size, nodeCount + 1);

    start = performance.now();
    t.is(chain.runSync(5), nodeCount + 5);
    t.log(`runSync: ${elapsed(start)}`);

    start = performance.now();
    t.is(await chain(7), nodeCount + 7);
    t.log(`await call: ${elapsed(start)}`);
  });

  test.serial(`million-node async chain runs [${engine}]`, async (t) => {
    t.timeout(60_000);

    let start = performance.now();
    const chain = dag(function asyncChain(x: number) {
      let value = x;
      for (let node = 0; node < nodeCount; node += 1) value = incLater(value) as unknown as number;
      return value;
    }, { engine });
    t.log(`describe + compile: ${elapsed(start)}`);

    start = performance.now();
    t.is(await chain(2), nodeCount + 2);
    t.log(`await call: ${elapsed(start)}`);
  });

  test.serial(`million-node layered DAG runs [${engine}]`, async (t) => {
    t.timeout(60_000);
    const seed = 20_240_601;
    const parents = layeredParents(seed);
    const expected = expectedValues(parents, seed);

    let start = performance.now();
    const layered = dag(function layered(x: number) {
      const values: unknown[] = new Array(nodeCount);
      for (let node = 0; node < nodeCount; node += 1) {
        const chosen = parents[node]!;
        if (chosen.length === 0) {
          values[node] = leaf(x, node);
          continue;
        }
        const inputs: unknown[] = new Array(chosen.length);
        for (let slot = 0; slot < chosen.length; slot += 1) inputs[slot] = values[chosen[slot]!];
        values[node] = sum(...(inputs as number[]));
      }
      return values;
    }, { engine, maxConcurrency: 4 });
    t.log(`describe + compile: ${elapsed(start)}`);
    t.is(layered.nodes.size, nodeCount + 1);

    start = performance.now();
    const syncValues = layered.runSync(seed) as number[];
    t.log(`runSync: ${elapsed(start)}`);
    t.is(firstDifference(syncValues, expected), -1);

    start = performance.now();
    const asyncValues = (await layered(seed)) as number[];
    t.log(`await call: ${elapsed(start)}`);
    t.is(firstDifference(asyncValues, expected), -1);
  });
}

const root = xn(function root(x: number) {
  return x;
});

const offset = xn(function offset(x: number, position: number) {
  return x + position;
});

const total = xn(function total(values: readonly number[]) {
  let accumulated = 0;
  for (const value of values) accumulated += value;
  return accumulated;
});

for (const engine of engines) {
  test.serial(`million-node fan-out and fan-in runs [${engine}]`, async (t) => {
    t.timeout(60_000);
    const width = nodeCount - 2;
    // Σ (x + i) for i in [0, width), exact in a double for these sizes.
    const expected = (x: number) => width * x + (width * (width - 1)) / 2;

    let start = performance.now();
    const fan = dag(function fan(x: number) {
      const shared = root(x);
      const leaves: unknown[] = new Array(width);
      for (let position = 0; position < width; position += 1) {
        leaves[position] = offset(shared, position);
      }
      return total(leaves as number[]);
    }, { engine, maxConcurrency: 8 });
    t.log(`describe + compile: ${elapsed(start)}`);
    t.is(fan.nodes.size, nodeCount + 1);

    start = performance.now();
    t.is(fan.runSync(3), expected(3));
    t.log(`runSync: ${elapsed(start)}`);

    start = performance.now();
    t.is(await fan(4), expected(4));
    t.log(`await call: ${elapsed(start)}`);
  });
}
