import type { CompiledGraph } from "../graph/compiled.js";
import type { SetupOrigin } from "../trace/builder.js";
import { TracedRef } from "../trace/traced.js";
import { OpaqueConstant, Template } from "../trace/template.js";

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
  /** The argument's position, the call's argument entries, the lookup's key or the forwarded entry. */
  readonly payloads: readonly unknown[];
  /** `active` entries of conditional nodes: the node runs when all of them are truthy. */
  readonly actives: ReadonlyMap<number, readonly unknown[]>;
  /** Inlined setup nodes whose results a sub-DAG instance shares. */
  readonly setupOrigins: ReadonlyMap<number, SetupOrigin>;
  /** Expected array length of each node's result, 0 when not declared. */
  readonly unpackTo: Uint32Array;
  /** The describing function's return value, as an entry. */
  readonly returnEntry: unknown;
  /**
   * Bits of `LimitFlag` by node: call nodes that receive a signal or have a time limit. Null
   * when no node has either, so runs of such programs never look further.
   */
  readonly limits: Uint8Array | null;
  /** Each node's time limit in milliseconds; Infinity for none. Null when `limits` is. */
  readonly timeouts: Float64Array | null;
}

/** Per-node bits of `Program.limits`. */
export const LimitFlag = {
  /** The function receives an AbortSignal after its arguments. */
  signal: 1,
  /** The node has a finite `timeout`. */
  timeout: 2,
} as const;

/** Replaces the traced values inside an entry by their results. */
export function resolveEntry(entry: unknown, results: readonly unknown[]): unknown {
  if (entry instanceof TracedRef) return results[entry.index];
  if (entry instanceof Template) return entry.build(results);
  if (entry instanceof OpaqueConstant) return entry.value;
  return entry;
}
