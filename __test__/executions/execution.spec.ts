import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import {
  type BehaviorName,
  DAGExecution,
  type EngineKind,
  TawaziUsageError,
  cfg,
  dag,
  xn,
} from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { recorder } from "./recorder.js";

failOnProcessErrors();

/**
 * Builds an execution where every status occurs. Node b(a) throws `error` and c(b) and i(c)
 * follow it. Node d(a) succeeds and e(d) is excluded. Node off is inactive when `flag` is
 * false, and g(off) and h(g) follow it. Node lone() is outside the targets d, i and h.
 */
function mixedOutcomes(engine: Exclude<EngineKind, "auto">, behavior: BehaviorName) {
  const error = new Error("b failed");
  const { calls, node } = recorder();
  const a = node("a");
  const b = xn(function b(_value: string): string {
    calls.push("b");
    throw error;
  });
  const c = node("c");
  const i = node("i");
  const d = node("d");
  const e = node("e");
  const off = node("off");
  const g = node("g");
  const h = node("h");
  const lone = node("lone");
  const pipeline = dag(
    function mixed(flag: boolean) {
      const va = a();
      const vc = c(b(va));
      const vd = d(va);
      const vg = g(off.with({ active: flag })());
      return { c: vc, i: i(vc), e: e(vd), h: h(vg), lone: lone() };
    },
    { engine, behavior, maxConcurrency: 2 },
  );
  const execution = pipeline.executor({ targetNodes: ["d", "i", "h"], excludeNodes: ["e"] });
  return { calls, error, execution };
}

for (const engine of engines) {
  test(`statuses under all-children [${engine}]`, async (t) => {
    const { calls, error, execution } = mixedOutcomes(engine, "all-children");

    const result: unknown = await execution(false);

    t.deepEqual(result, { c: undefined, i: undefined, e: undefined, h: undefined, lone: undefined });
    t.deepEqual(calls.sort(), ["a", "b", "d"]);
    t.deepEqual(execution.status("mixed>>>flag"), { state: "succeeded" });
    t.deepEqual(execution.status("a"), { state: "succeeded" });
    t.deepEqual(execution.status("b"), { state: "failed", error });
    t.deepEqual(execution.status("c"), { state: "skipped", reason: "dependency-failed", cause: "b" });
    t.deepEqual(execution.status("i"), { state: "skipped", reason: "dependency-skipped", cause: "c" });
    t.deepEqual(execution.status("d"), { state: "succeeded" });
    t.deepEqual(execution.status("e"), { state: "skipped", reason: "excluded" });
    t.deepEqual(execution.status("off"), { state: "skipped", reason: "inactive" });
    t.deepEqual(execution.status("g"), { state: "skipped", reason: "dependency-skipped", cause: "off" });
    t.deepEqual(execution.status("h"), { state: "skipped", reason: "dependency-skipped", cause: "g" });
    t.deepEqual(execution.status("lone"), { state: "not-run", reason: "outside-subgraph" });
  });

  test(`statuses under permissive [${engine}]`, async (t) => {
    const { calls, error, execution } = mixedOutcomes(engine, "permissive");

    const result: unknown = await execution(false);

    t.deepEqual(result, {
      c: "c(undefined)",
      i: "i(c(undefined))",
      e: undefined,
      h: undefined,
      lone: undefined,
    });
    t.deepEqual(calls.sort(), ["a", "b", "c", "d", "i"]);
    t.deepEqual(execution.status("b"), { state: "failed", error });
    t.deepEqual(execution.status("c"), { state: "succeeded" });
    t.deepEqual(execution.status("i"), { state: "succeeded" });
    t.deepEqual(execution.status("e"), { state: "skipped", reason: "excluded" });
    t.deepEqual(execution.status("off"), { state: "skipped", reason: "inactive" });
    t.deepEqual(execution.status("g"), { state: "skipped", reason: "dependency-skipped", cause: "off" });
    t.deepEqual(execution.status("h"), { state: "skipped", reason: "dependency-skipped", cause: "g" });
    t.deepEqual(execution.status("lone"), { state: "not-run", reason: "outside-subgraph" });
  });

  test(`active node succeeds when flag set [${engine}]`, async (t) => {
    const { execution } = mixedOutcomes(engine, "all-children");

    const result = (await execution(true)) as { h: unknown };

    t.is(result.h, "h(g(off()))");
    t.deepEqual(execution.status("off"), { state: "succeeded" });
    t.deepEqual(execution.status("h"), { state: "succeeded" });
  });

  for (const behavior of ["all-children", "permissive"] as const) {
    test(`errors map holds failures, ${behavior} [${engine}]`, async (t) => {
      const { error, execution } = mixedOutcomes(engine, behavior);

      await execution(false);

      t.deepEqual(execution.errors, new Map([["b", error]]));
      t.is(execution.errors.get("b"), error);
      t.is((error as { tawaziNode?: string }).tawaziNode, "b");
    });
  }

  test(`results map under all-children [${engine}]`, async (t) => {
    const { execution } = mixedOutcomes(engine, "all-children");

    await execution(false);

    t.deepEqual(
      execution.results,
      new Map<string, unknown>([
        ["mixed>>>flag", false],
        ["a", "a()"],
        ["b", undefined],
        ["c", undefined],
        ["d", "d(a())"],
        ["off", undefined],
        ["g", undefined],
        ["i", undefined],
        ["e", undefined],
        ["h", undefined],
        ["lone", undefined],
      ]),
    );
  });

  test(`strict run stops other nodes [${engine}]`, async (t) => {
    const error = new Error("first fails");
    const { calls, node } = recorder();
    const first = xn(
      function first(): number {
        throw error;
      },
      { priority: 1 },
    );
    const second = node("second");
    const pipeline = dag(
      function stopped() {
        return [first(), second()];
      },
      { engine, behavior: "strict" },
    );
    const execution = pipeline.executor();

    const rejected = await t.throwsAsync(execution());

    t.is(rejected, error);
    t.deepEqual(calls, []);
    t.deepEqual(execution.status("first"), { state: "failed", error });
    t.deepEqual(execution.status("second"), { state: "not-run", reason: "run-stopped" });
    t.deepEqual(execution.errors, new Map([["first", error]]));
  });

  test(`status before the call [${engine}]`, (t) => {
    const { execution } = mixedOutcomes(engine, "strict");

    t.deepEqual(execution.status("a"), { state: "not-run", reason: "not-called" });
    t.is(execution.resultOf("a"), undefined);
    t.deepEqual(execution.errors, new Map());
    t.deepEqual(execution.profiles, new Map());
    t.deepEqual([...execution.results.values()], new Array(11).fill(undefined));
  });

  test(`status during the call [${engine}]`, async (t) => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = xn(async function slow() {
      await gate;
      return 1;
    });
    const next = xn(function next(x: number) {
      return x + 1;
    });
    const execution = dag(
      function inProgress() {
        return next(slow());
      },
      { engine },
    ).executor();

    const call = execution();
    await sleep(5);
    t.deepEqual(execution.status("slow"), { state: "running" });
    t.deepEqual(execution.status("next"), { state: "pending" });
    release();
    t.is(await call, 2);
    t.deepEqual(execution.status("next"), { state: "succeeded" });
  });

  test(`status keeps the debug setting of its run [${engine}]`, async (t) => {
    const show = xn(function show(x: number) {
      return x;
    }, { debug: true });
    const execution = dag(
      function withDebug(x: number) {
        show(x);
        return x;
      },
      { engine },
    ).executor();
    const before = cfg.RUN_DEBUG_NODES;

    await execution(1);
    cfg.RUN_DEBUG_NODES = !before;
    try {
      const expected = before ? { state: "succeeded" } : { state: "not-run", reason: "outside-subgraph" };
      t.deepEqual(execution.status("show"), expected);
    } finally {
      cfg.RUN_DEBUG_NODES = before;
    }
  });

  test(`resultOf accepts every single-node alias [${engine}]`, async (t) => {
    const { node } = recorder();
    const load = node("load", { tag: "io" });
    const incr = node("incr");
    const pipeline = dag(
      function single(x: number) {
        return [load(x), incr(x), incr(x)];
      },
      { engine },
    );
    const execution = pipeline.executor();

    await execution(3);

    t.is(execution.resultOf(load), "load(3)");
    t.is(execution.resultOf("io"), "load(3)");
    t.is(execution.resultOf("incr<<1>>"), "incr(3)");
    t.is(execution.resultOf(pipeline.getNodeById("incr")), "incr(3)");
    t.is(execution.resultOf("single>>>x"), 3);
    t.is(execution.resultOf("single>!>x"), 3);
  });

  test(`resultOf rejects alias naming several [${engine}]`, async (t) => {
    const { node } = recorder();
    const incr = node("incr");
    const pipeline = dag(
      function several(x: number) {
        return [incr(x), incr(x)];
      },
      { engine },
    );
    const execution = pipeline.executor();
    await execution(1);

    const error = t.throws(() => execution.resultOf(incr), { instanceOf: TawaziUsageError });

    t.true(error?.message.includes('"incr"'), error?.message);
    t.true(error?.message.includes('"incr<<1>>"'), error?.message);
    t.throws(() => execution.status(incr), { instanceOf: TawaziUsageError });
  });

  test(`resultOf rejects unknown alias [${engine}]`, async (t) => {
    const { node } = recorder();
    const incr = node("incr");
    const pipeline = dag(
      function unknown(x: number) {
        return incr(x);
      },
      { engine },
    );
    const execution = pipeline.executor();
    await execution(1);

    const error = t.throws(() => execution.resultOf("inc"), { instanceOf: TawaziUsageError });

    t.true(error?.message.includes('"incr"'), error?.message);
    t.throws(() => execution.status("nope"), { instanceOf: TawaziUsageError });
  });

  test(`second call rejected [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const incr = node("incr");
    const pipeline = dag(
      function once(x: number) {
        return incr(x);
      },
      { engine },
    );
    const execution = pipeline.executor();
    t.is(await execution(1), "incr(1)");

    const second = execution(2);

    t.true(second instanceof Promise);
    const error = await t.throwsAsync(second, { instanceOf: TawaziUsageError });
    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.is(execution.resultOf("incr"), "incr(1)");
    t.deepEqual(calls, ["incr"]);
  });

  test(`overlapping second call rejected [${engine}]`, async (t) => {
    const slow = xn(async function slow(x: number) {
      await sleep(20);
      return x * 2;
    });
    const pipeline = dag(
      function overlap(x: number) {
        return slow(x);
      },
      { engine },
    );
    const execution = pipeline.executor();

    const first = execution(1);
    const second = execution(2);

    await t.throwsAsync(second, { instanceOf: TawaziUsageError });
    t.is(await first, 2);
    t.is(execution.resultOf("overlap>>>x"), 1);
  });

  test(`constructor matches executor [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const left = node("left");
    const right = node("right");
    const pipeline = dag(
      function built(x: number) {
        return [left(x), right(x)];
      },
      { engine },
    );

    const execution = new DAGExecution(pipeline, { targetNodes: ["right"] });
    const result: unknown = await execution(5);

    t.true(pipeline.executor() instanceof DAGExecution);
    t.deepEqual(result, [undefined, "right(5)"]);
    t.deepEqual(calls, ["right"]);
  });

  test(`constructor validates selections [${engine}]`, (t) => {
    const { node } = recorder();
    const left = node("left");
    const pipeline = dag(
      function built(x: number) {
        return left(x);
      },
      { engine },
    );

    t.throws(() => new DAGExecution(pipeline, { targetNodes: ["lef"] }), {
      instanceOf: TawaziUsageError,
    });
  });

  test(`constructor rejects a non-DAG [${engine}]`, (t) => {
    const notDag = function notDag() {
      return 1;
    };

    t.throws(() => new DAGExecution(notDag as never), { instanceOf: TawaziUsageError });
  });

  test(`profile option must be boolean [${engine}]`, (t) => {
    const { node } = recorder();
    const left = node("left");
    const pipeline = dag(
      function flagged(x: number) {
        return left(x);
      },
      { engine },
    );

    const error = t.throws(() => pipeline.executor({ profile: "yes" as never }), {
      instanceOf: TawaziUsageError,
    });

    t.true(error?.message.includes("profile"), error?.message);
  });

  test(`too many arguments rejected [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const incr = node("incr");
    const pipeline = dag(
      function oneInput(x: number) {
        return incr(x);
      },
      { engine },
    );
    const execution = pipeline.executor();

    const call = (execution as unknown as (...args: unknown[]) => Promise<unknown>)(1, 2);

    await t.throwsAsync(call, { instanceOf: TawaziUsageError });
    t.deepEqual(calls, []);
  });

  test(`defaulted parameter in an execution [${engine}]`, async (t) => {
    const { node } = recorder();
    const incr = node("incr");
    const scale = node("scale");
    const pipeline = dag(
      function defaults(x: number, factor = 10) {
        return [incr(x), scale(x, factor)];
      },
      { engine },
    );
    const execution = pipeline.executor({ targetNodes: ["scale"] });

    const result: unknown = await execution(2);

    t.deepEqual(result, [undefined, "scale(2,10)"]);
    t.is(execution.resultOf("scale"), "scale(2,10)");
    t.deepEqual(execution.status("incr"), { state: "not-run", reason: "outside-subgraph" });
    t.deepEqual([...execution.results.keys()], ["defaults>>>x", "defaults>>>factor", "incr", "scale"]);
    t.is(execution.results.get("scale"), "scale(2,10)");
  });

  test(`concurrent executions keep own results [${engine}]`, async (t) => {
    const double = xn(async function double(x: number) {
      await sleep(x % 3 === 0 ? 15 : 5);
      return x * 2;
    });
    const pipeline = dag(
      function isolated(x: number) {
        return double(x);
      },
      { engine },
    );
    const executions = Array.from({ length: 12 }, () => pipeline.executor());

    const results = await Promise.all(executions.map((execution, x) => execution(x)));

    t.deepEqual(
      results,
      Array.from({ length: 12 }, (_, x) => x * 2),
    );
    for (const [x, execution] of executions.entries()) {
      t.is(execution.resultOf("double"), x * 2);
      t.is(execution.resultOf("isolated>>>x"), x);
    }
  });
}
