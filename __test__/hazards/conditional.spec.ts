import test from "ava";

import { and_, dag, ops, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

const id = xn(function id(value: number) {
  return value;
});
const add2 = xn(function add2(x?: number, y?: number) {
  return x != null && y != null ? x + y : 0;
});

for (const engine of engines) {
  const gated = dag(
    function gated(x: number, y: number) {
      const a = id.with({ active: ops.lt(x, 0) })(x);
      const b = id.with({ active: ops.gt(y, 0) })(y);
      const c = id.with({ active: ops.gt(x, 0) })(ops.add(x, 1));
      const d = id.with({ active: and_(a, b) })(ops.add(x, y));
      const i1 = add2.with({ active: and_(a, c) })(a, c);
      const i2 = add2.with({ active: and_(c, d) })(a, b);
      return [a, b, c, d, i1, i2];
    },
    { engine },
  );

  const cases: { x: number; y: number; expected: unknown[] }[] = [
    // d runs and returns 0: a falsy result is not a skip.
    { x: -1, y: 1, expected: [-1, 1, undefined, 0, undefined, undefined] },
    { x: 1, y: 1, expected: [undefined, 1, 2, undefined, undefined, undefined] },
    { x: -1, y: -1, expected: [-1, undefined, undefined, undefined, undefined, undefined] },
    { x: 1, y: -1, expected: [undefined, undefined, 2, undefined, undefined, undefined] },
  ];

  for (const { x, y, expected } of cases) {
    test(`skips propagate for (${x}, ${y}) [${engine}]`, async (t) => {
      t.deepEqual(await checkUnhandled(t, () => gated(x, y)), expected);
      t.deepEqual(gated.runSync(x, y), expected);
    });
  }

  test(`constant active true and false [${engine}]`, async (t) => {
    const counts = { on: 0, off: 0, below: 0 };
    const on = xn(function on(x: number) {
      counts.on += 1;
      return x;
    });
    const off = xn(function off(x: number) {
      counts.off += 1;
      return x;
    });
    const below = xn(function below(x?: number) {
      counts.below += 1;
      return x;
    });
    const pipeline = dag(
      function constants(x: number) {
        const enabled = on.with({ active: true })(x);
        const disabled = off.with({ active: false })(x);
        return [enabled, disabled, below(disabled)];
      },
      { engine },
    );

    t.deepEqual(await checkUnhandled(t, () => pipeline(5)), [5, undefined, undefined]);
    t.deepEqual(counts, { on: 1, off: 0, below: 0 });
  });

  for (const falsy of [0, "", false]) {
    test(`falsy result ${JSON.stringify(falsy)} is not a skip [${engine}]`, async (t) => {
      const received: unknown[] = [];
      const produce = xn(function produce() {
        return falsy;
      });
      const consume = xn(function consume(value: unknown) {
        received.push(value);
        return "ran";
      });
      const pipeline = dag(
        function falsyResult() {
          const value = produce();
          return [value, consume(value)];
        },
        { engine },
      );

      t.deepEqual(await checkUnhandled(t, () => pipeline()), [falsy, "ran"]);
      t.deepEqual(received, [falsy]);
    });
  }

  const falsyActives: [string, unknown][] = [
    ["NaN", Number.NaN],
    ["null", null],
    ["undefined", undefined],
    ['""', ""],
    ["0", 0],
    ["false", false],
  ];

  for (const [label, value] of falsyActives) {
    test(`traced active ${label} skips [${engine}]`, async (t) => {
      const counts = { gated: 0, child: 0 };
      const condition = xn(function condition() {
        return value;
      });
      const gatedNode = xn(function gatedNode() {
        counts.gated += 1;
        return "ran";
      });
      const child = xn(function child(_parent?: string) {
        counts.child += 1;
        return "ran";
      });
      const pipeline = dag(
        function tracedActive() {
          const result = gatedNode.with({ active: condition() })();
          return [result, child(result)];
        },
        { engine },
      );

      t.deepEqual(await checkUnhandled(t, () => pipeline()), [undefined, undefined]);
      t.deepEqual(pipeline.runSync(), [undefined, undefined]);
      t.deepEqual(counts, { gated: 0, child: 0 });
    });
  }

  // A constant `active: undefined` is left out: like any option set to undefined, it means the
  // option is not given, so the node has no condition.
  for (const [label, value] of falsyActives.filter(([, falsy]) => falsy !== undefined)) {
    test(`constant active ${label} skips [${engine}]`, async (t) => {
      let runs = 0;
      const gatedNode = xn(function gatedNode() {
        runs += 1;
        return "ran";
      });
      const pipeline = dag(
        function constantActive() {
          return gatedNode.with({ active: value })();
        },
        { engine },
      );

      const result: unknown = await checkUnhandled(t, () => pipeline());
      t.is(result, undefined);
      t.is(runs, 0);
    });
  }

  test(`truthy traced actives run [${engine}]`, async (t) => {
    const truthy = [1, -1, "0", "false", [], {}, Number.POSITIVE_INFINITY];
    const condition = xn(function condition(value: unknown) {
      return value;
    });
    const label = xn(function label(text: string) {
      return text;
    });
    const pipeline = dag(
      function truthyActive() {
        return truthy.map((value) => label.with({ active: condition(value) })("ran"));
      },
      { engine },
    );

    t.deepEqual(
      await checkUnhandled(t, () => pipeline()),
      truthy.map(() => "ran"),
    );
  });
}
