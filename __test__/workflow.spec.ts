import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import test from "ava";

import { type ChromeTrace, TawaziUsageError } from "../index.js";
import { buildSalesPipeline, latencyMs, measureDemo } from "../examples/demo.js";
import {
  type ReplayReport,
  type Workflow,
  TraceFileError,
  computeBounds,
  criticalPathPriorities,
  loadWorkflow,
  parseWorkflow,
  simulateReplay,
  replayWorkflow,
  writeTraceFile,
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

/** Three independent tasks of 1, 1 and 4 seconds. */
const unevenTasks: TaskSketch[] = [
  { id: "x", runtime: 1 },
  { id: "y", runtime: 1 },
  { id: "z", runtime: 4 },
];

test("critical-path priorities of diamond", (t) => {
  const priorities = criticalPathPriorities(parseWorkflow(instance(diamond)), 0.01);

  // Compound priorities then equal the bottom levels: a 50, b 30, c 40, d 10.
  t.deepEqual(Object.fromEntries(priorities), { a: -20, b: 20, c: 30, d: 10 });
});

test("simulated replay of uneven tasks", (t) => {
  const workflow = parseWorkflow(instance(unevenTasks));
  const options = { concurrency: 2, timeScale: 0.01 };

  t.is(simulateReplay(workflow, { ...options, order: "description" }), 50);
  t.is(simulateReplay(workflow, { ...options, order: "critical-path" }), 40);
  t.is(simulateReplay(parseWorkflow(instance(diamond)), { ...options, order: "critical-path" }), 50);
});

test("critical-path replay starts longest first", async (t) => {
  const workflow = parseWorkflow(instance(unevenTasks));
  const report = await replayWorkflow(workflow, { concurrency: 1, timeScale: 0.001, order: "critical-path" });
  const starts = ["x", "y", "z"].map((id) => report.spans.get(id)!.start);

  t.true(starts[2]! < starts[0]!);
  t.true(starts[0]! < starts[1]!);
  t.is(report.order, "critical-path");
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
  t.regex(result.stdout, /^order {2,}description$/m);
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
    args: ["--workflow", "x.json", "--order", "fastest"],
    message:
      'error: --order must be description or critical-path, received "fastest"; pass e.g. --order critical-path.\n',
  },
  {
    args: ["--order", "critical-path"],
    message: "error: --order applies to a workflow replay; add --workflow FILE.json.\n",
  },
  {
    args: ["--workflow"],
    message: "error: --workflow needs a file; pass it as --workflow path/to/instance.json.\n",
  },
  {
    args: ["--workflow", "x.json", "--trace"],
    message: "error: --trace needs a file; pass it as --trace path/to/trace.json.\n",
  },
  {
    args: ["--workflow", "x.json", "--trace", "--concurrency", "2"],
    message: "error: --trace needs a file; pass it as --trace path/to/trace.json.\n",
  },
  {
    args: ["--trace", "trace.json"],
    message: "error: --trace applies to a workflow replay; add --workflow FILE.json.\n",
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

type TraceEvent = ChromeTrace["traceEvents"][number];

/** Returns the "X" events of `trace`, each with its end time in microseconds. */
function taskEvents(trace: ChromeTrace): (TraceEvent & { end: number })[] {
  return trace.traceEvents
    .filter((event) => event.ph === "X")
    .map((event) => ({ ...event, end: event.ts + event.dur! }));
}

/**
 * Tolerance for comparing trace times. They are differences of performance.now() values scaled
 * to microseconds, so float rounding can misorder two equal instants by far less than 1 ns.
 */
const roundingUs = 1e-3;

/** Lists every way a trace breaks the workflow's runtimes, order or one-task-per-track layout. */
function traceViolations(workflow: Workflow, trace: ChromeTrace, timeScale: number): string[] {
  const violations: string[] = [];
  const events = taskEvents(trace);
  const byName = new Map(events.map((event) => [event.name, event]));

  for (const task of workflow.tasks) {
    const event = byName.get(task.id);
    if (event === undefined) continue;
    const runtimeUs = task.runtimeSeconds * timeScale * 1e6;
    if (event.dur! < runtimeUs - roundingUs) {
      violations.push(`${task.id} lasted ${event.dur} µs, less than its runtime ${runtimeUs} µs`);
    }
    for (const parent of task.parents) {
      const parentEvent = byName.get(parent);
      if (parentEvent === undefined || event.ts < parentEvent.end - roundingUs) {
        violations.push(`${task.id} started before its parent ${parent} ended`);
      }
    }
  }

  const byTrack = new Map<number, typeof events>();
  for (const event of events) {
    byTrack.set(event.tid, [...(byTrack.get(event.tid) ?? []), event]);
  }
  for (const [tid, track] of byTrack) {
    track.sort((a, b) => a.ts - b.ts);
    for (let position = 1; position < track.length; position += 1) {
      const previous = track[position - 1]!;
      const current = track[position]!;
      if (current.ts < previous.end - roundingUs) {
        violations.push(`${previous.name} and ${current.name} overlap on track ${tid}`);
      }
    }
  }
  return violations;
}

/** Lists the temporary files that writing `traceFile` left in its folder. */
async function leftoverTemporaryFiles(traceFile: string): Promise<string[]> {
  const prefix = `.${path.basename(traceFile)}.`;
  const names = await readdir(path.dirname(traceFile));
  return names.filter((name) => name.startsWith(prefix) && name.endsWith(".tmp"));
}

function sortedTaskIds(workflow: Workflow): string[] {
  return workflow.tasks.map((task) => task.id).sort();
}

test("cli writes a trace file", async (t) => {
  const file = await writeInstance("trace-diamond.json", instance(diamond));
  const traceFile = path.join(tempDir, "diamond-trace.json");
  const timeScale = 0.005;
  const result = await runCli([
    "--workflow",
    file,
    "--concurrency",
    "2",
    "--time-scale",
    String(timeScale),
    "--trace",
    traceFile,
  ]);

  t.is(result.code, 0, result.stderr);
  const traceLine = result.stdout.split("\n").find((line) => line.startsWith("trace "));
  t.is(traceLine?.replace(/^trace +/, ""), `${traceFile} (4 events)`);
  const trace = JSON.parse(await readFile(traceFile, "utf8")) as ChromeTrace;
  const workflow = parseWorkflow(instance(diamond));
  const names = taskEvents(trace).map((event) => event.name);

  t.deepEqual(names.sort(), sortedTaskIds(workflow));
  t.deepEqual(traceViolations(workflow, trace, timeScale), []);
  t.is(trace.displayTimeUnit, "ms");
  t.deepEqual(await leftoverTemporaryFiles(traceFile), []);
});

test("cli overwrites an existing trace", async (t) => {
  const chain = instance([
    { id: "first", children: ["second"], runtime: 1 },
    { id: "second", runtime: 1 },
  ]);
  const file = await writeInstance("trace-chain.json", chain);
  const traceFile = path.join(tempDir, "chain-trace.json");
  await writeFile(traceFile, "stale");
  const result = await runCli(["--workflow", file, "--trace", traceFile]);
  const trace = JSON.parse(await readFile(traceFile, "utf8")) as ChromeTrace;

  t.is(result.code, 0, result.stderr);
  t.deepEqual(
    taskEvents(trace).map((event) => event.name),
    ["first", "second"],
  );
});

const unwritableTraces: { title: string; target: () => string; mentions: string }[] = [
  { title: "a folder", target: () => tempDir, mentions: "it is a folder" },
  {
    title: "a missing folder",
    target: () => path.join(tempDir, "absent", "trace.json"),
    mentions: "does not exist",
  },
];

for (const unwritable of unwritableTraces) {
  test(`cli rejects trace path to ${unwritable.title}`, async (t) => {
    const name = `trace-${unwritable.title.replaceAll(" ", "-")}.json`;
    const file = await writeInstance(name, instance(diamond));
    const target = unwritable.target();
    const result = await runCli(["--workflow", file, "--trace", target]);

    t.is(result.code, 1);
    t.true(result.stderr.startsWith(`error: cannot write the trace to ${target}: `), result.stderr);
    t.true(result.stderr.includes(unwritable.mentions), result.stderr);
    t.is(result.stderr.split("\n").length, 2, result.stderr);
    t.is(result.stdout, "");
  });
}

test("trace writer rejects a folder", async (t) => {
  const folder = path.join(tempDir, "trace-folder");
  await mkdir(folder);
  const trace: ChromeTrace = { traceEvents: [], displayTimeUnit: "ms" };
  const error = await t.throwsAsync(writeTraceFile(folder, trace), { instanceOf: TraceFileError });

  t.true(error.message.includes(folder), error.message);
  t.deepEqual(await leftoverTemporaryFiles(folder), []);
});

test.serial("replay returns trace when asked", async (t) => {
  const workflow = parseWorkflow(instance(diamond));
  const timeScale = 0.01;
  const report = await checkUnhandled(t, () =>
    replayWorkflow(workflow, { concurrency: 2, timeScale, trace: true }),
  );
  const events = taskEvents(report.trace!);
  const b = events.find((event) => event.name === "b")!;
  const c = events.find((event) => event.name === "c")!;

  t.deepEqual(events.map((event) => event.name).sort(), ["a", "b", "c", "d"]);
  t.deepEqual(traceViolations(workflow, report.trace!, timeScale), []);
  t.not(b.tid, c.tid);
  t.deepEqual(scheduleViolations(workflow, report), []);
  t.deepEqual(report.leaves, ["d"]);
});

test.serial("replay without trace option", async (t) => {
  const workflow = parseWorkflow(instance(diamond));
  const report = await checkUnhandled(t, () =>
    replayWorkflow(workflow, { concurrency: 2, timeScale: 0.001 }),
  );

  t.is(report.trace, undefined);
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
        replayWorkflow(workflow, { concurrency: replayConcurrency, timeScale, trace: true }),
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
      t.deepEqual(
        taskEvents(report.trace!).map((event) => event.name).sort(),
        sortedTaskIds(workflow),
      );
      t.deepEqual(traceViolations(workflow, report.trace!, timeScale), []);
    });
  }
} else {
  test.skip(`replay of WfCommons instances: skipped, no folder at ${instancesDir}`, () => {});
}
