// The 50-node DAG of the soak test, and its expected result computed without tawazi.

import { type DAG, type EngineKind, dag, ops, xn } from "../../index.js";

/**
 * Computing nodes of the soak DAG. With the argument node, the setup node, the two operator
 * nodes of the gate and the gated node, the DAG has 50 nodes.
 */
const computingNodes = 45;

export const soakNodeCount = computingNodes + 5;

const modulus = 1_000_003;

/** The result of the setup node, shared by every run of one DAG instance. */
const setupValue = 17;

/**
 * Node `index`'s parents among the earlier nodes (0 is the setup node): one to three, mixing
 * near and far picks so the graph has chains, diamonds and wide joins.
 */
function parentsOf(index: number): number[] {
  if (index === 1) return [0];
  const picks = new Set([index - 1, (index * 7) % index, (index * 13 + 5) % index]);
  return [...picks].slice(0, 1 + (index % 3));
}

/** Computes node `index`'s value from its parents' values and the DAG input. */
function combine(index: number, input: number, values: readonly number[]): number {
  let value = index + input;
  for (const part of values) value = (value * 31 + part) % modulus;
  return value;
}

/** Returns how node `index` runs: every fifth returns a promise, every seventh runs on the main thread. */
function nodeKind(index: number): { async: boolean; mainThread: boolean } {
  return { async: index % 5 === 0, mainThread: index % 7 === 3 };
}

/**
 * Computes the soak DAG's result for `input` without tawazi: value 0 is the setup value, the
 * computing nodes follow `combine`, and the gated node doubles the last value when `input` is
 * even (it is skipped, so undefined, otherwise).
 */
export function expectedSoakResult(input: number): [number, number | undefined] {
  const values: number[] = [setupValue];
  for (let index = 1; index <= computingNodes; index += 1) {
    values.push(combine(index, input, parentsOf(index).map((parent) => values[parent]!)));
  }
  const last = values[computingNodes]!;
  return [last, input % 2 === 0 ? last * 2 : undefined];
}

/**
 * Builds the soak DAG: the argument, a setup node, 45 computing nodes of mixed kinds, and a
 * node gated by two operator nodes on the input. It returns what `expectedSoakResult` computes.
 */
export function buildSoakPipeline(engine: Exclude<EngineKind, "auto">): DAG<[number], unknown> {
  const setup = xn(function table() {
    return setupValue;
  }, { setup: true });
  const nodes = Array.from({ length: computingNodes }, (_, position) => {
    const index = position + 1;
    const kind = nodeKind(index);
    const compute = (input: number, ...values: number[]) => combine(index, input, values);
    const fn = kind.async
      ? (input: number, ...values: number[]) => Promise.resolve(compute(input, ...values))
      : compute;
    return xn(fn, { name: `n${index}`, resource: kind.mainThread ? "main-thread" : "async" });
  });
  const doubled = xn(function doubled(value: number) {
    return value * 2;
  });

  return dag(
    function soak(input: number) {
      const values: unknown[] = [setup()];
      for (let index = 1; index <= computingNodes; index += 1) {
        const parents = parentsOf(index).map((parent) => values[parent]);
        values.push(nodes[index - 1]!(input, ...(parents as number[])));
      }
      const last = values[computingNodes];
      const even = ops.eq(ops.mod(input, 2), 0);
      return [last, doubled.with({ active: even })(last as number)];
    },
    { engine, maxConcurrency: 4 },
  ) as unknown as DAG<[number], unknown>;
}
