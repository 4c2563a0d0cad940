import type { CompiledGraph } from "../graph/compiled.js";
import { TracedRef } from "../trace/traced.js";
import { Template } from "../trace/template.js";

/**
 * Everything one run needs besides the arguments: the compiled graph for the engine, and
 * per-node functions and argument entries for the run layer.
 */
export interface Program {
  readonly graph: CompiledGraph;
  /** Bits of `NodeKind`, by node. */
  readonly kinds: Uint8Array;
  /** The user function of call nodes, `null` elsewhere. */
  readonly fns: readonly (((...args: unknown[]) => unknown) | null)[];
  /** The argument's position, the call's argument entries, or the lookup's key. */
  readonly payloads: readonly unknown[];
  /** `active` entries of conditional nodes. */
  readonly actives: ReadonlyMap<number, unknown>;
  /** Expected array length of each node's result, 0 when not declared. */
  readonly unpackTo: Uint32Array;
  /** The describing function's return value, as an entry. */
  readonly returnEntry: unknown;
}

/** Replaces the traced values inside an entry by their results. */
export function resolveEntry(entry: unknown, results: readonly unknown[]): unknown {
  if (entry instanceof TracedRef) return results[entry.index];
  if (entry instanceof Template) return entry.build(results);
  return entry;
}
