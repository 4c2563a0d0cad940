import { TawaziUsageError } from "../errors.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import type { ExecNode } from "./exec-node.js";
import { TracedRef, makeTraced, tracedRefOf } from "./traced.js";
import { Template, scanForTraced } from "./template.js";

/** Options of one use of an ExecNode, after validation. */
export interface CallSpec {
  readonly tags: readonly string[];
  readonly priority: number;
  readonly flags: number;
  readonly unpackTo: number;
  /** `undefined` when the call has no `active` condition. */
  readonly active: unknown;
}

const noTags: readonly string[] = Object.freeze([]);

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
  /** `active` entries of conditional nodes. */
  readonly actives = new Map<number, unknown>();

  /** Parents in CSR form: node i's parents are parentList[parentOffsets[i] .. parentOffsets[i+1]). */
  readonly parentOffsets: number[] = [0];
  readonly parentList: number[] = [];

  /** stamp[p] === i + 1 while node i is being recorded and p is already among its parents. */
  private readonly stamp: number[] = [];
  private readonly useCounts = new Map<string, number>();

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
    }
  }

  /** Returns `base` for its first use in this DAG and `base<<k>>` for the k-th further use. */
  uniqueId(base: string): string {
    const uses = this.useCounts.get(base) ?? 0;
    this.useCounts.set(base, uses + 1);
    return uses === 0 ? base : `${base}<<${uses}>>`;
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

    if (spec.active !== undefined) {
      this.actives.set(index, this.toEntry(spec.active, index));
      this.flags[index]! |= NodeFlag.conditional;
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
    const index = this.beginNode(
      this.uniqueId(`${this.ids[parent.index]}[${key}]`),
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
   * plain container holding traced values, or the constant itself (same object, not copied).
   */
  toEntry(value: unknown, node: number): unknown {
    const ref = tracedRefOf(value);
    if (ref !== undefined) {
      this.checkOwnership(ref, "passing");
      this.addParent(ref.index, node);
      return ref;
    }

    if (typeof value !== "object" || value === null) return value;

    const slots = scanForTraced(value);
    if (slots === undefined) return value;
    for (const slot of slots) {
      this.checkOwnership(slot.ref, "passing");
      this.addParent(slot.ref.index, node);
    }
    return new Template(value, slots);
  }

  private beginNode(id: string, kind: number, flags: number): number {
    const index = this.ids.length;
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
