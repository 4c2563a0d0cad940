import { TawaziUsageError } from "../errors.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import type { GraphBuilder } from "./builder.js";

/**
 * Checks the rules between node kinds once a description is complete, so a broken DAG is
 * rejected by `dag()` rather than at its first call:
 * - a setup node depends only on constants and other setup nodes, because its result is
 *   computed once per DAG instance and cannot follow the inputs of one call;
 * - a regular node does not depend on a debug node, because it could not run when debug nodes
 *   are off.
 * Every violation is listed in one TawaziUsageError.
 *
 * # Complexity
 * O(V + E).
 */
export function checkNodeRules(builder: GraphBuilder): void {
  const problems: string[] = [];
  const { ids, flags, kinds, parentOffsets, parentList } = builder;

  for (let node = 0; node < ids.length; node += 1) {
    const nodeFlags = flags[node]!;
    const isSetup = (nodeFlags & NodeFlag.setup) !== 0;
    const isDebug = (nodeFlags & NodeFlag.debug) !== 0;

    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      const parent = parentList[edge]!;
      const parentFlags = flags[parent]!;

      if (isSetup && (kinds[parent] === NodeKind.argument || kinds[parent] === NodeKind.forward)) {
        problems.push(
          `setup node "${ids[node]}" depends on the DAG input "${ids[parent]}"; a setup result ` +
            "is computed once per DAG instance, so it may depend only on constants and setup nodes",
        );
      } else if (isSetup && (parentFlags & NodeFlag.setup) === 0) {
        problems.push(
          `setup node "${ids[node]}" depends on "${ids[parent]}", which is not a setup node; ` +
            "make it a setup node or pass a constant",
        );
      }

      if (!isDebug && (parentFlags & NodeFlag.debug) !== 0) {
        problems.push(
          `node "${ids[node]}" depends on the debug node "${ids[parent]}", so it could not run ` +
            "when debug nodes are off; make it a debug node too or remove the dependency",
        );
      }
    }
  }

  if (problems.length > 0) {
    throw new TawaziUsageError(
      `dag(): DAG "${builder.dagName}" breaks ${problems.length === 1 ? "a rule" : "rules"} ` +
        `between node kinds:\n- ${problems.join("\n- ")}`,
    );
  }
}
