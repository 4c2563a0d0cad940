import { setTimeout as sleep } from "node:timers/promises";

import type { ExecutionContext } from "ava";

/** The event lists of the checks in progress; one process listener pair feeds them all. */
const watchers = new Set<unknown[]>();

function record(reason: unknown): void {
  for (const events of watchers) events.push(reason);
}

/**
 * Runs `body` while recording the process's `unhandledRejection` and `uncaughtException`
 * events, keeps recording for `quietMs` after it settles, then asserts that none fired.
 * Returns what `body` resolved to, or rethrows what it rejected with.
 *
 * The events are process-wide: when tests of one file overlap, an event fails every test
 * that is watching at that moment.
 */
export async function checkUnhandled<T>(
  t: ExecutionContext,
  body: () => Promise<T>,
  quietMs = 50,
): Promise<T> {
  const events: unknown[] = [];
  if (watchers.size === 0) {
    process.on("unhandledRejection", record);
    process.on("uncaughtException", record);
  }
  watchers.add(events);
  try {
    return await body();
  } finally {
    await sleep(quietMs);
    watchers.delete(events);
    if (watchers.size === 0) {
      process.off("unhandledRejection", record);
      process.off("uncaughtException", record);
    }
    t.deepEqual(events, [], "an unhandled rejection or uncaught exception fired");
  }
}
