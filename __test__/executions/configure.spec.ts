import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import test from "ava";

import { type EngineKind, TawaziUsageError, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { TickClock } from "../helpers/tick-clock.js";
import { recorder } from "./recorder.js";

failOnProcessErrors();

const directory = mkdtempSync(join(tmpdir(), "tawazi-configure-"));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/**
 * Builds a DAG of synchronous nodes c, a (tag "grp") and b (tag "grp"), in this description
 * order, each appending its name to `calls`. It keeps the default maxConcurrency of 1.
 */
function grouped(engine: Exclude<EngineKind, "auto">) {
  const { calls, node } = recorder();
  const a = node("a", { tag: "grp" });
  const b = node("b", { tag: "grp" });
  const c = node("c");
  const pipeline = dag(
    function grouped() {
      return [c(), a(), b()];
    },
    { engine },
  );
  return { calls, pipeline };
}

/** Builds a DAG of four independent async nodes a, b, c, d lasting `ticks` ticks on a fresh clock. */
function fourTasks(
  engine: Exclude<EngineKind, "auto">,
  maxConcurrency: number,
  ticks = 1,
  sequential: readonly string[] = [],
) {
  const clock = new TickClock();
  const task = (name: string) =>
    xn(clock.task(name, ticks), { name, isSequential: sequential.includes(name) });
  const a = task("a");
  const b = task("b");
  const c = task("c");
  const d = task("d");
  const pipeline = dag(
    function four() {
      return [a(), b(), c(), d()];
    },
    { engine, maxConcurrency },
  );
  return { clock, pipeline };
}

for (const engine of engines) {
  test(`configured priority changes order [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);
    await pipeline();
    t.deepEqual(calls, ["c", "a", "b"]);
    calls.length = 0;

    pipeline.configFromDict({ nodes: { b: { priority: 5 } } });
    await pipeline();

    t.deepEqual(calls, ["b", "c", "a"]);
    t.is(pipeline.getNodeById("b").priority, 5);
    t.is(pipeline.getNodeById("b").compoundPriority, 5);
  });

  test(`tag configures priority and concurrency [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);

    pipeline.configFromDict({ nodes: { grp: { priority: 256 } }, max_concurrency: 3 });
    await pipeline();

    t.deepEqual(calls, ["a", "b", "c"]);
    t.is(pipeline.getNodeById("a").priority, 256);
    t.is(pipeline.getNodeById("b").priority, 256);
    t.is(pipeline.getNodeById("c").priority, 0);
    t.is(pipeline.maxConcurrency, 3);
  });

  test(`node configured twice rejected [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);

    const error = t.throws(
      () => pipeline.configFromDict({ nodes: { c: { priority: 9 }, a: { priority: 1 }, grp: { priority: 2 } } }),
      { instanceOf: TawaziUsageError },
    );

    t.true(error?.message.includes('"a"'), error?.message);
    t.true(error?.message.includes('"grp"'), error?.message);
    t.is(pipeline.getNodeById("c").priority, 0);
    t.is(pipeline.getNodeById("a").priority, 0);
    await pipeline();
    t.deepEqual(calls, ["c", "a", "b"]);
  });

  test(`unknown configured alias rejected [${engine}]`, (t) => {
    const { pipeline } = grouped(engine);

    const error = t.throws(() => pipeline.configFromDict({ nodes: { typo: { priority: 1 } } }), {
      instanceOf: TawaziUsageError,
    });

    t.true(error?.message.includes('"typo"'), error?.message);
  });

  test(`configFromDict returns the DAG [${engine}]`, (t) => {
    const { pipeline } = grouped(engine);

    t.is(pipeline.configFromDict({ maxConcurrency: 2 }), pipeline);
    t.is(pipeline.maxConcurrency, 2);
  });

  test(`call-site tag configures one use [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const first = node("first");
    const step = node("step");
    const pipeline = dag(
      function callSite() {
        return [first(), step(), step.with({ tag: "late" })()];
      },
      { engine },
    );

    pipeline.configFromDict({ nodes: { late: { priority: 3 } } });
    const execution = pipeline.executor({ profile: true });
    await execution();

    t.deepEqual(calls, ["step", "first", "step"]);
    t.is(pipeline.getNodeById("step").priority, 0);
    t.is(pipeline.getNodeById("step<<1>>").priority, 3);
    const profiles = execution.profiles;
    t.true(profiles.get("step<<1>>")!.end <= profiles.get("first")!.start);
  });

  test(`configured child raises its parent [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const p1 = node("p1");
    const p2 = node("p2");
    const c1 = node("c1");
    const c2 = node("c2");
    const pipeline = dag(
      function compound() {
        return [c1(p1()), c2(p2())];
      },
      { engine },
    );

    pipeline.configFromDict({ nodes: { c2: { priority: 10 } } });
    await pipeline();

    t.is(pipeline.getNodeById("p2").compoundPriority, 10);
    t.is(pipeline.getNodeById("p1").compoundPriority, 0);
    t.deepEqual(calls, ["p2", "c2", "p1", "c1"]);
  });

  test(`configured concurrency limits running nodes [${engine}]`, async (t) => {
    const { clock, pipeline } = fourTasks(engine, 4);

    pipeline.configFromDict({ maxConcurrency: 2 });
    await clock.run(pipeline());

    t.is(pipeline.maxConcurrency, 2);
    t.deepEqual(clock.runningAt[0], ["a", "b"]);
    t.is(Math.max(...clock.runningCounts), 2);
    t.deepEqual(clock.startOrder, ["a", "b", "c", "d"]);
  });

  test(`configured concurrency raises the limit [${engine}]`, async (t) => {
    const { clock, pipeline } = fourTasks(engine, 1);

    pipeline.configFromDict({ max_concurrency: 4 });
    await clock.run(pipeline());

    t.deepEqual(clock.runningAt[0], ["a", "b", "c", "d"]);
  });

  test(`configured sequential node runs alone [${engine}]`, async (t) => {
    const { clock, pipeline } = fourTasks(engine, 4, 2);

    pipeline.configFromDict({ nodes: { b: { isSequential: true } } });
    await clock.run(pipeline());

    t.true(pipeline.getNodeById("b").isSequential);
    const withB = clock.runningAt.filter((names) => names.includes("b"));
    t.true(withB.length > 0);
    for (const names of withB) t.deepEqual(names, ["b"]);
    t.deepEqual([...clock.startOrder].sort(), ["a", "b", "c", "d"]);
  });

  test(`configuration clears sequential flag [${engine}]`, async (t) => {
    const { clock, pipeline } = fourTasks(engine, 4, 1, ["a", "b", "c", "d"]);

    pipeline.configFromDict({ nodes: { a: { is_sequential: false }, b: { isSequential: false } } });
    await clock.run(pipeline());

    t.false(pipeline.getNodeById("a").isSequential);
    t.deepEqual(clock.runningAt[0], ["a", "b"]);
    t.true(clock.runningAt.some((names) => names.length === 1 && names[0] === "c"));
    t.true(clock.runningAt.some((names) => names.length === 1 && names[0] === "d"));
  });

  test(`configuration during a run waits for the next [${engine}]`, async (t) => {
    const calls: string[] = [];
    const slow = xn(
      async function slow() {
        await new Promise((resolve) => setTimeout(resolve, 10));
        calls.push("slow");
        return 1;
      },
      { isSequential: true },
    );
    const b = xn(function b(x: number) {
      calls.push("b");
      return x + 1;
    });
    const e = xn(function e(x: number) {
      calls.push("e");
      return x + 2;
    });
    const pipeline = dag(
      function ordered() {
        const x = slow();
        return [b(x), e(x)];
      },
      { engine, maxConcurrency: 2 },
    );

    const running = pipeline();
    pipeline.configFromDict({ nodes: { slow: { isSequential: false }, e: { priority: 9 } } });

    t.deepEqual(await running, [2, 3]);
    t.deepEqual(calls, ["slow", "b", "e"]);
    calls.length = 0;
    t.deepEqual(await pipeline(), [2, 3]);
    t.deepEqual(calls, ["slow", "e", "b"]);
  });

  test(`configuration during a repeated run waits for the next [${engine}]`, async (t) => {
    const calls: string[] = [];
    const node = (name: string) =>
      xn(
        async function labelled(input: string) {
          calls.push(name);
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (input === `${name} fails`) throw new Error(`${name} failed`);
          return name;
        },
        { name },
      );
    const [a, b, c] = [node("a"), node("b"), node("c")];
    const pipeline = dag(
      function threeNodes(input: string) {
        return [a(input), b(input), c(input)];
      },
      { engine, behavior: "permissive", maxConcurrency: 1 },
    );
    await pipeline("none fails");
    calls.length = 0;

    const execution = pipeline.executor();
    const running = execution("a fails");
    await new Promise((resolve) => setTimeout(resolve, 5));
    pipeline.configFromDict({ nodes: { c: { priority: 10 } } });
    t.deepEqual(execution.status("a"), { state: "running" });

    t.deepEqual(await running, [undefined, "b", "c"]);
    t.deepEqual(calls, ["a", "b", "c"]);
    t.deepEqual(
      ["a", "b", "c"].map((id) => execution.status(id).state),
      ["failed", "succeeded", "succeeded"],
    );
  });

  test(`JSON configuration changes the run [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);
    const path = writeTemp(
      `grouped-${engine}.json`,
      '{ "nodes": { "b": { "priority": 7 }, "a": { "priority": 3 } }, "max_concurrency": 2 }\n',
    );

    pipeline.configFromJson(path);
    await pipeline();

    t.deepEqual(calls, ["b", "a", "c"]);
    t.is(pipeline.maxConcurrency, 2);
  });

  test(`YAML configuration changes the run [${engine}]`, async (t) => {
    const { clock, pipeline } = fourTasks(engine, 4);
    const path = writeTemp(
      `four-${engine}.yaml`,
      "nodes:\n  d:\n    priority: 4\n  c:\n    priority: 3\nmaxConcurrency: 1\n",
    );

    pipeline.configFromYaml(path);
    await clock.run(pipeline());

    t.deepEqual(clock.startOrder, ["d", "c", "a", "b"]);
    t.is(Math.max(...clock.runningCounts), 1);
  });

  test(`configuration reaches defaulted calls [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const first = node("first");
    const second = node("second");
    const pipeline = dag(
      function defaulted(x = 1) {
        return [first(x), second(x)];
      },
      { engine },
    );
    await pipeline();
    calls.length = 0;

    pipeline.configFromDict({ nodes: { second: { priority: 2 } } });
    t.deepEqual(await pipeline(), ["first(1)", "second(1)"]);
    t.deepEqual(await pipeline(5), ["first(5)", "second(5)"]);

    t.deepEqual(calls, ["second", "first", "second", "first"]);
  });

  test(`configuration before first defaulted call [${engine}]`, async (t) => {
    const { calls, node } = recorder();
    const first = node("first");
    const second = node("second");
    const pipeline = dag(
      function defaulted(x = 1) {
        return [first(x), second(x)];
      },
      { engine },
    );

    pipeline.configFromDict({ nodes: { second: { priority: 2 } } });
    await pipeline();

    t.deepEqual(calls, ["second", "first"]);
  });

  test(`executor runs with configuration [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);

    pipeline.configFromDict({ nodes: { b: { priority: 1 } } });
    const result: unknown = await pipeline.executor({ excludeNodes: ["c"] })();

    t.deepEqual(result, [undefined, "a()", "b()"]);
    t.deepEqual(calls, ["b", "a"]);
  });

  test(`clone keeps configuration [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);
    pipeline.configFromDict({ nodes: { b: { priority: 1 } }, maxConcurrency: 2 });

    const copy = pipeline.clone();
    await copy();

    t.deepEqual(calls, ["b", "c", "a"]);
    t.is(copy.maxConcurrency, 2);
  });

  test(`configuring a clone leaves original [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);
    const copy = pipeline.clone();

    copy.configFromDict({ nodes: { a: { priority: 1 } }, maxConcurrency: 3 });
    await pipeline();
    t.deepEqual(calls, ["c", "a", "b"]);
    t.is(pipeline.maxConcurrency, 1);
    t.is(pipeline.getNodeById("a").priority, 0);

    calls.length = 0;
    await copy();
    t.deepEqual(calls, ["a", "c", "b"]);
  });

  test(`later configuration merges settings [${engine}]`, async (t) => {
    const { calls, pipeline } = grouped(engine);

    pipeline.configFromDict({ nodes: { a: { priority: 1 } } });
    pipeline.configFromDict({ nodes: { b: { priority: 2 } } });
    await pipeline();

    t.deepEqual(calls, ["b", "a", "c"]);
  });
}
