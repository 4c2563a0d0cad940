import test from "ava";

import { Resource, type ResourceKind, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";

const first = xn(function first(k: number) {
  return k;
});
const joined = xn(function joined(previous: number, k: string) {
  return String(previous) + k;
});
const record = xn(function record() {
  return { value: 4321 };
});

for (const engine of engines) {
  test(`constants keep their own node [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline() {
        const value = first(4321);
        return joined(value, "xyz");
      },
      { engine },
    );

    t.is(await pipeline(), "4321xyz");
    t.is(pipeline.runSync(), "4321xyz");
    // Constants are stored in the calls that use them, so only the two calls are nodes.
    t.deepEqual([...pipeline.nodes.keys()], ["first", "joined"]);
  });

  test(`constant's node returns it [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline() {
        const value = first(4321);
        return [value, joined(value, "xyz")];
      },
      { engine },
    );

    t.deepEqual(await pipeline(), [4321, "4321xyz"]);
  });

  test(`same parameter name, separate constants [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline() {
        const left = first(4321);
        const right = first(1234);
        return [left, right, joined(left, "xyz"), joined(right, "abc")];
      },
      { engine, maxConcurrency: 4 },
    );

    t.deepEqual(await pipeline(), [4321, 1234, "4321xyz", "1234abc"]);
    t.deepEqual([...pipeline.nodes.keys()], ["first", "first<<1>>", "joined", "joined<<1>>"]);
  });

  test(`arguments are nodes, constants not [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(suffix: string) {
        const value = first(4321);
        return joined(value, suffix);
      },
      { engine },
    );

    t.is(await pipeline("xyz"), "4321xyz");
    t.deepEqual(
      [...pipeline.nodes.values()].map((node) => [node.id, node.kind]),
      [
        ["pipeline>>>suffix", "argument"],
        ["first", "call"],
        ["joined", "call"],
      ],
    );
  });

  test(`lookups are nodes [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline() {
        return joined(record().value, "xyz");
      },
      { engine },
    );

    t.is(await pipeline(), "4321xyz");
    t.deepEqual(
      [...pipeline.nodes.values()].map((node) => [node.id, node.kind]),
      [
        ["record", "call"],
        ["record[value]", "lookup"],
        ["joined", "call"],
      ],
    );
  });

  for (const resource of [Resource.async, Resource.mainThread] satisfies ResourceKind[]) {
    /** Builds a DAG with a short chain and a node without inputs whose result no node uses. */
    function sideEffectPipeline(sideFirst: boolean) {
      const calls = { side: 0 };
      const side = xn(
        function side() {
          calls.side += 1;
        },
        { resource },
      );
      const one = xn(function one() {
        return 1;
      });
      const inc = xn(function inc(x: number) {
        return x + 1;
      });
      const pipeline = dag(
        function pipeline() {
          if (sideFirst) side();
          const result = inc(one());
          if (!sideFirst) side();
          return result;
        },
        { engine },
      );
      return { calls, pipeline };
    }

    test(`unused root node runs (${resource}) [${engine}]`, async (t) => {
      const { calls, pipeline } = sideEffectPipeline(true);
      t.is(await pipeline(), 2);
      t.is(calls.side, 1);
    });

    test(`unused last node runs (${resource}) [${engine}]`, async (t) => {
      const { calls, pipeline } = sideEffectPipeline(false);
      t.is(await pipeline(), 2);
      t.is(calls.side, 1);
    });

    test(`unused node runs synchronously (${resource}) [${engine}]`, (t) => {
      const { calls, pipeline } = sideEffectPipeline(true);
      t.is(pipeline.runSync(), 2);
      t.is(calls.side, 1);
      t.is(pipeline.runSync(), 2);
      t.is(calls.side, 2);
    });
  }

  test(`DAG returning nothing runs nodes [${engine}]`, async (t) => {
    const calls = { side: 0 };
    const side = xn(function side() {
      calls.side += 1;
    });
    const pipeline = dag(
      function pipeline() {
        side();
      },
      { engine },
    );

    t.is(await pipeline(), undefined);
    t.is(calls.side, 1);
  });
}
