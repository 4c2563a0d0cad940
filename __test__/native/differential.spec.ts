import test from "ava";
import fc from "fast-check";

import { type BehaviorName, dag, xn } from "../../index.js";

/** One generated node: its parents (earlier nodes) and its options. */
interface NodeSpec {
  readonly parents: readonly number[];
  readonly priority: number;
  readonly sequential: boolean;
  readonly mainThread: boolean;
  readonly fails: boolean;
  readonly inactive: boolean;
}

const nodeSpecs = (maxNodes: number) =>
  fc.integer({ min: 1, max: maxNodes }).chain((size) =>
    fc.tuple(
      ...Array.from({ length: size }, (_, index) =>
        fc.record({
          parents: index === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat(index - 1), { maxLength: 4 }),
          priority: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(2 ** 31, -(2 ** 31), 0.5)),
          sequential: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
          mainThread: fc.boolean(),
          fails: fc.integer({ min: 0, max: 30 }).map((value) => value === 0),
          inactive: fc.integer({ min: 0, max: 20 }).map((value) => value === 0),
        }),
      ),
    ),
  );

/** Builds a DAG over `specs` whose nodes log their start and return a value of their inputs. */
function buildDag(
  specs: readonly NodeSpec[],
  engine: "ts" | "native",
  behavior: BehaviorName,
  maxConcurrency: number,
  asynchronous: boolean,
) {
  const log: number[] = [];
  const nodes = specs.map((spec, index) =>
    xn(
      function node(...inputs: unknown[]) {
        log.push(index);
        if (spec.fails) throw new Error(`node ${index} failed`);
        let value = index;
        for (const input of inputs) value = (value * 31 + (typeof input === "number" ? input : 7)) % 1_000_003;
        return asynchronous && !spec.mainThread ? Promise.resolve(value) : value;
      },
      {
        name: `n${index}`,
        priority: spec.priority,
        isSequential: spec.sequential,
        resource: spec.mainThread ? "main-thread" : "async",
      },
    ),
  );
  const pipeline = dag(
    function generated() {
      const values: unknown[] = [];
      specs.forEach((spec, index) => {
        const inputs = spec.parents.map((parent) => values[parent]);
        const call = spec.inactive ? nodes[index]!.with({ active: false }) : nodes[index]!;
        values.push(call(...(inputs as never[])));
      });
      return values;
    },
    { engine, behavior, maxConcurrency },
  );
  return { pipeline, log };
}

async function outcome(
  specs: readonly NodeSpec[],
  engine: "ts" | "native",
  behavior: BehaviorName,
  maxConcurrency: number,
  asynchronous: boolean,
) {
  const { pipeline, log } = buildDag(specs, engine, behavior, maxConcurrency, asynchronous);
  const execution = pipeline.executor();
  let result: unknown;
  let error: string | undefined;
  try {
    result = await execution();
  } catch (caught) {
    error = (caught as Error).message;
  }
  const statuses = [...pipeline.nodes.keys()].map((id) => execution.status(id).state);
  return { result, error, log, statuses };
}

for (const behavior of ["strict", "all-children", "permissive"] as const) {
  test(`engines agree on synchronous runs (${behavior})`, async (t) => {
    await fc.assert(
      fc.asyncProperty(nodeSpecs(60), fc.integer({ min: 1, max: 3 }), async (specs, maxConcurrency) => {
        const ts = await outcome(specs, "ts", behavior, maxConcurrency, false);
        const native = await outcome(specs, "native", behavior, maxConcurrency, false);
        t.deepEqual(native, ts);
      }),
      { numRuns: 60 },
    );
  });

  test(`engines agree on asynchronous runs (${behavior})`, async (t) => {
    await fc.assert(
      fc.asyncProperty(nodeSpecs(40), fc.integer({ min: 1, max: 4 }), async (specs, maxConcurrency) => {
        const ts = await outcome(specs, "ts", behavior, maxConcurrency, true);
        const native = await outcome(specs, "native", behavior, maxConcurrency, true);
        t.deepEqual(native.result, ts.result);
        t.deepEqual(native.error, ts.error);
        t.deepEqual(native.statuses, ts.statuses);
        t.deepEqual(native.log, ts.log);
      }),
      { numRuns: 40 },
    );
  });
}

test("engines agree on a few thousand nodes", async (t) => {
  await fc.assert(
    fc.asyncProperty(nodeSpecs(3000), async (specs) => {
      const ts = await outcome(specs, "ts", "permissive", 2, false);
      const native = await outcome(specs, "native", "permissive", 2, false);
      t.deepEqual(native, ts);
    }),
    { numRuns: 5 },
  );
});
