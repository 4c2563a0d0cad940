import { fileURLToPath } from "node:url";

import test from "ava";

import {
  DAG,
  type EngineKind,
  TawaziCycleError,
  TawaziError,
  TawaziTypeError,
  TawaziUsageError,
  dag,
  xn,
} from "../index.js";
import { compileGraph } from "../src/graph/compiled.js";
import { engines } from "./helpers/engines.js";
import { failOnProcessErrors } from "./helpers/process-failures.js";

failOnProcessErrors();

const thisFile = fileURLToPath(import.meta.url);

/** One bad input: what to do, the error it must raise, and text its message must contain. */
interface Row {
  readonly name: string;
  readonly act: () => unknown;
  readonly errorClass: new (...args: never[]) => TawaziError;
  readonly code: string;
  /** The offending value as printed, and the words of the fix. */
  readonly includes: readonly string[];
}

const usage = { errorClass: TawaziUsageError, code: "ERR_TAWAZI_USAGE" } as const;

function incrementFunction(x: number): number {
  return x + 1;
}
const incr = xn(incrementFunction, { name: "incr" });
const anonymous = [(x: number) => x][0]!;

/** Bad inputs of xn() and `.with()`, which involve no engine. */
const execNodeRows: Row[] = [
  {
    name: "xn rejects a number",
    act: () => xn(42 as never),
    ...usage,
    includes: ["xn()", "42 (number)", "Pass the function"],
  },
  {
    name: "xn rejects a string",
    act: () => xn("incr" as never),
    ...usage,
    includes: ["xn()", '"incr" (string)', "Pass the function"],
  },
  {
    name: "xn rejects array options",
    act: () => xn(incrementFunction, [] as never),
    ...usage,
    includes: ["xn()", "options must be an object", "received [] (array)"],
  },
  {
    name: "unknown with option ends its sentence",
    act: () => incr.with({ signal: true } as never),
    ...usage,
    includes: ['unknown option "signal". Allowed:'],
  },
  {
    name: "xn rejects null",
    act: () => xn(null as never),
    ...usage,
    includes: ["xn()", "received null", "Pass the function"],
  },
  {
    name: "xn rejects undefined",
    act: () => xn(undefined as never),
    ...usage,
    includes: ["xn()", "undefined (undefined)", "Pass the function"],
  },
  {
    name: "xn rejects an object",
    act: () => xn({} as never),
    ...usage,
    includes: ["xn()", "{} (object)", "Pass the function"],
  },
  {
    name: "xn rejects an anonymous function",
    act: () => xn(anonymous),
    ...usage,
    includes: ["no name", thisFile, 'pass { name: "..." }'],
  },
  {
    name: "xn rejects an empty name",
    act: () => xn(incrementFunction, { name: "" }),
    ...usage,
    includes: ["option name", '"" (string)', "non-empty string"],
  },
  {
    name: "priority rejects NaN",
    act: () => xn(incrementFunction, { priority: Number.NaN }),
    ...usage,
    includes: ["option priority", "NaN (number)", "finite number"],
  },
  {
    name: "priority rejects Infinity",
    act: () => xn(incrementFunction, { priority: Number.POSITIVE_INFINITY }),
    ...usage,
    includes: ["option priority", "Infinity (number)", "finite number"],
  },
  {
    name: "priority rejects a numeric string",
    act: () => xn(incrementFunction, { priority: "1" as never }),
    ...usage,
    includes: ["option priority", '"1" (string)', "finite number"],
  },
  {
    name: "isSequential rejects a string",
    act: () => xn(incrementFunction, { isSequential: "yes" as never }),
    ...usage,
    includes: ["option isSequential", '"yes" (string)', "boolean"],
  },
  {
    name: "resource rejects gpu",
    act: () => xn(incrementFunction, { resource: "gpu" as never }),
    ...usage,
    includes: ["option resource", '"gpu" (string)', '"async"', '"main-thread"'],
  },
  {
    name: "resource rejects worker for now",
    act: () => xn(incrementFunction, { resource: "worker" }),
    ...usage,
    includes: ["option resource", '"worker"', '"async"', '"main-thread"'],
  },
  {
    name: "tag rejects an empty string",
    act: () => xn(incrementFunction, { tag: "" }),
    ...usage,
    includes: ["option tag", '"" (string)', "non-empty string"],
  },
  {
    name: "tag rejects a number array",
    act: () => xn(incrementFunction, { tag: [1] as never }),
    ...usage,
    includes: ["option tag", "[1]", "non-empty string"],
  },
  ...[0, -1, 1.5, Number.NaN].map(
    (value): Row => ({
      name: `unpackTo rejects ${value}`,
      act: () => xn(incrementFunction, { unpackTo: value }),
      ...usage,
      includes: ["option unpackTo", `${value} (number)`, "integer ≥ 1"],
    }),
  ),
  {
    name: "unpackTo rejects a string",
    act: () => xn(incrementFunction, { unpackTo: "2" as never }),
    ...usage,
    includes: ["option unpackTo", '"2" (string)', "integer ≥ 1"],
  },
  {
    name: "setup and debug together",
    act: () => xn(incrementFunction, { name: "both", setup: true, debug: true }),
    ...usage,
    includes: ['"both"', "setup", "debug"],
  },
  {
    name: "misspelt option suggests priority",
    act: () => xn(incrementFunction, { priorty: 1 } as never),
    ...usage,
    includes: ['"priorty"', 'did you mean "priority"'],
  },
  {
    name: "xn rejects non-object options",
    act: () => xn(incrementFunction, null as never),
    ...usage,
    includes: ["options must be an object", "null"],
  },
  {
    name: "with rejects an unknown key",
    act: () => incr.with({ activ: true } as never),
    ...usage,
    includes: ["incr.with()", '"activ"', 'did you mean "active"'],
  },
  ...[0, -1, 1.5].map(
    (value): Row => ({
      name: `with rejects unpackTo ${value}`,
      act: () => incr.with({ unpackTo: value }),
      ...usage,
      includes: ["incr.with()", "option unpackTo", `${value} (number)`, "integer ≥ 1"],
    }),
  ),
  {
    name: "with rejects a bad tag",
    act: () => incr.with({ tag: 5 as never }),
    ...usage,
    includes: ["incr.with()", "option tag", "5 (number)"],
  },
  {
    name: "ExecNode called outside a DAG",
    act: () => incr(1),
    ...usage,
    includes: ['"incr"', "outside a describing function", "TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR"],
  },
  {
    name: "cycle via compileGraph",
    act: () =>
      compileGraph({
        ids: ["A", "B"],
        parentOffsets: [0, 1, 2],
        parents: [1, 0],
        flags: [0, 0],
        priority: [0, 0],
      }),
    errorClass: TawaziCycleError,
    code: "ERR_TAWAZI_CYCLE",
    includes: ["A -> B -> A", "remove one of these edges"],
  },
];

/** Bad inputs of dag() and of traced values inside a describing function, on one engine. */
function describeRows(engine: EngineKind): Row[] {
  const leak: { value?: unknown } = {};
  dag(
    function leaking(x: number) {
      leak.value = incr(x);
      return leak.value;
    },
    { engine },
  );
  const inner = dag(function inner(x: number) {
    return incr(x);
  }, { engine });

  const pipeline = dag(function withOptions(x: number) {
    return incr(x);
  }, { engine });

  return [
    {
      name: "dag rejects array options",
      act: () => dag(function arrayOptions() {}, [] as never),
      ...usage,
      includes: ["dag()", "options must be an object", "received [] (array)"],
    },
    {
      name: "runSyncWith rejects array options",
      act: () => pipeline.runSyncWith([] as never, 1),
      ...usage,
      includes: ["options must be an object", "received [] (array)"],
    },
    {
      name: "executor rejects array options",
      act: () => pipeline.executor([] as never),
      ...usage,
      includes: ["executor()", "options must be an object", "received [] (array)"],
    },
    ...[5, "describe", null].map(
      (value): Row => ({
        name: `dag rejects ${value === null ? "null" : typeof value}`,
        act: () => dag(value as never, { engine }),
        ...usage,
        includes: ["dag()", value === null ? "null" : String(value), "describing function"],
      }),
    ),
    {
      name: "dag rejects an async function",
      act: () => dag(async function asyncDescribe() {}, { engine }),
      ...usage,
      includes: ["asyncDescribe", "async", "inside an ExecNode"],
    },
    {
      name: "dag rejects a returned promise",
      act: () => dag(function promising() {
        return Promise.resolve(1);
      }, { engine }),
      ...usage,
      includes: ['"promising"', "returned a promise", "inside an ExecNode"],
    },
    ...[0, -1, 1.5, Number.NaN].map(
      (value): Row => ({
        name: `maxConcurrency rejects ${value}`,
        act: () => dag(function limited() {}, { maxConcurrency: value, engine }),
        ...usage,
        includes: ["option maxConcurrency", `${value} (number)`, "integer ≥ 1"],
      }),
    ),
    {
      name: "maxConcurrency rejects a string",
      act: () => dag(function limited() {}, { maxConcurrency: "2" as never, engine }),
      ...usage,
      includes: ["option maxConcurrency", '"2" (string)', "integer ≥ 1"],
    },
    {
      name: "behavior rejects lenient",
      act: () => dag(function lenient() {}, { behavior: "lenient" as never, engine }),
      ...usage,
      includes: ["option behavior", '"lenient" (string)', '"strict"', '"all-children"', '"permissive"'],
    },
    {
      name: "engine rejects gpu",
      act: () => dag(function onGpu() {}, { engine: "gpu" as never }),
      ...usage,
      includes: ["option engine", '"gpu" (string)', '"auto"', '"ts"'],
    },
    {
      name: "misspelt option suggests maxConcurrency",
      act: () => dag(function typo() {}, { maxConcurency: 2, engine } as never),
      ...usage,
      includes: ['"maxConcurency"', 'did you mean "maxConcurrency"'],
    },
    {
      name: "dag rejects a non-string name",
      act: () => dag(function named() {}, { name: 5 as never, engine }),
      ...usage,
      includes: ["option name", "5 (number)"],
    },
    {
      name: "dag rejects an empty name option",
      act: () => dag(function named() {}, { name: "", engine }),
      ...usage,
      includes: ["option name", '"" (string)'],
    },
    {
      name: "dag rejects a rest parameter",
      act: () => dag(function rest(...values: number[]) {
        return values;
      }, { engine }),
      ...usage,
      includes: ['"...values"', "its own parameter"],
    },
    {
      name: "destructuring without unpackTo",
      act: () => dag(function destructure(x: number) {
        const [first] = incr(x) as unknown as number[];
        return first;
      }, { engine }),
      ...usage,
      includes: ['"incr"', "unpackTo"],
    },
    {
      name: "spreading a traced value",
      act: () => dag(function spread(x: number) {
        return { ...(incr(x) as object) };
      }, { engine }),
      ...usage,
      includes: ['"incr"', "keys", "Index the keys"],
    },
    {
      name: "Object.keys on a traced value",
      act: () => dag(function listKeys(x: number) {
        return Object.keys(incr(x));
      }, { engine }),
      ...usage,
      includes: ['"incr"', "keys", "Index the keys"],
    },
    {
      name: "in operator on a traced value",
      act: () => dag(function hasKey(x: number) {
        return "key" in (incr(x) as object);
      }, { engine }),
      ...usage,
      includes: ['"incr"', '"in" operator', "inside an ExecNode"],
    },
    {
      name: "assigning a traced property",
      act: () => dag(function assign(x: number) {
        (incr(x) as unknown as { key: number }).key = 1;
      }, { engine }),
      ...usage,
      includes: ['"incr"', "assign", "read-only", "in an ExecNode"],
    },
    {
      name: "calling a traced value's method",
      act: () => dag(function mapTraced(x: number) {
        return (incr(x) as unknown as number[]).map((value) => value + 1);
      }, { engine }),
      ...usage,
      includes: ['"incr"', "map", "ExecNode"],
    },
    {
      name: "converting a traced value",
      act: () => dag(function convert(x: number) {
        return `${incr(x)}`;
      }, { engine }),
      ...usage,
      includes: ['"incr"', "primitive", "ops"],
    },
    {
      name: "awaiting a traced value",
      act: () => dag(function awaitTraced(x: number) {
        return (incr(x) as unknown as { then: unknown }).then;
      }, { engine }),
      ...usage,
      includes: ['"incr"', "awaited", "next ExecNode"],
    },
    {
      name: "traced value of another DAG",
      act: () => dag(function borrower() {
        return incr(leak.value as number);
      }, { engine }),
      ...usage,
      includes: ['"incr"', '"leaking"', '"borrower"', "as an input"],
    },
    {
      name: "returning another DAG's value",
      act: () => dag(function returner() {
        return leak.value;
      }, { engine }),
      ...usage,
      includes: ['"incr"', '"leaking"', '"returner"'],
    },
    {
      name: "nesting another DAG's value",
      act: () => dag(function nester() {
        return incr({ deep: [leak.value] } as never);
      }, { engine }),
      ...usage,
      includes: ['"incr"', '"leaking"', '"nester"'],
    },
    {
      name: "sub-DAG with a missing argument",
      act: () => dag(function outer() {
        return inner.inline(...([] as unknown as [number]));
      }, { engine }),
      ...usage,
      includes: ['"inner"', 'missing its argument "x"', "bad-input.spec.ts"],
    },
    {
      name: "sub-DAG with too many arguments",
      act: () => dag(function outer(x: number) {
        return inner.inline(...([x, x] as unknown as [number]));
      }, { engine }),
      ...usage,
      includes: ['"inner"', "received 2", "bad-input.spec.ts"],
    },
    {
      name: "dag called inside a describing function",
      act: () => dag(function definer() {
        dag(function nested() {}, { engine });
      }, { engine }),
      ...usage,
      includes: ["dag()", "inside a describing function", "module level"],
    },
    {
      name: "getNodeById unknown id",
      act: () => inner.getNodeById("incrr"),
      ...usage,
      includes: ['"incrr"', 'close ids: "incr"', "dag.nodes"],
    },
    {
      name: "getNodeById non-string id",
      act: () => inner.getNodeById(5 as never),
      ...usage,
      includes: ["5"],
    },
    {
      name: "new DAG is rejected",
      act: () => new (DAG as unknown as new () => unknown)(),
      ...usage,
      includes: ["dag(describe"],
    },
  ];
}

function checkRow(row: Row): void {
  test(row.name, (t) => {
    const error = t.throws(row.act, { instanceOf: row.errorClass });
    t.is(error?.code, row.code);
    for (const text of row.includes) {
      t.true(error?.message.includes(text), `missing ${JSON.stringify(text)} in: ${error?.message}`);
    }
  });
}

for (const row of execNodeRows) checkRow(row);

for (const engine of engines) {
  for (const row of describeRows(engine)) checkRow({ ...row, name: `${row.name} [${engine}]` });
}

for (const engine of engines) {
  test(`maxConcurrency accepts Infinity [${engine}]`, (t) => {
    const pipeline = dag(function unlimited(x: number) {
      return incr(x);
    }, { maxConcurrency: Number.POSITIVE_INFINITY, engine });

    t.is(pipeline.maxConcurrency, Number.POSITIVE_INFINITY);
    t.is(pipeline.runSync(1), 2);
  });

  test(`too many arguments reject [${engine}]`, async (t) => {
    const pipeline = dag(function single(x: number) {
      return incr(x);
    }, { engine });

    let call: Promise<unknown> | undefined;
    t.notThrows(() => {
      call = (pipeline as unknown as (...args: number[]) => Promise<unknown>)(1, 2, 3);
    });
    t.true(call instanceof Promise);
    const error = await t.throwsAsync(call!, { instanceOf: TawaziUsageError });
    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.true(error?.message.includes("takes 1 argument"), error?.message);
    t.true(error?.message.includes("received 3"), error?.message);
  });

  test(`runSync throws on too many arguments [${engine}]`, (t) => {
    const pipeline = dag(function single(x: number) {
      return incr(x);
    }, { engine });

    const error = t.throws(() => (pipeline.runSync as (...args: number[]) => unknown)(1, 2), {
      instanceOf: TawaziUsageError,
    });
    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.true(error?.message.includes("received 2"), error?.message);
  });

  test(`too many arguments to zero parameters [${engine}]`, async (t) => {
    const pipeline = dag(function noInputs() {
      return incr(1);
    }, { engine });

    const error = await t.throwsAsync(
      (pipeline as unknown as (...args: number[]) => Promise<unknown>)(7),
      { instanceOf: TawaziUsageError },
    );
    t.true(error?.message.includes("takes 0 arguments"), error?.message);
  });

  const longPair = xn(function longPair(x: number) {
    return [x, x, x];
  }, { unpackTo: 2 });
  const notArray = xn(function notArray(x: number) {
    return x;
  }, { unpackTo: 2 });

  test(`unpackTo longer array fails runSync [${engine}]`, (t) => {
    const pipeline = dag(function unpackLong(x: number) {
      const [first] = longPair(x);
      return first;
    }, { engine });

    const error = t.throws(() => pipeline.runSync(1), { instanceOf: TawaziTypeError });
    t.is(error?.code, "ERR_TAWAZI_TYPE");
    t.true(error?.message.includes('"longPair"'), error?.message);
    t.true(error?.message.includes("unpackTo 2"), error?.message);
    t.true(error?.message.includes("array of length 3"), error?.message);
    t.is((error as { tawaziNode?: unknown } | undefined)?.tawaziNode, "longPair");
  });

  test(`unpackTo non-array rejects call [${engine}]`, async (t) => {
    const pipeline = dag(function unpackScalar(x: number) {
      const [first] = notArray(x) as unknown as number[];
      return first;
    }, { engine });

    const error = await t.throwsAsync(pipeline(1), { instanceOf: TawaziTypeError });
    t.is(error?.code, "ERR_TAWAZI_TYPE");
    t.true(error?.message.includes('"notArray"'), error?.message);
    t.true(error?.message.includes("unpackTo 2"), error?.message);
    t.true(error?.message.includes("1 (number)"), error?.message);
  });

  test(`with unpackTo mismatch rejects [${engine}]`, async (t) => {
    const pipeline = dag(function unpackWith(x: number) {
      const [first] = longPair.with({ unpackTo: 4 })(x);
      return first;
    }, { engine });

    const error = await t.throwsAsync(pipeline(1), { instanceOf: TawaziTypeError });
    t.true(error?.message.includes("unpackTo 4"), error?.message);
    t.true(error?.message.includes("array of length 3"), error?.message);
  });

  test(`lookup on null result fails [${engine}]`, async (t) => {
    const nothing = xn(function nothing(): { key: number } {
      return null as never;
    });
    const pipeline = dag(function readKey() {
      return nothing().key;
    }, { engine });

    const error = await t.throwsAsync(pipeline(), { instanceOf: TawaziTypeError });
    t.is(error?.code, "ERR_TAWAZI_TYPE");
    t.true(error?.message.includes('"nothing"'), error?.message);
    t.true(error?.message.includes('"key"'), error?.message);
    t.true(error?.message.includes("null"), error?.message);
  });

  test(`runSync rejects an async node [${engine}]`, (t) => {
    const later = xn(async function later(x: number) {
      return x;
    });
    const pipeline = dag(function awaits(x: number) {
      return later(x);
    }, { engine });

    const error = t.throws(() => pipeline.runSync(1), { instanceOf: TawaziUsageError });
    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.true(error?.message.includes('"later"'), error?.message);
    t.true(error?.message.includes("await"), error?.message);
  });
}
