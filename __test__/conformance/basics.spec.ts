import test from "ava";

import { TawaziUsageError, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const incr = xn(function incr(x: number) {
  return x + 1;
});
const decr = xn((x: number) => x - 1, { name: "decr" });
const pair = xn(
  function pair(x: number) {
    return [x, x * 10] as [number, number];
  },
  { unpackTo: 2 },
);

/** Calls a DAG with any arguments, bypassing its static parameter types. */
function callLoosely(pipeline: unknown, ...args: unknown[]): Promise<unknown> {
  return (pipeline as (...values: unknown[]) => Promise<unknown>)(...args);
}

for (const engine of engines) {
  test(`basic pipeline returns [9, 11] [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const lo = decr(x);
        const hi = incr(x);
        return [lo, hi];
      },
      { maxConcurrency: 2, engine },
    );

    t.deepEqual(await pipeline(10), [9, 11]);
  });

  test(`pipeline runs again with new inputs [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return [decr(x), incr(incr(x))];
      },
      { engine },
    );

    t.deepEqual(await pipeline(10), [9, 12]);
    t.deepEqual(await pipeline(-5), [-6, -3]);
  });

  test(`concurrent calls share nothing [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(incr(x));
      },
      { engine },
    );

    const results = await Promise.all([pipeline(1), pipeline(10), pipeline(100)]);

    t.deepEqual(results, [3, 12, 102]);
  });

  test(`dag call returns a promise [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(x);
      },
      { engine },
    );

    const result = pipeline(1);

    t.true(result instanceof Promise);
    t.is(await result, 2);
  });

  test(`async node result is awaited [${engine}]`, async (t) => {
    const fetchDouble = xn(async function fetchDouble(x: number) {
      await Promise.resolve();
      return x * 2;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(fetchDouble(x));
      },
      { engine },
    );

    t.is(await pipeline(4), 9);
  });

  test(`missing argument uses constant default [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number, b: number = 5) {
        return [incr(a), incr(b)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(1), [2, 6]);
    t.deepEqual(await pipeline(1, 20), [2, 21]);
  });

  test(`default refers to earlier parameter [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number, b: number = a) {
        return [a, b, incr(b)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(3), [3, 3, 4]);
    t.deepEqual(await pipeline(3, 7), [3, 7, 8]);
  });

  test(`default calls an ExecNode [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number, b = incr(a)) {
        return [a, b];
      },
      { engine },
    );

    t.deepEqual(await pipeline(3), [3, 4]);
    t.deepEqual(await callLoosely(pipeline, 3, 0), [3, 0]);
  });

  test(`explicit undefined uses the default [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number, b: number = 5) {
        return [a, b];
      },
      { engine },
    );

    t.deepEqual(await callLoosely(pipeline, 1, undefined), [1, 5]);
  });

  test(`undefined before a given argument uses default [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number = 10, b: number = 20) {
        return [incr(a), incr(b)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(undefined, 1), [11, 2]);
    t.deepEqual(await pipeline(undefined, undefined), [11, 21]);
  });

  test(`all defaults with no arguments [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number = 1, b: number = 2) {
        return [incr(a), incr(b)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(), [2, 3]);
    t.deepEqual(await pipeline(10), [11, 3]);
  });

  test(`missing argument without default is undefined [${engine}]`, async (t) => {
    const echo = xn(function echo(value: unknown) {
      return value;
    });
    const pipeline = dag(
      function pipeline(a: number, b: number) {
        return [echo(a), echo(b)];
      },
      { engine },
    );

    t.deepEqual(await callLoosely(pipeline, 1), [1, undefined]);
  });

  test(`too many arguments rejects [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: number, b: number = 2) {
        return [a, b];
      },
      { engine },
    );

    let result: Promise<unknown> | undefined;
    t.notThrows(() => {
      result = callLoosely(pipeline, 1, 2, 3);
    });
    t.true(result instanceof Promise);
    const error = await t.throwsAsync(result!, { instanceOf: TawaziUsageError });
    t.is(error?.code, "ERR_TAWAZI_USAGE");
  });

  test(`no parameters rejects any argument [${engine}]`, async (t) => {
    const constant = xn(function constant() {
      return 7;
    });
    const pipeline = dag(
      function pipeline() {
        return constant();
      },
      { engine },
    );

    t.is(await pipeline(), 7);
    await t.throwsAsync(callLoosely(pipeline, 1), { instanceOf: TawaziUsageError });
  });

  test(`runSync too many arguments throws [${engine}]`, (t) => {
    const pipeline = dag(
      function pipeline(a: number) {
        return incr(a);
      },
      { engine },
    );

    t.throws(() => (pipeline.runSync as (...args: unknown[]) => unknown)(1, 2), {
      instanceOf: TawaziUsageError,
    });
  });

  test(`unpackTo destructures node result [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const [small, large] = pair(x);
        return { small: incr(small), large: decr(large) };
      },
      { engine },
    );

    t.deepEqual(await pipeline(2), { small: 3, large: 19 });
  });

  test(`with unpackTo destructures one use [${engine}]`, async (t) => {
    const split = xn(function split(text: string) {
      return text.split(",");
    });
    const pipeline = dag(
      function pipeline(csv: string) {
        const [first, second, third] = split.with({ unpackTo: 3 })(csv);
        return [third, second, first];
      },
      { engine },
    );

    t.deepEqual(await pipeline("a,b,c"), ["c", "b", "a"]);
  });

  test(`destructuring without unpackTo fails [${engine}]`, (t) => {
    const split = xn(function split(text: string) {
      return text.split(",");
    });

    const error = t.throws(
      () =>
        dag(
          function pipeline(csv: string) {
            const [first] = split(csv) as unknown as string[];
            return first;
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
    t.regex(error?.message ?? "", /unpackTo/);
  });

  test(`unpackTo length mismatch rejects [${engine}]`, async (t) => {
    const split = xn(function split(text: string) {
      return text.split(",");
    });
    const pipeline = dag(
      function pipeline(csv: string) {
        const [first, second] = split.with({ unpackTo: 2 })(csv);
        return [first, second];
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline("a,b,c"));
    t.is((error as { code?: string } | undefined)?.code, "ERR_TAWAZI_TYPE");
  });
}
