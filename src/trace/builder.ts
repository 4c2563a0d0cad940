import { types } from "node:util";

import { TawaziUsageError } from "../errors.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import type { SetupCache } from "../run/setup-cache.js";
import type { ExecNode } from "./exec-node.js";
import { TracedRef, makeTraced, tracedRefOf } from "./traced.js";
import { OpaqueConstant, Template, scanForTraced } from "./template.js";

/** Options of one use of an ExecNode, after validation. */
export interface CallSpec {
  readonly tags: readonly string[];
  readonly priority: number;
  readonly flags: number;
  readonly unpackTo: number;
  /** `undefined` when the call has no `active` condition. */
  readonly active: unknown;
  /** The function receives an AbortSignal after its arguments. */
  readonly signal: boolean;
  /** The maximum time the node may take, in milliseconds; Infinity for no limit. */
  readonly timeout: number;
}

/** The signal and time limit of a call node that has either. */
export interface NodeLimits {
  readonly signal: boolean;
  readonly timeout: number;
}

const noTags: readonly string[] = Object.freeze([]);

/**
 * Returns `base<<uses>>` as one flat string. A template literal of this length makes a chain of
 * cons strings in V8, and a DAG keeps every id: joining an array writes the characters once.
 */
function numberedId(base: string, uses: number): string {
  return [base, "<<", uses, ">>"].join("");
}
/** The `active` entries of a node without any: shared, since most nodes have none. */
const noGates: readonly unknown[] = Object.freeze([]);

/**
 * The destination of new nodes: the DAG itself, or a sub-DAG inlined into it. Ids made in a scope get its
 * prefix (`sub.`, `sub<<1>>.`) and count uses separately from the enclosing scope.
 */
interface Scope {
  readonly prefix: string;
  readonly useCounts: Map<string, number>;
  /** `active` values gating every node made in this scope (those of enclosing scopes too). */
  readonly gates: readonly unknown[];
  /** The inlined sub-DAG's own setup results, shared with the inlined setup nodes. */
  readonly setupCache: SetupCache | undefined;
}

/** The origin of an inlined setup node's result: the sub-DAG's setup results, by its own id. */
export interface SetupOrigin {
  readonly cache: SetupCache;
  readonly id: string;
}

/** The describing functions being traced now, innermost last. */
const activeBuilders: GraphBuilder[] = [];

export function currentBuilder(): GraphBuilder | undefined {
  return activeBuilders[activeBuilders.length - 1];
}

/**
 * Records the nodes and edges that one call of a describing function makes, in description
 * order, into flat arrays. Node `i` only ever depends on nodes recorded before it, so the
 * description order is already a topological order.
 */
export class GraphBuilder {
  readonly ids: string[] = [];
  readonly kinds: number[] = [];
  readonly flags: number[] = [];
  readonly priorities: number[] = [];
  readonly unpackTo: number[] = [];
  readonly tags: (readonly string[])[] = [];
  /** The ExecNode behind each call node, `null` for arguments and lookups. */
  readonly execNodes: (ExecNode | null)[] = [];
  /** Per kind: the argument's position, the call's argument entries, or the lookup's key. */
  readonly payloads: unknown[] = [];
  /** `active` entries of conditional nodes: the node runs when all of them are truthy. */
  readonly actives = new Map<number, unknown[]>();
  /** Inlined setup nodes whose results the sub-DAG instance shares. */
  readonly setupOrigins = new Map<number, SetupOrigin>();
  /** Call nodes that receive a signal or have a time limit; most DAGs have none. */
  readonly limits = new Map<number, NodeLimits>();

  /** Parents in CSR form: node i's parents are parentList[parentOffsets[i] .. parentOffsets[i+1]). */
  readonly parentOffsets: number[] = [0];
  readonly parentList: number[] = [];

  /** stamp[p] === i + 1 while node i is being recorded and p is already among its parents. */
  private readonly stamp: number[] = [];
  /**
   * Every id recorded, kept once a collision is possible: a base containing "<<" or "." (a user
   * name such as "a<<1>>" or "sub.incr") or a scope prefix. Plain bases and their counters
   * cannot collide, so most DAGs never pay for this set.
   */
  private usedIds: Set<string> | undefined;
  /** Set when the describing function has returned: traced values can no longer record nodes. */
  private finished = false;
  private readonly scopes: Scope[] = [
    { prefix: "", useCounts: new Map(), gates: [], setupCache: undefined },
  ];

  constructor(readonly dagName: string) {}

  get size(): number {
    return this.ids.length;
  }

  /** Runs `describe` with this builder active, so ExecNode calls record nodes here. */
  trace<T>(describe: () => T): T {
    activeBuilders.push(this);
    try {
      return describe();
    } finally {
      activeBuilders.pop();
      this.finished = true;
    }
  }

  /**
   * Returns `base` for its first use in the current scope and `base<<k>>` for the k-th further
   * use, after the scope's prefix.
   */
  uniqueId(base: string): string {
    const scope = this.scopes[this.scopes.length - 1]!;
    return scope.prefix + this.localId(scope, base);
  }

  private localId(scope: Scope, base: string): string {
    if (this.usedIds === undefined && (scope.prefix !== "" || base.includes("<<") || base.includes("."))) {
      this.usedIds = new Set(this.ids);
    }
    let uses = scope.useCounts.get(base) ?? 0;
    let id = uses === 0 ? base : numberedId(base, uses);
    // A user name such as "a<<1>>" may already hold the id the counter gives: skip it.
    while (this.usedIds !== undefined && this.usedIds.has(scope.prefix + id)) {
      uses += 1;
      id = numberedId(base, uses);
    }
    scope.useCounts.set(base, uses + 1);
    return id;
  }

  /**
   * Records the nodes of a sub-DAG called inside this describing function: `describe` runs in
   * a new scope whose ids are prefixed with the sub-DAG's name, gated by `gate` when given.
   */
  inline<T>(
    subName: string,
    setupCache: SetupCache,
    gate: { value: unknown } | undefined,
    describe: () => T,
  ): T {
    const outer = this.scopes[this.scopes.length - 1]!;
    const gates = gate === undefined ? outer.gates : [...outer.gates, gate.value];
    this.scopes.push({
      prefix: `${outer.prefix}${this.localId(outer, subName)}.`,
      useCounts: new Map(),
      gates,
      setupCache,
    });
    try {
      return describe();
    } finally {
      this.scopes.pop();
    }
  }

  /** Records an argument of an inlined sub-DAG, whose result is `value`. */
  addForward(subName: string, parameter: string, value: unknown): unknown {
    const index = this.beginNode(
      this.uniqueId(`${subName}>>>${parameter}`),
      NodeKind.forward,
      NodeFlag.inline,
    );
    this.payloads.push(this.toEntry(value, index));
    this.execNodes.push(null);
    this.priorities.push(0);
    this.unpackTo.push(0);
    this.tags.push(noTags);
    this.addGates(index, noGates);
    this.endNode();
    return makeTraced(new TracedRef(this, index, 0));
  }

  /** Records the node's own `active` entries and the gates of the current scope. */
  private addGates(index: number, own: readonly unknown[]): void {
    const scope = this.scopes[this.scopes.length - 1]!;
    // Gating a sub-DAG is not a data dependency of its setup nodes: they run once per instance.
    const gates = (this.flags[index]! & NodeFlag.setup) !== 0 ? noGates : scope.gates;
    if (own.length === 0 && gates.length === 0) return;
    const entries = [...own];
    for (const gate of gates) entries.push(this.toEntry(gate, index));
    this.actives.set(index, entries);
    this.flags[index]! |= NodeFlag.conditional;
  }

  addArgument(name: string, position: number): unknown {
    const index = this.beginNode(
      this.uniqueId(`${this.dagName}>>>${name}`),
      NodeKind.argument,
      NodeFlag.inline,
    );
    this.payloads.push(position);
    this.execNodes.push(null);
    this.priorities.push(0);
    this.unpackTo.push(0);
    this.tags.push(noTags);
    this.endNode();
    return makeTraced(new TracedRef(this, index, 0));
  }

  addCall(execNode: ExecNode, args: readonly unknown[], spec: CallSpec): unknown {
    const index = this.beginNode(this.uniqueId(execNode.id), NodeKind.call, spec.flags);

    const entries: unknown[] = new Array(args.length);
    for (let position = 0; position < args.length; position += 1) {
      entries[position] = this.toEntry(args[position], index);
    }

    this.payloads.push(entries);
    this.execNodes.push(execNode);
    this.priorities.push(spec.priority);
    this.unpackTo.push(spec.unpackTo);
    this.tags.push(spec.tags.length === 0 ? noTags : spec.tags);

    this.addGates(index, spec.active === undefined ? noGates : [this.toEntry(spec.active, index)]);
    if (spec.signal || spec.timeout !== Number.POSITIVE_INFINITY) {
      this.limits.set(index, { signal: spec.signal, timeout: spec.timeout });
    }
    const scope = this.scopes[this.scopes.length - 1]!;
    if ((spec.flags & NodeFlag.setup) !== 0 && scope.setupCache !== undefined) {
      const localId = this.ids[index]!.slice(scope.prefix.length);
      this.setupOrigins.set(index, { cache: scope.setupCache, id: localId });
    }

    this.endNode();
    return makeTraced(new TracedRef(this, index, spec.unpackTo));
  }

  /** Records a read of `key` from `parent`'s result; the same key read twice is one node. */
  addLookup(parent: TracedRef, key: string): unknown {
    this.checkOwnership(parent, `reading key ${JSON.stringify(key)} of`);
    parent.lookups ??= new Map();
    const existing = parent.lookups.get(key);
    if (existing !== undefined) return existing;

    // A lookup is part of its parent: the part of a setup or debug result is one too.
    const inherited = this.flags[parent.index]! & (NodeFlag.setup | NodeFlag.debug);
    // A lookup is named after its parent's full id, in whatever scope the read happens.
    const index = this.beginNode(
      this.localId(this.scopes[0]!, `${this.ids[parent.index]}[${key}]`),
      NodeKind.lookup,
      NodeFlag.inline | inherited,
    );
    this.addParent(parent.index, index);
    this.payloads.push(key);
    this.execNodes.push(null);
    this.priorities.push(0);
    this.unpackTo.push(0);
    this.tags.push(noTags);
    this.endNode();

    const traced = makeTraced(new TracedRef(this, index, 0));
    parent.lookups.set(key, traced);
    return traced;
  }

  /** Returns the parent and key of a lookup node, or undefined for other nodes. */
  lookupOf(index: number): { parent: number; key: string } | undefined {
    if (this.kinds[index] !== NodeKind.lookup) return undefined;
    return { parent: this.parentList[this.parentOffsets[index]!]!, key: this.payloads[index] as string };
  }

  /**
   * Turns a describe-time value into what the run layer resolves: a TracedRef, a Template of a
   * plain container holding traced values, an OpaqueConstant around a Proxy, or the constant
   * itself (same object, not copied).
   */
  toEntry(value: unknown, node: number): unknown {
    const ref = tracedRefOf(value);
    if (ref !== undefined) {
      this.checkOwnership(ref, "passing");
      this.addParent(ref.index, node);
      return ref;
    }

    if (typeof value === "function" && types.isProxy(value)) return new OpaqueConstant(value);
    if (typeof value !== "object" || value === null) return value;
    if (types.isProxy(value)) return new OpaqueConstant(value);

    const slots = scanForTraced(value);
    if (slots === undefined) return value;
    for (const slot of slots) {
      this.checkOwnership(slot.ref, "passing");
      this.addParent(slot.ref.index, node);
    }
    return new Template(value, slots);
  }

  private beginNode(id: string, kind: number, flags: number): number {
    if (this.finished) {
      throw new TawaziUsageError(
        `a traced value of DAG "${this.dagName}" was used after its describing function ` +
          "returned; traced values exist only while the describing function runs.",
      );
    }
    const index = this.ids.length;
    this.usedIds?.add(id);
    this.ids.push(id);
    this.kinds.push(kind);
    this.flags.push(flags);
    this.stamp.push(0);
    return index;
  }

  private endNode(): void {
    this.parentOffsets.push(this.parentList.length);
  }

  /** Adds an edge; `node` -1 stands for the DAG's return value, which needs no edge. */
  private addParent(parent: number, node: number): void {
    if (node < 0 || this.stamp[parent] === node + 1) return;
    this.stamp[parent] = node + 1;
    this.parentList.push(parent);
  }

  private checkOwnership(ref: TracedRef, action: string): void {
    if (ref.builder === this) return;
    throw new TawaziUsageError(
      `${action} the traced value of node "${ref.id}" from the describing function of DAG ` +
        `"${ref.builder.dagName}" inside DAG "${this.dagName}": a traced value belongs to the ` +
        "describing function that made it. Pass the value as an input of the other DAG instead.",
    );
  }
}
