/**
 * Loads and validates WfCommons workflow instances, and re-exports the replay and trace
 * writing of ./replay.ts.
 *
 * Two layouts are read: WfFormat 1.5 (tasks in `workflow.specification.tasks`, runtimes in
 * `workflow.execution.tasks[].runtimeInSeconds`, matched by id) and the older one where each
 * entry of `workflow.tasks` carries `runtimeInSeconds` or `runtime` itself. Every problem in
 * the file is a TawaziUsageError whose message names the file and the task.
 */
import { readFile } from "node:fs/promises";

import { TawaziUsageError } from "../index.js";

/** One task of a loaded workflow. */
export interface WorkflowTask {
  readonly id: string;
  readonly name: string;
  /** Ids of the tasks it depends on: its own `parents` joined with every task listing it as a child. */
  readonly parents: readonly string[];
  readonly runtimeSeconds: number;
}

/** A validated workflow, its tasks in a topological order (each task after all its parents). */
export interface Workflow {
  readonly name: string;
  /** The file it was read from, or a label for an in-memory instance. Error messages start with it. */
  readonly source: string;
  readonly tasks: readonly WorkflowTask[];
  readonly edgeCount: number;
}

/** Reads and validates the WfCommons instance at `path`. */
export async function loadWorkflow(path: string): Promise<Workflow> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new TawaziUsageError(
      `${path}: cannot read the workflow file (${(error as Error).message}); check the path.`,
      { cause: error },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TawaziUsageError(
      `${path}: not valid JSON (${(error as Error).message}); a WfCommons instance is a JSON file.`,
      { cause: error },
    );
  }
  return parseWorkflow(document, path);
}

/** Validates a parsed WfCommons instance. Error messages start with `source`. */
export function parseWorkflow(document: unknown, source = "<workflow>"): Workflow {
  const root = asRecord(document);
  const workflow = asRecord(root?.workflow);
  const specification = asRecord(workflow?.specification);
  const isCurrentLayout = Array.isArray(specification?.tasks);
  const rawTasks = isCurrentLayout ? specification!.tasks : workflow?.tasks;
  if (!Array.isArray(rawTasks)) {
    throw new TawaziUsageError(
      `${source}: no task list found; expected an array at workflow.specification.tasks ` +
        "(WfFormat 1.5) or at workflow.tasks (older WfFormat).",
    );
  }

  const executionRuntimes = isCurrentLayout ? readExecutionRuntimes(workflow!, source) : undefined;
  const drafts = rawTasks.map((raw, position) =>
    readTask(raw, position, source, isCurrentLayout, executionRuntimes),
  );
  const byId = new Map<string, TaskDraft>();
  for (const draft of drafts) {
    const previous = byId.get(draft.id);
    if (previous !== undefined) {
      throw new TawaziUsageError(
        `${source}: duplicate task id "${draft.id}" (tasks #${previous.position + 1} and ` +
          `#${draft.position + 1}); every task needs its own id.`,
      );
    }
    byId.set(draft.id, draft);
  }

  const parents = linkParents(drafts, byId, source);
  const order = topologicalOrder(drafts, parents, source);
  let edgeCount = 0;
  for (const list of parents.values()) edgeCount += list.length;

  const tasks = order.map((draft) => ({
    id: draft.id,
    name: draft.name,
    parents: parents.get(draft.id)!,
    runtimeSeconds: draft.runtimeSeconds,
  }));
  const name = typeof root?.name === "string" && root.name !== "" ? root.name : source;
  return { name, source, tasks, edgeCount };
}

interface TaskDraft {
  readonly id: string;
  readonly name: string;
  readonly position: number;
  readonly parents: readonly string[];
  readonly children: readonly string[];
  readonly runtimeSeconds: number;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Shows a received value in a message, shortened to one line. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Maps task ids to `runtimeInSeconds` from `workflow.execution.tasks` (WfFormat 1.5). */
function readExecutionRuntimes(workflow: Record<string, unknown>, source: string): Map<string, unknown> {
  const runtimes = new Map<string, unknown>();
  const entries = asRecord(workflow.execution)?.tasks;
  if (entries === undefined) return runtimes;
  if (!Array.isArray(entries)) {
    throw new TawaziUsageError(
      `${source}: workflow.execution.tasks must be an array, received ${show(entries)}.`,
    );
  }
  for (const entry of entries) {
    const record = asRecord(entry);
    if (typeof record?.id === "string") runtimes.set(record.id, record.runtimeInSeconds);
  }
  return runtimes;
}

function readTask(
  raw: unknown,
  position: number,
  source: string,
  isCurrentLayout: boolean,
  executionRuntimes: Map<string, unknown> | undefined,
): TaskDraft {
  const record = asRecord(raw);
  if (record === undefined) {
    throw new TawaziUsageError(
      `${source}: task #${position + 1} must be an object, received ${show(raw)}.`,
    );
  }

  // The older layout identified tasks by name; WfFormat 1.5 requires an id.
  const id = isCurrentLayout ? record.id : (record.id ?? record.name);
  if (typeof id !== "string" || id === "") {
    const named = typeof record.name === "string" ? ` (name "${record.name}")` : "";
    throw new TawaziUsageError(
      `${source}: task #${position + 1}${named} has no id; give it a non-empty string "id".`,
    );
  }
  const name = typeof record.name === "string" ? record.name : id;

  const runtime = executionRuntimes?.get(id) ?? record.runtimeInSeconds ?? record.runtime;
  if (runtime === undefined || runtime === null) {
    const place = isCurrentLayout ? "its workflow.execution.tasks entry" : "the task";
    throw new TawaziUsageError(
      `${source}: task "${id}" has no runtime; add runtimeInSeconds to ${place}.`,
    );
  }
  if (typeof runtime !== "number" || !Number.isFinite(runtime) || runtime < 0) {
    throw new TawaziUsageError(
      `${source}: task "${id}" has an invalid runtime ${show(runtime)}; ` +
        "expected a number of seconds ≥ 0.",
    );
  }

  return {
    id,
    name,
    position,
    parents: readIdList(record.parents, "parents", id, source),
    children: readIdList(record.children, "children", id, source),
    runtimeSeconds: runtime,
  };
}

function readIdList(value: unknown, field: string, id: string, source: string): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((entry) => typeof entry === "string")) return value;
  throw new TawaziUsageError(
    `${source}: task "${id}": ${field} must be an array of task ids, received ${show(value)}.`,
  );
}

/**
 * Joins each task's `parents` with the tasks that list it in `children`, so a link written on
 * one side only still counts. A link to an id that is not a task is an error.
 */
function linkParents(
  drafts: readonly TaskDraft[],
  byId: ReadonlyMap<string, TaskDraft>,
  source: string,
): Map<string, string[]> {
  const parents = new Map<string, Set<string>>(drafts.map((draft) => [draft.id, new Set()]));
  for (const draft of drafts) {
    for (const parent of draft.parents) {
      if (!byId.has(parent)) {
        throw new TawaziUsageError(
          `${source}: task "${draft.id}" lists parent "${parent}", which is not a task of this workflow.`,
        );
      }
      parents.get(draft.id)!.add(parent);
    }
    for (const child of draft.children) {
      if (!byId.has(child)) {
        throw new TawaziUsageError(
          `${source}: task "${draft.id}" lists child "${child}", which is not a task of this workflow.`,
        );
      }
      parents.get(child)!.add(draft.id);
    }
  }
  return new Map([...parents].map(([id, set]) => [id, [...set]]));
}

/**
 * Orders tasks parents first by Kahn's algorithm, ties in file order. A cycle raises an error
 * that lists it.
 */
function topologicalOrder(
  drafts: readonly TaskDraft[],
  parents: ReadonlyMap<string, readonly string[]>,
  source: string,
): TaskDraft[] {
  const byId = new Map(drafts.map((draft) => [draft.id, draft]));
  const children = new Map<string, string[]>(drafts.map((draft) => [draft.id, []]));
  const waiting = new Map<string, number>();
  for (const [id, list] of parents) {
    waiting.set(id, list.length);
    for (const parent of list) children.get(parent)!.push(id);
  }

  const order = drafts.filter((draft) => waiting.get(draft.id) === 0);
  for (let next = 0; next < order.length; next += 1) {
    for (const child of children.get(order[next]!.id)!) {
      const count = waiting.get(child)! - 1;
      waiting.set(child, count);
      if (count === 0) order.push(byId.get(child)!);
    }
  }
  if (order.length === drafts.length) return order;

  const cycle = findCycle(waiting, parents);
  throw new TawaziUsageError(
    `${source}: the tasks form a cycle: ${cycle.join(" -> ")}. A workflow must be acyclic; ` +
      "remove one of these parent/child links.",
  );
}

/**
 * Returns one cycle, parent to child, among the tasks Kahn's algorithm could not order. Each
 * of them still waits for a parent that is also unordered, so walking up parents must repeat.
 */
function findCycle(
  waiting: ReadonlyMap<string, number>,
  parents: ReadonlyMap<string, readonly string[]>,
): string[] {
  const unordered = (id: string) => waiting.get(id)! > 0;
  const start = [...waiting.keys()].find(unordered)!;
  const path: string[] = [];
  const seenAt = new Map<string, number>();
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    current = parents.get(current)!.find(unordered)!;
  }
  const loop = path.slice(seenAt.get(current)!).reverse();
  return [...loop, loop[0]!];
}

export {
  type ReplayOptions,
  type ReplayOrder,
  type ReplayReport,
  type TaskSpan,
  type WorkflowBounds,
  TraceFileError,
  checkTracePath,
  computeBounds,
  countTraceEvents,
  criticalPathPriorities,
  formatReplay,
  replayWorkflow,
  simulateReplay,
  writeTraceFile,
} from "./replay.js";
