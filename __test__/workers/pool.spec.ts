import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import test from "ava";

import {
  TawaziUsageError,
  cfg,
  close,
  configureWorkers,
  dag,
  errorCodes,
  xn,
} from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

// Tests run one at a time because they reconfigure and close the process's worker pool.
failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);
const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

const identity = xn.worker<typeof tasks.identity<number>>(tasksUrl, "identity");
const threadId = xn.worker<typeof tasks.currentThreadId>(tasksUrl, "currentThreadId");
const barrier = xn.worker<typeof tasks.barrier>(tasksUrl, "barrier");
const count = xn.worker<typeof tasks.count<number>>(tasksUrl, "count");

interface ScriptOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a fixture script in a child process with tsx, killing it after `timeoutMs`. */
function runScript(name: string, timeoutMs: number): Promise<ScriptOutcome> {
  const script = fileURLToPath(new URL(`../fixtures/workers/${name}`, import.meta.url));
  const start = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import=tsx", script],
      { cwd: projectRoot, timeout: timeoutMs, killSignal: "SIGKILL" },
      (_error, stdout, stderr) => {
        resolve({
          code: child.exitCode,
          signal: child.signalCode,
          stdout,
          stderr,
          ms: performance.now() - start,
        });
      },
    );
  });
}

/** Runs `parties` barrier nodes at once and returns the thread id each one ran on. */
function barrierThreadIds(
  engine: (typeof engines)[number],
  parties: number,
  timeoutMs = 5000,
): Promise<number[]> {
  const gate = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const pipeline = dag(
    function allAtOnce() {
      return Array.from({ length: parties }, () => barrier(gate, parties, timeoutMs));
    },
    { engine, maxConcurrency: parties },
  );
  return pipeline();
}

test.afterEach.always(async () => {
  await configureWorkers({});
});

test.after.always(async () => {
  await close();
});

test.serial("idle pool lets the process exit", async (t) => {
  const outcome = await runScript("run-without-close.ts", 20_000);

  t.is(outcome.stdout, "20\n", outcome.stderr);
  t.is(outcome.signal, null, "the process was still running after 20 s");
  t.is(outcome.code, 0, outcome.stderr);
  t.true(outcome.ms < 8000, `the process exited after ${outcome.ms.toFixed(0)} ms`);
});

test.serial("close waits for running nodes", async (t) => {
  const outcome = await runScript("close-while-running.ts", 60_000);

  t.is(outcome.code, 0, `the process crashed:\n${outcome.stderr}`);
  t.is(outcome.stdout, `${JSON.stringify(Array.from({ length: 10 }, () => [0, 1, 50]))}\n`);
});

test.serial("thread that cannot start fails its node", async (t) => {
  const outcome = await runScript("tiny-heap.ts", 60_000);

  t.is(outcome.code, 0, `the process crashed:\n${outcome.stderr}`);
  t.deepEqual(JSON.parse(outcome.stdout || "null"), {
    status: "rejected",
    name: "TawaziWorkerError",
    code: errorCodes.TawaziWorkerError,
    causeCode: "ERR_WORKER_OUT_OF_MEMORY",
  });
});

test.serial("default threads is the CPU count", (t) => {
  t.is(cfg.TAWAZI_WORKER_THREADS, availableParallelism());
});

const invalidPoolOptions: readonly [label: string, options: unknown][] = [
  ["threads 0", { threads: 0 }],
  ["threads -1", { threads: -1 }],
  ["threads 1.5", { threads: 1.5 }],
  ["threads as a string", { threads: "2" }],
  ["threads NaN", { threads: Number.NaN }],
  ["threads Infinity", { threads: Number.POSITIVE_INFINITY }],
  ["resourceLimits a number", { resourceLimits: 16 }],
  ["an unknown key", { thread: 2 }],
  ["null", null],
  ["a number", 2],
];

for (const [label, options] of invalidPoolOptions) {
  test.serial(`configureWorkers rejects ${label}`, async (t) => {
    const error = await t.throwsAsync(
      configureWorkers(options as Parameters<typeof configureWorkers>[0]),
      { instanceOf: TawaziUsageError },
    );

    t.is(error?.code, errorCodes.TawaziUsageError);
  });
}

for (const engine of engines) {
  test.serial(`default pool size [${engine}]`, async (t) => {
    const threads = cfg.TAWAZI_WORKER_THREADS;

    const ids = await barrierThreadIds(engine, threads);

    t.false(ids.includes(-1), `thread ids ${ids.join(", ")}`);
    t.is(new Set(ids).size, threads);
  });

  test.serial(`cfg threads read at pool start [${engine}]`, async (t) => {
    const before = cfg.TAWAZI_WORKER_THREADS;
    cfg.TAWAZI_WORKER_THREADS = 3;
    try {
      await close();
      const ids = await barrierThreadIds(engine, 3);

      t.false(ids.includes(-1), `thread ids ${ids.join(", ")}`);
      t.is(new Set(ids).size, 3);
    } finally {
      cfg.TAWAZI_WORKER_THREADS = before;
      await close();
    }
  });

  test.serial(`threads option sets pool size [${engine}]`, async (t) => {
    await configureWorkers({ threads: 3 });
    const three = await barrierThreadIds(engine, 3);
    t.false(three.includes(-1), `thread ids ${three.join(", ")}`);
    t.is(new Set(three).size, 3);

    await configureWorkers({ threads: 1 });
    const pipeline = dag(
      function twoAtOnce() {
        return [threadId(), threadId()];
      },
      { engine, maxConcurrency: 2 },
    );
    const one = await pipeline();
    t.is(new Set(one).size, 1, `thread ids ${one.join(", ")}`);
  });

  test.serial(`warm pool reuses its thread [${engine}]`, async (t) => {
    await configureWorkers({ threads: 1 });
    const pipeline = dag(
      function whichThread() {
        return threadId();
      },
      { engine },
    );

    const first = await pipeline();
    await sleep(100);
    const second = await pipeline();

    t.is(second, first);
  });

  test.serial(`more nodes than the pool queues [${engine}]`, async (t) => {
    await configureWorkers({ threads: 2 });
    const pipeline = dag(
      function twenty() {
        return Array.from({ length: 20 }, (_, index) => identity(index));
      },
      { engine, maxConcurrency: 64 },
    );

    t.deepEqual(
      await pipeline(),
      Array.from({ length: 20 }, (_, index) => index),
    );
  });

  test.serial(`concurrent calls share the pool [${engine}]`, async (t) => {
    await configureWorkers({ threads: 2 });
    const pipeline = dag(
      function echo(value: number) {
        return identity(value);
      },
      { engine },
    );

    const values = await Promise.all(Array.from({ length: 20 }, (_, call) => pipeline(call)));

    t.deepEqual(
      values,
      Array.from({ length: 20 }, (_, call) => call),
    );
  });

  test.serial(`close then a new run [${engine}]`, async (t) => {
    const pipeline = dag(
      function echo(value: number) {
        return identity(value);
      },
      { engine },
    );

    t.is(await pipeline(1), 1);
    await close();
    t.is(await pipeline(2), 2);
    await close();
    await close();
    t.is(await pipeline(3), 3);
  });

  test.serial(`runSync rejects a worker node [${engine}]`, (t) => {
    const pipeline = dag(
      function echo(value: number) {
        return identity(value);
      },
      { engine },
    );

    const error = t.throws(() => pipeline.runSync(1), { instanceOf: TawaziUsageError });

    t.is(error?.code, errorCodes.TawaziUsageError);
    t.true(error?.message.includes('"identity"'), error?.message);
  });

  test.serial(`runSync dispatches no worker [${engine}]`, async (t) => {
    const counters = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const pipeline = dag(
      function counted() {
        return count(counters, 0, 1);
      },
      { engine },
    );

    t.throws(() => pipeline.runSync(), { instanceOf: TawaziUsageError });
    await sleep(500);

    t.is(Atomics.load(new Int32Array(counters), 0), 0);
  });

}
