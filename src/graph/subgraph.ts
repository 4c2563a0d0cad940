import { TawaziUsageError } from "../errors.js";
import type { CompiledGraph } from "./compiled.js";
import { NodeFlag, NodeKind } from "./flags.js";

/** The part of a DAG that one run covers, as dense node indices. */
export interface Selection {
  /** Run only these and their descendants; each must be a root. */
  readonly roots?: readonly number[];
  /** Remove these and all their descendants. */
  readonly excluded?: readonly number[];
  /** Run only these and their ancestors. */
  readonly targets?: readonly number[];
  /** Keep only setup nodes (for `setup()`). */
  readonly setupOnly?: boolean;
  /** Include debug nodes. */
  readonly runDebug: boolean;
}

/**
 * Returns the mask (1 = runs) of the nodes `selection` covers. Selections apply in the order
 * root, exclude, target, as in Tawazi. Debug nodes are left out unless `runDebug`. When they
 * are included and a subgraph was selected, a debug node whose dependencies are all selected
 * joins it, unless it was excluded. Argument nodes are always included.
 *
 * # Errors
 * TawaziUsageError for a root node that has parents other than DAG inputs, or a target that
 * the root or exclude selection removed.
 *
 * # Complexity
 * O(V + E).
 */
export function selectSubgraph(
  graph: CompiledGraph,
  kinds: Uint8Array,
  selection: Selection,
  where: string,
): Uint8Array {
  const { size, flags } = graph;
  const mask = new Uint8Array(size).fill(1);

  if (!selection.runDebug) {
    for (let node = 0; node < size; node += 1) {
      if ((flags[node]! & NodeFlag.debug) !== 0) mask[node] = 0;
    }
  }

  if (selection.roots !== undefined) {
    for (const root of selection.roots) checkRoot(graph, kinds, root, where);
    const reached = reach(graph.childOffsets, graph.children, size, selection.roots);
    for (let node = 0; node < size; node += 1) mask[node]! &= reached[node]!;
  }

  let excluded: Uint8Array | undefined;
  if (selection.excluded !== undefined && selection.excluded.length > 0) {
    excluded = reach(graph.childOffsets, graph.children, size, selection.excluded);
    for (let node = 0; node < size; node += 1) if (excluded[node] === 1) mask[node] = 0;
  }

  if (selection.targets !== undefined) {
    for (const target of selection.targets) {
      if (mask[target] === 0) {
        throw new TawaziUsageError(
          `${where}: target node "${graph.ids[target]}" is removed by ` +
            `${describeRemoval(graph, selection, excluded, target)}; ` +
            "remove it from targetNodes or change the other selections.",
        );
      }
    }
    const needed = reach(graph.parentOffsets, graph.parents, size, selection.targets);
    for (let node = 0; node < size; node += 1) mask[node]! &= needed[node]!;
  }

  // Setup runs keep the setup nodes among what the selection needs, after the targets are checked.
  if (selection.setupOnly === true) {
    for (let node = 0; node < size; node += 1) {
      if ((flags[node]! & NodeFlag.setup) === 0) mask[node] = 0;
    }
  }

  const selected =
    selection.roots !== undefined || selection.targets !== undefined || excluded !== undefined;
  if (selection.runDebug && selected && selection.setupOnly !== true) {
    joinDebugNodes(graph, mask, excluded);
  }

  for (let node = 0; node < size; node += 1) {
    if (kinds[node] === NodeKind.argument) mask[node] = 1;
  }
  includeInputReads(graph, kinds, mask);
  return mask;
}

/**
 * Adds the nodes standing for DAG inputs that selected nodes use (`options.size`, an inlined
 * sub-DAG's argument): every run has its inputs, even when the selection (rootNodes) did not
 * reach these nodes. Runs in reverse index order so a node added here brings its own parents.
 */
function includeInputReads(graph: CompiledGraph, kinds: Uint8Array, mask: Uint8Array): void {
  const { parentOffsets, parents } = graph;
  for (let node = graph.size - 1; node >= 0; node -= 1) {
    if (mask[node] === 0) continue;
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      const parent = parents[edge]!;
      const kind = kinds[parent];
      if (mask[parent] === 1 || (kind !== NodeKind.lookup && kind !== NodeKind.forward)) continue;
      if (isInput(graph, kinds, parent)) mask[parent] = 1;
    }
  }
}

/** Adds every debug node whose parents are all selected, in topological order, so chains join. */
function joinDebugNodes(
  graph: CompiledGraph,
  mask: Uint8Array,
  excluded: Uint8Array | undefined,
): void {
  const { topologicalOrder, flags, parentOffsets, parents } = graph;
  for (const node of topologicalOrder) {
    if (mask[node] === 1 || (flags[node]! & NodeFlag.debug) === 0) continue;
    if (excluded !== undefined && excluded[node] === 1) continue;
    let parentsSelected = parentOffsets[node + 1]! > parentOffsets[node]!;
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      if (mask[parents[edge]!] === 0) parentsSelected = false;
    }
    if (parentsSelected) mask[node] = 1;
  }
}

/**
 * Returns whether a node stands for a DAG input: an argument node, a key read from an input, or
 * an inlined sub-DAG's argument that forwards inputs or constants only.
 */
function isInput(graph: CompiledGraph, kinds: Uint8Array, node: number): boolean {
  const pending = [node];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const kind = kinds[current];
    if (kind === NodeKind.argument) continue;
    if (kind !== NodeKind.lookup && kind !== NodeKind.forward) return false;
    for (let edge = graph.parentOffsets[current]!; edge < graph.parentOffsets[current + 1]!; edge += 1) {
      pending.push(graph.parents[edge]!);
    }
  }
  return true;
}

/** Checks that a root depends only on DAG inputs (argument nodes, keys read from them) and constants. */
function checkRoot(graph: CompiledGraph, kinds: Uint8Array, root: number, where: string): void {
  for (let edge = graph.parentOffsets[root]!; edge < graph.parentOffsets[root + 1]!; edge += 1) {
    const parent = graph.parents[edge]!;
    if (!isInput(graph, kinds, parent)) {
      throw new TawaziUsageError(
        `${where}: "${graph.ids[root]}" in rootNodes is not a root: it depends on ` +
          `"${graph.ids[parent]}". A root node depends only on DAG inputs and constants.`,
      );
    }
  }
}

function describeRemoval(
  graph: CompiledGraph,
  selection: Selection,
  excluded: Uint8Array | undefined,
  target: number,
): string {
  if (excluded !== undefined && excluded[target] === 1) return "excludeNodes";
  if ((graph.flags[target]! & NodeFlag.debug) !== 0 && !selection.runDebug) {
    return "cfg.RUN_DEBUG_NODES being off (it is a debug node)";
  }
  if (selection.roots !== undefined) return "rootNodes (it does not descend from any root)";
  return "the selection";
}

/**
 * Marks every node reachable from `starts` along one CSR direction, starts included.
 *
 * # Complexity
 * O(V + E), iterative.
 */
function reach(
  offsets: Uint32Array,
  edges: Uint32Array,
  size: number,
  starts: readonly number[],
): Uint8Array {
  const reached = new Uint8Array(size);
  const stack: number[] = [];
  for (const start of starts) {
    if (reached[start] === 0) {
      reached[start] = 1;
      stack.push(start);
    }
  }
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (let edge = offsets[node]!; edge < offsets[node + 1]!; edge += 1) {
      const next = edges[edge]!;
      if (reached[next] === 0) {
        reached[next] = 1;
        stack.push(next);
      }
    }
  }
  return reached;
}
