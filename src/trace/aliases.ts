import { TawaziUsageError, describeValue } from "../errors.js";
import type { NodeInfo } from "./dag.js";
import type { ExecNode } from "./exec-node.js";
import { closestMatches } from "./validate.js";

/**
 * A name for nodes of one DAG: an ExecNode (every use of it), a NodeInfo from
 * `getNodeById`/`getNodesByTag`/`nodes`, a tag, or an id. A tag wins over an id of the same text.
 */
export type Alias = string | ExecNode | NodeInfo;

/** Lookup tables from every kind of alias to dense node indices. */
export class AliasIndex {
  private readonly byId = new Map<string, number>();
  private readonly byTag = new Map<string, number[]>();
  private readonly byExecNode = new Map<unknown, number[]>();
  private readonly byInfo = new Map<NodeInfo, number>();

  /**
   * Indexes `infos`; `indices[i]` is the dense index of `infos[i]` (by default `i`, for a DAG
   * whose nodes are all listed).
   */
  constructor(
    readonly dagName: string,
    infos: readonly NodeInfo[],
    execNodes: readonly (ExecNode | null)[],
    indices?: readonly number[],
  ) {
    for (let position = 0; position < infos.length; position += 1) {
      const info = infos[position]!;
      const node = indices?.[position] ?? position;
      this.byId.set(info.id, node);
      this.byInfo.set(info, node);
      for (const tag of info.tags) push(this.byTag, tag, node);
      const execNode = execNodes[node];
      if (execNode !== null && execNode !== undefined) push(this.byExecNode, execNode, node);
    }
  }

  /** Returns the nodes `alias` names, in description order. */
  resolve(alias: unknown, where: string): number[] {
    if (typeof alias === "string") {
      const tagged = this.byTag.get(alias);
      if (tagged !== undefined) return [...tagged];
      const node = this.byId.get(alias.replace(">!>", ">>>"));
      if (node !== undefined) return [node];
      throw this.unknown(alias, where);
    }

    if (typeof alias === "function") {
      const uses = this.byExecNode.get(alias);
      if (uses !== undefined) return [...uses];
      const name = (alias as { id?: unknown }).id ?? alias.name;
      throw new TawaziUsageError(
        `${where}: ExecNode ${JSON.stringify(String(name))} is not used in DAG ` +
          `"${this.dagName}". Pass an ExecNode called in its describing function, a tag or an id.`,
      );
    }

    if (typeof alias === "object" && alias !== null) {
      const node = this.byInfo.get(alias as NodeInfo);
      if (node !== undefined) return [node];
      const id = (alias as { id?: unknown }).id;
      if (typeof id === "string" && this.byId.has(id)) return [this.byId.get(id)!];
    }

    throw new TawaziUsageError(
      `${where}: ${describeValue(alias)} is not an alias of a node of DAG "${this.dagName}". ` +
        "An alias is an id, a tag, an ExecNode or a node from dag.nodes.",
    );
  }

  /** Returns the nodes of every alias, without repeats, in description order. */
  resolveAll(aliases: unknown, where: string, option: string): number[] {
    if (!Array.isArray(aliases)) {
      throw new TawaziUsageError(
        `${where}: option ${option} must be an array of aliases (ids, tags, ExecNodes or nodes), ` +
          `received ${describeValue(aliases)}.`,
      );
    }
    const nodes = new Set<number>();
    for (const alias of aliases) {
      for (const node of this.resolve(alias, where)) nodes.add(node);
    }
    return [...nodes].sort((a, b) => a - b);
  }

  /** Returns the single node `alias` names; an alias naming several is a usage error. */
  resolveOne(alias: unknown, where: string, ids: readonly string[]): number {
    const nodes = this.resolve(alias, where);
    if (nodes.length === 1) return nodes[0]!;
    const listed = nodes.slice(0, 10).map((node) => JSON.stringify(ids[node]));
    throw new TawaziUsageError(
      `${where}: ${describeValue(alias)} names ${nodes.length} nodes of DAG "${this.dagName}"; ` +
        `name one of them by id: ${listed.join(", ")}${nodes.length > 10 ? ", ..." : ""}.`,
    );
  }

  private unknown(alias: string, where: string): TawaziUsageError {
    const close = closestMatches(alias, new Set([...this.byTag.keys(), ...this.byId.keys()]));
    return new TawaziUsageError(
      `${where}: no node of DAG "${this.dagName}" has the id or tag ${JSON.stringify(alias)}` +
        (close.length > 0 ? `; close matches: ${close.map((c) => JSON.stringify(c)).join(", ")}` : "") +
        ". The ids are the keys of dag.nodes.",
    );
  }
}

function push<K>(map: Map<K, number[]>, key: K, node: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [node]);
  else list.push(node);
}
