import test from "ava";

import { TawaziUsageError, TawaziWorkerError, close, dag, xn } from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);

test.after.always(async () => {
  await close({ timeout: 0 });
});

test.serial("close stops a stuck worker after its timeout", async (t) => {
  const hang = xn.worker<typeof tasks.hang>(tasksUrl, "hang");
  const pipeline = dag(function stuck() {
    return hang();
  });
  // Capture the outcome at once: the run rejects while close() is awaited.
  const outcome = pipeline().then(
    () => undefined,
    (error: unknown) => error,
  );
  // Let the task reach a worker thread before closing.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const started = performance.now();
  await close({ timeout: 100 });
  const waited = performance.now() - started;

  t.true(waited >= 95, `close returned after ${waited} ms`);
  t.true(waited < 3000, `close took ${waited} ms`);
  const error = await outcome;
  t.true(error instanceof TawaziWorkerError);
  t.is((error as TawaziWorkerError).code, "ERR_TAWAZI_WORKER");
  t.true((error as Error).message.includes('"hang"'), (error as Error).message);
});

test.serial("close rejects an invalid timeout", async (t) => {
  await t.throwsAsync(() => close({ timeout: -1 }), { instanceOf: TawaziUsageError });
  await t.throwsAsync(() => close({ timeout: "5" as never }), { instanceOf: TawaziUsageError });
});

test.serial("error with a throwing getter comes back", async (t) => {
  const bad = xn.worker<typeof tasks.throwWithBadGetter>(tasksUrl, "throwWithBadGetter");
  const pipeline = dag(function badGetter() {
    return bad();
  });
  const error = await t.throwsAsync(pipeline);
  t.false(error instanceof TawaziWorkerError);
  t.is(error.message, "unreadable property");
  t.is((error as Error & { code?: string }).code, "E_BAD");
  t.false("bad" in error);
});
