import test from "ava";

import { dag, xn } from "../../index.js";
import type { ScheduleRun, Scheduler } from "../../src/engine/scheduler.js";
import { tsScheduler } from "../../src/engine/ts.js";
import { Run, type Settlement } from "../../src/run/run.js";
import { coreOf } from "../../src/trace/dag.js";

/** Returns the TypeScript engine, except that reporting the completion of `failingNode` throws `error`. */
function schedulerFailingAt(failingNode: number, error: Error): Scheduler {
  return {
    name: "ts",
    start(graph, plan): ScheduleRun {
      const inner = tsScheduler.start(graph, plan);
      return {
        take: (out) => inner.take(out),
        finish(node, outcome) {
          if (node === failingNode) throw error;
          inner.finish(node, outcome);
        },
        get finished() {
          return inner.finished;
        },
        get states() {
          return inner.states;
        },
      };
    },
  };
}

test("internal error after an async node rejects the run", async (t) => {
  const later = xn(async function later() {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return 1;
  });
  const pipeline = dag(function oneAsync() {
    return later();
  }, { engine: "ts" });
  const program = coreOf(pipeline).traced.program;
  const error = new Error("a bug in the engine");
  const run = new Run(program, [], { mask: null, maxConcurrency: 1, behavior: 0 }, schedulerFailingAt(0, error), false);

  const settled = new Promise<Settlement>((resolve) => (run.onSettle = resolve));
  run.start();

  t.deepEqual(await settled, { ok: false, error });
});
