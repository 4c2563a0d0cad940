import { type EngineKind, engineKinds } from "../config.js";
import { TawaziUsageError, describeValue } from "../errors.js";
import { type RenderOptions, renderDot, renderMermaid } from "../graph/render.js";
import { schedulerFor } from "../engine/select.js";
import type { Settlement } from "../run/run.js";
import type { Alias } from "./aliases.js";
import { currentBuilder } from "./builder.js";
import { type ComposeOptions, composeCore } from "./compose.js";
import {
  type DagRunOptions,
  type RunLimitOptions,
  runOptionKeys,
  validateRunOptions,
} from "./run-options.js";
import { callSite } from "./exec-node.js";
import { parseDagConfig, readConfigDocument } from "./config-file.js";
import { type BehaviorName, DagCore, type NodeInfo, behaviorNames } from "./dag-core.js";
import { DAGExecution, type ExecutorOptions } from "./execution.js";
import { readParameters } from "./parameters.js";
import { traceProgram } from "./program-builder.js";
import type { Resolved, Traceable, Traced } from "./traced.js";
import {
  checkKeys,
  checkOptionsObject,
  closestMatches,
  isRevokedProxy,
  validateChoice,
  validateMaxConcurrency,
} from "./validate.js";

export type { BehaviorName, NodeInfo } from "./dag-core.js";
export type { DagRunOptions } from "./run-options.js";

/** Options of `dag(describe, options)`. */
export interface DagOptions {
  /**
   * The DAG's name, prefix of its argument ids (`name>>>param`).
   * @default describe.name
   */
  name?: string;
  /**
   * Most nodes running at once. Async nodes count; main-thread nodes, argument nodes and
   * lookups do not. An integer ≥ 1, or Infinity.
   * @default 1
   */
  maxConcurrency?: number;
  /**
   * The response to a node failure. `"strict"`: start nothing more and reject with the node's
   * own error. `"all-children"`: skip the failed node's descendants and run the rest.
   * `"permissive"`: run everything; the failed node's result is `undefined` for its dependents.
   * @default "strict"
   */
  behavior?: BehaviorName;
  /**
   * The scheduler engine.
   * @default cfg.TAWAZI_ENGINE
   */
  engine?: EngineKind;
}

/** Options of a sub-DAG call through `sub.with(options)`. */
export interface SubDagOptions {
  /** Every node of the inlined sub-DAG runs only when this value is truthy (besides its own `active`). */
  active?: unknown;
}

type TraceableArgs<A extends readonly unknown[]> = { [K in keyof A]: Traceable<A[K]> };

/**
 * The traced values a sub-DAG call returns inside a describing function. It is `any` when the
 * DAG's return type is unknown, so that every DAG is assignable to the plain `DAG` type.
 */
export type Retraced<R, Absent = never> = unknown extends R
  ? any
  : R extends readonly unknown[]
    ? { [K in keyof R]: Traced<R[K], Absent> }
    : R extends (...args: never[]) => unknown
      ? Traced<R, Absent>
      : R extends object
        ? { [K in keyof R]: Traced<R[K], Absent> }
        : Traced<R, Absent>;

/** Options of `pipeline.setup(options)`. */
export interface SetupOptions extends DagRunOptions {
  /** Run only the setup nodes these nodes need; all setup nodes by default. */
  targetNodes?: readonly Alias[];
}

const dagOptionKeys = ["name", "maxConcurrency", "behavior", "engine"] as const;


const coreKey: unique symbol = Symbol("tawazi.dag");

export function coreOf(value: unknown): DagCore {
  const core = (value as { [coreKey]?: DagCore } | null)?.[coreKey];
  if (core === undefined) {
    throw new TawaziUsageError("this method must be called on a DAG made by dag(describe)");
  }
  return core;
}

/** Normalises Tawazi 0.6's `dag>!>param` argument alias to `dag>>>param`. */
function normalizeId(id: string): string {
  return id.replace(">!>", ">>>");
}

/**
 * A DAG made by `dag(describe)`: callable, always returning a promise of the describing
 * function's return value with traced values replaced by results.
 */
export class DAG<A extends unknown[] = unknown[], R = unknown> {
  declare private readonly [coreKey]: DagCore;
  declare readonly __types?: (args: A) => R;

  private constructor() {
    throw new TawaziUsageError("DAGs are made by dag(describe, options), not with new DAG()");
  }

  /** The nodes in description order, by id. */
  get nodes(): ReadonlyMap<string, NodeInfo> {
    return coreOf(this).nodeInfos();
  }

  get maxConcurrency(): number {
    return coreOf(this).maxConcurrency;
  }

  get behavior(): BehaviorName {
    return coreOf(this).behavior;
  }

  /**
   * Runs the DAG without promises. Every node must be synchronous: a node returning a thenable
   * makes it throw a TawaziUsageError.
   */
  runSync(...args: A): R {
    return runSynchronously(coreOf(this), "runSync()", {}, args) as R;
  }

  /**
   * Runs the DAG like `runSync`, with a signal and a time limit. Both are checked between
   * nodes, because a synchronous run cannot be interrupted: the signal can only be aborted by
   * a node of the run itself, and a run past its timeout starts no further node.
   */
  runSyncWith(options: DagRunOptions, ...args: A): R {
    const core = coreOf(this);
    const where = `${core.name}.runSyncWith()`;
    checkOptionsObject(where, options);
    checkKeys(where, "option", options, runOptionKeys);
    return runSynchronously(core, "runSyncWith()", validateRunOptions(where, options), args) as R;
  }

  /**
   * Runs the DAG like `await pipeline(...args)`, with a signal and a time limit for this run.
   *
   * @example
   * const controller = new AbortController();
   * const result = pipeline.run({ signal: controller.signal, timeout: 5000 }, 10);
   */
  run(options: DagRunOptions, ...args: A): Promise<R> {
    return new Promise((resolve, reject) => {
      const core = coreOf(this);
      const where = `${core.name}.run()`;
      refuseWhileDescribing(core, "run()");
      checkOptionsObject(where, options);
      checkKeys(where, "option", options, runOptionKeys);
      startRun(core, args, validateRunOptions(where, options), resolve as (value: unknown) => void, reject);
    });
  }

  /**
   * Inlines this DAG into the describing function being traced, returning traced values. A
   * plain call does the same at run time; this form is typed for describing functions.
   */
  inline(...args: TraceableArgs<A>): Retraced<R> {
    return inlineDag(coreOf(this), args, undefined) as Retraced<R>;
  }

  /**
   * Returns a caller that inlines this DAG with every node gated by `active`; its results are
   * typed as possibly `undefined`, the result of skipped nodes.
   */
  with(options: SubDagOptions): (...args: TraceableArgs<A>) => Retraced<R, undefined> {
    const core = coreOf(this);
    const where = `${core.name}.with()`;
    checkOptionsObject(where, options);
    checkKeys(where, "option", options, ["active"]);
    const gate = options.active === undefined ? undefined : { value: options.active };
    return (...args) => inlineDag(core, args, gate) as Retraced<R, undefined>;
  }

  /** Returns a single-use execution of this DAG with a subgraph, cache and profile options. */
  executor(options: ExecutorOptions = {}): DAGExecution<A, R> {
    return new DAGExecution(this, options);
  }

  /**
   * Runs the setup nodes that `targetNodes` need (all of them by default) and keeps their
   * results for later calls of this DAG instance.
   */
  setup(options: SetupOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const core = coreOf(this);
      refuseWhileDescribing(core, "setup()");
      const where = `${core.name}.setup()`;
      checkOptionsObject(where, options);
      checkKeys(where, "option", options, ["targetNodes", ...runOptionKeys]);
      const limits = validateRunOptions(where, options);
      const aliases = core.aliasIndex();
      const ids = core.traced.program.graph.ids;
      const targets =
        options.targetNodes === undefined
          ? undefined
          : aliases.resolveAll(options.targetNodes, where, "targetNodes").map((node) => ids[node]!);
      const run = core.run([], false, where, {
        selection: { targets, setupOnly: true },
        profile: false,
        ...limits,
      });
      run.onSettle = (settlement: Settlement) => {
        if (settlement.ok) resolve();
        else reject(settlement.error);
      };
      run.start();
    });
  }

  /**
   * Returns a new DAG made of part of this one: its parameters are the results of the `inputs`
   * nodes, and it returns the `outputs` node (or an array of them).
   */
  compose(options: ComposeOptions): DAG<unknown[], unknown> {
    return wrapCore(composeCore(coreOf(this), options));
  }

  /** Returns a fresh instance of this DAG: same description and settings, no setup results. */
  clone(): DAG<A, R> {
    return wrapCore(coreOf(this).clone()) as DAG<A, R>;
  }

  /**
   * Applies a configuration `{ nodes: { <alias>: { priority, isSequential } }, maxConcurrency }`
   * (Tawazi's snake_case keys accepted too) to this DAG, in place.
   */
  configFromDict(config: unknown): this {
    const core = coreOf(this);
    const where = `${core.name}.configFromDict()`;
    core.applyConfig(parseDagConfig(config, core.aliasIndex(), core.traced.program.graph.ids, where));
    return this;
  }

  /** Reads a JSON configuration file and applies it like `configFromDict`. */
  configFromJson(path: string): this {
    return this.configFromFile(path, "json", "configFromJson");
  }

  /** Reads a YAML configuration file and applies it like `configFromDict`. */
  configFromYaml(path: string): this {
    return this.configFromFile(path, "yaml", "configFromYaml");
  }

  private configFromFile(path: string, format: "json" | "yaml", method: string): this {
    const core = coreOf(this);
    const where = `${core.name}.${method}()`;
    const document = readConfigDocument(path, format, where);
    core.applyConfig(parseDagConfig(document, core.aliasIndex(), core.traced.program.graph.ids, where));
    return this;
  }

  /** Returns the DAG in Graphviz DOT: nodes with their tags and priorities, edges parent → child. */
  toDot(options: RenderOptions = {}): string {
    return renderDot(graphView(coreOf(this)), options);
  }

  /** Returns the DAG as a Mermaid flowchart. */
  toMermaid(options: RenderOptions = {}): string {
    return renderMermaid(graphView(coreOf(this)), options);
  }

  /** Returns the nodes carrying `tag`, in description order (empty when none does). */
  getNodesByTag(tag: string): NodeInfo[] {
    if (typeof tag !== "string") {
      throw new TawaziUsageError(
        `${coreOf(this).name}.getNodesByTag(): a tag is a string, received ${describeValue(tag)}.`,
      );
    }
    return [...coreOf(this).nodesByTag(tag)];
  }

  /** Returns the node with id `id`, or throws a TawaziUsageError listing close ids. */
  getNodeById(id: string): NodeInfo {
    if (typeof id !== "string") {
      throw new TawaziUsageError(
        `${coreOf(this).name}.getNodeById(): a node id is a string (a key of dag.nodes), ` +
          `received ${describeValue(id)}.`,
      );
    }
    const infos = coreOf(this).nodeInfos();
    const info = infos.get(normalizeId(id));
    if (info !== undefined) return info;
    const close = closestMatches(id, infos.keys());
    throw new TawaziUsageError(
      `${coreOf(this).name}.getNodeById(): no node has id ${JSON.stringify(id)}` +
        (close.length > 0 ? `; close ids: ${close.map((c) => JSON.stringify(c)).join(", ")}` : "") +
        ". The ids are the keys of dag.nodes.",
    );
  }
}
Object.setPrototypeOf(DAG.prototype, Function.prototype);

// The call signature of a DAG object, merged into the class's instance type.
export interface DAG<A extends unknown[] = unknown[], R = unknown> {
  (...args: A): Promise<R>;
}

/**
 * Traces `describe` once and returns the DAG it describes.
 *
 * @example
 * const pipeline = dag(function pipeline(x: number) {
 *   return [decr(x), incr(x)];
 * }, { maxConcurrency: 2 });
 * await pipeline(10); // [9, 11]
 */
export function dag<A extends unknown[], R>(
  describe: (...args: A) => R,
  options: DagOptions = {},
): DAG<A, Resolved<R>> {
  const where = "dag()";
  if (typeof describe !== "function" || isRevokedProxy(describe)) {
    const received = typeof describe === "function" ? "a revoked Proxy" : describeValue(describe);
    throw new TawaziUsageError(`${where}: expected a describing function, received ${received}.`);
  }
  if (/^class\b/u.test(Function.prototype.toString.call(describe))) {
    throw new TawaziUsageError(
      `${where}: expected a describing function, received the class ${describe.name || "(anonymous)"}; ` +
        "pass a function that calls ExecNodes.",
    );
  }
  const constructorName = describe.constructor?.name;
  if (constructorName === "AsyncFunction" || constructorName?.includes("Generator")) {
    throw new TawaziUsageError(
      `${where}: the describing function ${describe.name || "(anonymous)"} is ${
        constructorName === "AsyncFunction" ? "async" : "a generator"
      }; describing functions must be plain synchronous functions. Put the await inside an ExecNode.`,
    );
  }
  checkOptionsObject(where, options);
  checkKeys(where, "option", options, dagOptionKeys);
  if (currentBuilder() !== undefined) {
    throw new TawaziUsageError(
      `${where} was called inside a describing function; define DAGs at module level.`,
    );
  }

  if (options.name !== undefined && (typeof options.name !== "string" || options.name === "")) {
    throw new TawaziUsageError(
      `${where}: option name must be a non-empty string, received ${describeValue(options.name)}.`,
    );
  }
  const name = options.name ?? describe.name;
  if (name === "") {
    throw new TawaziUsageError(
      `${where}: the describing function has no name; use a named function or pass { name: "..." }.`,
    );
  }
  // Only undefined selects a default: null is an invalid value like any other, as for name and engine.
  const maxConcurrency = validateMaxConcurrency(where, options.maxConcurrency === undefined ? 1 : options.maxConcurrency);
  const behavior = validateChoice(
    where,
    "behavior",
    options.behavior === undefined ? "strict" : options.behavior,
    behaviorNames,
  );
  const engine =
    options.engine === undefined
      ? undefined
      : validateChoice(where, "engine", options.engine, engineKinds);
  const scheduler = schedulerFor(engine, where);

  const untypedDescribe = describe as unknown as (...args: unknown[]) => unknown;
  const parameters = readParameters(untypedDescribe, where);
  const traced = traceProgram(untypedDescribe, name, parameters, null);
  const core = new DagCore(name, untypedDescribe, parameters, traced, {
    maxConcurrency,
    behavior,
    scheduler,
  });

  return wrapCore(core) as DAG<A, Resolved<R>>;
}

/** Makes the callable DAG object around a core. */
function wrapCore(core: DagCore): DAG {
  const pipeline = function (...args: unknown[]): Promise<unknown> {
    return callDag(core, args);
  };
  Object.setPrototypeOf(pipeline, DAG.prototype);
  Object.defineProperty(pipeline, coreKey, { value: core });
  Object.defineProperty(pipeline, "name", { value: core.name });
  return pipeline as unknown as DAG;
}

/** Rejects running a DAG while a describing function is traced: its nodes would run at describe time. */
export function refuseWhileDescribing(core: DagCore, method: string): void {
  if (currentBuilder() === undefined) return;
  throw new TawaziUsageError(
    `${core.name}.${method} was called inside a describing function, which would run the DAG ` +
      `while it is described. Call ${core.name}.inline(...) to make its nodes part of this DAG.`,
  );
}

/**
 * Records the nodes of `core`'s DAG inside the describing function being traced: its argument
 * nodes forward `args`, and the rest get ids prefixed with the sub-DAG's name.
 */
function inlineDag(core: DagCore, args: readonly unknown[], gate: { value: unknown } | undefined): unknown {
  const builder = currentBuilder();
  if (builder === undefined) {
    throw new TawaziUsageError(
      `DAG "${core.name}" was inlined outside a describing function; call it with ` +
        `await ${core.name}(...) instead.`,
    );
  }

  const parameters = core.parameters;
  if (args.length > parameters.length) {
    throw new TawaziUsageError(
      `DAG "${core.name}" takes ${parameters.length} argument(s), received ${args.length} ` +
        `(called at ${callSite()}). Pass at most ${parameters.length}.`,
    );
  }
  const missing = parameters.find((parameter, position) => position >= args.length && !parameter.hasDefault);
  if (missing !== undefined) {
    throw new TawaziUsageError(
      `DAG "${core.name}" is missing its argument "${missing.name}" (called at ${callSite()}). ` +
        "Pass every argument that has no default value.",
    );
  }

  return builder.inline(core.name, core.setupCache, gate, () => {
    const describeArgs = parameters.map((parameter, position) => {
      const value = args[position];
      const forwarded = builder.addForward(core.name, parameter.name, value);
      return value === undefined && parameter.hasDefault ? undefined : forwarded;
    });
    return core.describe(...describeArgs);
  });
}

function graphView(core: DagCore) {
  const graph = core.traced.program.graph;
  return {
    name: core.name,
    nodes: [...core.nodeInfos().values()],
    parentOffsets: graph.parentOffsets,
    parents: graph.parents,
  };
}

function callDag(core: DagCore, args: unknown[]): Promise<unknown> {
  if (currentBuilder() !== undefined) return inlineDag(core, args, undefined) as Promise<unknown>;
  return new Promise((resolve, reject) => startRun(core, args, undefined, resolve, reject));
}

/** Starts an asynchronous run that settles the caller's promise. */
function startRun(
  core: DagCore,
  args: unknown[],
  limits: RunLimitOptions | undefined,
  resolve: (value: unknown) => void,
  reject: (reason: unknown) => void,
): void {
  const run = core.run(args, false, core.name, limits);
  run.onSettle = (settlement: Settlement) => {
    if (settlement.ok) resolve(settlement.value);
    else reject(settlement.error);
  };
  run.start();
}

/** Runs `core` without promises; `method` names the caller in messages. */
function runSynchronously(
  core: DagCore,
  method: string,
  limits: Partial<RunLimitOptions>,
  args: unknown[],
): unknown {
  refuseWhileDescribing(core, method);
  const run = core.run(args, true, `${core.name}.${method}`, limits);
  run.start();
  const settlement = run.settlement;
  if (settlement === undefined) {
    throw new TawaziUsageError(
      `${core.name}.${method}: the run did not finish synchronously; call the DAG with await instead.`,
    );
  }
  if (!settlement.ok) throw settlement.error;
  return settlement.value;
}

