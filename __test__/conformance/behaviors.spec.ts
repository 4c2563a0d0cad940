import test from "ava";

import { dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { TickClock } from "../helpers/tick-clock.js";

failOnProcessErrors();

/** ExecNodes for failure tests: `fail` throws `error`, the others record their calls. */
function failureNodes(error: unknown) {
  const calls: string[] = [];
  const fail = xn(function fail(_input?: unknown): number {
    calls.push("fail");
    throw error;
  });
  const incr = xn(function incr(x: number) {
    calls.push("incr");
    return x + 1;
  });
  const show = xn(function show(value: unknown) {
    calls.push("show");
    return `received ${String(value)}`;
  });
  return { calls, fail, incr, show };
}

for (const engine of engines) {
  test(`strict rejects with the node's own error [${engine}]`, async (t) => {
    const error = new RangeError("out of range");
    const { fail, incr } = failureNodes(error);
    const pipeline = dag(
      function pipeline(x: number) {
        return [incr(x), fail(x)];
      },
      { engine },
    );

    const rejected = await t.throwsAsync(pipeline(1));

    t.is(rejected, error);
    t.is((rejected as { tawaziNode?: string }).tawaziNode, "fail");
    t.is(rejected?.message, "out of range");
  });

  test(`strict is the default behavior [${engine}]`, (t) => {
    const pipeline = dag(
      function pipeline() {
        return 1;
      },
      { engine },
    );

    t.is(pipeline.behavior, "strict");
  });

  test(`strict error keeps its stack [${engine}]`, async (t) => {
    const error = new Error("boom");
    const stack = error.stack;
    const { fail } = failureNodes(error);
    const pipeline = dag(
      function pipeline() {
        return fail();
      },
      { behavior: "strict", engine },
    );

    const rejected = await t.throwsAsync(pipeline());

    t.is(rejected?.stack, stack);
  });

  test(`strict names the failing use [${engine}]`, async (t) => {
    const error = new Error("second use fails");
    let calls = 0;
    const flaky = xn(function flaky(x: number) {
      calls += 1;
      if (calls === 2) throw error;
      return x;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return flaky(flaky(x));
      },
      { engine },
    );

    const rejected = await t.throwsAsync(pipeline(1));

    t.is(rejected, error);
    t.is((rejected as { tawaziNode?: string }).tawaziNode, "flaky<<1>>");
  });

  test(`strict async rejection keeps identity [${engine}]`, async (t) => {
    const error = new TypeError("async failure");
    const failLater = xn(async function failLater() {
      await Promise.resolve();
      throw error;
    });
    const pipeline = dag(
      function pipeline() {
        return failLater();
      },
      { engine },
    );

    const rejected = await t.throwsAsync(pipeline());

    t.is(rejected, error);
    t.is((rejected as { tawaziNode?: string }).tawaziNode, "failLater");
  });

  test(`strict rejects with a thrown non-error [${engine}]`, async (t) => {
    const { fail } = failureNodes("plain string");
    const pipeline = dag(
      function pipeline() {
        return fail();
      },
      { engine },
    );

    await t.throwsAsync(pipeline(), { any: true, is: "plain string" as unknown as Error });
  });

  test(`strict launches nothing after failure [${engine}]`, async (t) => {
    const error = new Error("stop");
    const { calls, fail, incr } = failureNodes(error);
    const pipeline = dag(
      function pipeline(x: number) {
        const failed = fail(x);
        return [incr(x), incr(failed), incr(x)];
      },
      { maxConcurrency: 1, engine },
    );

    await t.throwsAsync(pipeline(1), { is: error });
    t.deepEqual(calls, ["fail"]);
  });

  test(`strict stops the launch batch [${engine}]`, async (t) => {
    const error = new Error("stop");
    const { calls, fail, incr } = failureNodes(error);
    const later = xn(async function later(x: number) {
      calls.push("later");
      return x;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return [fail(x), incr(x), later(x)];
      },
      { maxConcurrency: 3, engine },
    );

    await t.throwsAsync(pipeline(1), { is: error });
    t.deepEqual(calls, ["fail"]);
  });

  test(`strict rejects at once on ticks [${engine}]`, async (t) => {
    const clock = new TickClock();
    const error = new Error("bad at tick 1");
    const bad = xn(clock.task("bad", 1, error), { name: "bad" });
    const slow = xn(clock.task("slow", 5), { name: "slow" });
    const later = xn(clock.task("later", 1), { name: "later" });
    const pipeline = dag(
      function pipeline() {
        return [bad(), slow(), later()];
      },
      { maxConcurrency: 2, engine },
    );

    await t.throwsAsync(clock.run(pipeline()), { is: error });

    t.is(clock.now, 1);
    t.deepEqual(clock.runningAt[1], ["slow"]);
    await clock.drain();
    t.deepEqual(clock.startOrder, ["bad", "slow"]);
  });

  test(`strict discards later failures quietly [${engine}]`, async (t) => {
    const clock = new TickClock();
    const first = new Error("first failure");
    const second = new Error("second failure");
    const bad = xn(clock.task("bad", 1, first), { name: "bad" });
    const worse = xn(clock.task("worse", 3, second), { name: "worse" });
    const pipeline = dag(
      function pipeline() {
        return [bad(), worse()];
      },
      { maxConcurrency: 2, engine },
    );

    await t.throwsAsync(clock.run(pipeline()), { is: first });
    await clock.drain();

    t.deepEqual(clock.events, ["0 start bad", "0 start worse", "1 end bad", "3 end worse"]);
  });

  test(`all-children skips descendants and resolves [${engine}]`, async (t) => {
    const error = new Error("branch failed");
    const { calls, fail, incr, show } = failureNodes(error);
    const pipeline = dag(
      function pipeline(x: number) {
        const failed = fail(x);
        const child = incr(failed);
        const grandchild = show(child);
        const independent = show(x);
        return { failed, child, grandchild, independent };
      },
      { behavior: "all-children", engine },
    );

    t.deepEqual(await pipeline(1), {
      failed: undefined,
      child: undefined,
      grandchild: undefined,
      independent: "received 1",
    });
    t.deepEqual(calls, ["fail", "show"]);
  });

  test(`all-children skips mixed dependents [${engine}]`, async (t) => {
    const error = new Error("branch failed");
    const { calls, fail, show } = failureNodes(error);
    const join = xn(function join(left: unknown, right: unknown) {
      calls.push("join");
      return [left, right];
    });
    const pipeline = dag(
      function pipeline(x: number) {
        const healthy = show(x);
        return { joined: join(healthy, fail(x)), healthy };
      },
      { behavior: "all-children", engine },
    );

    t.deepEqual(await pipeline(1), { joined: undefined, healthy: "received 1" });
    t.deepEqual(calls, ["show", "fail"]);
  });

  test(`all-children skips through lookups [${engine}]`, async (t) => {
    const calls: string[] = [];
    const broken = xn(
      function broken(): [number, number] {
        calls.push("broken");
        throw new Error("no pair");
      },
      { unpackTo: 2 },
    );
    const incr = xn(function incr(x: number) {
      calls.push("incr");
      return x + 1;
    });
    const pipeline = dag(
      function pipeline() {
        const [first] = broken();
        return incr(first!);
      },
      { behavior: "all-children", engine },
    );

    t.is((await pipeline()) as unknown, undefined);
    t.deepEqual(calls, ["broken"]);
  });

  test(`permissive gives dependents undefined [${engine}]`, async (t) => {
    const error = new Error("failed but continue");
    const { calls, fail, show } = failureNodes(error);
    const pipeline = dag(
      function pipeline(x: number) {
        const failed = fail(x);
        return { failed, dependent: show(failed), other: show(x) };
      },
      { behavior: "permissive", maxConcurrency: 1, engine },
    );

    t.deepEqual(await pipeline(1), {
      failed: undefined,
      dependent: "received undefined",
      other: "received 1",
    });
    t.deepEqual(calls, ["fail", "show", "show"]);
  });

  test(`permissive runs after async failure [${engine}]`, async (t) => {
    const failLater = xn(async function failLater(): Promise<number> {
      await Promise.resolve();
      throw new Error("async failure");
    });
    const show = xn(function show(value: unknown) {
      return `received ${String(value)}`;
    });
    const pipeline = dag(
      function pipeline() {
        return show(failLater());
      },
      { behavior: "permissive", engine },
    );

    t.is(await pipeline(), "received undefined");
  });

  test(`behaviors reported on the DAG [${engine}]`, (t) => {
    for (const behavior of ["strict", "all-children", "permissive"] as const) {
      const pipeline = dag(
        function pipeline() {
          return 1;
        },
        { behavior, engine },
      );
      t.is(pipeline.behavior, behavior);
    }
  });
}
