import { isDeepStrictEqual } from "node:util";

import test from "ava";
import fc from "fast-check";

import { TawaziError } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { fuzzRuns, outcomeOf } from "../helpers/fuzz.js";
import {
  type FuzzGraph,
  fuzzGraphArbitrary,
  interpretFuzzGraph,
  optionsValid,
  runFuzzGraph,
} from "../helpers/fuzz-graph.js";

/** Returns whether `error` is the error a generated node throws, passed through by tawazi. */
function isNodeError(error: unknown): boolean {
  return error instanceof Error && !(error instanceof TawaziError) && /^node \d+ failed$/u.test(error.message);
}

/** Runs one generated case and throws when tawazi departs from the interpreter. */
async function checkGraph(graph: FuzzGraph, engine: "ts" | "native"): Promise<void> {
  const outcome = await outcomeOf(() => runFuzzGraph(graph, engine), isNodeError);

  if (!optionsValid(graph)) {
    if (outcome.ok || "nodeError" in outcome) throw new Error("a DAG with invalid options ran");
    return;
  }
  const expected = interpretFuzzGraph(graph);
  if (expected.resolves) {
    if (!outcome.ok) throw new Error("the DAG failed where the interpreter resolves", { cause: outcome.error });
    if (!isDeepStrictEqual(outcome.value, expected.value)) {
      throw new Error(`the DAG returned ${String(outcome.value)}, the interpreter ${String(expected.value)}`);
    }
    return;
  }
  if (outcome.ok || !("nodeError" in outcome)) {
    throw new Error("the DAG did not reject with a node's error where the interpreter does");
  }
  const message = (outcome.error as Error).message;
  if (!expected.messages.has(message)) throw new Error(`the DAG rejected with "${message}", from a node that cannot fail first`);
}

for (const engine of engines) {
  test(`small generated DAGs match the interpreter [${engine}]`, async (t) => {
    t.timeout(60_000);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(fuzzGraphArbitrary(8), (graph) => checkGraph(graph, engine)),
        { numRuns: fuzzRuns(1500) },
      ),
    );
  });

  test(`larger generated DAGs match the interpreter [${engine}]`, async (t) => {
    t.timeout(60_000);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(fuzzGraphArbitrary(60), (graph) => checkGraph(graph, engine)),
        { numRuns: fuzzRuns(300) },
      ),
    );
  });
}
