import { Resource, type ResourceKind, cfg } from "../config.js";
import { TawaziUsageError } from "../errors.js";
import type { CompiledGraph } from "../graph/compiled.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import { compoundPriorities } from "../graph/priority.js";
import { type Selection, selectSubgraph } from "../graph/subgraph.js";
import { Behavior, type BehaviorCode, type Scheduler } from "../engine/scheduler.js";
import type { Program } from "../run/program.js";
import { Run, type RunOptions } from "../run/run.js";
import type { SetupCache } from "../run/setup-cache.js";
import { AliasIndex } from "./aliases.js";
import type { DagConfigPatch, NodeSettings } from "./config-file.js";
import type { Parameter } from "./parameters.js";
import { type TracedProgram, traceProgram } from "./program-builder.js";

export type BehaviorName = "strict" | "all-children" | "permissive";

export const behaviorNames: readonly BehaviorName[] = ["strict", "all-children", "permissive"];

const behaviorCodes: Record<BehaviorName, BehaviorCode> = {
  strict: Behavior.strict,
  "all-children": Behavior.allChildren,
  permissive: Behavior.permissive,
};

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

/** Names of NodeKind values; an inlined sub-DAG's arguments are arguments too. */
const kindNames = ["argument", "call", "lookup", "argument"] as const;

function resourceOf(flags: number): ResourceKind {
  if ((flags & NodeFlag.worker) !== 0) return Resource.worker;
  return (flags & NodeFlag.inline) !== 0 ? Resource.mainThread : Resource.async;
}

/** A Map whose contents cannot change after construction: `set`, `delete` and `clear` throw. */
export class ReadOnlyMap<K, V> extends Map<K, V> {
  private readonly sealed: boolean;

  constructor(entries: Iterable<readonly [K, V]>) {
    super(entries);
    this.sealed = true;
  }

  override set(key: K, value: V): this {
    // Map's constructor adds the entries through set, before `sealed` is assigned.
    if (this.sealed) throw readOnly();
    return super.set(key, value);
  }

  override delete(): boolean {
    throw readOnly();
  }

  override clear(): void {
    throw readOnly();
  }
}

function readOnly(): TawaziUsageError {
  return new TawaziUsageError("dag.nodes is read-only; change nodes through a configuration");
}

/** A subgraph selection by node ids, so it applies to every traced variant of the DAG. */
export interface IdSelection {
  readonly roots?: readonly string[];
  readonly excluded?: readonly string[];
  readonly targets?: readonly string[];
  readonly setupOnly?: boolean;
}

/** Options of one run started by DagCore.run. */
export interface CoreRunOptions extends Omit<RunOptions, "setupCache" | "preset" | "dagName"> {
  readonly selection?: IdSelection;
  /** Results loaded from a cache file, by node id. */
  readonly preset?: ReadonlyMap<string, unknown>;
}

/** The state behind a DAG function: its traced programs, settings and setup results. */
export class DagCore {
  maxConcurrency: number;
  readonly behavior: BehaviorName;
  readonly scheduler: Scheduler;
  /** Setup results of this DAG instance, by node id. */
  readonly setupCache: SetupCache = new Map();
  /** Settings changed by a configuration, by node id; applied to every traced program. */
  private readonly overrides: Map<string, NodeSettings>;
  /** Programs traced with default values, by the positions of the defaulted parameters. */
  private readonly variants = new Map<string, TracedProgram>();
  private readonly idIndexes = new WeakMap<Program, Map<string, number>>();
  /** Whether each program has debug nodes; configurations never change the debug flag. */
  private readonly debugPrograms = new WeakMap<Program, boolean>();
  private infos: ReadOnlyMap<string, NodeInfo> | undefined;
  private tagIndex: Map<string, NodeInfo[]> | undefined;
  private aliases: AliasIndex | undefined;

  /** The nodes of the traced program that belong to this DAG (a composed DAG's part); null for all. */
  readonly scope: Uint8Array | null;
  /** Parameters that must be given although the original DAG had a default for them. */
  readonly required: readonly boolean[];

  constructor(
    readonly name: string,
    readonly describe: (...args: unknown[]) => unknown,
    readonly parameters: readonly Parameter[],
    readonly traced: TracedProgram,
    options: {
      maxConcurrency: number;
      behavior: BehaviorName;
      scheduler: Scheduler;
      overrides?: Map<string, NodeSettings>;
      scope?: Uint8Array | null;
      required?: readonly boolean[];
    },
  ) {
    this.maxConcurrency = options.maxConcurrency;
    this.behavior = options.behavior;
    this.scheduler = options.scheduler;
    this.overrides = options.overrides ?? new Map();
    this.scope = options.scope ?? null;
    this.required = options.required ?? [];
  }

  /** Returns a fresh instance with the same description and settings but no setup results. */
  clone(): DagCore {
    const graph = this.traced.program.graph;
    const copiedGraph: CompiledGraph = {
      ...graph,
      flags: graph.flags.slice(),
      priority: graph.priority.slice(),
      compoundPriority: graph.compoundPriority.slice(),
    };
    const traced = { ...this.traced, program: { ...this.traced.program, graph: copiedGraph } };
    return new DagCore(this.name, this.describe, this.parameters, traced, {
      maxConcurrency: this.maxConcurrency,
      behavior: this.behavior,
      scheduler: this.scheduler,
      overrides: new Map(this.overrides),
      scope: this.scope,
      required: this.required,
    });
  }

  /** Checks the argument count and picks the program for it. */
  programFor(args: readonly unknown[], where: string): Program {
    const declared = this.parameters.length;
    if (args.length > declared) {
      const names = this.parameters.map((parameter) => parameter.name).join(", ");
      throw new TawaziUsageError(
        `${where}: DAG "${this.name}" takes ${declared} argument${declared === 1 ? "" : "s"} ` +
          `(${names || "none"}), received ${args.length}. Pass at most ${declared}.`,
      );
    }

    const unfilled = this.required.findIndex((isRequired, position) => isRequired && args[position] === undefined);
    if (unfilled !== -1) {
      throw new TawaziUsageError(
        `${where}: DAG "${this.name}" needs its argument "${this.parameters[unfilled]!.name}": it was ` +
          "made by compose(), which cannot apply the original DAG's default values. Pass it explicitly.",
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
    if (defaulted === "") return this.traced.program;

    // NOTE: default values are evaluated once per set of defaulted parameters, when the DAG
    // is first called that way (as Python evaluates defaults once), not on every call.
    let variant = this.variants.get(defaulted);
    if (variant === undefined) {
      const useDefault = this.parameters.map(
        (parameter, position) => parameter.hasDefault && args[position] === undefined,
      );
      variant = traceProgram(this.describe, this.name, this.parameters, useDefault);
      this.applyOverrides(variant.program);
      this.variants.set(defaulted, variant);
    }
    return variant.program;
  }

  /** Prepares one run; the caller pumps it. */
  run(args: readonly unknown[], synchronous: boolean, where: string, options: CoreRunOptions = {}): Run {
    const program = this.programFor(args, where);
    const mask = this.maskFor(program, options.selection, where);
    let preset: Map<number, unknown> | undefined;
    if (options.preset !== undefined) {
      const index = this.idIndex(program);
      preset = new Map();
      for (const [id, value] of options.preset) {
        const node = index.get(id);
        if (node !== undefined) preset.set(node, value);
      }
    }
    return new Run(
      program,
      args,
      { mask, maxConcurrency: this.maxConcurrency, behavior: behaviorCodes[this.behavior] },
      this.scheduler,
      synchronous,
      {
        setupCache: this.setupCache,
        preset,
        profile: options.profile ?? cfg.TAWAZI_PROFILE_ALL_NODES,
        signal: options.signal,
        timeout: options.timeout,
        dagName: this.name,
      },
    );
  }

  /**
   * Returns the mask of the nodes a run covers: the selection, with debug nodes left out unless
   * `cfg.RUN_DEBUG_NODES`; null when every node runs.
   */
  maskFor(program: Program, selection: IdSelection | undefined, where: string): Uint8Array | null {
    const graph = program.graph;
    const runDebug = cfg.RUN_DEBUG_NODES;
    if (selection === undefined && this.scope === null && (runDebug || !this.hasDebugNodes(program))) {
      return null;
    }

    const index = this.idIndex(program);
    const toIndices = (ids: readonly string[] | undefined) =>
      ids?.map((id) => index.get(id)).filter((node): node is number => node !== undefined);
    const indexSelection: Selection = {
      roots: toIndices(selection?.roots),
      excluded: toIndices(selection?.excluded),
      targets: toIndices(selection?.targets),
      setupOnly: selection?.setupOnly,
      runDebug,
    };
    const mask = selectSubgraph(graph, program.kinds, indexSelection, where);
    if (this.scope !== null && program === this.traced.program) {
      for (let node = 0; node < graph.size; node += 1) mask[node]! &= this.scope[node]!;
    }
    return mask;
  }

  /** Applies a validated configuration to every traced program. */
  applyConfig(patch: DagConfigPatch): void {
    const ids = this.traced.program.graph.ids;
    for (const [node, settings] of patch.nodes) {
      const id = ids[node]!;
      this.overrides.set(id, { ...this.overrides.get(id), ...settings });
    }
    if (patch.maxConcurrency !== undefined) this.maxConcurrency = patch.maxConcurrency;

    this.applyOverrides(this.traced.program);
    for (const variant of this.variants.values()) this.applyOverrides(variant.program);
    this.infos = undefined;
    this.tagIndex = undefined;
  }

  private applyOverrides(program: Program): void {
    if (this.overrides.size === 0) return;
    const graph = program.graph;
    const index = this.idIndex(program);
    // New arrays, not changes in place: a run in progress keeps scheduling with the ones it started with.
    const flags = graph.flags.slice();
    const priority = graph.priority.slice();
    for (const [id, settings] of this.overrides) {
      const node = index.get(id);
      if (node === undefined) continue;
      if (settings.priority !== undefined) priority[node] = settings.priority;
      if (settings.isSequential !== undefined) {
        if (settings.isSequential) flags[node]! |= NodeFlag.sequential;
        else flags[node]! &= ~NodeFlag.sequential;
      }
    }
    graph.flags = flags;
    graph.priority = priority;
    graph.compoundPriority = compoundPriorities(priority, graph.childOffsets, graph.children, graph.topologicalOrder);
    graph.revision += 1;
  }

  /** Returns whether `program` has debug nodes, scanning its flags once. */
  private hasDebugNodes(program: Program): boolean {
    let known = this.debugPrograms.get(program);
    if (known === undefined) {
      const flags = program.graph.flags;
      known = false;
      for (let node = 0; node < flags.length && !known; node += 1) {
        known = (flags[node]! & NodeFlag.debug) !== 0;
      }
      this.debugPrograms.set(program, known);
    }
    return known;
  }

  idIndex(program: Program): Map<string, number> {
    let index = this.idIndexes.get(program);
    if (index === undefined) {
      index = new Map(program.graph.ids.map((id, node) => [id, node]));
      this.idIndexes.set(program, index);
    }
    return index;
  }

  aliasIndex(): AliasIndex {
    if (this.aliases === undefined) {
      const index = this.idIndex(this.traced.program);
      const infos = [...this.nodeInfos().values()];
      this.aliases = new AliasIndex(
        this.name,
        infos,
        this.traced.builder.execNodes,
        infos.map((info) => index.get(info.id)!),
      );
    }
    return this.aliases;
  }

  nodeInfos(): ReadOnlyMap<string, NodeInfo> {
    if (this.infos !== undefined) return this.infos;
    const { builder, program } = this.traced;
    const graph = program.graph;
    const infos = new Map<string, NodeInfo>();

    for (let node = 0; node < graph.size; node += 1) {
      if (this.scope !== null && this.scope[node] === 0) continue;
      const kind = program.kinds[node]!;
      const flags = graph.flags[node]!;
      const execNode = builder.execNodes[node];
      let name: string;
      if (kind === NodeKind.call) name = execNode!.id;
      else if (kind === NodeKind.argument) name = this.parameters[program.payloads[node] as number]!.name;
      else if (kind === NodeKind.forward) name = graph.ids[node]!.slice(graph.ids[node]!.lastIndexOf(">>>") + 3);
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
          resource: resourceOf(flags),
          setup: (flags & NodeFlag.setup) !== 0,
          debug: (flags & NodeFlag.debug) !== 0,
        }),
      );
    }
    this.infos = new ReadOnlyMap(infos);
    return this.infos;
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
