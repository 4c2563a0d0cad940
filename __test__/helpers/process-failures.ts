import { setTimeout as delay } from "node:timers/promises";
import { inspect } from "node:util";

import test from "ava";

const failures: string[] = [];
let watching = false;

/** Resolves after every pending promise reaction and `process.nextTick` callback has run. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Records every unhandled rejection and uncaught exception of this test file's process, and
 * fails the test during which (or shortly after which) one fires. A final hook waits 50 ms
 * after the last test, so a rejection left behind by a run that already settled fails too.
 * Call it once at the top of a spec file; later calls do nothing.
 */
export function failOnProcessErrors(): void {
  if (watching) return;
  watching = true;

  process.on("unhandledRejection", (reason) => {
    failures.push(`unhandled rejection: ${inspect(reason)}`);
  });
  process.on("uncaughtException", (error) => {
    failures.push(`uncaught exception: ${inspect(error)}`);
  });

  test.afterEach.always("no unhandled rejection or uncaught exception", async (t) => {
    await nextMacrotask();
    t.deepEqual(failures, []);
  });

  test.after.always("no unhandled rejection after the last test", async (t) => {
    await delay(50);
    t.deepEqual(failures, []);
  });
}
