import { isDeepStrictEqual } from "node:util";

import test from "ava";
import fc from "fast-check";

import { TawaziError, TawaziUsageError } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { fuzzRuns, garbageArbitrary, outcomeOf } from "../helpers/fuzz.js";
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
        { numRuns: fuzzRuns(4000) },
      ),
    );
  });

  test(`larger generated DAGs match the interpreter [${engine}]`, async (t) => {
    t.timeout(60_000);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(fuzzGraphArbitrary(60), (graph) => checkGraph(graph, engine)),
        { numRuns: fuzzRuns(600) },
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
            () => runFuzzGraph(graph, engine, { executorOptions: selectionOptions(graph, selection) }),
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
        { numRuns: fuzzRuns(1500) },
      ),
    );
  });
}

/** Generates a configuration of a DAG: node settings by id, and maybe garbage in one place. */
function configArbitrary(graph: FuzzGraph) {
  const settings = fc.record(
    {
      priority: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(0, 3, -3, 2 ** 53, 1e308) },
        { weight: 1, arbitrary: garbageArbitrary },
      ),
      isSequential: fc.oneof({ weight: 9, arbitrary: fc.boolean() }, { weight: 1, arbitrary: garbageArbitrary }),
    },
    { requiredKeys: [] },
  );
  const ids = graph.nodes.map((_, index) => `n${index}`);
  return fc.record(
    {
      nodes: fc.dictionary(fc.constantFrom(...ids), settings, { maxKeys: 4 }),
      maxConcurrency: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(1, 2, 3, Number.POSITIVE_INFINITY) },
        { weight: 1, arbitrary: garbageArbitrary },
      ),
    },
    { requiredKeys: [] },
  );
}

/** Returns whether a configuration's values are valid: finite priorities, boolean flags, a limit ≥ 1. */
function configValid(config: { nodes?: Record<string, { priority?: unknown; isSequential?: unknown }>; maxConcurrency?: unknown }): boolean {
  const absent = (value: unknown) => value === undefined;
  const settingsValid = Object.values(config.nodes ?? {}).every(
    ({ priority, isSequential }) =>
      (absent(priority) || (typeof priority === "number" && Number.isFinite(priority))) &&
      (absent(isSequential) || typeof isSequential === "boolean"),
  );
  const limit = config.maxConcurrency;
  const limitValid =
    absent(limit) || limit === Number.POSITIVE_INFINITY || (typeof limit === "number" && Number.isInteger(limit) && limit >= 1);
  return settingsValid && limitValid;
}

const configCaseArbitrary = fuzzGraphArbitrary(12)
  .filter(optionsValid)
  .chain((graph) => fc.record({ graph: fc.constant(graph), config: configArbitrary(graph) }));

for (const engine of engines) {
  test(`configured DAGs match the interpreter [${engine}]`, async (t) => {
    t.timeout(60_000);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(configCaseArbitrary, async ({ graph, config }) => {
          const outcome = await outcomeOf(() => runFuzzGraph(graph, engine, { config }), isNodeError);
          if (!configValid(config)) {
            if (outcome.ok || !(outcome.error instanceof TawaziUsageError)) {
              throw new Error("configFromDict() accepted an invalid configuration");
            }
            return;
          }
          // A configuration changes the order of the nodes, never their values.
          checkOutcome(outcome, interpretFuzzGraph(graph));
        }),
        { numRuns: fuzzRuns(1500) },
      ),
    );
  });
}
