/**
 * Replays a loaded workflow with tawazi: every task becomes a node that waits for its
 * recorded runtime, scaled, and the makespan is compared with the lower bound of any schedule
 * with the same concurrency limit. On request the run is profiled and returned as a timeline
 * in Trace Event JSON, which writeTraceFile saves for Perfetto or chrome://tracing.
 */
import { randomUUID } from "node:crypto";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { performance } from "node:perf_hooks";

import { type ChromeTrace, TawaziUsageError, type Traced, dag, xn } from "../index.js";
import type { Workflow } from "./workflow.js";

/** Options of a replay: the concurrency limit, the factor applied to recorded runtimes, tracing. */
export interface ReplayOptions {
  /** The DAG's maxConcurrency, an integer ≥ 1. */
  readonly concurrency: number;
  /** Milliseconds waited per recorded millisecond: 0.001 turns 1 s into 1 ms. */
  readonly timeScale: number;
  /**
   * Run through a profiled DAGExecution and return its timeline as `report.trace`.
   * @default false
   */
  readonly trace?: boolean;
  /**
   * The order of ready tasks: `"description"` runs them in the file's order, and
   * `"critical-path"` runs first the task with the longest chain of runtimes still ahead of it.
   * @default "description"
   */
  readonly order?: ReplayOrder;
}

export type ReplayOrder = "description" | "critical-path";

/** Lower bounds of any schedule's makespan, in milliseconds of scaled runtime. */
export interface WorkflowBounds {
  /** Sum of all scaled runtimes. */
  readonly totalWorkMs: number;
  /** Longest path of summed scaled runtimes from a root task to a leaf task. */
  readonly criticalPathMs: number;
  /** Total work divided by the concurrency. */
  readonly workPerSlotMs: number;
  /** The larger of the critical path and the work per slot. */
  readonly lowerBoundMs: number;
}

function scaledMs(runtimeSeconds: number, timeScale: number): number {
  return runtimeSeconds * timeScale * 1000;
}

/** The maximum delay setTimeout accepts (2^31 - 1 ms, about 24.8 days). */
const maxWaitMs = 2 ** 31 - 1;

function checkTimeScale(timeScale: number): void {
  if (!(Number.isFinite(timeScale) && timeScale > 0)) {
    throw new TawaziUsageError(
      `replay: timeScale must be a positive number, received ${timeScale}.`,
    );
  }
}

/** Computes the bounds of `workflow` replayed with `options`. */
export function computeBounds(workflow: Workflow, options: ReplayOptions): WorkflowBounds {
  checkTimeScale(options.timeScale);
  for (const task of workflow.tasks) {
    const waitMs = scaledMs(task.runtimeSeconds, options.timeScale);
    if (!(waitMs <= maxWaitMs)) {
      throw new TawaziUsageError(
        `replay: task "${task.id}" would wait ${waitMs} ms (runtime ${task.runtimeSeconds} s × ` +
          `time scale ${options.timeScale}), more than the ${maxWaitMs} ms a timer allows; ` +
          "lower the time scale.",
      );
    }
  }
  const finish = new Map<string, number>();
  let totalWorkMs = 0;
  let criticalPathMs = 0;
  for (const task of workflow.tasks) {
    const duration = scaledMs(task.runtimeSeconds, options.timeScale);
    // A loop, not Math.max(...parents): a task may have more parents than a call accepts arguments.
    let ready = 0;
    for (const parent of task.parents) ready = Math.max(ready, finish.get(parent)!);
    finish.set(task.id, ready + duration);
    totalWorkMs += duration;
    criticalPathMs = Math.max(criticalPathMs, ready + duration);
  }
  const workPerSlotMs = totalWorkMs / options.concurrency;
  return {
    totalWorkMs,
    criticalPathMs,
    workPerSlotMs,
    lowerBoundMs: Math.max(criticalPathMs, workPerSlotMs),
  };
}

/**
 * Returns each task's priority such that its compound priority (its own plus the compound
 * priorities of its children) equals its bottom level: its scaled runtime plus the longest
 * chain of scaled runtimes after it. Ready tasks then go longest-remaining-path first, the
 * critical-path rule of list scheduling.
 */
export function criticalPathPriorities(workflow: Workflow, timeScale: number): Map<string, number> {
  const children = new Map<string, string[]>(workflow.tasks.map((task) => [task.id, []]));
  for (const task of workflow.tasks) for (const parent of task.parents) children.get(parent)!.push(task.id);

  const bottomLevel = new Map<string, number>();
  const priorities = new Map<string, number>();
  // Tasks are in topological order, so every child of a task comes after it.
  for (let index = workflow.tasks.length - 1; index >= 0; index -= 1) {
    const task = workflow.tasks[index]!;
    let longestAfter = 0;
    let childLevels = 0;
    for (const child of children.get(task.id)!) {
      longestAfter = Math.max(longestAfter, bottomLevel.get(child)!);
      childLevels += bottomLevel.get(child)!;
    }
    const level = scaledMs(task.runtimeSeconds, timeScale) + longestAfter;
    bottomLevel.set(task.id, level);
    priorities.set(task.id, level - childLevels);
  }
  return priorities;
}

/**
 * Computes the makespan, in scaled milliseconds, of the schedule tawazi follows when no time
 * is lost: whenever fewer than `concurrency` tasks run, the ready task with the highest
 * compound priority starts, ties going to the earlier task. The replay's measured makespan
 * over this one is the overhead, and this one over the lower bound is what the order costs.
 */
export function simulateReplay(workflow: Workflow, options: Omit<ReplayOptions, "trace">): number {
  const { tasks } = workflow;
  const indexOf = new Map(tasks.map((task, index) => [task.id, index]));
  const children: number[][] = tasks.map(() => []);
  const waiting = tasks.map((task) => task.parents.length);
  tasks.forEach((task, index) => {
    for (const parent of task.parents) children[indexOf.get(parent)!]!.push(index);
  });
  // Compound priorities, in one pass from the last task: every child comes after its parents.
  const priorities = options.order === "critical-path" ? criticalPathPriorities(workflow, options.timeScale) : undefined;
  const rank = new Array<number>(tasks.length).fill(0);
  for (let index = tasks.length - 1; index >= 0 && priorities !== undefined; index -= 1) {
    rank[index] = priorities.get(tasks[index]!.id)!;
    for (const child of children[index]!) rank[index]! += rank[child]!;
  }

  const ready: number[] = [];
  for (let index = 0; index < tasks.length; index += 1) if (waiting[index] === 0) ready.push(index);
  const running: { end: number; task: number }[] = [];
  let now = 0;
  while (ready.length > 0 || running.length > 0) {
    ready.sort((a, b) => rank[b]! - rank[a]! || a - b);
    while (running.length < options.concurrency && ready.length > 0) {
      const task = ready.shift()!;
      running.push({ end: now + scaledMs(tasks[task]!.runtimeSeconds, options.timeScale), task });
    }
    running.sort((a, b) => a.end - b.end || a.task - b.task);
    const { end, task } = running.shift()!;
    now = end;
    for (const child of children[task]!) {
      waiting[child]! -= 1;
      if (waiting[child] === 0) ready.push(child);
    }
  }
  return now;
}

/** When one task ran, in performance.now() milliseconds, and what it received. */
export interface TaskSpan {
  readonly start: number;
  readonly end: number;
  /** How many times the task's node was called. */
  readonly runs: number;
  /** The values its node received from its parents, in the order of `parents`. */
  readonly inputs: readonly string[];
}

/** The outcome of one replay. */
export interface ReplayReport extends WorkflowBounds, Omit<ReplayOptions, "trace"> {
  readonly workflow: string;
  /** The workflow's file, or the label of an in-memory instance. */
  readonly source: string;
  readonly tasks: number;
  readonly edges: number;
  /** Wall time of the whole DAG call. */
  readonly makespanMs: number;
  /** Makespan divided by the lower bound. */
  readonly ratio: number;
  /** Maximum number of task nodes running at once. */
  readonly peakRunning: number;
  readonly spans: ReadonlyMap<string, TaskSpan>;
  /** The DAG's result: the ids of the tasks without children, in topological order. */
  readonly leaves: readonly string[];
  /**
   * The run's timeline when `options.trace` was set: one "X" event per task, named by task id,
   * with the node id in `args.node`. Times are microseconds from the first task's start.
   */
  readonly trace?: ChromeTrace;
}

/**
 * Resolves at `deadline`, a performance.now() time, and never before. Node's timers count
 * from the event loop's cached time, so they can fire early (by up to 0.7 ms measured on
 * Node 20), and they round shorter delays up to 1 ms. So the last 2 ms are polled with
 * setImmediate, which keeps the CPU busy for that time.
 */
function sleepUntil(deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      const remaining = deadline - performance.now();
      if (remaining <= 0) resolve();
      else if (remaining > 2) setTimeout(check, remaining - 2);
      else setImmediate(check);
    };
    check();
  });
}

/**
 * Replays `workflow` as a tawazi DAG with `maxConcurrency` = `options.concurrency`. Each task
 * is one use of the `task` ExecNode, tagged with the task id, that receives its parents'
 * results and waits for its scaled runtime.
 */
export async function replayWorkflow(
  workflow: Workflow,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const bounds = computeBounds(workflow, options);
  const durations = new Map(
    workflow.tasks.map((task) => [task.id, scaledMs(task.runtimeSeconds, options.timeScale)]),
  );
  const spans = new Map<string, TaskSpan>();
  let running = 0;
  let peakRunning = 0;

  const replayTask = async function task(id: string, inputs: readonly string[]): Promise<string> {
    const start = performance.now();
    running += 1;
    peakRunning = Math.max(peakRunning, running);
    await sleepUntil(start + durations.get(id)!);
    running -= 1;
    const runs = (spans.get(id)?.runs ?? 0) + 1;
    spans.set(id, { start, end: performance.now(), runs, inputs });
    return id;
  };
  const plainTask = xn(replayTask);
  const priorities = options.order === "critical-path" ? criticalPathPriorities(workflow, options.timeScale) : undefined;
  // A priority belongs to an ExecNode, so the critical-path order makes one per task.
  const taskNode = (id: string) =>
    priorities === undefined ? plainTask : xn(replayTask, { priority: priorities.get(id)! });

  const hasChildren = new Set(workflow.tasks.flatMap((entry) => entry.parents));
  const leaves = workflow.tasks.filter((entry) => !hasChildren.has(entry.id));
  const pipeline = dag(
    function replay() {
      const results = new Map<string, Traced<string>>();
      for (const entry of workflow.tasks) {
        const inputs = entry.parents.map((parent) => results.get(parent)!);
        results.set(entry.id, taskNode(entry.id).with({ tag: entry.id })(entry.id, inputs));
      }
      return leaves.map((leaf) => results.get(leaf.id)!);
    },
    { maxConcurrency: options.concurrency },
  );

  const execution = options.trace === true ? pipeline.executor({ profile: true }) : undefined;
  const started = performance.now();
  const leafResults = execution === undefined ? await pipeline() : await execution();
  const makespanMs = performance.now() - started;

  let trace: ChromeTrace | undefined;
  if (execution !== undefined) {
    const taskOfNode = new Map<string, string>();
    for (const entry of workflow.tasks) {
      for (const node of pipeline.getNodesByTag(entry.id)) taskOfNode.set(node.id, entry.id);
    }
    trace = nameEventsByTask(execution.toChromeTrace(), taskOfNode, workflow.name);
  }

  return {
    workflow: workflow.name,
    source: workflow.source,
    tasks: workflow.tasks.length,
    edges: workflow.edgeCount,
    concurrency: options.concurrency,
    timeScale: options.timeScale,
    order: options.order ?? "description",
    ...bounds,
    makespanMs,
    ratio: makespanMs / bounds.lowerBoundMs,
    peakRunning,
    spans,
    leaves: leafResults,
    ...(trace === undefined ? {} : { trace }),
  };
}

/**
 * Renames the events of `trace` from node ids (`task`, `task<<1>>`, ...) to the ids of the tasks
 * those nodes replay, and names the process after the workflow.
 */
function nameEventsByTask(
  trace: ChromeTrace,
  taskOfNode: ReadonlyMap<string, string>,
  workflowName: string,
): ChromeTrace {
  const traceEvents = trace.traceEvents.map((event) => {
    if (event.ph === "M") return { ...event, args: { name: workflowName } };
    const taskId = taskOfNode.get(event.name);
    if (taskId === undefined) return event;
    return { ...event, name: taskId, args: { ...event.args, node: event.name } };
  });
  return { ...trace, traceEvents };
}

/** Counts the "X" events of `trace`, one per task that ran. */
export function countTraceEvents(trace: ChromeTrace): number {
  return trace.traceEvents.filter((event) => event.ph === "X").length;
}

/** A trace file that cannot be written; the message names the path, the reason and the fix. */
export class TraceFileError extends Error {
  override name = "TraceFileError";
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? String(error) : code;
}

/**
 * Checks that a trace file can be created at `path` before a replay spends time running: its
 * folder exists and `path` is not a folder. Throws a TraceFileError otherwise.
 */
export async function checkTracePath(path: string): Promise<void> {
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory() === true) {
    throw new TraceFileError(
      `cannot write the trace to ${path}: it is a folder; pass a file path such as ` +
        `${join(path, "trace.json")}.`,
    );
  }
  const folder = dirname(path);
  let folderStats;
  try {
    folderStats = await stat(folder);
  } catch (error) {
    const code = describeFsError(error);
    const reason = code === "ENOENT" ? "does not exist" : `cannot be read (${code})`;
    throw new TraceFileError(
      `cannot write the trace to ${path}: folder ${folder} ${reason}; create it or choose another path.`,
      { cause: error },
    );
  }
  if (!folderStats.isDirectory()) {
    throw new TraceFileError(
      `cannot write the trace to ${path}: ${folder} is not a folder; choose another path.`,
    );
  }
}

/**
 * Writes `trace` as JSON to `path` atomically: to a temporary file in the same folder, then
 * renamed over `path`, so a reader never sees a partial file. Throws a TraceFileError when the
 * file cannot be written, and leaves no temporary file behind.
 */
export async function writeTraceFile(path: string, trace: ChromeTrace): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, JSON.stringify(trace), { flag: "wx" });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new TraceFileError(
      `cannot write the trace to ${path} (${describeFsError(error)}); choose a writable file path.`,
      { cause: error },
    );
  }
}

/**
 * Formats a replay report as aligned `label  value` lines, with a `trace` line when the report
 * has a trace and `tracePath` names the file it was written to.
 */
export function formatReplay(report: ReplayReport, tracePath?: string): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const rows: [string, string][] = [
    ["workflow", `${report.workflow} (${basename(report.source)})`],
    ["tasks", String(report.tasks)],
    ["edges", String(report.edges)],
    ["concurrency", String(report.concurrency)],
    ["time scale", `${report.timeScale} (1 s of recorded runtime = ${ms(report.timeScale * 1000)})`],
    ["order", report.order ?? "description"],
    ["makespan", ms(report.makespanMs)],
    ["critical path", ms(report.criticalPathMs)],
    ["total work / concurrency", ms(report.workPerSlotMs)],
    ["lower bound", ms(report.lowerBoundMs)],
    ["makespan / lower bound", report.ratio.toFixed(3)],
    ["peak running", String(report.peakRunning)],
  ];
  if (report.trace !== undefined && tracePath !== undefined) {
    rows.push(["trace", `${tracePath} (${countTraceEvents(report.trace)} events)`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}
