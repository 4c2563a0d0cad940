import test from "ava";

import { TawaziUsageError } from "../../index.js";
import { readParameters } from "../../src/trace/parameters.js";

const cases: { title: string; fn: Function; expected: [string, boolean][] }[] = [
  { title: "no parameters", fn: function none() {}, expected: [] },
  {
    title: "plain function",
    fn: function plain(a: number, b: string) {
      return [a, b];
    },
    expected: [
      ["a", false],
      ["b", false],
    ],
  },
  {
    title: "defaults with commas and brackets",
    fn: function defaults(a: number, b = [1, 2], c = { k: "x,y" }, d = `t${"}"}`, e = (Math.min(1, 2), 2)) {
      return [a, b, c, d, e];
    },
    expected: [
      ["a", false],
      ["b", true],
      ["c", true],
      ["d", true],
      ["e", true],
    ],
  },
  {
    title: "comparison inside default",
    fn: function compare(a: number, b = 1 >= 0, c = ((x: number) => x)(2)) {
      return [a, b, c];
    },
    expected: [
      ["a", false],
      ["b", true],
      ["c", true],
    ],
  },
  {
    title: "destructuring patterns",
    fn: function patterns({ a }: { a: number }, [b]: number[], { c } = { c: 1 }) {
      return [a, b, c];
    },
    expected: [
      ["arg0", false],
      ["arg1", false],
      ["arg2", true],
    ],
  },
  { title: "lone arrow parameter", fn: (x: number) => x, expected: [["x", false]] },
  {
    title: "async arrow with default",
    fn: async (x: number, y = 3) => x + y,
    expected: [
      ["x", false],
      ["y", true],
    ],
  },
  {
    title: "method shorthand",
    fn: { describe(x: number, y = "a") { return [x, y]; } }.describe,
    expected: [
      ["x", false],
      ["y", true],
    ],
  },
];

for (const { title, fn, expected } of cases) {
  test(`reads parameters: ${title}`, (t) => {
    const parameters = readParameters(fn, "test");
    t.deepEqual(
      parameters.map((parameter) => [parameter.name, parameter.hasDefault]),
      expected,
    );
  });
}

test("reads parameters after comments", (t) => {
  // Built from source text so the comments survive compilation.
  const fn = new Function("a /* first */", "/* second */ b = 1 // third\n", "return a + b;");
  const parameters = readParameters(fn, "test");
  t.deepEqual(
    parameters.map((parameter) => [parameter.name, parameter.hasDefault]),
    [
      ["a", false],
      ["b", true],
    ],
  );
});

test("rejects rest parameters", (t) => {
  const error = t.throws(() => readParameters((...values: number[]) => values, "dag()"), {
    instanceOf: TawaziUsageError,
  });
  t.regex(error.message, /rest parameter "\.\.\.values"/u);
});

test("rejects bound functions", (t) => {
  function original(x: number) {
    return x;
  }
  const error = t.throws(() => readParameters(original.bind(null), "dag()"), {
    instanceOf: TawaziUsageError,
  });
  t.regex(error.message, /bound or built-in/u);
});
