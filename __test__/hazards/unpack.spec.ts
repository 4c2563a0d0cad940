import test from "ava";

import { TawaziTypeError, TawaziUsageError, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

const double = xn(function double(x: number) {
  return x * 2;
});

for (const engine of engines) {
  test(`unpackTo 1 yields the element [${engine}]`, async (t) => {
    const single = xn(
      function single(): [number] {
        return [7];
      },
      { unpackTo: 1 },
    );
    const pipeline = dag(
      function unpackOne() {
        const [value] = single();
        return value;
      },
      { engine },
    );

    t.is(await checkUnhandled(t, () => pipeline()), 7);
    t.is(pipeline.runSync(), 7);
  });

  const mismatches = [
    {
      name: "scalar",
      declared: 1,
      returned: 7,
      received: "7 (number)",
    },
    {
      name: "short array",
      declared: 2,
      returned: [1],
      received: "an array of length 1",
    },
  ];

  for (const { name, declared, returned, received } of mismatches) {
    test(`unpackTo ${declared} given ${name} fails [${engine}]`, async (t) => {
      const mismatched = xn(
        function mismatched(): number[] {
          return returned as number[];
        },
        { unpackTo: declared },
      );
      const pipeline = dag(
        function unpackMismatch() {
          const [first] = mismatched();
          return first;
        },
        { engine },
      );

      const error = await checkUnhandled(t, () =>
        t.throwsAsync(pipeline(), { instanceOf: TawaziTypeError }),
      );
      t.is(error?.code, "ERR_TAWAZI_TYPE");
      t.is((error as { tawaziNode?: string } | undefined)?.tawaziNode, "mismatched");
      t.true(error?.message.includes('"mismatched"'), error?.message);
      t.true(error?.message.includes(`unpackTo ${declared}`), error?.message);
      t.true(error?.message.includes(received), error?.message);

      const syncError = t.throws(() => pipeline.runSync(), { instanceOf: TawaziTypeError });
      t.is(syncError?.message, error?.message);
    });
  }

  test(`unpackTo 2 of a node's output [${engine}]`, async (t) => {
    const pair = xn(
      function pair(x: number): [number, number] {
        return [x, x * 2];
      },
      { unpackTo: 2 },
    );
    const pipeline = dag(
      function unpackTwo(x: number) {
        const [left, right] = pair(double(x));
        return [left, right];
      },
      { engine },
    );

    t.deepEqual(await checkUnhandled(t, () => pipeline(3)), [6, 12]);
    t.deepEqual(pipeline.runSync(5), [10, 20]);
  });

  test(`per-call unpackTo destructures [${engine}]`, async (t) => {
    const triple = xn(function triple(x: number) {
      return [x, x + 1, x + 2];
    });
    const pipeline = dag(
      function unpackPerCall(x: number) {
        const [first, , third] = triple.with({ unpackTo: 3 })(x);
        return [first, third];
      },
      { engine },
    );

    t.deepEqual(await checkUnhandled(t, () => pipeline(1)), [1, 3]);
  });

  test(`DAG return shapes kept [${engine}]`, async (t) => {
    const asArray = dag(
      function asArray(x: number) {
        return [double(x), double(x)];
      },
      { engine },
    );
    const asObject = dag(
      function asObject(x: number) {
        return { a: double(x) };
      },
      { engine },
    );
    const asScalar = dag(
      function asScalar(x: number) {
        return double(x);
      },
      { engine },
    );
    const asSingleArray = dag(
      function asSingleArray(x: number) {
        return [double(x)];
      },
      { engine },
    );

    const array = await checkUnhandled(t, () => asArray(1));
    t.true(Array.isArray(array));
    t.deepEqual(array, [2, 2]);

    const object = await asObject(2);
    t.false(Array.isArray(object));
    t.is(Object.getPrototypeOf(object), Object.prototype);
    t.deepEqual(object, { a: 4 });

    t.is(await asScalar(3), 6);
    t.deepEqual(await asSingleArray(4), [8]);
  });
}

test("unpackTo below 1 rejected at declaration", (t) => {
  for (const invalid of [0, -1, 1.5]) {
    const error = t.throws(
      () =>
        xn(
          function invalidCount() {
            return [];
          },
          { unpackTo: invalid },
        ),
      { instanceOf: TawaziUsageError },
      `unpackTo ${invalid}`,
    );
    t.true(error?.message.includes("unpackTo"), error?.message);
  }
});

test("per-call unpackTo below 1 rejected", (t) => {
  const split = xn(function split() {
    return [];
  });
  for (const invalid of [0, -1]) {
    t.throws(() => split.with({ unpackTo: invalid }), { instanceOf: TawaziUsageError });
  }
});
