import test from "ava";

import { type EngineKind, TawaziUsageError, cfg, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { recorder } from "./recorder.js";

failOnProcessErrors();

// Every test here is serial because cfg.RUN_DEBUG_NODES is global to the process.

/** Runs `body` with cfg.RUN_DEBUG_NODES set to `value`, restoring the previous value after. */
async function withDebugNodes<T>(value: boolean, body: () => Promise<T> | T): Promise<T> {
  const previous = cfg.RUN_DEBUG_NODES;
  cfg.RUN_DEBUG_NODES = value;
  try {
    return await body();
  } finally {
    cfg.RUN_DEBUG_NODES = previous;
  }
}

/**
 * Builds two DAGs over the regular node s(v) and the debug nodes inc(v) = v + 1 and show(v),
 * which stores v in `state.seen`. `traced(v)` runs show(inc(s(v))) and returns s(v).
 * `tripled(v)` returns inc(inc(inc(v))) with the first use tagged "first".
 */
function debugPipelines(engine: Exclude<EngineKind, "auto">) {
  const state = { incCalls: 0, seen: undefined as unknown };
  const s = xn(function s(v: number) {
    return v;
  });
  const inc = xn(
    function inc(v: number) {
      state.incCalls += 1;
      return v + 1;
    },
    { debug: true },
  );
  const show = xn(
    function show(v: number) {
      state.seen = v;
      return v;
    },
    { debug: true },
  );
  const traced = dag(
    function traced(v: number) {
      const result = s(v);
      show(inc(result));
      return result;
    },
    { engine },
  );
  const tripled = dag(
    function tripled(v: number) {
      return inc(inc(inc.with({ tag: "first" })(v)));
    },
    { engine },
  );
  return { state, traced, tripled };
}

for (const engine of engines) {
  test.serial(`debug node skipped when off [${engine}]`, async (t) => {
    const { state, traced, tripled } = debugPipelines(engine);

    await withDebugNodes(false, async () => {
      t.is(await traced(2), 2);
      t.is((await tripled(1)) as number | undefined, undefined);
      const execution = traced.executor();
      await execution(2);
      t.deepEqual(execution.status("inc"), { state: "not-run", reason: "outside-subgraph" });
    });

    t.is(state.incCalls, 0);
    t.is(state.seen, undefined);
  });

  test.serial(`debug nodes run when on [${engine}]`, async (t) => {
    const { state, traced, tripled } = debugPipelines(engine);

    await withDebugNodes(true, async () => {
      t.is(await traced(2), 2);
      t.is(state.seen, 3);
      t.is(await tripled(1), 4);
    });

    t.is(state.incCalls, 4);
  });

  test.serial(`setting read at each call [${engine}]`, async (t) => {
    const { state, traced } = debugPipelines(engine);

    await withDebugNodes(false, () => traced(1));
    t.is(state.incCalls, 0);

    await withDebugNodes(true, () => traced(5));
    t.is(state.incCalls, 1);
    t.is(state.seen, 6);

    await withDebugNodes(false, () => traced(7));
    t.is(state.incCalls, 1);
    t.is(state.seen, 6);
  });

  test.serial(`debug node joins target subgraph [${engine}]`, async (t) => {
    const { state, traced } = debugPipelines(engine);

    const result = await withDebugNodes(true, () => traced.executor({ targetNodes: ["s"] })(2));

    t.is(result, 2);
    t.is(state.incCalls, 1);
    t.is(state.seen, 3);
  });

  test.serial(`debug chain joins subgraph [${engine}]`, async (t) => {
    const { state, tripled } = debugPipelines(engine);

    const result = await withDebugNodes(true, () =>
      tripled.executor({ targetNodes: ["first"] })(1),
    );

    t.is(result, 4);
    t.is(state.incCalls, 3);
  });

  test.serial(`debug nodes stay out when off [${engine}]`, async (t) => {
    const { state, traced } = debugPipelines(engine);

    const result = await withDebugNodes(false, () => traced.executor({ targetNodes: ["s"] })(2));

    t.is(result, 2);
    t.is(state.incCalls, 0);
    t.is(state.seen, undefined);
  });

  test.serial(`empty targets run no debug node [${engine}]`, async (t) => {
    const { state, traced } = debugPipelines(engine);

    const result = await withDebugNodes(true, () => traced.executor({ targetNodes: [] })(2));

    t.is(result as number | undefined, undefined);
    t.is(state.incCalls, 0);
    t.is(state.seen, undefined);
  });

  test.serial(`debug target rejected when off [${engine}]`, async (t) => {
    const { tripled } = debugPipelines(engine);

    await withDebugNodes(false, () => {
      const error = t.throws(() => tripled.executor({ targetNodes: ["first"] }), {
        instanceOf: TawaziUsageError,
      });
      t.true(error?.message.includes("RUN_DEBUG_NODES"), error?.message);
    });
  });

  test.serial(`excluded debug node never runs [${engine}]`, async (t) => {
    const { state, traced } = debugPipelines(engine);

    const execution = await withDebugNodes(true, async () => {
      const excluding = traced.executor({ excludeNodes: ["inc"] });
      t.is(await excluding(2), 2);
      return excluding;
    });

    t.is(state.incCalls, 0);
    t.is(state.seen, undefined);
    t.deepEqual(execution.status("inc"), { state: "skipped", reason: "excluded" });
    t.deepEqual(execution.status("show"), { state: "skipped", reason: "excluded" });
  });

  test.serial(`excluded debug leaf never runs [${engine}]`, async (t) => {
    const { state, traced } = debugPipelines(engine);

    await withDebugNodes(true, () =>
      traced.executor({ targetNodes: ["s"], excludeNodes: ["show"] })(2),
    );

    t.is(state.incCalls, 1);
    t.is(state.seen, undefined);
  });

  test.serial(`debug node with outside parent stays out [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const left = node("left");
    const right = node("right");
    const compare = node("compare", { debug: true });
    const pipeline = dag(
      function partial(x: number) {
        const l = left(x);
        const r = right(x);
        compare(l, r);
        return [l, r];
      },
      { engine },
    );

    const result = await withDebugNodes(true, () =>
      pipeline.executor({ targetNodes: ["left"] })(1),
    );

    t.deepEqual(result, ["left(1)", undefined]);
    t.deepEqual(calls, ["left"]);
  });

  test.serial(`debug node joins root subgraph [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const left = node("left");
    const right = node("right");
    const check = node("check", { debug: true });
    const pipeline = dag(
      function rooted(x: number) {
        const l = left(x);
        check(l);
        return [l, right(x)];
      },
      { engine },
    );

    const result = await withDebugNodes(true, () => pipeline.executor({ rootNodes: ["left"] })(1));

    t.deepEqual(result, ["left(1)", undefined]);
    t.deepEqual(calls, ["left", "check"]);
  });

  test.serial(`debug node joins exclude selection [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const left = node("left");
    const right = node("right");
    const check = node("check", { debug: true });
    const pipeline = dag(
      function excluding(x: number) {
        const l = left(x);
        check(l);
        return [l, right(x)];
      },
      { engine },
    );

    const result = await withDebugNodes(true, () =>
      pipeline.executor({ excludeNodes: ["right"] })(1),
    );

    t.deepEqual(result, ["left(1)", undefined]);
    t.deepEqual(calls, ["left", "check"]);
  });

  test.serial(`regular node after debug rejected [${engine}]`, async (t) => {
    const inspect = xn(
      function inspect(v: number) {
        return v;
      },
      { debug: true },
    );
    const incr = xn(function incr(v: number) {
      return v + 1;
    });

    for (const setting of [false, true]) {
      await withDebugNodes(setting, () => {
        const error = t.throws(
          () =>
            dag(
              function broken(v: number) {
                return incr(inspect(v));
              },
              { engine },
            ),
          { instanceOf: TawaziUsageError },
        );
        t.true(error?.message.includes('"incr"'), error?.message);
        t.true(error?.message.includes('"inspect"'), error?.message);
        t.true(error?.message.includes("debug"), error?.message);
      });
    }
  });

  test.serial(`gate on debug node rejected [${engine}]`, (t) => {
    const isPositive = xn(
      function isPositive(v: number) {
        return v > 0;
      },
      { debug: true },
    );
    const incr = xn(function incr(v: number) {
      return v + 1;
    });

    const error = t.throws(
      () =>
        dag(
          function gatedByDebug(v: number) {
            return incr.with({ active: isPositive(v) })(v);
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"isPositive"'), error?.message);
  });

  test.serial(`part of debug result rejected [${engine}]`, (t) => {
    const split = xn(
      function split(v: number) {
        return [v, -v];
      },
      { debug: true, unpackTo: 2 },
    );
    const incr = xn(function incr(v: number) {
      return v + 1;
    });

    const error = t.throws(
      () =>
        dag(
          function fromPart(v: number) {
            const [positive] = split(v);
            return incr(positive);
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"incr"'), error?.message);
  });

  test.serial(`every broken rule in one error [${engine}]`, (t) => {
    const inspect = xn(
      function inspect(v: number) {
        return v;
      },
      { debug: true },
    );
    const incr = xn(function incr(v: number) {
      return v + 1;
    });
    const load = xn(
      function load(v: number) {
        return v;
      },
      { setup: true },
    );

    const error = t.throws(
      () =>
        dag(
          function twoProblems(v: number) {
            return [incr(inspect(v)), load(v)];
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"incr"'), error?.message);
    t.true(error?.message.includes('"load"'), error?.message);
  });
}
