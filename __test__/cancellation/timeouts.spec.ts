import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import test from "ava";

import { TawaziTimeoutError, TawaziUsageError, close, configureWorkers, dag, errorCodes, xn } from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

// One thread: the thread a warm-up call started is the one that runs the next worker node.
test.before("use one worker thread", async () => {
  await configureWorkers({ threads: 1 });
});

test.after.always("close the worker pool", async () => {
  await close();
});

/** A node whose promise never settles. */
const hang = xn(function hang(): Promise<number> {
  return new Promise(() => {});
});

/** Returns the error `promise` rejects with, checking it is a TawaziTimeoutError. */
async function timeoutOf(t: import("ava").ExecutionContext, promise: Promise<unknown>): Promise<TawaziTimeoutError> {
  const error = await t.throwsAsync(promise, { instanceOf: TawaziTimeoutError });
  t.is(error?.code, errorCodes.TawaziTimeoutError);
  return error!;
}

for (const engine of engines) {
  test(`with() sets one use's timeout [${engine}]`, async (t) => {
    const quick = xn(async function quick() {
      await sleep(30);
      return 1;
    });
    const pipeline = dag(
      function twoUses() {
        return [quick(), quick.with({ timeout: 10 })()];
      },
      { engine, behavior: "permissive", maxConcurrency: 2 },
    );
    const execution = pipeline.executor();

    t.deepEqual(await execution(), [1, undefined]);
    const error = execution.errors.get("quick<<1>>") as TawaziTimeoutError;
    t.true(error instanceof TawaziTimeoutError);
    t.is(error.node, "quick<<1>>");
    t.is(error.timeout, 10);
    t.regex(error.message, /node "quick<<1>>" timed out: it took longer than its timeout of 10 ms/u);
  });

  test(`late synchronous node fails on return [${engine}]`, async (t) => {
    let calls = 0;
    const busy = xn(
      function busy() {
        calls += 1;
        const end = performance.now() + 25;
        while (performance.now() < end) {
          // Busy: the node's time limit passes before it returns.
        }
        return 1;
      },
      { timeout: 5 },
    );
    const pipeline = dag(
      function late() {
        return busy();
      },
      { engine },
    );

    const error = await timeoutOf(t, pipeline());
    t.is(error.node, "busy");
    t.throws(() => pipeline.runSync(), { instanceOf: TawaziTimeoutError });
    t.is(calls, 2);
  });

  /**
   * Builds bounded() := waiting(), a signal node that waits 1 s unless its signal aborts;
   * `signals` receives the signal it was given.
   */
  function bounded(timeout: number) {
    const signals: AbortSignal[] = [];
    const waiting = xn(
      async function waiting(signal: AbortSignal) {
        signals.push(signal);
        await sleep(1000, undefined, { signal });
        return 1;
      },
      { signal: true, timeout },
    );
    const pipeline = dag(
      function bounded() {
        return waiting();
      },
      { engine },
    );
    return { signals, pipeline };
  }

  test(`node signal aborts on its timeout [${engine}]`, async (t) => {
    const { signals, pipeline } = bounded(20);

    const error = await timeoutOf(t, pipeline());
    t.true(signals[0]?.aborted);
    t.is(signals[0]?.reason, error);
  });

  test(`late result after node timeout discarded [${engine}]`, async (t) => {
    const inputs: unknown[] = [];
    const slow = xn(
      async function slow() {
        await sleep(40);
        return "late";
      },
      { timeout: 10 },
    );
    const use = xn(function use(value: unknown) {
      inputs.push(value);
      return value;
    });
    const pipeline = dag(
      function discarding() {
        return use(slow());
      },
      { engine, behavior: "permissive" },
    );
    const execution = pipeline.executor();

    t.is(await execution(), undefined);
    await sleep(50);
    t.deepEqual(inputs, [undefined]);
    t.is(execution.resultOf("slow"), undefined);
    t.is(execution.status("slow").state, "failed");
  });

  // Serial: ava runs serial tests before the others, so timers fire close to their time.
  test.serial(`run timeout rejects and aborts nodes [${engine}]`, async (t) => {
    const { signals, pipeline } = bounded(Number.POSITIVE_INFINITY);

    const started = performance.now();
    const error = await timeoutOf(t, pipeline.run({ timeout: 30 }));
    const elapsed = performance.now() - started;
    t.is(error.timeout, 30);
    t.is(error.node, undefined);
    t.regex(error.message, /DAG "bounded" timed out: the run took longer than its timeout of 30 ms/u);
    t.true(elapsed >= 29 && elapsed < 200, `rejected after ${elapsed.toFixed(1)} ms`);
    t.log(`rejected ${elapsed.toFixed(1)} ms after the start, for a timeout of 30 ms`);
    t.is(signals[0]?.reason, error);
  });

  test(`run timeout stops a never-settling node [${engine}]`, async (t) => {
    const pipeline = dag(
      function stuck() {
        return hang();
      },
      { engine },
    );

    const error = await timeoutOf(t, pipeline.executor({ timeout: 20 })());
    t.is(error.timeout, 20);
  });

  test(`run timeout 0 starts nothing [${engine}]`, async (t) => {
    let calls = 0;
    const node = xn(function node() {
      calls += 1;
      return 1;
    });
    const pipeline = dag(
      function instant() {
        return node();
      },
      { engine },
    );

    await timeoutOf(t, pipeline.run({ timeout: 0 }));
    t.is(calls, 0);
  });

  test(`Infinity timeouts mean no limit [${engine}]`, async (t) => {
    const node = xn(
      async function node() {
        await sleep(5);
        return 1;
      },
      { timeout: Number.POSITIVE_INFINITY },
    );
    const pipeline = dag(
      function unlimited() {
        return node();
      },
      { engine },
    );

    t.is(await pipeline.run({ timeout: Number.POSITIVE_INFINITY }), 1);
    t.is(node.options.timeout, Number.POSITIVE_INFINITY);
  });

  test.serial(`worker node timeout cancels its task [${engine}]`, async (t) => {
    const counters = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    const spin = xn.worker<typeof tasks.spinCounted<string>>(tasksUrl, "spinCounted", {
      signal: true,
      timeout: 500,
    });
    const pipeline = dag(
      function spinning(ms: number) {
        return spin(counters, ms, "done");
      },
      { engine },
    );
    // Starting a thread and loading the module may take longer than the limit: do it first.
    const unlimited = dag(
      function warmUp() {
        return spin.with({ timeout: Number.POSITIVE_INFINITY })(counters, 1, "done");
      },
      { engine },
    );

    t.is(await unlimited(), "done");
    const error = await timeoutOf(t, pipeline(5000));
    t.is(error.node, "spinCounted");
    await sleep(100);
    t.deepEqual(Array.from(new Int32Array(counters)), [2, 1], "the 5 s spin was terminated");
    t.is(await unlimited(), "done", "the pool still runs worker nodes");
  });

  const invalidTimeouts: unknown[] = [-1, Number.NaN, Number.NEGATIVE_INFINITY, "5", null];
  for (const value of invalidTimeouts) {
    test(`timeout ${String(value)} rejected everywhere [${engine}]`, async (t) => {
      const message = /option timeout must be a number of milliseconds ≥ 0 \(or Infinity for no limit\), received/u;
      const node = xn(function node() {
        return 1;
      });
      const pipeline = dag(
        function plain() {
          return node();
        },
        { engine },
      );
      const timeout = value as number;

      t.throws(() => xn(node.fn, { timeout }), { instanceOf: TawaziUsageError, message });
      t.throws(() => node.with({ timeout }), { instanceOf: TawaziUsageError, message });
      t.throws(() => pipeline.executor({ timeout }), { instanceOf: TawaziUsageError, message });
      t.throws(() => pipeline.runSyncWith({ timeout }), { instanceOf: TawaziUsageError, message });
      await t.throwsAsync(pipeline.run({ timeout }), { instanceOf: TawaziUsageError, message });
      await t.throwsAsync(pipeline.setup({ timeout }), { instanceOf: TawaziUsageError, message });
    });
  }
}

test("signal option must be a boolean", (t) => {
  const error = t.throws(() => xn(function node() {}, { signal: "yes" as never }), { instanceOf: TawaziUsageError });
  t.regex(error!.message, /option signal must be a boolean, received "yes" \(string\)/u);
});

test("timers end with the run", async (t) => {
  // A timer left behind would keep this script's process alive for a minute.
  const script = `
    import { setTimeout as sleep } from "node:timers/promises";
    import { dag, xn } from ${JSON.stringify(pathToFileURL(path.join(root, "index.ts")).href)};

    const quick = xn(async function quick() { await sleep(5); return 1; }, { timeout: 60_000 });
    const slow = xn(async function slow() { await sleep(100); return 2; }, { timeout: 60_000 });
    const done = dag(function done() { return quick(); });
    const aborted = dag(function aborted() { return [quick(), slow()]; }, { maxConcurrency: 2 });

    console.log(await done.run({ timeout: 60_000 }));
    const controller = new AbortController();
    const run = aborted.run({ signal: controller.signal, timeout: 60_000 }).catch((error) => error.name);
    await sleep(20);
    controller.abort();
    console.log(await run);
  `;
  const folder = mkdtempSync(path.join(tmpdir(), "tawazi-timers-"));
  try {
    const file = path.join(folder, "timers.mts");
    writeFileSync(file, script);
    const started = performance.now();
    const result = await promisify(execFile)(process.execPath, ["--import=tsx", file], { cwd: root, timeout: 30_000 });
    const elapsed = performance.now() - started;

    t.is(result.stdout, "1\nAbortError\n");
    t.true(elapsed < 20_000, `the process exited after ${elapsed.toFixed(0)} ms`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
