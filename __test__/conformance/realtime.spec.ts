import { setTimeout as delay } from "node:timers/promises";

import test from "ava";

import { dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const wait = xn(async function wait(ms: number) {
  await delay(ms);
  return ms;
});

/** Runs two 200 ms nodes with `maxConcurrency` and returns the elapsed milliseconds. */
async function timeTwoWaits(
  maxConcurrency: number,
  engine: (typeof engines)[number],
): Promise<{ elapsed: number; result: unknown }> {
  const pipeline = dag(
    function pipeline(ms: number) {
      return [wait(ms), wait(ms)];
    },
    { maxConcurrency, engine },
  );
  const start = performance.now();
  const result = await pipeline(200);
  return { elapsed: performance.now() - start, result };
}

for (const engine of engines) {
  test.serial(`two async nodes overlap [${engine}]`, async (t) => {
    const { elapsed, result } = await timeTwoWaits(2, engine);

    t.deepEqual(result, [200, 200]);
    t.true(elapsed < 350, `took ${elapsed.toFixed(0)} ms`);
  });

  test.serial(`maxConcurrency 1 runs one at a time [${engine}]`, async (t) => {
    const { elapsed, result } = await timeTwoWaits(1, engine);

    t.deepEqual(result, [200, 200]);
    t.true(elapsed >= 390, `took ${elapsed.toFixed(0)} ms`);
  });
}
