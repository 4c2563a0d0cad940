import { type EngineKind, type ResourceKind, Resource, engineKinds } from "../config.js";
import { TawaziUsageError, describeValue } from "../errors.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import { Behavior, type BehaviorCode, type Scheduler } from "../engine/scheduler.js";
import { schedulerFor } from "../engine/select.js";
import { Run, type Settlement } from "../run/run.js";
import { currentBuilder } from "./builder.js";
import { type Parameter, readParameters } from "./parameters.js";
import { type TracedProgram, traceProgram } from "./program-builder.js";
import type { Resolved } from "./traced.js";
import {
  checkKeys,
  closestMatches,
  validateChoice,
  validateMaxConcurrency,
} from "./validate.js";

export type BehaviorName = "strict" | "all-children" | "permissive";

const behaviorNames: readonly BehaviorName[] = ["strict", "all-children", "permissive"];
const behaviorCodes: Record<BehaviorName, BehaviorCode> = {
  strict: Behavior.strict,
  "all-children": Behavior.allChildren,
  permissive: Behavior.permissive,
};

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
   * The response to a node failure. `"strict"`: start nothing more and reject with the node's own
   * error. `"all-children"`: skip the failed node's descendants and run the rest.
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

/** A frozen descriptor of one node of a DAG; the same object is returned each time. */
export interface NodeInfo {
  readonly id: string;
  /** The ExecNode's base id, the parameter name of an argument node, or the key of a lookup. */
  readonly name: string;
  readonly kind: "argument" | "call" | "lookup";
  readonly tags: readonly string[];
  readonly priority: number;
  readonly compoundPriority: number;
  readonly isSequential: boolean;
  readonly resource: ResourceKind;
  readonly setup: boolean;
  readonly debug: boolean;
}

const dagOptionKeys = ["name", "maxConcurrency", "behavior", "engine"] as const;
const kindNames = ["argument", "call", "lookup"] as const;

/** The state behind a DAG function. */
class DagCore {
  readonly maxConcurrency: number;
  readonly behavior: BehaviorName;
  readonly scheduler: Scheduler;
  /** Programs traced with default values, by the positions of the defaulted parameters. */
  private readonly variants = new Map<string, TracedProgram>();
  private infos: Map<string, NodeInfo> | undefined;
  private tagIndex: Map<string, NodeInfo[]> | undefined;

  constructor(
    readonly name: string,
    readonly describe: (...args: unknown[]) => unknown,
    readonly parameters: readonly Parameter[],
    readonly traced: TracedProgram,
    options: { maxConcurrency: number; behavior: BehaviorName; scheduler: Scheduler },
  ) {
    this.maxConcurrency = options.maxConcurrency;
    this.behavior = options.behavior;
    this.scheduler = options.scheduler;
  }

  /** Checks the argument count and picks the program for it. */
  programFor(args: readonly unknown[], where: string): TracedProgram {
    const declared = this.parameters.length;
    if (args.length > declared) {
      const names = this.parameters.map((parameter) => parameter.name).join(", ");
      throw new TawaziUsageError(
        `${where}: DAG "${this.name}" takes ${declared} argument${declared === 1 ? "" : "s"} ` +
          `(${names || "none"}), received ${args.length}. Pass at most ${declared}.`,
      );
    }

    // A parameter with a default value takes it when its argument is missing or undefined,
    // as in any JavaScript call: those calls run a program traced without that argument.
    let defaulted = "";
    for (let position = 0; position < declared; position += 1) {
      if (this.parameters[position]!.hasDefault && args[position] === undefined) {
        defaulted += `${position},`;
      }
    }
    if (defaulted === "") return this.traced;

    // NOTE: default values are evaluated once per set of defaulted parameters, when the DAG
    // is first called that way (as Python evaluates defaults once), not on every call.
    let variant = this.variants.get(defaulted);
    if (variant === undefined) {
      const useDefault = this.parameters.map(
        (parameter, position) => parameter.hasDefault && args[position] === undefined,
      );
      variant = traceProgram(this.describe, this.name, this.parameters, useDefault);
      this.variants.set(defaulted, variant);
    }
    return variant;
  }

  run(args: readonly unknown[], synchronous: boolean, where: string): Run {
    const { program } = this.programFor(args, where);
    const run = new Run(
      program,
      args,
      { mask: null, maxConcurrency: this.maxConcurrency, behavior: behaviorCodes[this.behavior] },
      this.scheduler,
      synchronous,
    );
    return run;
  }

  nodeInfos(): Map<string, NodeInfo> {
    if (this.infos !== undefined) return this.infos;
    const { builder, program } = this.traced;
    const graph = program.graph;
    const infos = new Map<string, NodeInfo>();

    for (let node = 0; node < graph.size; node += 1) {
      const kind = builder.kinds[node]!;
      const flags = graph.flags[node]!;
      const execNode = builder.execNodes[node];
      let name: string;
      if (kind === NodeKind.call) name = execNode!.id;
      else if (kind === NodeKind.argument) name = this.parameters[builder.payloads[node] as number]!.name;
      else name = builder.payloads[node] as string;

      infos.set(
        graph.ids[node]!,
        Object.freeze({
          id: graph.ids[node]!,
          name,
          kind: kindNames[kind]!,
          tags: builder.tags[node]!,
          priority: graph.priority[node]!,
          compoundPriority: graph.compoundPriority[node]!,
          isSequential: (flags & NodeFlag.sequential) !== 0,
          resource: (flags & NodeFlag.inline) !== 0 ? Resource.mainThread : Resource.async,
          setup: (flags & NodeFlag.setup) !== 0,
          debug: (flags & NodeFlag.debug) !== 0,
        }),
      );
    }
    this.infos = infos;
    return infos;
  }

  nodesByTag(tag: string): NodeInfo[] {
    if (this.tagIndex === undefined) {
      const index = new Map<string, NodeInfo[]>();
      for (const info of this.nodeInfos().values()) {
        for (const nodeTag of info.tags) {
          const list = index.get(nodeTag);
          if (list === undefined) index.set(nodeTag, [info]);
          else list.push(info);
        }
      }
      this.tagIndex = index;
    }
    return this.tagIndex.get(tag) ?? [];
  }
}

const coreKey: unique symbol = Symbol("tawazi.dag");

function coreOf(value: unknown): DagCore {
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
    const run = coreOf(this).run(args, true, `${coreOf(this).name}.runSync()`);
    run.pump();
    const settlement = run.settlement;
    if (settlement === undefined) {
      throw new TawaziUsageError(
        `${coreOf(this).name}.runSync(): the run did not finish synchronously; call the DAG ` +
          "with await instead.",
      );
    }
    if (!settlement.ok) throw settlement.error;
    return settlement.value as R;
  }

  /** Returns the nodes carrying `tag`, in description order (empty when none does). */
  getNodesByTag(tag: string): NodeInfo[] {
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
  if (typeof describe !== "function") {
    throw new TawaziUsageError(
      `${where}: expected a describing function, received ${describeValue(describe)}.`,
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
  if (typeof options !== "object" || options === null) {
    throw new TawaziUsageError(`${where}: options must be an object, received ${describeValue(options)}.`);
  }
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
  const maxConcurrency = validateMaxConcurrency(where, options.maxConcurrency ?? 1);
  const behavior = validateChoice(where, "behavior", options.behavior ?? "strict", behaviorNames);
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

  const pipeline = function (...args: unknown[]): Promise<unknown> {
    return callDag(core, args);
  };
  Object.setPrototypeOf(pipeline, DAG.prototype);
  Object.defineProperty(pipeline, coreKey, { value: core });
  Object.defineProperty(pipeline, "name", { value: name });
  return pipeline as unknown as DAG<A, Resolved<R>>;
}

function callDag(core: DagCore, args: unknown[]): Promise<unknown> {
  if (currentBuilder() !== undefined) {
    // NOTE: calling one DAG inside another's describing function (inlining) is not supported
    // yet; it is rejected rather than run eagerly at describe time.
    throw new TawaziUsageError(
      `DAG "${core.name}" was called inside a describing function; ` +
        "calling a DAG inside another DAG is not supported in this version.",
    );
  }
  return new Promise((resolve, reject) => {
    const run = core.run(args, false, core.name);
    run.onSettle = (settlement: Settlement) => {
      if (settlement.ok) resolve(settlement.value);
      else reject(settlement.error);
    };
    run.pump();
  });
}
