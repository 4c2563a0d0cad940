import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import { type EngineKind, TawaziUsageError, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { countedSetup } from "./recorder.js";

failOnProcessErrors();

/** Makes a setup node that counts its runs and resolves to "model" after `delay` ms. */
function slowModel(delay: number) {
  const counter = { runs: 0 };
  const load = xn(
    async function load() {
      counter.runs += 1;
      await sleep(delay);
      return "model";
    },
    { setup: true },
  );
  return { counter, load };
}

const label = xn(function label(model: string, x: number) {
  return `${model}:${x * 2}`;
});

/**
 * Builds a DAG with setup nodes sa, sc(sa) and sb, used by ua(x, sc) and ub(x, sb), and a
 * node free(x) that uses none. Each setup result is `name#run`.
 */
function twoBranches(engine: Exclude<EngineKind, "auto">) {
  const counts: Record<string, number> = {};
  const sa = countedSetup(counts, "sa");
  const sb = countedSetup(counts, "sb");
  const sc = countedSetup(counts, "sc");
  const ua = xn(function ua(x: number, setup: string) {
    return `ua(${x},${setup})`;
  });
  const ub = xn(function ub(x: number, setup: string) {
    return `ub(${x},${setup})`;
  });
  const free = xn(function free(x: number) {
    return `free(${x})`;
  });
  const pipeline = dag(
    function branches(x: number) {
      return [ua(x, sc(sa())), ub(x, sb()), free(x)];
    },
    { engine },
  );
  return { counts, pipeline };
}

for (const engine of engines) {
  test(`setup runs once under concurrent calls [${engine}]`, async (t) => {
    const { counter, load } = slowModel(20);
    const pipeline = dag(
      function concurrent(x: number) {
        return label(load(), x);
      },
      { engine },
    );

    const results = await Promise.all(Array.from({ length: 10 }, (_, x) => pipeline(x)));

    t.is(counter.runs, 1);
    t.deepEqual(
      results,
      Array.from({ length: 10 }, (_, x) => `model:${x * 2}`),
    );
  });

  test(`hundred overlapping calls share setup [${engine}]`, async (t) => {
    const { counter, load } = slowModel(50);
    const jittered = xn(async function jittered(model: string, x: number) {
      await sleep((x * 7) % 21);
      return `${model}:${x * 2}`;
    });
    const pipeline = dag(
      function hundred(x: number) {
        return jittered(load(), x);
      },
      { engine },
    );
    const expected = Array.from({ length: 100 }, (_, x) => `model:${x * 2}`);

    const first = await Promise.all(expected.map((_, x) => pipeline(x)));
    const second = await Promise.all(expected.map((_, x) => pipeline(x)));

    t.deepEqual(first, expected);
    t.deepEqual(second, expected);
    t.is(counter.runs, 1);
  });

  test(`later calls reuse setup result [${engine}]`, async (t) => {
    let runs = 0;
    const connect = xn(
      function connect() {
        runs += 1;
        return { connection: runs };
      },
      { setup: true },
    );
    const pipeline = dag(
      function reuse() {
        return connect();
      },
      { engine },
    );

    const first = await pipeline();
    const second = await pipeline();
    const third = pipeline.runSync();

    t.deepEqual(first, { connection: 1 });
    t.is(second, first);
    t.is(third, first);
    t.is(runs, 1);
  });

  test(`setup depending on input rejected [${engine}]`, (t) => {
    const scale = xn(
      function scale(x: number) {
        return x * 2;
      },
      { setup: true },
    );

    const error = t.throws(
      () =>
        dag(
          function fromInput(x: number) {
            return scale(x);
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"scale"'), error?.message);
    t.true(error?.message.includes('"fromInput>>>x"'), error?.message);
  });

  test(`setup depending on regular node rejected [${engine}]`, (t) => {
    const read = xn(function read() {
      return 3;
    });
    const scale = xn(
      function scale(x: number) {
        return x * 2;
      },
      { setup: true },
    );

    const error = t.throws(
      () =>
        dag(
          function fromRegular() {
            return scale(read());
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"scale"'), error?.message);
    t.true(error?.message.includes('"read"'), error?.message);
  });

  test(`setup nested in argument rejected [${engine}]`, (t) => {
    const configure = xn(
      function configure(options: { size: number }) {
        return options.size;
      },
      { setup: true },
    );

    t.throws(
      () =>
        dag(
          function nested(size: number) {
            return configure({ size });
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
  });

  test(`setup chain with constants allowed [${engine}]`, async (t) => {
    const counts: Record<string, number> = {};
    const base = countedSetup(counts, "base");
    const derived = countedSetup(counts, "derived");
    const pipeline = dag(
      function chain(x: number) {
        return label(derived(base(), "fixed", [7]), x);
      },
      { engine },
    );

    t.is(await pipeline(1), "derived#1(base#1,fixed,7):2");
    t.is(await pipeline(2), "derived#1(base#1,fixed,7):4");
    t.deepEqual(counts, { base: 1, derived: 1 });
  });

  test(`setup may use unpacked setup parts [${engine}]`, async (t) => {
    let pairRuns = 0;
    const pair = xn(
      function pair() {
        pairRuns += 1;
        return [10, 20];
      },
      { setup: true, unpackTo: 2 },
    );
    const sum = xn(
      function sum(left: number, right: number) {
        return left + right;
      },
      { setup: true },
    );
    const pipeline = dag(
      function unpacked(x: number) {
        const [left, right] = pair();
        return label(sum(left, right) as unknown as string, x);
      },
      { engine },
    );

    t.is(await pipeline(1), "30:2");
    t.is(await pipeline(2), "30:4");
    t.is(pairRuns, 1);
  });

  test(`setup and debug together rejected [${engine}]`, (t) => {
    const error = t.throws(
      () =>
        xn(
          function both() {
            return 1;
          },
          { setup: true, debug: true },
        ),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"both"'), error?.message);
    t.true(error?.message.includes("setup"), error?.message);
    t.true(error?.message.includes("debug"), error?.message);
  });

  test(`pipeline setup runs every setup node [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    await pipeline.setup();
    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });

    t.deepEqual(await pipeline(1), ["ua(1,sc#1(sa#1))", "ub(1,sb#1)", "free(1)"]);
    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });
  });

  test(`pipeline setup twice runs once [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    await Promise.all([pipeline.setup(), pipeline.setup()]);
    await pipeline.setup();

    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });
  });

  test(`setup targets a regular node [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    await pipeline.setup({ targetNodes: ["ua"] });

    t.deepEqual(counts, { sa: 1, sb: 0, sc: 1 });
  });

  test(`setup targets a setup node [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    await pipeline.setup({ targetNodes: ["sc"] });
    t.deepEqual(counts, { sa: 1, sb: 0, sc: 1 });

    t.deepEqual(await pipeline(2), ["ua(2,sc#1(sa#1))", "ub(2,sb#1)", "free(2)"]);
    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });
  });

  test(`setup target without setup ancestors [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    await pipeline.setup({ targetNodes: ["free"] });

    t.deepEqual(counts, { sa: 0, sb: 0, sc: 0 });
  });

  test(`setup unknown target rejected [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    const setup = pipeline.setup({ targetNodes: ["sd"] });

    t.true(setup instanceof Promise);
    await t.throwsAsync(setup, { instanceOf: TawaziUsageError });
    t.deepEqual(counts, { sa: 0, sb: 0, sc: 0 });
  });

  test(`subgraph runs only needed setup [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    const execution = pipeline.executor({ targetNodes: ["ub"] });
    const result: unknown = await execution(1);

    t.deepEqual(result, [undefined, "ub(1,sb#1)", undefined]);
    t.deepEqual(counts, { sa: 0, sb: 1, sc: 0 });

    t.deepEqual(await pipeline(2), ["ua(2,sc#1(sa#1))", "ub(2,sb#1)", "free(2)"]);
    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });
  });

  test(`subgraph without setup needs none [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);

    const result: unknown = await pipeline.executor({ targetNodes: ["free"] })(4);

    t.deepEqual(result, [undefined, undefined, "free(4)"]);
    t.deepEqual(counts, { sa: 0, sb: 0, sc: 0 });
  });

  test(`execution setup of its subgraph [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);
    const execution = pipeline.executor({ targetNodes: ["ua"] });

    await execution.setup();
    t.deepEqual(counts, { sa: 1, sb: 0, sc: 1 });

    const result: unknown = await execution(3);
    t.deepEqual(result, ["ua(3,sc#1(sa#1))", undefined, undefined]);
    t.deepEqual(counts, { sa: 1, sb: 0, sc: 1 });
  });

  test(`execution setup without selection [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);
    const execution = pipeline.executor();

    await execution.setup();

    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });
  });

  test(`reused setup node succeeds in status [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);
    await pipeline.setup();
    const execution = pipeline.executor();

    await execution(1);

    t.deepEqual(execution.status("sa"), { state: "succeeded" });
    t.is(execution.resultOf("sc"), "sc#1(sa#1)");
    t.deepEqual(counts, { sa: 1, sb: 1, sc: 1 });
  });

  test(`clone forgets setup results [${engine}]`, async (t) => {
    const { counts, pipeline } = twoBranches(engine);
    await pipeline(1);
    const copy = pipeline.clone();

    t.deepEqual(await copy(1), ["ua(1,sc#2(sa#2))", "ub(1,sb#2)", "free(1)"]);
    t.deepEqual(counts, { sa: 2, sb: 2, sc: 2 });

    t.deepEqual(await pipeline(1), ["ua(1,sc#1(sa#1))", "ub(1,sb#1)", "free(1)"]);
    t.deepEqual(await copy(2), ["ua(2,sc#2(sa#2))", "ub(2,sb#2)", "free(2)"]);
    t.deepEqual(counts, { sa: 2, sb: 2, sc: 2 });
  });

  test(`clone before the first call [${engine}]`, async (t) => {
    const { counter, load } = slowModel(5);
    const pipeline = dag(
      function fresh(x: number) {
        return label(load(), x);
      },
      { engine },
    );
    const copy = pipeline.clone();

    await Promise.all([copy(1), copy(2)]);
    t.is(counter.runs, 1);

    await pipeline(1);
    t.is(counter.runs, 2);
  });

  test(`failed setup is retried [${engine}]`, async (t) => {
    const error = new Error("first attempt fails");
    let attempts = 0;
    const flaky = xn(
      async function flaky() {
        attempts += 1;
        await sleep(5);
        if (attempts === 1) throw error;
        return "ready";
      },
      { setup: true },
    );
    const pipeline = dag(
      function retried(x: number) {
        return label(flaky(), x);
      },
      { engine },
    );

    const rejected = await t.throwsAsync(pipeline(1));
    t.is(rejected, error);
    t.is(attempts, 1);

    t.is(await pipeline(2), "ready:4");
    t.is(attempts, 2);
    t.is(await pipeline(3), "ready:6");
    t.is(attempts, 2);
  });

  test(`concurrent calls share setup failure [${engine}]`, async (t) => {
    const error = new Error("first attempt fails");
    let attempts = 0;
    const flaky = xn(
      async function flaky() {
        attempts += 1;
        await sleep(10);
        if (attempts === 1) throw error;
        return "ready";
      },
      { setup: true },
    );
    const pipeline = dag(
      function shared(x: number) {
        return label(flaky(), x);
      },
      { engine },
    );

    const outcomes = await Promise.allSettled([pipeline(1), pipeline(2), pipeline(3)]);

    t.deepEqual(outcomes, [
      { status: "rejected", reason: error },
      { status: "rejected", reason: error },
      { status: "rejected", reason: error },
    ]);
    t.is(attempts, 1);
    t.is(await pipeline(4), "ready:8");
    t.is(attempts, 2);
  });

  test(`failed pipeline setup is retried [${engine}]`, async (t) => {
    let attempts = 0;
    const flaky = xn(
      function flaky() {
        attempts += 1;
        if (attempts === 1) throw new Error("first attempt fails");
        return "ready";
      },
      { setup: true },
    );
    const pipeline = dag(
      function retriedSetup(x: number) {
        return label(flaky(), x);
      },
      { engine },
    );

    await t.throwsAsync(pipeline.setup(), { message: "first attempt fails" });
    await pipeline.setup();

    t.is(attempts, 2);
    t.is(await pipeline(1), "ready:2");
    t.is(attempts, 2);
  });

  test(`inactive setup node never runs [${engine}]`, async (t) => {
    let runs = 0;
    const disabled = xn(
      function disabled() {
        runs += 1;
        return "loaded";
      },
      { setup: true },
    );
    const pipeline = dag(
      function gated() {
        return disabled.with({ active: false })();
      },
      { engine },
    );

    await pipeline.setup();
    const execution = pipeline.executor();
    const result = await execution();

    t.is(result, undefined);
    t.is(runs, 0);
    t.deepEqual(execution.status("disabled"), { state: "skipped", reason: "inactive" });
  });

  test(`setup finishes after strict failure [${engine}]`, async (t) => {
    const error = new Error("stop");
    const { counter, load } = slowModel(30);
    let failures = 0;
    const failOnce = xn(function failOnce(x: number) {
      if (failures === 0) {
        failures += 1;
        throw error;
      }
      return x;
    });
    const pipeline = dag(
      function interrupted(x: number) {
        return [label(load(), x), failOnce(x)];
      },
      { engine, maxConcurrency: 2 },
    );

    const rejected = await t.throwsAsync(pipeline(1));
    t.is(rejected, error);

    t.deepEqual(await pipeline(2), ["model:4", 2]);
    t.is(counter.runs, 1);
  });

  test(`runSync uses cached async setup [${engine}]`, async (t) => {
    const { counter, load } = slowModel(5);
    const pipeline = dag(
      function cached(x: number) {
        return label(load(), x);
      },
      { engine },
    );

    await pipeline.setup();

    t.is(pipeline.runSync(4), "model:8");
    t.is(counter.runs, 1);
  });

  test(`runSync during pending setup rejected [${engine}]`, async (t) => {
    const { counter, load } = slowModel(20);
    const pipeline = dag(
      function pending(x: number) {
        return label(load(), x);
      },
      { engine },
    );

    const first = pipeline(1);

    t.throws(() => pipeline.runSync(2), { instanceOf: TawaziUsageError });
    t.is(await first, "model:2");
    t.is(counter.runs, 1);
  });

  test(`clone during pending setup [${engine}]`, async (t) => {
    const { counter, load } = slowModel(20);
    const pipeline = dag(
      function midFlight(x: number) {
        return label(load(), x);
      },
      { engine },
    );

    const original = pipeline(1);
    const copy = pipeline.clone();
    const copied = copy(2);

    t.deepEqual(await Promise.all([original, copied]), ["model:2", "model:4"]);
    t.is(counter.runs, 2);
  });

  test(`setup failure under all-children [${engine}]`, async (t) => {
    const error = new Error("first attempt fails");
    let attempts = 0;
    const flaky = xn(
      function flaky() {
        attempts += 1;
        if (attempts === 1) throw error;
        return "ready";
      },
      { setup: true },
    );
    const free = xn(function free(x: number) {
      return x;
    });
    const pipeline = dag(
      function partly(x: number) {
        return [label(flaky(), x), free(x)];
      },
      { engine, behavior: "all-children" },
    );
    const first = pipeline.executor();

    t.deepEqual(await first(1), [undefined, 1]);
    t.deepEqual(first.status("flaky"), { state: "failed", error });
    t.deepEqual(first.status("label"), { state: "skipped", reason: "dependency-failed", cause: "flaky" });

    t.deepEqual(await pipeline(2), ["ready:4", 2]);
    t.is(attempts, 2);
  });
}
