import { setTimeout as delay } from "node:timers/promises";

import test from "ava";

import { TawaziUsageError, dag, ops, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const incr = xn(function incr(x: number) {
  return x + 1;
});
const split = xn(
  function split(text: string) {
    return text.split(",");
  },
  { unpackTo: 3 },
);

for (const engine of engines) {
  test(`runSync equals async call [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number, csv: string) {
        const [first, second, third] = split(csv);
        const bumped = incr(x);
        return {
          bumped,
          sum: ops.add(bumped, x),
          parts: [third, second, first],
          gated: incr.with({ active: ops.gt(x, 100) })(x),
        };
      },
      { maxConcurrency: 2, engine },
    );

    const expected = { bumped: 6, sum: 11, parts: ["c", "b", "a"], gated: undefined };
    t.deepEqual(pipeline.runSync(5, "a,b,c"), expected);
    t.deepEqual(await pipeline(5, "a,b,c"), expected);
  });

  test(`runSync runs main-thread nodes [${engine}]`, (t) => {
    const inline = xn(
      function inline(x: number) {
        return x * 3;
      },
      { resource: "main-thread" },
    );
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(inline(x));
      },
      { engine },
    );

    t.is(pipeline.runSync(2), 7);
  });

  test(`runSync rejects a promise-returning node [${engine}]`, (t) => {
    const later = xn(async function later(x: number) {
      return x;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(later(x));
      },
      { engine },
    );

    const error = t.throws(() => pipeline.runSync(1), { instanceOf: TawaziUsageError });
    t.regex(error?.message ?? "", /later/);
  });

  test(`runSync stops after a promise [${engine}]`, (t) => {
    const calls: string[] = [];
    const later = xn(async function later(x: number) {
      calls.push("later");
      return x;
    });
    const count = xn(function count(x: number) {
      calls.push("count");
      return x;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return [later(x), count(x)];
      },
      { maxConcurrency: 3, engine },
    );

    t.throws(() => pipeline.runSync(1), { instanceOf: TawaziUsageError });
    t.deepEqual(calls, ["later"]);
  });

  test(`runSync leaves no unhandled rejection [${engine}]`, async (t) => {
    const failLater = xn(function failLater(): Promise<number> {
      return delay(10).then(() => {
        throw new Error("rejected after runSync returned");
      });
    });
    const pipeline = dag(
      function pipeline() {
        return failLater();
      },
      { engine },
    );

    t.throws(() => pipeline.runSync(), { instanceOf: TawaziUsageError });
    await delay(30);
  });

  test(`runSync rejects a thenable [${engine}]`, (t) => {
    const thenable = xn(function thenable() {
      return { then: (resolve: (value: number) => void) => resolve(1) };
    });
    const pipeline = dag(
      function pipeline() {
        return thenable();
      },
      { engine },
    );

    t.throws(() => pipeline.runSync(), { instanceOf: TawaziUsageError });
  });

  test(`runSync throws node's own error [${engine}]`, (t) => {
    const error = new Error("sync failure");
    const fail = xn(function fail(_x: number): number {
      throw error;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(fail(x));
      },
      { engine },
    );

    const thrown = t.throws(() => pipeline.runSync(1));
    t.is(thrown, error);
    t.is((thrown as { tawaziNode?: string }).tawaziNode, "fail");
  });

  test(`runSync usable after a failure [${engine}]`, (t) => {
    let fail = true;
    const maybe = xn(function maybe(x: number) {
      if (fail) throw new Error("first call fails");
      return x;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(maybe(x));
      },
      { engine },
    );

    t.throws(() => pipeline.runSync(1));
    fail = false;
    t.is(pipeline.runSync(1), 2);
  });

  test(`runSync permissive continues [${engine}]`, (t) => {
    const fail = xn(function fail(): number {
      throw new Error("ignored");
    });
    const show = xn(function show(value: unknown) {
      return String(value);
    });
    const pipeline = dag(
      function pipeline() {
        return show(fail());
      },
      { behavior: "permissive", engine },
    );

    t.is(pipeline.runSync(), "undefined");
  });
}
