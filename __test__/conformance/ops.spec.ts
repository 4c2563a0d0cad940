import test from "ava";

import { TawaziUsageError, and_, dag, not_, ops, or_, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

type OperatorName = keyof typeof ops;

/** One operator applied to DAG inputs, with the exact result expected. */
const cases: readonly { name: OperatorName; args: readonly unknown[]; expected: unknown }[] = [
  { name: "add", args: [2, 3], expected: 5 },
  { name: "add", args: ["a", 1], expected: "a1" },
  { name: "sub", args: [7, 10], expected: -3 },
  { name: "mul", args: [6, 7], expected: 42 },
  { name: "div", args: [7, 2], expected: 3.5 },
  { name: "floorDiv", args: [7, 2], expected: 3 },
  { name: "floorDiv", args: [-7, 2], expected: -4 },
  { name: "floorDiv", args: [7n, -2n], expected: -4n },
  { name: "floorDiv", args: [-8n, 2n], expected: -4n },
  { name: "mod", args: [7, 3], expected: 1 },
  { name: "mod", args: [-7, 3], expected: -1 },
  { name: "pow", args: [2, 10], expected: 1024 },
  { name: "neg", args: [3], expected: -3 },
  { name: "pos", args: ["4"], expected: 4 },
  { name: "abs", args: [-2.5], expected: 2.5 },
  { name: "abs", args: [-3n], expected: 3n },
  { name: "eq", args: [1, 1], expected: true },
  { name: "eq", args: [1, "1"], expected: false },
  { name: "eq", args: [Number.NaN, Number.NaN], expected: false },
  { name: "ne", args: [1, "1"], expected: true },
  { name: "ne", args: [2, 2], expected: false },
  { name: "lt", args: [1, 2], expected: true },
  { name: "lt", args: [2, 2], expected: false },
  { name: "le", args: [2, 2], expected: true },
  { name: "le", args: [3, 2], expected: false },
  { name: "gt", args: [3, 2], expected: true },
  { name: "gt", args: [2, 2], expected: false },
  { name: "ge", args: [2, 2], expected: true },
  { name: "ge", args: [1, 2], expected: false },
  { name: "and", args: [0, 5], expected: 0 },
  { name: "and", args: [3, 5], expected: 5 },
  { name: "and", args: ["", "x"], expected: "" },
  { name: "or", args: [0, "x"], expected: "x" },
  { name: "or", args: [3, 5], expected: 3 },
  { name: "or", args: [null, 0], expected: 0 },
  { name: "xor", args: [1, 0], expected: true },
  { name: "xor", args: ["a", 1], expected: false },
  { name: "xor", args: [0, ""], expected: false },
  { name: "not", args: [0], expected: true },
  { name: "not", args: ["x"], expected: false },
  { name: "bitAnd", args: [6, 3], expected: 2 },
  { name: "bitOr", args: [6, 3], expected: 7 },
  { name: "bitXor", args: [6, 3], expected: 5 },
  { name: "bitNot", args: [5], expected: -6 },
  { name: "shl", args: [1, 4], expected: 16 },
  { name: "shr", args: [-16, 2], expected: -4 },
];

const allOperators: readonly OperatorName[] = [
  "add", "sub", "mul", "div", "floorDiv", "mod", "pow", "neg", "pos", "abs", "eq", "ne", "lt",
  "le", "gt", "ge", "and", "or", "xor", "not", "bitAnd", "bitOr", "bitXor", "bitNot", "shl", "shr",
];

function describeArgs(args: readonly unknown[]): string {
  return args
    .map((arg) => {
      if (typeof arg === "bigint") return `${arg}n`;
      if (typeof arg === "string") return JSON.stringify(arg);
      return String(arg);
    })
    .join(", ");
}

const incr = xn(function incr(x: number) {
  return x + 1;
});

test("ops holds every operator", (t) => {
  t.deepEqual(Object.keys(ops).sort(), [...allOperators].sort());
});

test("every operator has a case", (t) => {
  const covered = new Set(cases.map((entry) => entry.name));
  t.deepEqual(
    allOperators.filter((name) => !covered.has(name)),
    [],
  );
});

for (const engine of engines) {
  for (const { name, args, expected } of cases) {
    test(`ops.${name}(${describeArgs(args)}) [${engine}]`, async (t) => {
      // Taken off the object first: every operator must work detached.
      const operator = ops[name] as unknown as (...values: unknown[]) => unknown;
      const pipeline =
        args.length === 1
          ? dag(
              function pipeline(a: unknown) {
                return operator(a);
              },
              { engine },
            )
          : dag(
              function pipeline(a: unknown, b: unknown) {
                return operator(a, b);
              },
              { engine },
            );

      const result = await (pipeline as (...values: unknown[]) => Promise<unknown>)(...args);

      t.is(result, expected);
    });
  }

  test(`destructured operators work detached [${engine}]`, async (t) => {
    const { add, mul, not, eq } = ops;
    const pipeline = dag(
      function pipeline(x: number, y: number) {
        const sum = add(x, y);
        return { sum, product: mul(sum, 2), negated: not(eq(sum, 5)) };
      },
      { engine },
    );

    t.deepEqual(await pipeline(2, 3), { sum: 5, product: 10, negated: false });
  });

  test(`operators mix traced values and constants [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return [ops.add(x, 1), ops.sub(10, x), ops.mul(incr(x), x)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(4), [5, 6, 20]);
  });

  test(`operator results feed ExecNodes [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number, y: number) {
        return incr(ops.pow(x, y));
      },
      { engine },
    );

    t.is(await pipeline(3, 2), 10);
  });

  test(`operator uses get numbered ids [${engine}]`, (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        return ops.add(ops.add(x, 1), ops.add(x, 2));
      },
      { engine },
    );

    t.deepEqual([...pipeline.nodes.keys()], ["pipeline>>>x", "add", "add<<1>>", "add<<2>>"]);
  });

  test(`and_ returns an operand [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: unknown, b: unknown) {
        return and_(a, b);
      },
      { engine },
    );

    t.is(await pipeline(0, 5), 0);
    t.is(await pipeline("yes", 5), 5);
  });

  test(`or_ returns an operand [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: unknown, b: unknown) {
        return or_(a, b);
      },
      { engine },
    );

    t.is(await pipeline(0, "fallback"), "fallback");
    t.is(await pipeline("first", 5), "first");
  });

  test(`not_ returns a boolean [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(a: unknown) {
        return not_(a);
      },
      { engine },
    );

    t.is(await pipeline(""), true);
    t.is(await pipeline([]), false);
  });

  test(`unary plus on traced value fails [${engine}]`, (t) => {
    const error = t.throws(
      () =>
        dag(
          function pipeline(x: number) {
            return +incr(x);
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
    t.regex(error?.message ?? "", /\bops\b/);
  });

  test(`template string of traced value fails [${engine}]`, (t) => {
    const error = t.throws(
      () =>
        dag(
          function pipeline(x: number) {
            return `value: ${incr(x)}`;
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
    t.regex(error?.message ?? "", /\bops\b/);
  });

  test(`comparing traced value fails [${engine}]`, (t) => {
    const error = t.throws(
      () =>
        dag(
          function pipeline(x: number) {
            return (incr(x) as unknown as number) < 1;
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
    t.regex(error?.message ?? "", /\bops\b/);
  });

  test(`adding traced values fails [${engine}]`, (t) => {
    const error = t.throws(
      () =>
        dag(
          function pipeline(x: number) {
            return (incr(x) as unknown as number) + (incr(x) as unknown as number);
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
    t.regex(error?.message ?? "", /ops\.add/);
  });

  test(`awaiting traced value fails at once [${engine}]`, async (t) => {
    let awaited: Promise<unknown> | undefined;
    dag(
      function pipeline(x: number) {
        const value = incr(x);
        awaited = (async () => await value)();
        return value;
      },
      { engine },
    );

    const error = await t.throwsAsync(awaited!, { instanceOf: TawaziUsageError });
    t.regex(error?.message ?? "", /ExecNode/);
  });

  test(`reading then of traced value fails [${engine}]`, (t) => {
    t.throws(
      () =>
        dag(
          function pipeline(x: number) {
            const value = incr(x) as unknown as { then: unknown };
            return value.then;
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
  });

  test(`traced value is not a thenable [${engine}]`, async (t) => {
    let resolved: Promise<unknown> | undefined;
    dag(
      function pipeline(x: number) {
        const value = incr(x);
        resolved = Promise.resolve(value);
        return value;
      },
      { engine },
    );

    await t.throwsAsync(resolved!, { instanceOf: TawaziUsageError });
  });
}
