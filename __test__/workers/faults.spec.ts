import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import {
  TawaziError,
  TawaziTypeError,
  TawaziWorkerError,
  close,
  configureWorkers,
  dag,
  errorCodes,
  xn,
} from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { Slot } from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

// Tests run one at a time because they share the process's worker pool and some reconfigure it.
failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);

const add = xn.worker<typeof tasks.add>(tasksUrl, "add");
const ok = xn.worker<typeof tasks.one>(tasksUrl, "one", { name: "ok" });
const spin = xn.worker<typeof tasks.spin>(tasksUrl, "spin");
const throwCoded = xn.worker<typeof tasks.throwCoded>(tasksUrl, "throwCoded");
const throwRange = xn.worker<typeof tasks.throwRange>(tasksUrl, "throwRange", { name: "boom" });
const count = xn.worker<typeof tasks.count>(tasksUrl, "count", { name: "after" });
const exitProcess = xn.worker<typeof tasks.exitProcess>(tasksUrl, "exitProcess", { name: "k" });
const allocate = xn.worker<typeof tasks.allocateUntilOutOfMemory>(
  tasksUrl,
  "allocateUntilOutOfMemory",
  { name: "hog" },
);
const barrier = xn.worker<typeof tasks.barrier>(tasksUrl, "barrier");

/** Creates a SharedArrayBuffer of `slots` 32-bit counters, all 0. */
function sharedCounters(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT);
}

function readCounters(counters: SharedArrayBuffer): number[] {
  return Array.from(new Int32Array(counters));
}

/**
 * Runs two barrier nodes at once and returns their thread ids. A pool with two live threads
 * gives two distinct ids, and a node that waited in vain for the other gives -1.
 */
async function twoThreadIds(engine: (typeof engines)[number]): Promise<number[]> {
  const gate = sharedCounters(1);
  const pipeline = dag(
    function bothThreads() {
      return [barrier(gate, 2, 5000), barrier(gate, 2, 5000)];
    },
    { engine, maxConcurrency: 2 },
  );
  return pipeline();
}

test.before(async () => {
  await configureWorkers({ threads: 2 });
});

test.after.always(async () => {
  await close();
});

for (const engine of engines) {
  test.serial(`thrown error keeps its properties [${engine}]`, async (t) => {
    const pipeline = dag(
      function throwing() {
        return throwCoded("disk full");
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline());

    t.true(error instanceof Error);
    t.is(error?.message, "disk full");
    t.is(error?.name, "CodedError");
    t.true(error?.stack?.includes("tasks.ts"), error?.stack);
    t.is((error as { code?: unknown } | undefined)?.code, 42);
    t.is((error as { tawaziNode?: unknown } | undefined)?.tawaziNode, "throwCoded");
  });

  test.serial(`thrown error keeps its cause [${engine}]`, async (t) => {
    const throwWithCause = xn.worker<typeof tasks.throwWithCause>(tasksUrl, "throwWithCause");
    const pipeline = dag(
      function throwing() {
        return throwWithCause("outer");
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline());

    t.is(error?.message, "outer");
    t.true(error?.cause instanceof TypeError, String(error?.cause));
    t.is((error?.cause as Error | undefined)?.message, "inner");
  });

  test.serial(`unclonable result fails clearly [${engine}]`, async (t) => {
    const returnHandle = xn.worker<typeof tasks.returnHandle>(tasksUrl, "returnHandle");
    const pipeline = dag(
      function handing() {
        return [returnHandle(), add(1, 1)];
      },
      { engine, behavior: "permissive", maxConcurrency: 2 },
    );
    const execution = pipeline.executor();

    const value = await execution();

    t.deepEqual(value, [undefined, 2]);
    const error = execution.errors.get("returnHandle") as TawaziError | undefined;
    t.true(error instanceof TawaziTypeError, String(error));
    t.is(error?.code, errorCodes.TawaziTypeError);
    t.true(error?.message.includes('"returnHandle"'), error?.message);
  });

  test.serial(`thrown error under permissive [${engine}]`, async (t) => {
    const pipeline = dag(
      function throwingBeside() {
        return [throwCoded("disk full"), add(1, 2)];
      },
      { engine, behavior: "permissive", maxConcurrency: 2 },
    );
    const execution = pipeline.executor();

    const value = await execution();

    t.deepEqual(value, [undefined, 3]);
    t.deepEqual([...execution.errors.keys()], ["throwCoded"]);
    t.is((execution.errors.get("throwCoded") as { code?: unknown }).code, 42);
  });

  test.serial(`sync RangeError in a worker [${engine}]`, async (t) => {
    const counters = sharedCounters(1);
    const pipeline = dag(
      function throwing() {
        const a = ok();
        count(counters, 0, throwRange());
        return a;
      },
      { engine, maxConcurrency: 2 },
    );

    for (let call = 0; call < 11; call += 1) {
      const error = await t.throwsAsync(pipeline(), { instanceOf: RangeError }, `call ${call}`);
      t.is(error?.message, "bad", `call ${call}`);
      t.is((error as { tawaziNode?: unknown } | undefined)?.tawaziNode, "boom", `call ${call}`);
    }
    t.deepEqual(readCounters(counters), [0]);
  });

  test.serial(`worker exit under strict [${engine}]`, async (t) => {
    const pipeline = dag(
      function crashing() {
        return [exitProcess(), spin(20), spin(20), spin(20), spin(20)];
      },
      { engine, maxConcurrency: 5 },
    );

    const start = performance.now();
    const error = await t.throwsAsync(pipeline(), { instanceOf: TawaziWorkerError });
    const elapsed = performance.now() - start;

    t.true(elapsed < 2000, `rejected after ${elapsed.toFixed(0)} ms`);
    t.is(error?.code, errorCodes.TawaziWorkerError);
    t.true(error instanceof TawaziError);
    t.true(error?.message.includes('"k"'), error?.message);
    t.regex(error?.message ?? "", /exit(ed)? with code:? 1\b/u);
    t.is((error as { tawaziNode?: unknown } | undefined)?.tawaziNode, "k");

    const threadIds = await twoThreadIds(engine);
    t.false(threadIds.includes(-1), `thread ids ${threadIds.join(", ")}`);
    t.is(new Set(threadIds).size, 2);
  });

  test.serial(`worker exit under permissive [${engine}]`, async (t) => {
    const pipeline = dag(
      function crashing() {
        return [exitProcess(), spin(20), spin(21), spin(22), spin(23)];
      },
      { engine, behavior: "permissive", maxConcurrency: 5 },
    );

    for (let call = 0; call < 6; call += 1) {
      const execution = pipeline.executor();
      const value = await execution();

      t.deepEqual(value, [undefined, 20, 21, 22, 23], `call ${call}`);
      t.deepEqual([...execution.errors.keys()], ["k"], `call ${call}`);
      t.true(execution.errors.get("k") instanceof TawaziWorkerError, `call ${call}`);
    }

    const threadIds = await twoThreadIds(engine);
    t.false(threadIds.includes(-1), `thread ids ${threadIds.join(", ")}`);
    t.is(new Set(threadIds).size, 2);
  });

  test.serial(`out of memory fails the node [${engine}]`, async (t) => {
    await configureWorkers({ threads: 2, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    try {
      const pipeline = dag(
        function hungry() {
          return [allocate(), add(2, 3)];
        },
        { engine, behavior: "permissive", maxConcurrency: 2 },
      );
      const execution = pipeline.executor();

      const value = await execution();

      t.deepEqual(value, [undefined, 5]);
      t.deepEqual([...execution.errors.keys()], ["hog"]);
      const error = execution.errors.get("hog") as TawaziWorkerError;
      t.true(error instanceof TawaziWorkerError);
      t.is(error.code, errorCodes.TawaziWorkerError);
      t.true(error.message.includes('"hog"'), error.message);
      t.is((error.cause as { code?: unknown } | undefined)?.code, "ERR_WORKER_OUT_OF_MEMORY");
    } finally {
      await configureWorkers({ threads: 2 });
    }
  });

  test.serial(`missing module fails at first use [${engine}]`, async (t) => {
    const missingUrl = new URL("../fixtures/workers/no-such-module.ts", import.meta.url);
    const ghost = xn.worker<() => number>(missingUrl, "anything", { name: "ghost" });
    const pipeline = dag(
      function missing() {
        return ghost();
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline(), { instanceOf: TawaziWorkerError });

    t.is(error?.code, errorCodes.TawaziWorkerError);
    t.true(error?.message.includes('"ghost"'), error?.message);
    t.true(error?.message.includes("no-such-module.ts"), error?.message);
    t.true(error?.message.includes('"anything"'), error?.message);
  });

  test.serial(`missing export fails at first use [${engine}]`, async (t) => {
    const absent = xn.worker<() => number>(tasksUrl, "doesNotExist");
    const pipeline = dag(
      function missing() {
        return absent();
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline(), { instanceOf: TawaziWorkerError });

    t.is(error?.code, errorCodes.TawaziWorkerError);
    t.true(error?.message.includes('"doesNotExist"'), error?.message);
    t.true(error?.message.includes("tasks.ts"), error?.message);
    t.true(error?.message.includes("throwCoded"), error?.message);
  });

  test.serial(`export that is not a function [${engine}]`, async (t) => {
    const constant = xn.worker<() => number>(tasksUrl, "notAFunction");
    const pipeline = dag(
      function notCallable() {
        return constant();
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline(), { instanceOf: TawaziWorkerError });

    t.true(error?.message.includes('"notAFunction"'), error?.message);
    t.true(error?.message.includes("number"), error?.message);
  });

  test.serial(`strict failure stops new workers [${engine}]`, async (t) => {
    await configureWorkers({ threads: 4 });
    try {
      const counters = sharedCounters(10);
      const stage = (name: string) => xn.worker<typeof tasks.stage>(tasksUrl, "stage", { name });
      const [a, b, x, c, e, g] = ["a", "b", "x", "c", "e", "g"].map(stage) as [
        ReturnType<typeof stage>,
        ReturnType<typeof stage>,
        ReturnType<typeof stage>,
        ReturnType<typeof stage>,
        ReturnType<typeof stage>,
        ReturnType<typeof stage>,
      ];
      const slot = { a: 4, b: 5, x: 6, c: 7, e: 8, g: 9 };
      const pipeline = dag(
        function strictFailure() {
          const va = a(counters, slot.a, 600);
          const vb = b(counters, slot.b, 50);
          x(counters, slot.x, 100, "x");
          c(counters, slot.c, 0, undefined, va, vb);
          e(counters, slot.e, 80, undefined, vb);
          return g(counters, slot.g, 0, undefined, va);
        },
        { engine, maxConcurrency: Number.POSITIVE_INFINITY },
      );

      const error = await t.throwsAsync(pipeline());
      t.is(error?.message, "x");
      t.is((error as { tawaziNode?: unknown } | undefined)?.tawaziNode, "x");

      await sleep(1000);
      const after = readCounters(counters);
      t.is(after[slot.c], 0, "c started");
      t.is(after[slot.g], 0, "g started");
      t.is(after[Slot.active], 0, "a worker node is still running 1 s after the run settled");
      t.is(after[Slot.started], after[Slot.ended]);
    } finally {
      await configureWorkers({ threads: 2 });
    }
  });
}
