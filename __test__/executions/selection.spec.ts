import test, { type ExecutionContext } from "ava";

import { type EngineKind, TawaziUsageError, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { recorder } from "./recorder.js";

failOnProcessErrors();

/**
 * Builds a DAG with the roots r1(x) and r2() and the nodes m(r1, r2), t1(m), t2(r1) and k(r2).
 * Its ids in description order are layered>>>x, r1, r2, m, t1, t2, k.
 */
function layered(engine: Exclude<EngineKind, "auto">) {
  const { calls, node } = recorder();
  const r1 = node("r1");
  const r2 = node("r2");
  const m = node("m");
  const t1 = node("t1");
  const t2 = node("t2");
  const k = node("k");
  const pipeline = dag(
    function layered(x: number) {
      const a = r1(x);
      const b = r2();
      const middle = m(a, b);
      return { x1: t1(middle), x2: t2(a), kk: k(b) };
    },
    { engine },
  );
  return { calls, pipeline, r1, t2 };
}

/** Asserts that `act` throws a TawaziUsageError whose message contains each of `includes`. */
function throwsUsage(t: ExecutionContext, act: () => unknown, includes: readonly string[]): void {
  const error = t.throws(act, { instanceOf: TawaziUsageError });
  t.is(error?.code, "ERR_TAWAZI_USAGE");
  for (const text of includes) {
    t.true(error?.message.includes(text), `message lacks ${JSON.stringify(text)}: ${error?.message}`);
  }
}

for (const engine of engines) {
  test(`targets run with their ancestors [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({ targetNodes: ["t1"] });

    const result: unknown = await execution(1);

    t.deepEqual(result, { x1: "t1(m(r1(1),r2()))", x2: undefined, kk: undefined });
    t.deepEqual(calls.sort(), ["m", "r1", "r2", "t1"]);
  });

  test(`results outside subgraph are undefined [${engine}]`, async (t) => {
    const { pipeline } = layered(engine);
    const execution = pipeline.executor({ targetNodes: ["t2"] });

    await execution(1);

    t.deepEqual(
      execution.results,
      new Map<string, unknown>([
        ["layered>>>x", 1],
        ["r1", "r1(1)"],
        ["r2", undefined],
        ["m", undefined],
        ["t1", undefined],
        ["t2", "t2(r1(1))"],
        ["k", undefined],
      ]),
    );
  });

  test(`excluded node removes its descendants [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({ excludeNodes: ["r1"] });

    const result: unknown = await execution(1);

    t.deepEqual(result, { x1: undefined, x2: undefined, kk: "k(r2())" });
    t.deepEqual(calls.sort(), ["k", "r2"]);
  });

  test(`roots run with their descendants [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({ rootNodes: ["r1"] });

    const result: unknown = await execution(1);

    // m runs because it descends from r1, and it receives undefined from r2, outside the subgraph.
    t.deepEqual(result, { x1: "t1(m(r1(1),undefined))", x2: "t2(r1(1))", kk: undefined });
    t.deepEqual(calls.sort(), ["m", "r1", "t1", "t2"]);
  });

  test(`argument node counts as root [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({ rootNodes: ["layered>>>x"] });

    const result: unknown = await execution(4);

    t.deepEqual(result, { x1: "t1(m(r1(4),undefined))", x2: "t2(r1(4))", kk: undefined });
    t.deepEqual(calls.sort(), ["m", "r1", "t1", "t2"]);
  });

  test(`root reading an input field [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const fromField = node("fromField");
    const other = node("other");
    const pipeline = dag(
      function fields(options: { size: number }) {
        return [fromField(options.size), other(options)];
      },
      { engine },
    );
    // options.size is part of a DAG input, so fromField depends only on a DAG input.
    const execution = pipeline.executor({ rootNodes: ["fromField"] });

    const result: unknown = await execution({ size: 3 });

    t.deepEqual(result, ["fromField(3)", undefined]);
    t.deepEqual(calls, ["fromField"]);
  });

  test(`root, exclude and target combined [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    // Roots keep r2, m, t1 and k. Excluding k leaves r2, m and t1, which t1 needs.
    const execution = pipeline.executor({
      rootNodes: ["r2"],
      excludeNodes: ["k"],
      targetNodes: ["t1"],
    });

    const result: unknown = await execution(1);

    t.deepEqual(result, { x1: "t1(m(undefined,r2()))", x2: undefined, kk: undefined });
    t.deepEqual(calls.sort(), ["m", "r2", "t1"]);
  });

  test(`two roots with exclude and target [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({
      rootNodes: ["r1", "r2"],
      excludeNodes: ["t2"],
      targetNodes: ["t1"],
    });

    const result: unknown = await execution(1);

    t.deepEqual(result, { x1: "t1(m(r1(1),r2()))", x2: undefined, kk: undefined });
    t.deepEqual(calls.sort(), ["m", "r1", "r2", "t1"]);
  });

  test(`empty target list runs nothing [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({ targetNodes: [] });

    const result: unknown = await execution(1);

    t.deepEqual(result, { x1: undefined, x2: undefined, kk: undefined });
    t.deepEqual(calls, []);
  });

  test(`empty exclude list changes nothing [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);
    const execution = pipeline.executor({ excludeNodes: [] });

    const result: unknown = await execution(2);

    t.deepEqual(result, { x1: "t1(m(r1(2),r2()))", x2: "t2(r1(2))", kk: "k(r2())" });
    t.is(calls.length, 6);
  });

  test(`excluded target rejected by executor [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ excludeNodes: ["m"], targetNodes: ["t1"] }), [
      '"t1"',
      "excludeNodes",
    ]);
  });

  test(`target outside roots rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ rootNodes: ["r1"], targetNodes: ["k"] }), [
      '"k"',
      "rootNodes",
    ]);
  });

  test(`non-root in rootNodes rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ rootNodes: ["m"] }), ['"m"', "rootNodes", '"r1"']);
  });

  test(`selection error leaves nothing run [${engine}]`, async (t) => {
    const { calls, pipeline } = layered(engine);

    t.throws(() => pipeline.executor({ rootNodes: ["t2"] }), { instanceOf: TawaziUsageError });
    await pipeline(3);

    t.deepEqual(calls.sort(), ["k", "m", "r1", "r2", "t1", "t2"]);
  });

  test(`unknown target lists close matches [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ targetNodes: ["t3"] }), ['"t3"', '"t1"', '"t2"']);
  });

  test(`unknown excluded node rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ excludeNodes: ["zzz"] }), ['"zzz"', "dag.nodes"]);
  });

  test(`unknown root node rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ rootNodes: ["r3"] }), ['"r3"', '"r1"', '"r2"']);
  });

  test(`unknown alias among known ones [${engine}]`, (t) => {
    const { pipeline, r1 } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ targetNodes: [r1, "t1", "kk"] }), ['"kk"', '"k"']);
  });

  test(`close matches listed once [${engine}]`, (t) => {
    const { node } = recorder();
    const first = node("a");
    const second = node("b", { tag: "a" });
    const pipeline = dag(
      function shadow() {
        return [first(), second()];
      },
      { engine },
    );

    const error = t.throws(() => pipeline.executor({ targetNodes: ["aa"] }), {
      instanceOf: TawaziUsageError,
    });

    // "a" is both a tag and an id here, but it is one suggestion.
    const quoted = error?.message.match(/"a"/g) ?? [];
    t.is(quoted.length, 1, error?.message);
  });

  test(`ExecNode not in DAG rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);
    const stranger = xn(function stranger() {
      return 0;
    });

    throwsUsage(t, () => pipeline.executor({ targetNodes: [stranger] }), ['"stranger"']);
  });

  test(`node of another DAG rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);
    const other = dag(
      function other() {
        return xn(function foreign() {
          return 0;
        })();
      },
      { engine },
    );

    throwsUsage(t, () => pipeline.executor({ targetNodes: [other.getNodeById("foreign")] }), [
      "alias",
    ]);
  });

  test(`alias list must be an array [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ targetNodes: "t1" as unknown as string[] }), [
      "targetNodes",
      "array",
    ]);
  });

  test(`unknown executor option rejected [${engine}]`, (t) => {
    const { pipeline } = layered(engine);

    throwsUsage(t, () => pipeline.executor({ targetNode: ["t1"] } as never), ['"targetNode"']);
  });

  test(`ExecNode alias names every use [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const incr = node("incr");
    const other = node("other");
    const pipeline = dag(
      function uses(x: number) {
        return [incr(x), incr(x), other(x)];
      },
      { engine },
    );
    const execution = pipeline.executor({ targetNodes: [incr] });

    const result: unknown = await execution(1);

    t.deepEqual(result, ["incr(1)", "incr(1)", undefined]);
    t.deepEqual(calls, ["incr", "incr"]);
  });

  test(`NodeInfo alias names one use [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const incr = node("incr");
    const pipeline = dag(
      function uses(x: number) {
        return [incr(x), incr(x), incr(x)];
      },
      { engine },
    );
    const execution = pipeline.executor({ targetNodes: [pipeline.getNodeById("incr<<1>>")] });

    const result: unknown = await execution(1);

    t.deepEqual(result, [undefined, "incr(1)", undefined]);
    t.deepEqual(calls, ["incr"]);
  });

  test(`node from nodes map accepted [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const incr = node("incr");
    const pipeline = dag(
      function uses(x: number) {
        return [incr(x), incr(x)];
      },
      { engine },
    );
    const execution = pipeline.executor({ excludeNodes: [pipeline.nodes.get("incr")!] });

    const result: unknown = await execution(1);

    t.deepEqual(result, [undefined, "incr(1)"]);
    t.deepEqual(calls, ["incr"]);
  });

  test(`tag alias names every tagged node [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const load = node("load", { tag: "io" });
    const save = node("save", { tag: ["io", "late"] });
    const compute = node("compute");
    const pipeline = dag(
      function tagged(x: number) {
        return [load(x), compute(x), save(x)];
      },
      { engine },
    );
    const execution = pipeline.executor({ targetNodes: ["io"] });

    const result: unknown = await execution(1);

    t.deepEqual(result, ["load(1)", undefined, "save(1)"]);
    t.deepEqual(calls, ["load", "save"]);
  });

  test(`call-site tag names that use [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const step = node("step");
    const pipeline = dag(
      function tagged(x: number) {
        return [step(x), step.with({ tag: "second" })(x)];
      },
      { engine },
    );
    const execution = pipeline.executor({ excludeNodes: ["second"] });

    const result: unknown = await execution(1);

    t.deepEqual(result, ["step(1)", undefined]);
    t.deepEqual(calls, ["step"]);
  });

  test(`mixed alias kinds in one list [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const byExecNode = node("byExecNode");
    const byInfo = node("byInfo");
    const byTag = node("byTag", { tag: "marked" });
    const byId = node("byId");
    const unnamed = node("unnamed");
    const pipeline = dag(
      function mixed(x: number) {
        return [byExecNode(x), byInfo(x), byTag(x), byId(x), unnamed(x)];
      },
      { engine },
    );
    const execution = pipeline.executor({
      targetNodes: [byExecNode, pipeline.getNodeById("byInfo"), "marked", "byId"],
    });

    const result: unknown = await execution(1);

    t.deepEqual(result, ["byExecNode(1)", "byInfo(1)", "byTag(1)", "byId(1)", undefined]);
    t.deepEqual(calls, ["byExecNode", "byInfo", "byTag", "byId"]);
  });

  test(`repeated aliases run once [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const step = node("step", { tag: "work" });
    const pipeline = dag(
      function repeated(x: number) {
        return step(x);
      },
      { engine },
    );
    const execution = pipeline.executor({
      targetNodes: [step, "step", "work", pipeline.getNodeById("step")],
    });

    const result: unknown = await execution(1);

    t.is(result, "step(1)");
    t.deepEqual(calls, ["step"]);
  });

  test(`tag wins over same id [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const a = node("a");
    const b = node("b", { tag: "a" });
    const pipeline = dag(
      function shadow() {
        return [a(), b()];
      },
      { engine },
    );
    const execution = pipeline.executor({ targetNodes: ["a"] });

    const result: unknown = await execution();

    t.deepEqual(result, [undefined, "b()"]);
    t.deepEqual(calls, ["b"]);
  });

  test(`shared ancestor of two targets runs once [${engine}]`, async (t) => {
    let sourceCalls = 0;
    const source = xn(function source() {
      sourceCalls += 1;
      return 5;
    });
    const o1 = xn(function o1(x: number) {
      return x + 1;
    });
    const o2 = xn(function o2(x: number) {
      return x + 2;
    });
    const pipeline = dag(
      function shared() {
        const value = source();
        return [o1(value), o2(value)];
      },
      { engine, maxConcurrency: 2 },
    );

    t.deepEqual(await pipeline(), [6, 7]);
    t.is(sourceCalls, 1);

    const execution = pipeline.executor({ targetNodes: ["o1", "o2"] });
    t.deepEqual(await execution(), [6, 7]);
    t.is(sourceCalls, 2);
  });
}
