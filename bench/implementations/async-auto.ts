// async.auto: a task object keyed by id; a task with dependencies lists their ids, then a
// function of the results so far. Synchronous nodes use callbacks called at once, as the
// library's documentation shows; async nodes are async functions.
import asyncLibrary from "async";

import { type Workload, asyncFunctions, callWith, nodeFunctions, outputOf, syncFunctions } from "../fixtures/workloads.js";
import type { Implementation, Mode, Prepared } from "./implementation.js";

type Callback = (error: Error | null, value?: unknown) => void;
type Results = Record<string, unknown>;
type Tasks = Record<string, unknown>;

export const asyncAuto: Implementation = {
  name: "async.auto",
  prepare(workload: Workload, mode: Mode, concurrency: number): Prepared<Tasks> {
    const functions = nodeFunctions(workload, mode === "sync" ? syncFunctions : asyncFunctions);
    const build = () => {
      const tasks: Tasks = {};
      workload.parentLists.forEach((parents, node) => {
        const fn = functions[node]!;
        const keys = parents.map(String);
        const inputs = (results: Results) => keys.map((key) => results[key]);
        if (keys.length === 0) {
          tasks[node] = mode === "sync" ? (done: Callback) => done(null, fn()) : async () => fn();
          return;
        }
        const task =
          mode === "sync"
            ? (results: Results, done: Callback) => done(null, callWith(fn, inputs(results)))
            : async (results: Results) => callWith(fn, inputs(results));
        tasks[node] = [...keys, task];
      });
      return tasks;
    };

    const run = async (tasks: Tasks) => {
      const results = (await asyncLibrary.auto(tasks as never, concurrency)) as Results;
      return outputOf(workload, Array.from({ length: workload.size }, (_, node) => results[node]));
    };
    return { build, run };
  },
};
