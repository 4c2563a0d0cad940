// p-graph: nodes are ids with dependency pairs, and run functions take no inputs, so each node
// reads its parents' results from an array the run fills.
import { PGraph } from "p-graph";

import { type Workload, asyncFunctions, callWith, nodeFunctions, outputOf, syncFunctions } from "../fixtures/workloads.js";
import type { Implementation, Mode, Prepared } from "./implementation.js";

export const pGraph: Implementation = {
  name: "p-graph",
  prepare(workload: Workload, mode: Mode, concurrency: number): Prepared<PGraph> {
    const functions = nodeFunctions(workload, mode === "sync" ? syncFunctions : asyncFunctions);
    const { parentLists } = workload;
    const build = () => {
      const nodes = new Map<string, object>();
      const dependencies: [string, string][] = [];
      for (let node = 0; node < workload.size; node++) {
        nodes.set(String(node), {});
        for (const parent of parentLists[node]!) dependencies.push([String(parent), String(node)]);
      }
      return new PGraph(nodes, dependencies);
    };

    const run = async (graph: PGraph) => {
      const values = new Array<unknown>(workload.size);
      const runNode = (id: string) => {
        const node = Number(id);
        const value = callWith(functions[node]!, parentLists[node]!.map((parent) => values[parent]));
        if (mode === "sync") values[node] = value;
        else return (value as Promise<unknown>).then((result) => (values[node] = result));
      };
      await graph.run({ concurrency, run: runNode });
      return outputOf(workload, values);
    };
    return { build, run };
  },
};
