import fc from "fast-check";

import { type BehaviorName, type EngineKind, dag, xn } from "../../index.js";
import { garbageArbitrary } from "./fuzz.js";

/** How a generated node ends: a value, a promise of it, a throw, a rejection, or a pair to destructure. */
export type NodeEnding = "value" | "promise" | "throw" | "reject" | "pair";

/** One generated node. Parent picks and an `active` pick index the values made before it. */
export interface FuzzNode {
  readonly picks: readonly number[];
  readonly ending: NodeEnding;
  readonly priority: unknown;
  readonly isSequential: unknown;
  readonly resource: unknown;
  readonly active: { readonly constant: unknown } | { readonly pick: number } | undefined;
}

/** A generated DAG description with its options, its call's arguments and how it is called. */
export interface FuzzGraph {
  readonly parameters: number;
  readonly nodes: readonly FuzzNode[];
  readonly maxConcurrency: unknown;
  readonly behavior: unknown;
  readonly inputs: readonly unknown[];
  readonly mode: "await" | "runSync";
}

const behaviorNames = ["strict", "all-children", "permissive"];

/** One node option replaced by a garbage value. */
const corruptionArbitrary = fc.record({
  node: fc.nat(),
  option: fc.constantFrom("priority", "isSequential", "resource"),
  value: garbageArbitrary,
});

/**
 * Generates DAG descriptions of up to `maxNodes` nodes with valid options, except that one
 * graph in five has one node option replaced by garbage, and one in ten a garbage DAG option.
 */
export function fuzzGraphArbitrary(maxNodes: number): fc.Arbitrary<FuzzGraph> {
  const node = fc.record({
    picks: fc.array(fc.nat(), { maxLength: 3 }),
    ending: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom<NodeEnding>("value", "promise") },
      { weight: 1, arbitrary: fc.constantFrom<NodeEnding>("throw", "reject", "pair") },
    ),
    priority: fc.constantFrom(undefined, undefined, 0, 1, -1, 2 ** 53, 1e308, -1e308, -0, 0.5),
    isSequential: fc.constantFrom(undefined, undefined, undefined, false, true),
    resource: fc.constantFrom(undefined, "async", "main-thread"),
    active: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ constant: garbageArbitrary }) },
      { weight: 1, arbitrary: fc.record({ pick: fc.nat() }) },
    ),
  });
  return fc
    .record({
      parameters: fc.nat(3),
      nodes: fc.array(node, { minLength: 1, maxLength: maxNodes, size: "max" }),
      corruption: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: corruptionArbitrary },
      ),
      maxConcurrency: fc.oneof(
        { weight: 18, arbitrary: fc.constantFrom(undefined, 1, 2, 4, 2 ** 53, Number.POSITIVE_INFINITY) },
        { weight: 1, arbitrary: garbageArbitrary },
      ),
      behavior: fc.oneof(
        { weight: 18, arbitrary: fc.constantFrom(undefined, ...behaviorNames) },
        { weight: 1, arbitrary: garbageArbitrary },
      ),
      inputs: fc.array(garbageArbitrary, { maxLength: 3 }),
      mode: fc.constantFrom<FuzzGraph["mode"]>("await", "runSync"),
    })
    .map(({ corruption, ...graph }) => {
      const nodes = [...graph.nodes];
      if (corruption !== null) {
        const position = corruption.node % nodes.length;
        nodes[position] = { ...nodes[position]!, [corruption.option]: corruption.value };
      }
      return { ...graph, nodes, inputs: graph.inputs.slice(0, graph.parameters) };
    });
}

/** Maps any value to a number, so node functions never throw on what they receive. */
function fingerprint(value: unknown): number {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return 7;
    if (Object.is(value, -0)) return 11;
    return Number.isFinite(value) ? Math.abs(Math.round(value % 1_000_003)) : 13;
  }
  if (typeof value === "bigint") return Number(value % 1000n) + 17;
  if (typeof value === "string") return value.length + 19;
  if (typeof value === "boolean") return value ? 23 : 29;
  if (value === null) return 31;
  if (value === undefined) return 37;
  return typeof value === "symbol" ? 41 : 43;
}

/** Computes node `index`'s value from its inputs; one mix in five gives 0, a falsy `active` value. */
export function nodeValue(index: number, inputs: readonly unknown[]): number {
  let value = index + 1;
  for (const input of inputs) value = (value * 31 + fingerprint(input)) % 1_000_003;
  return value % 5 === 0 ? 0 : value;
}

/** Returns how a node ends in a run: runSync cannot await, so promises become plain values there. */
function endingIn(graph: FuzzGraph, node: FuzzNode): NodeEnding {
  if (graph.mode === "await") return node.ending;
  if (node.ending === "promise") return "value";
  return node.ending === "reject" ? "throw" : node.ending;
}

export function nodeErrorMessage(index: number): string {
  return `node ${index} failed`;
}

/** Returns whether the options of every node and of the DAG are valid by the documented rules. */
export function optionsValid(graph: FuzzGraph): boolean {
  const absent = (value: unknown) => value === undefined;
  const nodesValid = graph.nodes.every(
    (node) =>
      (absent(node.priority) || (typeof node.priority === "number" && Number.isFinite(node.priority))) &&
      (absent(node.isSequential) || typeof node.isSequential === "boolean") &&
      (absent(node.resource) || node.resource === "async" || node.resource === "main-thread"),
  );
  const { maxConcurrency, behavior } = graph;
  const concurrencyValid =
    absent(maxConcurrency) ||
    maxConcurrency === Number.POSITIVE_INFINITY ||
    (typeof maxConcurrency === "number" && Number.isInteger(maxConcurrency) && maxConcurrency >= 1);
  return nodesValid && concurrencyValid && (absent(behavior) || behaviorNames.includes(behavior as string));
}

/** How `runFuzzGraph` calls a generated DAG besides a plain call. */
export interface FuzzCall {
  /** Run through an execution with these options. */
  readonly executorOptions?: Record<string, unknown>;
  /** Apply this configuration with configFromDict first. */
  readonly config?: unknown;
}

/** Builds and calls the generated DAG on `engine`, in the way `call` selects. */
export function runFuzzGraph(graph: FuzzGraph, engine: Exclude<EngineKind, "auto">, call: FuzzCall = {}): unknown {
  const execNodes = graph.nodes.map((node, index) => {
    const ending = endingIn(graph, node);
    const options: Record<string, unknown> = { name: `n${index}` };
    if (node.priority !== undefined) options["priority"] = node.priority;
    if (node.isSequential !== undefined) options["isSequential"] = node.isSequential;
    if (node.resource !== undefined) options["resource"] = node.resource;
    return xn((...inputs: unknown[]) => {
      const value = nodeValue(index, inputs);
      if (ending === "throw") throw new Error(nodeErrorMessage(index));
      if (ending === "reject") return Promise.reject(new Error(nodeErrorMessage(index)));
      if (ending === "promise") return Promise.resolve(value);
      return ending === "pair" ? [value, value + 1] : value;
    }, options as never);
  });

  const parameterNames = Array.from({ length: graph.parameters }, (_, position) => `p${position}`);
  // A describing function with exactly `parameters` declared inputs, since dag() reads them.
  const describe = new Function(
    "body",
    `return function generated(${parameterNames.join(", ")}) { return body([${parameterNames.join(", ")}]); };`,
  )((args: unknown[]) => {
    const values: unknown[] = [...args];
    graph.nodes.forEach((node, index) => {
      const parents = values.length === 0 ? [] : node.picks.map((pick) => values[pick % values.length]);
      const callOptions: Record<string, unknown> = {};
      // An `active` pick before any value exists gates nothing, as the interpreter assumes.
      if (node.active !== undefined && "constant" in node.active) callOptions["active"] = node.active.constant;
      if (node.active !== undefined && "pick" in node.active && values.length > 0) {
        callOptions["active"] = values[node.active.pick % values.length];
      }
      if (node.ending === "pair") callOptions["unpackTo"] = 2;
      const call = Object.keys(callOptions).length === 0 ? execNodes[index]! : execNodes[index]!.with(callOptions);
      const result = call(...(parents as never[]));
      if (node.ending === "pair") values.push(...(result as unknown as unknown[]));
      else values.push(result);
    });
    return values.slice(args.length);
  }) as (...args: unknown[]) => unknown;

  const options: Record<string, unknown> = { engine };
  if (graph.maxConcurrency !== undefined) options["maxConcurrency"] = graph.maxConcurrency;
  if (graph.behavior !== undefined) options["behavior"] = graph.behavior;
  const pipeline = dag(describe, options as never);
  if (call.config !== undefined) pipeline.configFromDict(call.config);
  if (call.executorOptions !== undefined) return pipeline.executor(call.executorOptions)(...graph.inputs);
  return graph.mode === "runSync" ? pipeline.runSync(...graph.inputs) : pipeline(...graph.inputs);
}

type SlotState = "succeeded" | "failed" | "skipped" | "not-run";

/** What a generated DAG must do: resolve to `value`, or reject with one of `errors`' messages. */
export type Expectation =
  | { readonly resolves: true; readonly value: readonly unknown[] }
  | { readonly resolves: false; readonly messages: ReadonlySet<string> };

/**
 * Interprets a generated DAG sequentially, in description order (a topological order), by the
 * documented rules: a node is skipped when its `active` value is falsy or a dependency was
 * skipped (or failed, under "all-children"). Under "permissive" a failed node's value is
 * undefined for its dependents, and reading a key of it fails. Under "strict" the call
 * rejects with the error of a node that fails when nothing failed before it.
 *
 * With `selected` (by slot: the parameters, then the nodes of a graph without pairs), the
 * nodes outside the selection do not run: their value is undefined, and their dependents run.
 */
export function interpretFuzzGraph(graph: FuzzGraph, selected?: readonly boolean[]): Expectation {
  const behavior = (graph.behavior ?? "strict") as BehaviorName;
  const stopOnFailure = behavior !== "permissive";
  const states: SlotState[] = graph.inputs.map(() => "succeeded");
  const values: unknown[] = [...graph.inputs];
  for (let position = graph.inputs.length; position < graph.parameters; position += 1) {
    states.push("succeeded");
    values.push(undefined);
  }
  const failures = new Set<string>();

  graph.nodes.forEach((node, index) => {
    if (selected !== undefined && !selected[states.length]) {
      states.push("not-run");
      values.push(undefined);
      return;
    }
    const ending = endingIn(graph, node);
    const slots = states.length === 0 ? [] : node.picks.map((pick) => pick % states.length);
    const activeSlot = node.active !== undefined && "pick" in node.active && states.length > 0 ? node.active.pick % states.length : undefined;
    const dependencies = activeSlot === undefined ? slots : [...slots, activeSlot];

    let state: SlotState;
    let value: unknown;
    const blocked = dependencies.some(
      (slot) => states[slot] === "skipped" || (stopOnFailure && states[slot] === "failed"),
    );
    let active = true;
    // `active: undefined` is the same as no `active` option.
    if (node.active !== undefined && "constant" in node.active && node.active.constant !== undefined) {
      active = Boolean(node.active.constant);
    }
    if (activeSlot !== undefined) active = Boolean(values[activeSlot]);
    if (blocked || !active) {
      state = "skipped";
    } else if (ending === "throw" || ending === "reject") {
      state = "failed";
      failures.add(nodeErrorMessage(index));
    } else {
      state = "succeeded";
      value = nodeValue(index, slots.map((slot) => values[slot]));
    }

    if (ending !== "pair") {
      states.push(state);
      values.push(value);
      return;
    }
    for (const offset of [0, 1]) {
      if (state === "succeeded") {
        states.push("succeeded");
        values.push((value as number) + offset);
      } else {
        // A key read from a failed node fails under "permissive" and is skipped otherwise.
        states.push(state === "failed" && !stopOnFailure ? "failed" : "skipped");
        values.push(undefined);
      }
    }
  });

  if (behavior === "strict" && failures.size > 0) return { resolves: false, messages: failures };
  return { resolves: true, value: values.slice(graph.parameters) };
}

/** A subgraph selection by slot: the parameters, then the nodes of a graph without pairs. */
export interface FuzzSelection {
  readonly targets: readonly number[] | null;
  readonly excluded: readonly number[] | null;
  readonly roots: readonly number[] | null;
}

/** Returns the id of a slot: an argument node's id, or the id of the node's only use. */
function slotId(graph: FuzzGraph, slot: number): string {
  return slot < graph.parameters ? `generated>>>p${slot}` : `n${slot - graph.parameters}`;
}

/** Returns the executor options naming the slots of `selection` by id. */
export function selectionOptions(graph: FuzzGraph, selection: FuzzSelection): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const ids = (slots: readonly number[]) => slots.map((slot) => slotId(graph, slot));
  if (selection.targets !== null) options["targetNodes"] = ids(selection.targets);
  if (selection.excluded !== null) options["excludeNodes"] = ids(selection.excluded);
  if (selection.roots !== null) options["rootNodes"] = ids(selection.roots);
  return options;
}

/** Marks the slots reachable from `starts` through `edges` (parents or children), starts included. */
function reach(edges: readonly (readonly number[])[], starts: readonly number[]): boolean[] {
  const reached = edges.map(() => false);
  const pending = [...starts];
  for (const start of starts) reached[start] = true;
  while (pending.length > 0) {
    for (const next of edges[pending.pop()!]!) {
      if (reached[next]) continue;
      reached[next] = true;
      pending.push(next);
    }
  }
  return reached;
}

/**
 * Computes which slots a selection runs in a graph without pairs, by the documented rules. The
 * roots and their descendants are kept, the excluded nodes and their descendants removed, and
 * then the targets and their ancestors kept. Argument nodes always run. Returns "invalid" where
 * executor() must raise a TawaziUsageError: a root with a parent that is not a DAG input, or a
 * target that the other selections removed.
 */
export function selectedSlots(graph: FuzzGraph, selection: FuzzSelection): boolean[] | "invalid" {
  const parents: number[][] = Array.from({ length: graph.parameters }, () => []);
  graph.nodes.forEach((node) => {
    const count = parents.length;
    const slots = count === 0 ? [] : node.picks.map((pick) => pick % count);
    if (node.active !== undefined && "pick" in node.active && count > 0) slots.push(node.active.pick % count);
    parents.push([...new Set(slots)]);
  });
  const children: number[][] = parents.map(() => []);
  parents.forEach((list, slot) => list.forEach((parent) => children[parent]!.push(slot)));

  let mask = parents.map(() => true);
  if (selection.roots !== null) {
    const notRoot = selection.roots.some((root) => parents[root]!.some((parent) => parent >= graph.parameters));
    if (notRoot) return "invalid";
    const reached = reach(children, selection.roots);
    mask = mask.map((kept, slot) => kept && reached[slot]!);
  }
  if (selection.excluded !== null && selection.excluded.length > 0) {
    const removed = reach(children, selection.excluded);
    mask = mask.map((kept, slot) => kept && !removed[slot]);
  }
  if (selection.targets !== null) {
    if (selection.targets.some((target) => !mask[target])) return "invalid";
    const needed = reach(parents, selection.targets);
    mask = mask.map((kept, slot) => kept && needed[slot]!);
  }
  return mask.map((kept, slot) => kept || slot < graph.parameters);
}
