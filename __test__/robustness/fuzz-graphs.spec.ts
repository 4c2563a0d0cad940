import { isDeepStrictEqual } from "node:util";

import test from "ava";
import fc from "fast-check";

import { TawaziError, TawaziUsageError } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { fuzzRuns, outcomeOf } from "../helpers/fuzz.js";
import {
  type Expectation,
  type FuzzGraph,
  fuzzGraphArbitrary,
  interpretFuzzGraph,
  optionsValid,
  runFuzzGraph,
  selectedSlots,
  selectionOptions,
} from "../helpers/fuzz-graph.js";

/** Returns whether `error` is the error a generated node throws, passed through by tawazi. */
function isNodeError(error: unknown): boolean {
  return error instanceof Error && !(error instanceof TawaziError) && /^node \d+ failed$/u.test(error.message);
}

type CaseOutcome = Awaited<ReturnType<typeof outcomeOf>>;

/** Throws when a run's outcome departs from what the interpreter expects. */
function checkOutcome(outcome: CaseOutcome, expected: Expectation): void {
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

/** Runs one generated case and throws when tawazi departs from the interpreter. */
async function checkGraph(graph: FuzzGraph, engine: "ts" | "native"): Promise<void> {
  const outcome = await outcomeOf(() => runFuzzGraph(graph, engine), isNodeError);

  if (!optionsValid(graph)) {
    if (outcome.ok || "nodeError" in outcome) throw new Error("a DAG with invalid options ran");
    return;
  }
  checkOutcome(outcome, interpretFuzzGraph(graph));
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

/** Generated DAGs with valid options and without pairs, awaited, with a selection of their slots. */
const selectionCaseArbitrary = fuzzGraphArbitrary(12)
  .map((graph) => ({
    ...graph,
    mode: "await" as const,
    nodes: graph.nodes.map((node) => (node.ending === "pair" ? { ...node, ending: "value" as const } : node)),
  }))
  .filter(optionsValid)
  .chain((graph) => {
    const slot = fc.nat(graph.parameters + graph.nodes.length - 1);
    const slots = fc.option(fc.array(slot, { maxLength: 3 }), { freq: 2 });
    return fc.record({
      graph: fc.constant(graph),
      selection: fc.record({ targets: slots, excluded: slots, roots: slots }),
    });
  });

for (const engine of engines) {
  test(`selected subgraphs match the interpreter [${engine}]`, async (t) => {
    t.timeout(60_000);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(selectionCaseArbitrary, async ({ graph, selection }) => {
          const selected = selectedSlots(graph, selection);
          const outcome = await outcomeOf(
            () => runFuzzGraph(graph, engine, selectionOptions(graph, selection)),
            isNodeError,
          );
          if (selected === "invalid") {
            if (outcome.ok || !(outcome.error instanceof TawaziUsageError)) {
              throw new Error("executor() accepted a selection that breaks the rules");
            }
            return;
          }
          checkOutcome(outcome, interpretFuzzGraph(graph, selected));
        }),
        { numRuns: fuzzRuns(600) },
      ),
    );
  });
}
