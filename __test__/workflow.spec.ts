import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import test from "ava";

import { TawaziUsageError } from "../index.js";
import { buildSalesPipeline, latencyMs, measureDemo } from "../examples/demo.js";
import {
  type ReplayReport,
  type Workflow,
  computeBounds,
  loadWorkflow,
  parseWorkflow,
  replayWorkflow,
} from "../examples/workflow.js";
import { checkUnhandled } from "./hazards/unhandled.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const instancesDir = path.resolve(repoRoot, "../shared/data/wfinstances");

let tempDir = "";

test.before(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), "tawazi-workflow-"));
});

test.after.always(async () => {
  if (tempDir !== "") await rm(tempDir, { recursive: true, force: true });
});

async function writeInstance(name: string, content: unknown): Promise<string> {
  const file = path.join(tempDir, name);
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

interface TaskSketch {
  id?: string;
  parents?: string[];
  children?: string[];
  runtime?: number;
}

/** Builds a WfFormat 1.5 document. A task without `runtime` gets no execution entry. */
function instance(tasks: TaskSketch[]): object {
  return {
    name: "sketch",
    schemaVersion: "1.5",
    workflow: {
      specification: {
        tasks: tasks.map((task) => ({
          name: task.id ?? "unnamed",
          ...(task.id === undefined ? {} : { id: task.id }),
          parents: task.parents ?? [],
          children: task.children ?? [],
        })),
      },
      execution: {
        tasks: tasks
          .filter((task) => task.runtime !== undefined)
          .map((task) => ({ id: task.id, runtimeInSeconds: task.runtime })),
      },
    },
  };
}

/** a -> b, a -> c, b -> d, c -> d, with runtimes of 1, 2, 3 and 1 seconds. */
const diamond: TaskSketch[] = [
  { id: "a", children: ["b", "c"], runtime: 1 },
  { id: "b", parents: ["a"], children: ["d"], runtime: 2 },
  { id: "c", parents: ["a"], children: ["d"], runtime: 3 },
  { id: "d", parents: ["b", "c"], runtime: 1 },
];

function parentsOf(workflow: Workflow): Record<string, readonly string[]> {
  return Object.fromEntries(workflow.tasks.map((task) => [task.id, task.parents]));
}

test("loader reads WfFormat 1.5 instance", async (t) => {
  const file = await writeInstance("diamond.json", instance(diamond));
  const workflow = await loadWorkflow(file);

  t.is(workflow.name, "sketch");
  t.deepEqual(
    workflow.tasks.map((task) => task.id),
    ["a", "b", "c", "d"],
  );
  t.deepEqual(parentsOf(workflow), { a: [], b: ["a"], c: ["a"], d: ["b", "c"] });
  t.deepEqual(
    workflow.tasks.map((task) => task.runtimeSeconds),
    [1, 2, 3, 1],
  );
  t.is(workflow.edgeCount, 4);
});

test("loader reads older layout", (t) => {
  const workflow = parseWorkflow({
    workflow: {
      tasks: [
        { name: "join", parents: ["left", "right"], runtime: 4 },
        { name: "left", runtimeInSeconds: 1.5 },
        { name: "right", id: "right", runtime: 0 },
      ],
    },
  });

  t.deepEqual(
    workflow.tasks.map((task) => task.id),
    ["left", "right", "join"],
  );
  t.deepEqual(
    workflow.tasks.map((task) => task.runtimeSeconds),
    [1.5, 0, 4],
  );
  t.is(workflow.edgeCount, 2);
});

test("loader joins one-sided links", (t) => {
  const workflow = parseWorkflow(
    instance([
      { id: "a", children: ["b"], runtime: 1 },
      { id: "b", runtime: 1 },
      { id: "c", parents: ["b"], runtime: 1 },
      { id: "d", parents: ["a"], children: [], runtime: 1 },
    ]),
  );

  t.deepEqual(parentsOf(workflow), { a: [], b: ["a"], c: ["b"], d: ["a"] });
  t.is(workflow.edgeCount, 3);
});

test("bounds of diamond instance", (t) => {
  const workflow = parseWorkflow(instance(diamond));
  const bounds = computeBounds(workflow, { concurrency: 2, timeScale: 0.01 });

  t.is(bounds.totalWorkMs, 70);
  t.is(bounds.criticalPathMs, 50);
  t.is(bounds.workPerSlotMs, 35);
  t.is(bounds.lowerBoundMs, 50);
});

interface BadInstance {
  title: string;
  content: unknown;
  /** Texts the message must contain besides the file name. */
  mentions: string[];
}

const badInstances: BadInstance[] = [
  { title: "text that is not JSON", content: '{"workflow": ', mentions: ["not valid JSON"] },
  {
    title: "a missing task list",
    content: { workflow: { specification: {} } },
    mentions: ["workflow.specification.tasks"],
  },
  {
    title: "a task without id",
    content: instance([{ id: "a", runtime: 1 }, { runtime: 1 }]),
    mentions: ["task #2", "no id"],
  },
  {
    title: "a duplicate id",
    content: instance([
      { id: "a", runtime: 1 },
      { id: "b", runtime: 1 },
      { id: "a", runtime: 2 },
    ]),
    mentions: ['"a"', "#1", "#3"],
  },
  {
    title: "an unknown parent",
    content: instance([
      { id: "a", runtime: 1 },
      { id: "b", parents: ["a", "ghost"], runtime: 1 },
    ]),
    mentions: ['task "b"', '"ghost"'],
  },
  {
    title: "an unknown child",
    content: instance([{ id: "a", children: ["ghost"], runtime: 1 }]),
    mentions: ['task "a"', '"ghost"'],
  },
  {
    title: "a missing runtime",
    content: instance([{ id: "a", runtime: 1 }, { id: "b", parents: ["a"] }]),
    mentions: ['task "b"', "runtimeInSeconds"],
  },
  {
    title: "a negative runtime",
    content: instance([{ id: "a", runtime: -1 }]),
    mentions: ['task "a"', "-1"],
  },
  {
    title: "a cycle",
    content: instance([
      { id: "x", runtime: 1 },
      { id: "a", parents: ["c", "x"], runtime: 1 },
      { id: "b", parents: ["a"], runtime: 1 },
      { id: "c", parents: ["b"], runtime: 1 },
    ]),
    mentions: ["b -> c -> a -> b"],
  },
  {
    title: "a task that is its own parent",
    content: instance([{ id: "a", parents: ["a"], runtime: 1 }]),
    mentions: ["a -> a"],
  },
];

for (const [position, bad] of badInstances.entries()) {
  test(`loader rejects ${bad.title}`, async (t) => {
    const file = await writeInstance(`bad-${position}.json`, bad.content);
    const error = await t.throwsAsync(loadWorkflow(file), { instanceOf: TawaziUsageError });

    t.true(error.message.startsWith(`${file}: `), error.message);
    for (const text of bad.mentions) t.true(error.message.includes(text), error.message);
  });
}

test("loader rejects missing file", async (t) => {
  const file = path.join(tempDir, "absent.json");
  const error = await t.throwsAsync(loadWorkflow(file), { instanceOf: TawaziUsageError });

  t.true(error.message.includes(file), error.message);
});

/** Lists every way the replay broke the workflow's order, counts or data flow. */
function scheduleViolations(workflow: Workflow, report: ReplayReport): string[] {
  const violations: string[] = [];
  for (const task of workflow.tasks) {
    const span = report.spans.get(task.id);
    if (span === undefined) {
      violations.push(`${task.id} never ran`);
      continue;
    }
    if (span.runs !== 1) violations.push(`${task.id} ran ${span.runs} times`);
    if (span.inputs.join() !== task.parents.join()) {
      violations.push(`${task.id} received ${span.inputs.join()}`);
    }
    for (const parent of task.parents) {
      const parentSpan = report.spans.get(parent);
      if (parentSpan === undefined || span.start < parentSpan.end) {
        violations.push(`${task.id} started before its parent ${parent} ended`);
      }
    }
  }
  return violations;
}

test.serial("replay overlaps independent tasks", async (t) => {
  const workflow = parseWorkflow(instance(diamond));
  const report = await checkUnhandled(t, () =>
    replayWorkflow(workflow, { concurrency: 2, timeScale: 0.01 }),
  );
  const b = report.spans.get("b")!;
  const c = report.spans.get("c")!;

  t.deepEqual(scheduleViolations(workflow, report), []);
  t.true(b.start < c.end && c.start < b.end, "b and c should run at the same time");
  t.is(report.peakRunning, 2);
  t.deepEqual(report.leaves, ["d"]);
  t.true(report.makespanMs >= 50, `makespan ${report.makespanMs} ms`);
});

test.serial("replay with concurrency one", async (t) => {
  const workflow = parseWorkflow(instance(diamond));
  const report = await checkUnhandled(t, () =>
    replayWorkflow(workflow, { concurrency: 1, timeScale: 0.01 }),
  );

  t.deepEqual(scheduleViolations(workflow, report), []);
  t.is(report.peakRunning, 1);
  t.true(report.makespanMs >= 70, `makespan ${report.makespanMs} ms`);
});

test("demo pipeline returns exact sales", async (t) => {
  const report = await checkUnhandled(t, () => buildSalesPipeline(6)());

  t.deepEqual(report.rows, [
    { name: "Amina", country: "KE", orders: 2, totalCents: 16_250 },
    { name: "Bruno", country: "BR", orders: 2, totalCents: 8_429 },
    { name: "Chen", country: "CN", orders: 3, totalCents: 18_385 },
  ]);
  t.deepEqual(report.summary, { customers: 3, orders: 7, revenueCents: 43_064, topCustomer: "Chen" });
});

test.serial("demo runs faster in parallel", async (t) => {
  const [sequential, parallel] = await checkUnhandled(t, () => measureDemo([1, 6]));
  const fetchesMs = 3 * latencyMs.customer + 3 * latencyMs.orders;

  t.deepEqual(parallel!.report, sequential!.report);
  // Generous: timers may fire up to 1 ms early, and the parallel run needs about 40 ms of 210.
  t.true(sequential!.wallMs >= 0.9 * fetchesMs, `sequential ${sequential!.wallMs} ms`);
  t.true(
    parallel!.wallMs < 0.75 * sequential!.wallMs,
    `parallel ${parallel!.wallMs} ms, sequential ${sequential!.wallMs} ms`,
  );
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import=tsx", "examples/main.ts", ...args],
      { cwd: repoRoot },
      (error, stdout, stderr) => {
        let code = 0;
        if (error !== null) code = typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test("cli replays a workflow file", async (t) => {
  const file = await writeInstance("cli-diamond.json", instance(diamond));
  const result = await runCli([
    "--workflow",
    file,
    "--concurrency",
    "2",
    "--time-scale",
    "0.001",
  ]);

  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^workflow {2,}sketch \(cli-diamond\.json\)$/m);
  t.regex(result.stdout, /^tasks {2,}4$/m);
  t.regex(result.stdout, /^edges {2,}4$/m);
  t.regex(result.stdout, /^concurrency {2,}2$/m);
  t.regex(result.stdout, /^critical path {2,}5\.0 ms$/m);
  t.regex(result.stdout, /^total work \/ concurrency {2,}3\.5 ms$/m);
  t.regex(result.stdout, /^lower bound {2,}5\.0 ms$/m);
  t.regex(result.stdout, /^makespan {2,}\d+\.\d ms$/m);
  t.regex(result.stdout, /^makespan \/ lower bound {2,}\d+\.\d{3}$/m);
  t.regex(result.stdout, /^peak running {2,}2$/m);
});

const badCommandLines: { args: string[]; message: string }[] = [
  {
    args: ["--workflow", "x.json", "--concurrency", "0"],
    message: 'error: --concurrency must be an integer >= 1, received "0"; pass e.g. --concurrency 4.\n',
  },
  {
    args: ["--workflow", "x.json", "--time-scale", "-1"],
    message: 'error: --time-scale must be a positive number, received "-1"; pass e.g. --time-scale 0.001.\n',
  },
  {
    args: ["--workflow"],
    message: "error: --workflow needs a file; pass it as --workflow path/to/instance.json.\n",
  },
  {
    args: ["--speed", "2"],
    message: 'error: unknown option "--speed"; run with --help to list the options.\n',
  },
];

for (const bad of badCommandLines) {
  test(`cli rejects ${bad.args.join(" ")}`, async (t) => {
    const result = await runCli(bad.args);

    t.is(result.code, 2);
    t.is(result.stderr, bad.message);
    t.is(result.stdout, "");
  });
}

test("cli reports library errors briefly", async (t) => {
  const file = await writeInstance("cli-cycle.json", instance([{ id: "a", parents: ["a"], runtime: 1 }]));
  const result = await runCli(["--workflow", file]);

  t.is(result.code, 1);
  t.true(result.stderr.startsWith(`TawaziUsageError: ${file}: the tasks form a cycle`), result.stderr);
  t.is(result.stderr.split("\n").length, 2, result.stderr);
});

/** Target lower bound of each instance replay: long enough to measure, short enough for CI. */
const replayTargetMs = 250;
const replayConcurrency = 4;

if (existsSync(instancesDir)) {
  const files = readdirSync(instancesDir).filter((name) => name.endsWith(".json")).sort();
  for (const name of files) {
    test.serial(`replay of ${name}`, async (t) => {
      const workflow = await loadWorkflow(path.join(instancesDir, name));
      const unscaled = computeBounds(workflow, { concurrency: replayConcurrency, timeScale: 1 });
      const timeScale = replayTargetMs / unscaled.lowerBoundMs;
      const report = await checkUnhandled(t, () =>
        replayWorkflow(workflow, { concurrency: replayConcurrency, timeScale }),
      );
      const hasChildren = new Set(workflow.tasks.flatMap((task) => task.parents));

      t.is(report.spans.size, workflow.tasks.length);
      t.deepEqual(scheduleViolations(workflow, report), []);
      t.true(report.peakRunning <= replayConcurrency, `peak ${report.peakRunning}`);
      // Each task waits until an absolute deadline, never less than its runtime, so the
      // makespan cannot undercut the bound and no tolerance is needed.
      t.true(
        report.makespanMs >= report.lowerBoundMs,
        `makespan ${report.makespanMs} ms, lower bound ${report.lowerBoundMs} ms`,
      );
      t.deepEqual(
        report.leaves,
        workflow.tasks.filter((task) => !hasChildren.has(task.id)).map((task) => task.id),
      );
    });
  }
} else {
  test.skip(`replay of WfCommons instances: skipped, no folder at ${instancesDir}`, () => {});
}
