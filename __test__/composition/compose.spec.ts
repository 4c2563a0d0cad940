import test, { type ExecutionContext } from "ava";

import { type EngineKind, TawaziUsageError, dag, ops, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors, nextMacrotask } from "../helpers/process-failures.js";

failOnProcessErrors();

type Engine = Exclude<EngineKind, "auto">;

/** Asserts that `act` throws a TawaziUsageError whose message contains each of `includes`. */
function throwsUsage(t: ExecutionContext, act: () => unknown, includes: readonly string[]): void {
  const error = t.throws(act, { instanceOf: TawaziUsageError });
  t.is(error?.code, "ERR_TAWAZI_USAGE");
  for (const text of includes) {
    t.true(error?.message.includes(text), `message lacks ${JSON.stringify(text)}: ${error?.message}`);
  }
}

/**
 * Collects the messages of the process warnings with `code` that mention the DAG `name`,
 * emitted while `act` runs and until the next macrotask, when `process.emitWarning` has
 * delivered them. Tests of one file run concurrently, so each test passes its own name.
 */
async function warningsDuring(code: string, name: string, act: () => unknown): Promise<string[]> {
  const messages: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === code && warning.message.includes(`"${name}"`)) messages.push(warning.message);
  };
  process.on("warning", listener);
  try {
    act();
    await nextMacrotask();
  } finally {
    process.off("warning", listener);
  }
  return messages;
}

/**
 * p(): v = s(); returns [o1(v), o2(v)] with o1 = v + 1 and o2 = v + 2. `calls` logs every
 * node call; o1 and o2 both carry the tag "offset".
 */
function sharedSource(engine: Engine) {
  const calls: string[] = [];
  const s = xn(function s() {
    calls.push("s");
    return 5;
  });
  const o1 = xn(function o1(x: number) {
    calls.push(`o1(${x})`);
    return x + 1;
  }, { tag: "offset" });
  const o2 = xn(function o2(x: number) {
    calls.push(`o2(${x})`);
    return x + 2;
  }, { tag: "offset" });
  const p = dag(function p() {
    const v = s();
    return [o1(v), o2(v)];
  }, { engine, maxConcurrency: 2 });
  return { calls, p, s, o1, o2 };
}

/**
 * chain(x, y): a = first(x); b = second(a); c = combine(b, y); returns [a, b, c], where
 * first adds 1, second doubles and combine subtracts its second argument from its first.
 */
function chain(engine: Engine) {
  const calls: string[] = [];
  const first = xn(function first(x: number) {
    calls.push(`first(${x})`);
    return x + 1;
  });
  const second = xn(function second(x: number) {
    calls.push(`second(${x})`);
    return x * 2;
  });
  const combine = xn(function combine(left: number, right: number) {
    calls.push(`combine(${left},${right})`);
    return left - right;
  });
  const pipeline = dag(function chain(x: number, y: number) {
    const a = first(x);
    const b = second(a);
    return [a, b, combine(b, y)];
  }, { engine });
  return { calls, pipeline, first, second, combine };
}

for (const engine of engines) {
  test(`shared upstream computed once [${engine}]`, async (t) => {
    const { calls, p } = sharedSource(engine);
    const composed = p.compose({ inputs: [], outputs: ["o1", "o2"] });

    t.deepEqual(await composed(), [6, 7]);
    t.is(calls.filter((call) => call === "s").length, 1);
    t.deepEqual(await composed(), [6, 7]);
    t.is(calls.filter((call) => call === "s").length, 2);
  });

  test(`executor targets share upstream [${engine}]`, async (t) => {
    const { calls, p } = sharedSource(engine);
    const execution = p.executor({ targetNodes: ["o1", "o2"] });

    t.deepEqual(await execution(), [6, 7]);
    t.is(execution.resultOf("o1"), 6);
    t.is(execution.resultOf("o2"), 7);
    t.deepEqual(calls.sort(), ["o1(5)", "o2(5)", "s"]);
  });

  test(`inputs become parameters in order [${engine}]`, async (t) => {
    const { calls, pipeline } = chain(engine);
    const composed = pipeline.compose({ inputs: ["chain>>>y", "second"], outputs: "combine" });

    t.is(await composed(3, 10), 7);
    t.deepEqual(calls, ["combine(10,3)"]);
  });

  test(`dots stand for original inputs [${engine}]`, async (t) => {
    const { calls, pipeline } = chain(engine);
    const composed = pipeline.compose({ inputs: ["..."], outputs: "combine" });

    t.is(await composed(4, 1), 9);
    t.deepEqual(calls, ["first(4)", "second(5)", "combine(10,1)"]);
  });

  test(`dots mixed with node inputs [${engine}]`, async (t) => {
    const calls: string[] = [];
    const seed = xn(function seed() {
      calls.push("seed");
      return 100;
    });
    const add = xn(function add(a: number, b: number) {
      return a + b;
    });
    const pipeline = dag(function mixed(x: number) {
      return add(ops.mul(x, 2), seed());
    }, { engine });
    const composed = pipeline.compose({ inputs: ["seed", "..."], outputs: "add" });

    t.is(await composed(1, 3), 7);
    t.deepEqual(calls, []);
  });

  test(`single output returns its value [${engine}]`, async (t) => {
    const { pipeline } = chain(engine);

    t.is(await pipeline.compose({ inputs: ["first"], outputs: "second" })(4), 8);
    t.deepEqual(await pipeline.compose({ inputs: ["first"], outputs: ["second"] })(4), [8]);
    t.deepEqual(await pipeline.compose({ inputs: ["first"], outputs: [] })(4), []);
  });

  test(`outputs keep their listed order [${engine}]`, async (t) => {
    const { pipeline } = chain(engine);
    const composed = pipeline.compose({ inputs: ["..."], outputs: ["combine", "first", "second"] });

    t.deepEqual(await composed(1, 1), [3, 2, 4]);
  });

  test(`default name adds composed suffix [${engine}]`, (t) => {
    const { p } = sharedSource(engine);

    t.is(p.compose({ inputs: [], outputs: "o1" }).name, "p_composed");
    t.is(p.compose({ inputs: [], outputs: "o1", name: "part" }).name, "part");
  });

  test(`composed nodes list composed part [${engine}]`, (t) => {
    const { pipeline } = chain(engine);
    const composed = pipeline.compose({ inputs: ["first", "chain>>>y"], outputs: "combine" });

    t.deepEqual([...composed.nodes.keys()], ["chain>>>y", "first", "second", "combine"]);
    t.is(composed.getNodeById("first").kind, "argument");
    t.is(composed.getNodeById("chain>>>y").kind, "argument");
    t.is(composed.getNodeById("second").kind, "call");
  });

  test(`composed keeps only needed nodes [${engine}]`, (t) => {
    const { p } = sharedSource(engine);

    t.deepEqual([...p.compose({ inputs: [], outputs: "o2" }).nodes.keys()], ["s", "o2"]);
  });

  test(`composed settings follow original [${engine}]`, (t) => {
    const { p } = sharedSource(engine);
    const composed = p.compose({ inputs: [], outputs: "o2" });

    t.is(composed.maxConcurrency, 2);
    t.is(composed.behavior, "strict");
  });

  test(`missing inputs are named [${engine}]`, (t) => {
    const { pipeline } = chain(engine);

    throwsUsage(t, () => pipeline.compose({ inputs: [], outputs: "combine" }), [
      "chain.compose()",
      '"chain>>>x"',
      '"chain>>>y"',
    ]);
    throwsUsage(t, () => pipeline.compose({ inputs: ["second"], outputs: "combine" }), [
      '"chain>>>y"',
    ]);
  });

  test(`missing input message omits provided input [${engine}]`, (t) => {
    const { pipeline } = chain(engine);

    const error = t.throws(() => pipeline.compose({ inputs: ["chain>>>y"], outputs: "combine" }), {
      instanceOf: TawaziUsageError,
    });

    t.true(error?.message.includes('"chain>>>x"'), error?.message);
    t.false(error?.message.includes('"chain>>>y"'), error?.message);
  });

  test(`input depending on input throws [${engine}]`, (t) => {
    const { pipeline } = chain(engine);

    throwsUsage(
      t,
      () => pipeline.compose({ inputs: ["first", "second", "chain>>>y"], outputs: "combine" }),
      ['"second"', '"first"'],
    );
    throwsUsage(t, () => pipeline.compose({ inputs: ["...", "second"], outputs: "combine" }), [
      '"second"',
      '"chain>>>x"',
    ]);
  });

  test(`unused input emits warning [${engine}]`, async (t) => {
    const { pipeline } = chain(engine);
    let composed: ReturnType<typeof pipeline.compose> | undefined;

    // The name carries the engine: the tests of both engines run at once and filter by name.
    const warnings = await warningsDuring("TAWAZI_UNUSED_INPUT", `unusedY_${engine}`, () => {
      composed = pipeline.compose({
        inputs: ["first", "chain>>>y"],
        outputs: "second",
        name: `unusedY_${engine}`,
      });
    });

    t.is(warnings.length, 1);
    t.true(warnings[0]?.includes('"chain>>>y"'), warnings[0]);
    t.is(await composed!(4, 100), 8);
  });

  test(`used inputs emit no warning [${engine}]`, async (t) => {
    const { pipeline } = chain(engine);

    const warnings = await warningsDuring("TAWAZI_UNUSED_INPUT", "allUsed", () => {
      pipeline.compose({ inputs: ["..."], outputs: "combine", name: "allUsed" });
    });

    t.deepEqual(warnings, []);
  });

  test(`input that is output returned as given [${engine}]`, async (t) => {
    const { calls, pipeline } = chain(engine);
    const asSingle = pipeline.compose({ inputs: ["second"], outputs: "second" });
    const inArray = pipeline.compose({ inputs: ["first", "chain>>>y"], outputs: ["first", "combine"] });

    t.is(await asSingle(42), 42);
    t.deepEqual(await inArray(7, 2), [7, 12]);
    t.deepEqual(calls, ["second(7)", "combine(14,2)"]);
  });

  test(`unknown alias lists close ids [${engine}]`, (t) => {
    const { p } = sharedSource(engine);

    throwsUsage(t, () => p.compose({ inputs: [], outputs: "o3" }), ['"o3"', '"o1"', '"o2"']);
    throwsUsage(t, () => p.compose({ inputs: ["ss"], outputs: "o1" }), ['"ss"', '"s"']);
  });

  test(`alias naming several nodes throws [${engine}]`, (t) => {
    const { p } = sharedSource(engine);

    throwsUsage(t, () => p.compose({ inputs: [], outputs: "offset" }), ['"offset"', '"o1"', '"o2"']);
    throwsUsage(t, () => p.compose({ inputs: ["offset"], outputs: "o1" }), ['"o1"', '"o2"']);
  });

  test(`ExecNode used twice names several [${engine}]`, (t) => {
    const incr = xn(function incr(x: number) {
      return x + 1;
    });
    const twice = dag(function twice(x: number) {
      return incr(incr(x));
    }, { engine });

    throwsUsage(t, () => twice.compose({ inputs: ["..."], outputs: incr }), ['"incr"', '"incr<<1>>"']);
  });

  test(`aliases accept ExecNodes, nodes and tags [${engine}]`, async (t) => {
    const { pipeline, first, combine } = chain(engine);
    const tagged = dag(function tagged(x: number) {
      return first.with({ tag: "entry" })(x);
    }, { engine });

    const byObjects = pipeline.compose({
      inputs: [pipeline.getNodeById("second"), pipeline.getNodeById("chain>>>y")],
      outputs: combine,
    });
    t.is(await byObjects(5, 1), 4);
    t.is(await tagged.compose({ inputs: ["..."], outputs: "entry" })(1), 2);
    t.is(await pipeline.compose({ inputs: [first], outputs: "second" })(3), 6);
  });

  test(`composed call with extra argument rejects [${engine}]`, async (t) => {
    const { p } = sharedSource(engine);
    const composed = p.compose({ inputs: [], outputs: "o1" });

    const error = await t.throwsAsync((composed as (...args: unknown[]) => Promise<unknown>)(1), {
      instanceOf: TawaziUsageError,
    });
    t.true(error?.message.includes('"p_composed"'), error?.message);
  });

  test(`compose over inlined ids [${engine}]`, async (t) => {
    const incr = xn(function incr(x: number) {
      return x + 1;
    });
    const double = xn(function double(x: number) {
      return x * 2;
    });
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return double(sub.inline(x));
    }, { engine });

    const fromInner = parent.compose({ inputs: ["sub.incr"], outputs: "double" });
    const toInner = parent.compose({ inputs: ["..."], outputs: "sub.incr" });

    t.is(await fromInner(10), 20);
    t.deepEqual([...fromInner.nodes.keys()], ["sub.incr", "double"]);
    t.is(await toInner(10), 11);
    t.deepEqual([...toInner.nodes.keys()], ["parent>>>x", "sub.sub>>>x", "sub.incr"]);
  });

  test(`lookup nodes as inputs and outputs [${engine}]`, async (t) => {
    const pair = xn(function pair(x: number): [number, number] {
      return [x, -x];
    }, { unpackTo: 2 });
    const add = xn(function add(a: number, b: number) {
      return a + b;
    });
    const pipeline = dag(function split(x: number) {
      const [left, right] = pair(x);
      return add(left, ops.mul(right, 10));
    }, { engine });

    t.deepEqual(await pipeline.compose({ inputs: ["..."], outputs: ["pair[1]"] })(4), [-4]);
    t.is(await pipeline.compose({ inputs: ["pair"], outputs: "add" })([3, 4]), 43);
    t.is(await pipeline.compose({ inputs: ["pair[0]", "pair[1]"], outputs: "add" })(1, 2), 21);
  });

  test(`conditional input loses its condition [${engine}]`, async (t) => {
    const incr = xn(function incr(x: number) {
      return x + 1;
    });
    const double = xn(function double(x: number) {
      return x * 2;
    });
    const pipeline = dag(function gated(x: number) {
      return double(incr.with({ active: ops.gt(x, 0) })(x));
    }, { engine });

    const fromIncr = pipeline.compose({ inputs: ["incr"], outputs: "double" });
    const whole = pipeline.compose({ inputs: ["..."], outputs: "double" });

    t.is(await fromIncr(10), 20);
    t.deepEqual([...fromIncr.nodes.keys()], ["incr", "double"]);
    t.is(await whole(1), 4);
    t.is(await whole(-1), undefined);
  });

  test(`composed DAG composes again [${engine}]`, async (t) => {
    const { pipeline } = chain(engine);
    const composed = pipeline.compose({ inputs: ["..."], outputs: ["second", "combine"] });
    const again = composed.compose({ inputs: ["second", "chain>>>y"], outputs: "combine" });

    t.is(again.name, "chain_composed_composed");
    t.is(await again(10, 3), 7);
    t.deepEqual([...again.nodes.keys()], ["chain>>>y", "second", "combine"]);
  });

  test(`composed executor sees composed part [${engine}]`, async (t) => {
    const { calls, p } = sharedSource(engine);
    const composed = p.compose({ inputs: [], outputs: ["o1", "o2"] });
    const execution = composed.executor({ targetNodes: ["o1"] });

    t.deepEqual(await execution(), [6, undefined]);
    t.deepEqual(calls, ["s", "o1(5)"]);
    throwsUsage(t, () => p.compose({ inputs: [], outputs: "o1" }).executor({ targetNodes: ["o2"] }), [
      '"o2"',
    ]);
  });

  test(`composed runSync computes outputs [${engine}]`, (t) => {
    const { p } = sharedSource(engine);

    t.deepEqual(p.compose({ inputs: [], outputs: ["o2", "o1"] }).runSync(), [7, 6]);
  });

  test(`composed tags cover composed part [${engine}]`, (t) => {
    const { p } = sharedSource(engine);
    const composed = p.compose({ inputs: [], outputs: "o2" });

    t.deepEqual(
      composed.getNodesByTag("offset").map((node) => node.id),
      ["o2"],
    );
  });

  test(`compose options are validated [${engine}]`, (t) => {
    const { p } = sharedSource(engine);

    throwsUsage(t, () => p.compose(null as never), ["p.compose()"]);
    throwsUsage(t, () => p.compose({ inputs: "..." as never, outputs: "o1" }), ["inputs"]);
    throwsUsage(t, () => p.compose({ inputs: [], outputs: "o1", extra: 1 } as never), ['"extra"']);
    throwsUsage(t, () => p.compose({ inputs: [], outputs: "o1", name: "" }), ["name"]);
  });

  test(`dots make defaulted inputs required [${engine}]`, async (t) => {
    const add = xn(function add(a: number, b: number) {
      return a + b;
    });
    const pipeline = dag(function defaults(x: number, y: number = 2) {
      return add(x, y);
    }, { engine });
    const composed = pipeline.compose({ inputs: ["..."], outputs: "add" });

    t.is(await pipeline(1), 3);
    t.is(await composed(1, 5), 6);
    const error = await t.throwsAsync(() => composed(1), { instanceOf: TawaziUsageError });
    t.true(error.message.includes('"defaults>>>y"'), error.message);
    t.true(error.message.includes("Pass it explicitly"), error.message);
  });

  test(`input listed twice throws [${engine}]`, (t) => {
    const { pipeline } = chain(engine);

    throwsUsage(t, () => pipeline.compose({ inputs: ["first", "first"], outputs: "second" }), [
      '"first"',
    ]);
    throwsUsage(t, () => pipeline.compose({ inputs: ["...", "chain>>>x"], outputs: "combine" }), [
      '"chain>>>x"',
    ]);
  });
}
