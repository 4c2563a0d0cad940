import test from "ava";

import { close, configureWorkers, dag, xn } from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { arithmetic } from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);
const crunch = xn.worker<typeof tasks.arithmetic>(tasksUrl, "arithmetic");

const nodeMs = 300;

/** Returns how many iterations of `arithmetic` take about `ms` milliseconds on this thread. */
function iterationsFor(ms: number): number {
  const sample = 2_000_000;
  arithmetic(sample);
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const start = performance.now();
    arithmetic(sample);
    best = Math.min(best, performance.now() - start);
  }
  return Math.round((sample * ms) / Math.max(best, 0.01));
}

/** Awaits `run` and returns its value with the wall-clock time it took, in milliseconds. */
async function timed<R>(run: () => Promise<R>): Promise<{ value: R; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

test.before(async () => {
  await configureWorkers({ threads: 2 });
});

test.after.always(async () => {
  await close();
});

for (const engine of engines) {
  test.serial(`four CPU-bound nodes, two threads [${engine}]`, async (t) => {
    const iterations = iterationsFor(nodeMs);
    const expected = arithmetic(iterations);
    const build = (maxConcurrency: number) =>
      dag(
        function fourCrunches(work: number) {
          return [crunch(work), crunch(work), crunch(work), crunch(work)];
        },
        { engine, maxConcurrency },
      );
    const oneAtATime = build(1);
    const twoAtATime = build(2);

    // The first run starts the threads and loads the module, which the timed runs then share.
    await twoAtATime(1);
    const serial = await timed(() => oneAtATime(iterations));
    const parallel = await timed(() => twoAtATime(iterations));
    const speedUp = serial.ms / parallel.ms;
    t.log(
      `${iterations} iterations per node; maxConcurrency 1: ${serial.ms.toFixed(0)} ms, ` +
        `maxConcurrency 2: ${parallel.ms.toFixed(0)} ms, speed-up ${speedUp.toFixed(2)}x`,
    );

    t.deepEqual(serial.value, [expected, expected, expected, expected]);
    t.deepEqual(parallel.value, [expected, expected, expected, expected]);
    t.true(speedUp >= 1.6, `speed-up ${speedUp.toFixed(2)}x is below 1.6x`);
  });
}
