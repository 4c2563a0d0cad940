// tawazi itself, on one of its two engines.
import { type DAG, dag, xn } from "../../index.js";
import {
  type NodeFunctions,
  type Workload,
  asyncFunctions,
  callWith,
  nodeFunctions,
  syncFunctions,
} from "../fixtures/workloads.js";
import type { Implementation, Mode, Prepared } from "./implementation.js";

type AnyNode = (...args: any[]) => any;

/**
 * Returns the describing function of a workload. Chains and fans are written as a user would
 * write them. Layered DAGs and workflows call each node's ExecNode with its parents' traced
 * values, following the argument convention of `callWith`.
 */
export function describingFunction(workload: Workload, functions: NodeFunctions): () => unknown {
  const { size, parentLists, outputs, returnsList } = workload;
  const one = xn(functions.one) as AnyNode;
  const increment = xn(functions.increment) as AnyNode;
  const sumArray = xn(functions.sumArray) as AnyNode;

  switch (workload.shape) {
    case "chain":
      return function chain() {
        let value = one();
        for (let node = 1; node < size; node++) value = increment(value);
        return value;
      };
    case "fan":
      return function fan() {
        const root = one();
        const middle = [];
        for (let node = 1; node < size - 1; node++) middle.push(increment(root));
        return sumArray(middle);
      };
    default: {
      const execNodes = new Map<unknown, AnyNode>();
      const nodes = nodeFunctions(workload, functions).map((fn) => {
        if (!execNodes.has(fn)) execNodes.set(fn, xn(fn) as AnyNode);
        return execNodes.get(fn)!;
      });
      return function generated() {
        const traced = new Array<unknown>(size);
        for (let node = 0; node < size; node++) {
          traced[node] = callWith(nodes[node]!, parentLists[node]!.map((parent) => traced[parent]));
        }
        return returnsList ? outputs.map((node) => traced[node]) : traced[outputs[0]!];
      };
    }
  }
}

export function tawazi(engine: "ts" | "native"): Implementation {
  return {
    name: engine,
    prepare(workload: Workload, mode: Mode, concurrency: number): Prepared<DAG<[], unknown>> {
      const describe = describingFunction(workload, mode === "sync" ? syncFunctions : asyncFunctions);
      return {
        build: () => dag(describe, { engine, maxConcurrency: concurrency }) as DAG<[], unknown>,
        run: mode === "sync" ? (pipeline) => pipeline.runSync() : (pipeline) => pipeline(),
      };
    },
  };
}
