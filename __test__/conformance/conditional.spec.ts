import test from "ava";

import { and_, dag, not_, ops, or_, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

/**
 * Makes ExecNodes that record each call, so a test can tell which nodes ran. The number
 * parameters accept `undefined` because a conditional result is typed as possibly undefined,
 * although a node that depends on a skipped node is skipped too and never receives it.
 */
function recorder() {
  const calls: string[] = [];
  const incr = xn(function incr(x: number | undefined) {
    calls.push("incr");
    return x! + 1;
  });
  const double = xn(function double(x: number | undefined) {
    calls.push("double");
    return x! * 2;
  });
  const pass = xn(function pass(value: unknown) {
    calls.push("pass");
    return value;
  });
  const join = xn(function join(left: unknown, right: unknown) {
    calls.push("join");
    return [left, right];
  });
  return { calls, incr, double, pass, join };
}

for (const engine of engines) {
  test(`active true constant runs [${engine}]`, async (t) => {
    const { calls, incr } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        return incr.with({ active: true })(x);
      },
      { engine },
    );

    t.is(await pipeline(1), 2);
    t.deepEqual(calls, ["incr"]);
  });

  test(`active false constant skips [${engine}]`, async (t) => {
    const { calls, incr } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        return incr.with({ active: false })(x);
      },
      { engine },
    );

    t.is((await pipeline(1)) as unknown, undefined);
    t.deepEqual(calls, []);
  });

  for (const falsy of [0, "", null, Number.NaN]) {
    test(`active ${typeof falsy === "string" ? JSON.stringify(falsy) : String(falsy)} constant skips [${engine}]`, async (t) => {
      const { calls, incr } = recorder();
      const pipeline = dag(
        function pipeline(x: number) {
          return incr.with({ active: falsy })(x);
        },
        { engine },
      );

      t.is((await pipeline(1)) as unknown, undefined);
      t.deepEqual(calls, []);
    });
  }

  test(`active traced value gates per call [${engine}]`, async (t) => {
    const { calls, incr } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        return incr.with({ active: ops.gt(x, 0) })(x);
      },
      { engine },
    );

    t.is(await pipeline(5), 6);
    t.is((await pipeline(-5)) as unknown, undefined);
    t.deepEqual(calls, ["incr"]);
  });

  test(`active DAG input follows truthiness [${engine}]`, async (t) => {
    const { calls, incr } = recorder();
    const pipeline = dag(
      function pipeline(x: number, enabled: unknown) {
        return incr.with({ active: enabled })(x);
      },
      { engine },
    );

    t.is(await pipeline(1, "yes"), 2);
    t.is((await pipeline(1, "")) as unknown, undefined);
    t.is((await pipeline(1, 0)) as unknown, undefined);
    t.is(await pipeline(1, []), 2);
    t.deepEqual(calls, ["incr", "incr"]);
  });

  test(`skipped result is undefined downstream [${engine}]`, async (t) => {
    const { incr, pass } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const skipped = incr.with({ active: false })(x);
        return { skipped, other: pass(x) };
      },
      { engine },
    );

    t.deepEqual(await pipeline(1), { skipped: undefined, other: 1 });
  });

  test(`skip propagates to every descendant [${engine}]`, async (t) => {
    const { calls, incr, double, pass, join } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const skipped = incr.with({ active: false })(x);
        const child = double(skipped);
        const grandchild = pass(child);
        const mixed = join(grandchild, x);
        const independent = double(x);
        return { child, grandchild, mixed, independent };
      },
      { engine },
    );

    t.deepEqual(await pipeline(3), {
      child: undefined,
      grandchild: undefined,
      mixed: undefined,
      independent: 6,
    });
    t.deepEqual(calls, ["double"]);
  });

  test(`skip propagates through lookups [${engine}]`, async (t) => {
    const { calls, join, pass } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const pair = join.with({ active: false })(x, x) as unknown as number[];
        return pass(pair[0]);
      },
      { engine },
    );

    t.is((await pipeline(3)) as unknown, undefined);
    t.deepEqual(calls, []);
  });

  test(`skip propagates through nested arguments [${engine}]`, async (t) => {
    const { calls, incr, pass } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const skipped = incr.with({ active: false })(x);
        return pass({ inner: [skipped] });
      },
      { engine },
    );

    t.is((await pipeline(3)) as unknown, undefined);
    t.deepEqual(calls, []);
  });

  test(`skipped active dependency skips node [${engine}]`, async (t) => {
    const { calls, incr, pass } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const gate = pass.with({ active: false })(true);
        return incr.with({ active: gate })(x);
      },
      { engine },
    );

    t.is((await pipeline(3)) as unknown, undefined);
    t.deepEqual(calls, []);
  });

  test(`falsy result is not a skip [${engine}]`, async (t) => {
    const { calls, pass, join } = recorder();
    const pipeline = dag(
      function pipeline(value: unknown) {
        const ran = pass(value);
        return join(ran, "after");
      },
      { engine },
    );

    t.deepEqual(await pipeline(0), [0, "after"]);
    t.deepEqual(await pipeline(""), ["", "after"]);
    t.deepEqual(await pipeline(false), [false, "after"]);
    t.deepEqual(await pipeline(null), [null, "after"]);
    t.deepEqual(calls, ["pass", "join", "pass", "join", "pass", "join", "pass", "join"]);
  });

  test(`undefined result is not a skip [${engine}]`, async (t) => {
    const calls: string[] = [];
    const nothing = xn(function nothing() {
      calls.push("nothing");
    });
    const after = xn(function after(value: unknown) {
      calls.push("after");
      return [value];
    });
    const pipeline = dag(
      function pipeline() {
        return after(nothing());
      },
      { engine },
    );

    t.deepEqual(await pipeline(), [undefined]);
    t.deepEqual(calls, ["nothing", "after"]);
  });

  test(`falsy active result skips only gated node [${engine}]`, async (t) => {
    const { calls, incr, pass, join } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const zero = pass(0);
        const gated = incr.with({ active: zero })(x);
        return { gated, uses: join(zero, x) };
      },
      { engine },
    );

    t.deepEqual(await pipeline(3), { gated: undefined, uses: [0, 3] });
    t.deepEqual(calls, ["pass", "join"]);
  });

  test(`later use runs when earlier ran [${engine}]`, async (t) => {
    const { calls, incr } = recorder();
    const pipeline = dag(
      function pipeline(x: number, enabled: boolean) {
        const first = incr.with({ active: enabled })(x);
        return incr(first);
      },
      { engine },
    );

    t.is(await pipeline(1, true), 3);
    t.is((await pipeline(1, false)) as unknown, undefined);
    t.deepEqual(calls, ["incr", "incr"]);
  });

  test(`and_ or_ not_ as conditions [${engine}]`, async (t) => {
    const { incr, double, pass } = recorder();
    const pipeline = dag(
      function pipeline(x: number, a: unknown, b: unknown) {
        return {
          both: incr.with({ active: and_(a, b) })(x),
          either: double.with({ active: or_(a, b) })(x),
          neither: pass.with({ active: not_(or_(a, b)) })(x),
        };
      },
      { engine },
    );

    t.deepEqual(await pipeline(3, 1, 0), { both: undefined, either: 6, neither: undefined });
    t.deepEqual(await pipeline(3, "a", "b"), { both: 4, either: 6, neither: undefined });
    t.deepEqual(await pipeline(3, 0, ""), { both: undefined, either: undefined, neither: 3 });
  });

  test(`comparison ops as conditions [${engine}]`, async (t) => {
    const { incr } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        return {
          equal: incr.with({ active: ops.eq(x, 2) })(x),
          looseEqual: incr.with({ active: ops.eq(x, "2") })(x),
          lower: incr.with({ active: ops.lt(x, 2) })(x),
        };
      },
      { engine },
    );

    t.deepEqual(await pipeline(2), { equal: 3, looseEqual: undefined, lower: undefined });
    t.deepEqual(await pipeline(1), { equal: undefined, looseEqual: undefined, lower: 2 });
  });

  test(`runSync skips inactive nodes [${engine}]`, (t) => {
    const { calls, incr, double } = recorder();
    const pipeline = dag(
      function pipeline(x: number) {
        const gated = incr.with({ active: ops.gt(x, 0) })(x);
        return [gated, double(gated), double(x)];
      },
      { engine },
    );

    t.deepEqual(pipeline.runSync(-1), [undefined, undefined, -2]);
    t.deepEqual(calls, ["double"]);
  });
}
