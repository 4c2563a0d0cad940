import { createHash } from "node:crypto";
import { serialize } from "node:v8";

import { TawaziCacheError, TawaziUsageError, describeValue } from "../errors.js";
import { NodeKind } from "../graph/flags.js";
import { NodeState } from "../engine/scheduler.js";
import {
  type CacheContents,
  readCacheFile,
  serializeInputs,
  structureKey,
  writeCacheFile,
} from "../run/cache.js";
import { type ChromeTrace, type NodeProfile, toChromeTrace } from "../run/profile.js";
import type { Program } from "../run/program.js";
import type { Run, Settlement } from "../run/run.js";
import type { Alias } from "./aliases.js";
import type { DagCore, IdSelection } from "./dag-core.js";
import { type DAG, coreOf, refuseWhileDescribing } from "./dag.js";
import {
  type DagRunOptions,
  type RunLimitOptions,
  runOptionKeys,
  validateRunOptions,
} from "./run-options.js";
import { OpaqueConstant, Template } from "./template.js";
import { TracedRef } from "./traced.js";
import { checkKeys, checkOptionsObject, validateBoolean } from "./validate.js";

/**
 * Options of `pipeline.executor(options)` and `new DAGExecution(pipeline, options)`. The
 * `signal` and `timeout` apply to the execution's call and to `execution.setup()`.
 */
export interface ExecutorOptions extends DagRunOptions {
  /** Run only these nodes and their ancestors (`[]` runs nothing). */
  targetNodes?: readonly Alias[];
  /** Remove these nodes and all their descendants. */
  excludeNodes?: readonly Alias[];
  /** Run only these nodes and their descendants; each must depend only on DAG inputs. */
  rootNodes?: readonly Alias[];
  /**
   * Run these nodes and their ancestors, and cache the results of their strict ancestors (not
   * theirs, nor the DAG inputs) in `cacheIn`. Cannot be combined with the three above.
   */
  cacheDepsOf?: readonly Alias[];
  /** Write the results to this file after the run. */
  cacheIn?: string;
  /** Load results from this file and skip the nodes it has results for. */
  fromCache?: string;
  /**
   * Record a profile of every node.
   * @default cfg.TAWAZI_PROFILE_ALL_NODES
   */
  profile?: boolean;
}

/** The final state of a node in an execution, with the reason. */
export type NodeStatus =
  | { readonly state: "succeeded" }
  | { readonly state: "failed"; readonly error: unknown }
  | {
      readonly state: "skipped";
      readonly reason: "inactive" | "dependency-skipped" | "dependency-failed" | "excluded";
      /** The id of the dependency that was skipped or failed. */
      readonly cause?: string;
    }
  | {
      readonly state: "not-run";
      readonly reason: "outside-subgraph" | "run-stopped" | "not-called";
    }
  /** While the execution's call is in progress: the node runs, or waits for its dependencies or a slot. */
  | { readonly state: "running" }
  | { readonly state: "pending" };

const executorOptionKeys = [
  "targetNodes",
  "excludeNodes",
  "rootNodes",
  "cacheDepsOf",
  "cacheIn",
  "fromCache",
  "profile",
  ...runOptionKeys,
] as const;

/**
 * One run of a DAG, kept for inspection: results of every node, statuses, errors, profiles.
 * Callable once: `await execution(...args)`.
 */
export class DAGExecution<A extends unknown[] = unknown[], R = unknown> {
  declare private readonly state: ExecutionState;

  constructor(pipeline: DAG<A, R>, options: ExecutorOptions = {}) {
    const state = new ExecutionState(coreOf(pipeline), options);
    const execution = function (...args: unknown[]): Promise<unknown> {
      return state.call(args);
    };
    Object.setPrototypeOf(execution, new.target.prototype);
    Object.defineProperty(execution, "state", { value: state });
    Object.defineProperty(execution, "name", { value: `${state.core.name}.execution` });
    return execution as unknown as DAGExecution<A, R>;
  }

  /** Results by node id, in description order; `undefined` for nodes that did not succeed. */
  get results(): Map<string, unknown> {
    return this.state.resultsById();
  }

  /** Errors of failed nodes by id; non-strict behaviours record failures here instead of throwing. */
  get errors(): Map<string, unknown> {
    return this.state.errorsById();
  }

  /** Profiles of the nodes that ran, by id; empty unless profiling was on. */
  get profiles(): Map<string, NodeProfile> {
    return this.state.profilesById();
  }

  /** Returns the result of the single node `alias` names. */
  resultOf(alias: Alias): unknown {
    const { run, node } = this.state.locate(alias, "resultOf()");
    return run?.results[node];
  }

  /** Returns where the single node `alias` names ended up, and why. */
  status(alias: Alias): NodeStatus {
    const { run, node } = this.state.locate(alias, "status()");
    return this.state.statusOf(run, node);
  }

  /** Runs the setup nodes this execution's subgraph needs, keeping their results. */
  setup(): Promise<void> {
    return this.state.setup();
  }

  /** Returns the run as Trace Event JSON, which Perfetto and chrome://tracing show as a timeline. */
  toChromeTrace(): ChromeTrace {
    return toChromeTrace(this.state.core.name, this.profiles);
  }
}
Object.setPrototypeOf(DAGExecution.prototype, Function.prototype);

// The call signature of an execution, merged into the class's instance type.
export interface DAGExecution<A extends unknown[] = unknown[], R = unknown> {
  (...args: A): Promise<R>;
}

/** Validated options and the one run of an execution. */
class ExecutionState {
  readonly selection: IdSelection | undefined;
  private readonly where: string;
  private readonly cacheDepsOf: readonly string[] | undefined;
  private readonly cacheIn: string | undefined;
  private readonly fromCache: string | undefined;
  private readonly profile: boolean | undefined;
  private readonly limits: RunLimitOptions;
  private called = false;
  private run: Run | undefined;
  private program: Program | undefined;

  constructor(
    readonly core: DagCore,
    options: ExecutorOptions,
  ) {
    this.where = `${core.name}.executor()`;
    const where = this.where;
    checkOptionsObject(where, options);
    checkKeys(where, "option", options, executorOptionKeys);

    const aliases = core.aliasIndex();
    const ids = core.traced.program.graph.ids;
    const toIds = (option: keyof ExecutorOptions): string[] | undefined => {
      const value = options[option];
      if (value === undefined) return undefined;
      return aliases.resolveAll(value, where, option).map((node) => ids[node]!);
    };

    const targets = toIds("targetNodes");
    const excluded = toIds("excludeNodes");
    const roots = toIds("rootNodes");
    this.cacheDepsOf = toIds("cacheDepsOf");

    if (this.cacheDepsOf !== undefined) {
      if (targets !== undefined || excluded !== undefined || roots !== undefined) {
        throw new TawaziUsageError(
          `${where}: cacheDepsOf cannot be combined with targetNodes, excludeNodes or rootNodes; ` +
            "it selects the named nodes and their ancestors itself.",
        );
      }
      if (options.cacheIn === undefined) {
        throw new TawaziUsageError(`${where}: cacheDepsOf needs cacheIn, the file to write.`);
      }
      this.selection = { targets: this.cacheDepsOf };
    } else if (targets !== undefined || excluded !== undefined || roots !== undefined) {
      this.selection = { targets, excluded, roots };
    }

    this.cacheIn = checkPath(where, "cacheIn", options.cacheIn);
    this.fromCache = checkPath(where, "fromCache", options.fromCache);
    this.profile = options.profile === undefined ? undefined : validateBoolean(where, "profile", options.profile);
    this.limits = validateRunOptions(where, options);

    // Selection problems (a non-root in rootNodes, an excluded target) surface here, not at call.
    core.maskFor(core.traced.program, this.selection, where);
  }

  call(args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      refuseWhileDescribing(this.core, "execution()");
      if (this.called) {
        throw new TawaziUsageError(
          `${this.core.name}: this DAGExecution was already called; an execution runs once. ` +
            "Make a new one with pipeline.executor(options).",
        );
      }
      this.called = true;

      if (this.cacheIn !== undefined) serializeInputs(args, `${this.core.name}: cacheIn`);
      const preset = this.fromCache === undefined ? undefined : this.loadCache(args);
      const run = this.core.run(args, false, this.core.name, {
        selection: this.selection,
        preset,
        profile: this.profile,
        ...this.limits,
      });
      this.run = run;
      this.program = this.core.programFor(args, this.core.name);
      run.onSettle = (settlement: Settlement) => {
        if (!settlement.ok) {
          reject(settlement.error);
          return;
        }
        try {
          if (this.cacheIn !== undefined) this.writeCache(args);
        } catch (error) {
          reject(error);
          return;
        }
        resolve(settlement.value);
      };
      run.start();
    });
  }

  setup(): Promise<void> {
    return new Promise((resolve, reject) => {
      const run = this.core.run([], false, `${this.core.name}.execution.setup()`, {
        selection: { ...this.selection, setupOnly: true },
        profile: false,
        ...this.limits,
      });
      run.onSettle = (settlement: Settlement) => {
        if (settlement.ok) resolve();
        else reject(settlement.error);
      };
      run.start();
    });
  }

  /** Finds the run and node index of the single node `alias` names. */
  locate(alias: Alias, method: string): { run: Run | undefined; node: number } {
    const where = `${this.core.name}.execution.${method}`;
    const node = this.core.aliasIndex().resolveOne(alias, where, this.core.traced.program.graph.ids);
    if (this.program === undefined || this.program === this.core.traced.program) {
      return { run: this.run, node };
    }
    // A call with defaulted parameters ran a variant program: map the node by its id.
    const id = this.core.traced.program.graph.ids[node]!;
    return { run: this.run, node: this.core.idIndex(this.program).get(id) ?? -1 };
  }

  statusOf(run: Run | undefined, node: number): NodeStatus {
    if (run === undefined || node === -1) return { state: "not-run", reason: "not-called" };
    const states = run.schedule.states;
    switch (states[node]) {
      case NodeState.succeeded:
        return { state: "succeeded" };
      case NodeState.failed:
        return { state: "failed", error: run.errors.get(node) };
      case NodeState.skippedInactive:
        return { state: "skipped", reason: "inactive" };
      case NodeState.skippedDependency:
        return this.skipCause(run, node);
      default: {
        if (run.settlement === undefined && states[node] !== NodeState.notRun) {
          return states[node] === NodeState.running ? { state: "running" } : { state: "pending" };
        }
        const reason = this.notRunReason(run, node);
        return reason === "excluded" ? { state: "skipped", reason } : { state: "not-run", reason };
      }
    }
  }

  private skipCause(run: Run, node: number): NodeStatus {
    const graph = this.program!.graph;
    const states = run.schedule.states;
    for (let edge = graph.parentOffsets[node]!; edge < graph.parentOffsets[node + 1]!; edge += 1) {
      const parent = graph.parents[edge]!;
      const state = states[parent];
      if (state === NodeState.failed) {
        return { state: "skipped", reason: "dependency-failed", cause: graph.ids[parent]! };
      }
      if (state === NodeState.skippedInactive || state === NodeState.skippedDependency) {
        return { state: "skipped", reason: "dependency-skipped", cause: graph.ids[parent]! };
      }
    }
    return { state: "skipped", reason: "dependency-skipped" };
  }

  private notRunReason(run: Run, node: number): "excluded" | "outside-subgraph" | "run-stopped" {
    const program = this.program!;
    // The mask of the run itself: debug nodes in or out as cfg.RUN_DEBUG_NODES was when it started.
    const mask = run.plan.mask;
    if (mask === null || mask[node] === 1) return "run-stopped";
    const excluded = this.selection?.excluded;
    if (excluded !== undefined && this.isDescendantOfAny(program, node, excluded)) return "excluded";
    return "outside-subgraph";
  }

  private isDescendantOfAny(program: Program, node: number, ids: readonly string[]): boolean {
    const index = this.core.idIndex(program);
    const sources = new Set(ids.map((id) => index.get(id)));
    const graph = program.graph;
    const stack = [node];
    const seen = new Set<number>([node]);
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (sources.has(current)) return true;
      for (let edge = graph.parentOffsets[current]!; edge < graph.parentOffsets[current + 1]!; edge += 1) {
        const parent = graph.parents[edge]!;
        if (!seen.has(parent)) {
          seen.add(parent);
          stack.push(parent);
        }
      }
    }
    return false;
  }

  resultsById(): Map<string, unknown> {
    const results = new Map<string, unknown>();
    const program = this.program ?? this.core.traced.program;
    const run = this.run;
    for (let node = 0; node < program.graph.size; node += 1) {
      results.set(program.graph.ids[node]!, run?.results[node]);
    }
    return results;
  }

  errorsById(): Map<string, unknown> {
    const errors = new Map<string, unknown>();
    if (this.run === undefined) return errors;
    for (const [node, error] of this.run.errors) errors.set(this.program!.graph.ids[node]!, error);
    return errors;
  }

  profilesById(): Map<string, NodeProfile> {
    const profiles = new Map<string, NodeProfile>();
    if (this.run?.profiles === undefined) return profiles;
    const ids = this.program!.graph.ids;
    const sorted = [...this.run.profiles.entries()].sort(([a], [b]) => a - b);
    for (const [node, profile] of sorted) profiles.set(ids[node]!, profile);
    return profiles;
  }

  /**
   * Returns the key a cache file must match: the graph's structure, and what else decides the
   * results for equal inputs: each call node's function source and constant arguments.
   */
  private structure(program: Program): string {
    const graph = program.graph;
    const hash = createHash("sha256");
    hash.update(structureKey(graph.ids, graph.parentOffsets, graph.parents));
    for (let node = 0; node < graph.size; node += 1) {
      if (program.kinds[node] !== NodeKind.call) continue;
      hash.update(`\0node ${node}\0${program.fns[node]!.toString()}\0`);
      for (const entry of program.payloads[node] as readonly unknown[]) {
        hash.update(constantKey(entry));
        hash.update("\0");
      }
    }
    return hash.digest("hex");
  }

  private loadCache(args: readonly unknown[]): ReadonlyMap<string, unknown> {
    const where = `${this.core.name}: fromCache`;
    const contents = readCacheFile(this.fromCache!, where);
    const program = this.core.programFor(args, this.core.name);
    if (contents.structure !== this.structure(program)) {
      throw new TawaziCacheError(
        `${where}: ${this.fromCache} was written by a different DAG ("${contents.dag}", or an ` +
          "earlier version of this one); delete it or write a new one with cacheIn.",
      );
    }
    if (!Buffer.from(contents.inputs).equals(Buffer.from(serializeInputs(args, where)))) {
      throw new TawaziCacheError(
        `${where}: ${this.fromCache} contains results for other inputs than this call's; ` +
          "call with the same arguments or write a new cache with cacheIn.",
      );
    }
    return contents.results;
  }

  private writeCache(args: readonly unknown[]): void {
    const where = `${this.core.name}: cacheIn`;
    const run = this.run!;
    const program = this.program!;
    const graph = program.graph;
    const states = run.schedule.states;
    const named = new Set(this.cacheDepsOf ?? []);
    const results = new Map<string, unknown>();
    for (let node = 0; node < graph.size; node += 1) {
      if (states[node] !== NodeState.succeeded) continue;
      if (program.kinds[node] === NodeKind.argument) continue;
      if (named.has(graph.ids[node]!)) continue;
      results.set(graph.ids[node]!, run.results[node]);
    }
    const contents: CacheContents = {
      dag: this.core.name,
      structure: this.structure(program),
      inputs: serializeInputs(args, where),
      results,
    };
    writeCacheFile(this.cacheIn!, contents, where);
  }
}

/** Bytes standing for an argument entry: a reference by index, a constant by its serialization. */
function constantKey(entry: unknown): Uint8Array | string {
  if (entry instanceof TracedRef) return `ref ${entry.index}`;
  // NOTE: a Proxy constant is keyed by its kind only, so changing it does not invalidate a cache.
  if (entry instanceof OpaqueConstant) return "proxy constant";
  if (entry instanceof Template) {
    const constants = constantKey(entry.constants);
    const text = typeof constants === "string" ? constants : Buffer.from(constants).toString("base64");
    return `template ${entry.describeSlots()} ${text}`;
  }
  if (typeof entry === "function") return `function ${entry.toString()}`;
  try {
    return serialize(entry);
  } catch {
    // NOTE: a constant that node:v8 cannot serialize is keyed by its type only.
    return `unserializable ${describeValue(entry)}`;
  }
}

function checkPath(where: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && value !== "") return value;
  throw new TawaziUsageError(
    `${where}: option ${option} must be a file path (a non-empty string), received ${describeValue(value)}.`,
  );
}
