import test from "ava";

import { dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const incr = xn(function incr(x: number) {
  return x + 1;
});
const double = xn(function double(x: number) {
  return x * 2;
});

for (const engine of engines) {
  test(`returns a single traced value [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return double(incr(x));
      },
      { engine },
    );

    t.is(await pipeline(4), 10);
  });

  test(`returns an array of results [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return [incr(x), double(x), x];
      },
      { engine },
    );

    t.deepEqual(await pipeline(4), [5, 8, 4]);
  });

  test(`returns a plain object of results [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return { incremented: incr(x), doubled: double(x), input: x };
      },
      { engine },
    );

    t.deepEqual(await pipeline(4), { incremented: 5, doubled: 8, input: 4 });
  });

  test(`returns a constant [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        incr(x);
        return 42;
      },
      { engine },
    );

    t.is(await pipeline(4), 42);
  });

  test(`returns a constant object by identity [${engine}]`, async (t) => {
    const settings = { retries: 3 };
    const pipeline = dag(
      function pipeline(x: number) {
        incr(x);
        return settings;
      },
      { engine },
    );

    t.is(await pipeline(4), settings);
  });

  test(`returns nothing [${engine}]`, async (t) => {
    const calls: number[] = [];
    const record = xn(function record(x: number) {
      calls.push(x);
    });
    const pipeline = dag(
      function pipeline(x: number) {
        record(x);
      },
      { engine },
    );

    t.is(await pipeline(4), undefined);
    t.deepEqual(calls, [4]);
  });

  test(`returns the input unchanged [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: object) {
        return x;
      },
      { engine },
    );
    const input = { k: 1 };

    t.is(await pipeline(input), input);
  });

  test(`returns nested containers [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const a = incr(x);
        const b = double(x);
        return { list: [a, { b, constant: "c" }], pair: [b, a], plain: 1 };
      },
      { engine },
    );

    t.deepEqual(await pipeline(4), {
      list: [5, { b: 8, constant: "c" }],
      pair: [8, 5],
      plain: 1,
    });
  });

  test(`returns a node result twice [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const a = incr(x);
        return [a, a, { again: a }];
      },
      { engine },
    );

    t.deepEqual(await pipeline(4), [5, 5, { again: 5 }]);
  });
}
