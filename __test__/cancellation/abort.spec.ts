import { getEventListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import {
  type DAG,
  type ExecNode,
  TawaziTimeoutError,
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

failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);

// One thread: the thread a warm-up call started is the one that runs the next worker node.
test.before("use one worker thread", async () => {
  await configureWorkers({ threads: 1 });
});

test.after.always("close the worker pool", async () => {
  await close();
});

/** Returns the outcome of a promise with the time it settled, measured with performance.now(). */
async function settled(promise: Promise<unknown>): Promise<{ ok: boolean; value: unknown; at: number }> {
  try {
    const value = await promise;
    return { ok: true, value, at: performance.now() };
  } catch (error) {
    return { ok: false, value: error, at: performance.now() };
  }
}

/**
 * Runs `pipeline` with a fresh signal, aborts it once `when` settles (a delay, or the start of
 * a node), and returns the outcome.
 */
async function abortWhen(
  pipeline: DAG<[], unknown>,
  when: () => Promise<unknown>,
): Promise<{ outcome: Awaited<ReturnType<typeof settled>>; reason: unknown }> {
  const controller = new AbortController();
  const run = settled(pipeline.run({ signal: controller.signal }));
  await when();
  controller.abort();
  return { outcome: await run, reason: controller.signal.reason };
}

/** Returns a promise that a test or a node resolves at a chosen moment, such as a node's start. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Builds serve() := use(load()) for the setup tests. */
function serving<M, R>(
  engine: (typeof engines)[number],
  load: ExecNode<() => M | Promise<M>>,
  use: ExecNode<(model: M) => R>,
): DAG<[], R> {
  return dag(
    function serve() {
      return use(load());
    },
    { engine },
  ) as unknown as DAG<[], R>;
}

/** Builds slow() := wait(), a node that returns 1 after 200 ms. */
function slowPipeline(engine: (typeof engines)[number]): DAG<[], number> {
  const wait = xn(async function wait() {
    await sleep(200);
    return 1;
  });
  return dag(
    function slow() {
      return wait();
    },
    { engine },
  );
}

type Variant = "async" | "signal" | "worker";

/**
 * The "abort mid-run" DAG: a := sleep(50), b(a) := sleep(50), c(b), and d := sleep(100) beside
 * them. Each result carries the run number, so results of one run cannot pass for another's.
 * In the "signal" variant b and d accept the signal and stop when it aborts. In the "worker"
 * variant d spins for 100 ms on a worker thread, cancelled through the pool.
 */
function abortMidRun(engine: (typeof engines)[number], variant: Variant) {
  const count = { a: 0, b: 0, c: 0, d: 0 };
  const dCounters = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const signals: AbortSignal[] = [];

  /** A node that waits `ms`, counts itself under `name`, and appends its name to its input. */
  const waiting = (name: "a" | "b" | "d", ms: number, withSignal: boolean) =>
    xn(
      async function wait(input: string | number, signal?: AbortSignal) {
        if (signal !== undefined) signals.push(signal);
        await sleep(ms, undefined, { signal });
        count[name] += 1;
        return `${input}:${name}`;
      },
      { name, signal: withSignal },
    );
  const a = waiting("a", 50, false);
  const b = waiting("b", 50, variant === "signal");
  const asyncD = waiting("d", 100, variant === "signal");
  const c = xn(function c(input: string) {
    count.c += 1;
    return `${input}:c`;
  });
  const workerD = xn.worker<typeof tasks.spinCounted<string>>(tasksUrl, "spinCounted", { name: "d", signal: true });
  const label = xn(function label(run: number) {
    return `${run}:d`;
  });

  const pipeline = dag(
    function abortable(run: number) {
      const d = variant === "worker" ? workerD(dCounters, 100, label(run)) : asyncD(run);
      return [c(b(a(run))), d];
    },
    { engine, maxConcurrency: 4 },
  );
  return { count, dCounters, signals, pipeline };
}

for (const engine of engines) {
  for (const variant of ["async", "signal", "worker"] as const) {
    test.serial(`abort mid-run (${variant}) [${engine}]`, async (t) => {
      const { count, dCounters, signals, pipeline } = abortMidRun(engine, variant);
      if (variant === "worker") {
        // Start a pool thread and load the module first, so d spins from the start of run 1.
        const one = xn.worker<typeof tasks.one>(tasksUrl, "one");
        await dag(function warmUp() {
          return one();
        }, { engine })();
      }
      const controller = new AbortController();

      const first = settled(pipeline.run({ signal: controller.signal }, 1));
      await sleep(75);
      const abortedAt = performance.now();
      const countsAtAbort = Array.from(new Int32Array(dCounters));
      controller.abort();
      const second = pipeline.executor();
      const secondResult = second(2);

      const outcome = await first;
      t.false(outcome.ok);
      t.is(outcome.value, controller.signal.reason);
      t.is((outcome.value as Error).name, "AbortError");
      t.true(outcome.at - abortedAt < 40, `rejected ${(outcome.at - abortedAt).toFixed(1)} ms after the abort`);
      t.log(`rejected ${(outcome.at - abortedAt).toFixed(2)} ms after the abort`);

      t.deepEqual(await secondResult, ["2:a:b:c", "2:d"]);
      for (const [id, result] of second.results) {
        if (typeof result === "string") t.true(result.startsWith("2:"), `${id} holds run 2's result ${result}`);
      }
      // Let run 1's nodes still running at the abort end, then count who ran.
      await sleep(150);
      t.is(count.a, 2);
      t.is(count.c, 1, "c ran only in run 2");
      const workerCounts = Array.from(new Int32Array(dCounters));
      if (variant === "async") {
        t.is(count.b, 2, "run 1's b finished, its result discarded");
        t.is(count.d, 2, "run 1's d finished, its result discarded");
      } else if (variant === "signal") {
        t.is(count.b, 1, "run 1's b stopped at the abort");
        t.is(count.d, 1, "run 1's d stopped at the abort");
        t.is(signals.length, 4);
        t.is(signals[0]!.reason, controller.signal.reason);
        t.is(signals[1]!.reason, controller.signal.reason);
      } else {
        t.is(count.b, 2);
        t.is(workerCounts[0], 2, "d started in both runs");
        // The worker spins on its own thread while the main thread's timers may run late on a
        // busy machine: check that nothing of run 1 ended after the abort, whenever it came.
        t.is(workerCounts[1], countsAtAbort[1]! + 1, "only run 2's d ended after the abort");
      }
    });
  }

  test(`aborted signal rejects before launch [${engine}]`, async (t) => {
    let calls = 0;
    const node = xn(function node() {
      calls += 1;
      return 1;
    });
    const pipeline = dag(
      function once() {
        return node();
      },
      { engine },
    );
    const reason = new Error("stopped before");

    const error = await t.throwsAsync(pipeline.run({ signal: AbortSignal.abort(reason) }));
    t.is(error, reason);
    t.is(calls, 0);
    t.is(await pipeline.run({ signal: new AbortController().signal }), 1);
  });

  test(`abort reason kept as is [${engine}]`, async (t) => {
    const pipeline = slowPipeline(engine);
    const controller = new AbortController();
    const run = settled(pipeline.run({ signal: controller.signal }));
    controller.abort("user left");

    const outcome = await run;
    t.false(outcome.ok);
    t.is(outcome.value, "user left");
    t.is((await abortWhen(pipeline, () => sleep(5))).outcome.value instanceof DOMException, true);
  });

  test(`listener removed when run settles [${engine}]`, async (t) => {
    const controller = new AbortController();
    const pipeline = dag(
      function quick() {
        return xn(async function answer() {
          return 42;
        })();
      },
      { engine },
    );

    t.is(await pipeline.run({ signal: controller.signal }), 42);
    t.is(getEventListeners(controller.signal, "abort").length, 0);
    controller.abort();
    t.is(await pipeline.run({}), 42);
  });

  test(`one signal shared by many runs [${engine}]`, async (t) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on("warning", onWarning);
    const pipeline = slowPipeline(engine);
    const controller = new AbortController();

    const runs = Array.from({ length: 20 }, () => settled(pipeline.run({ signal: controller.signal })));
    t.is(getEventListeners(controller.signal, "abort").length, 1);
    controller.abort();
    const outcomes = await Promise.all(runs);
    await sleep(10);
    process.off("warning", onWarning);

    t.deepEqual(
      outcomes.map((outcome) => outcome.value),
      runs.map(() => controller.signal.reason),
    );
    t.deepEqual(warnings, []);
    t.is(getEventListeners(controller.signal, "abort").length, 0);
  });

  test(`executor signal stops the execution [${engine}]`, async (t) => {
    const started: string[] = [];
    const firstStart = gate();
    const step = (name: string, ms: number) =>
      xn(
        async function work(_input?: unknown) {
          started.push(name);
          firstStart.open();
          await sleep(ms);
          return name;
        },
        { name },
      );
    const first = step("first", 30);
    const second = step("second", 30);
    const pipeline = dag(
      function chain() {
        return second(first());
      },
      { engine },
    );
    const controller = new AbortController();
    const execution = pipeline.executor({ signal: controller.signal });

    const run = settled(execution());
    await firstStart.opened;
    controller.abort();
    const outcome = await run;
    await sleep(40);

    t.false(outcome.ok);
    t.is(outcome.value, controller.signal.reason);
    t.deepEqual(started, ["first"]);
    t.deepEqual(execution.status("second"), { state: "not-run", reason: "run-stopped" });
    t.is(execution.resultOf("first"), undefined, "a result that arrives after the abort is discarded");
  });

  test(`strict failure aborts signal nodes [${engine}]`, async (t) => {
    const failure = new Error("sibling failed");
    let seen: AbortSignal | undefined;
    const patient = xn(
      async function patient(signal: AbortSignal) {
        seen = signal;
        await sleep(500, undefined, { signal });
        return 1;
      },
      { signal: true },
    );
    const failing = xn(async function failing() {
      await sleep(10);
      throw failure;
    });
    const pipeline = dag(
      function racing() {
        return [patient(), failing()];
      },
      { engine, maxConcurrency: 2 },
    );

    const error = await t.throwsAsync(pipeline());
    t.is(error, failure);
    t.true(seen?.aborted);
    t.is(seen?.reason, failure);
  });

  test(`signal node gets signal after arguments [${engine}]`, async (t) => {
    let received: unknown[] = [];
    const node = xn(
      function node(x: number, y: number, signal: AbortSignal) {
        received = [x, y, signal];
        return x + y;
      },
      { signal: true },
    );
    const pipeline = dag(
      function adding(x: number) {
        return node(x, 2);
      },
      { engine },
    );

    t.is(await pipeline(1), 3);
    t.is(received.length, 3);
    t.true(received[2] instanceof AbortSignal);
    t.false((received[2] as AbortSignal).aborted);
    t.is(pipeline.runSync(5), 7);
  });

  test(`setup aborted mid-run caches nothing [${engine}]`, async (t) => {
    let loads = 0;
    const started = gate();
    const release = gate();
    const load = xn(
      async function load() {
        loads += 1;
        const mine = loads;
        started.open();
        if (mine === 1) await release.opened;
        return { model: mine };
      },
      { setup: true },
    );
    const use = xn(function use(model: { model: number }) {
      return model.model;
    });
    const pipeline = serving(engine, load, use);

    t.false((await abortWhen(pipeline, () => started.opened)).outcome.ok);
    // The first load completes after its run was aborted: its result must not be cached.
    release.open();
    await sleep(5);

    t.is(await pipeline(), 2, "the next run loads again");
    t.is(await pipeline(), 2, "and keeps that result");
    t.is(loads, 2);
  });

  test(`finished setup stays cached after abort [${engine}]`, async (t) => {
    let loads = 0;
    const load = xn(
      function load() {
        loads += 1;
        return loads;
      },
      { setup: true },
    );
    const started = gate();
    const slow = xn(async function slow(model: number) {
      started.open();
      await sleep(60);
      return model * 10;
    });
    const pipeline = serving(engine, load, slow);

    t.false((await abortWhen(pipeline, () => started.opened)).outcome.ok);

    t.is(await pipeline(), 10);
    t.is(loads, 1);
  });

  test(`waiting run recomputes abandoned setup [${engine}]`, async (t) => {
    let loads = 0;
    const started = gate();
    const release = gate();
    const load = xn(
      async function load() {
        loads += 1;
        const mine = loads;
        started.open();
        if (mine === 1) await release.opened;
        return mine;
      },
      { setup: true },
    );
    const use = xn(function use(model: number) {
      return model;
    });
    const pipeline = serving(engine, load, use);

    let waiting: Promise<unknown> | undefined;
    const aborted = abortWhen(pipeline, async () => {
      await started.opened;
      waiting = pipeline();
      await sleep(5);
    });

    t.false((await aborted).outcome.ok);
    release.open();
    t.is(await waiting, 2, "the waiting run computed its own result");
    t.is(await pipeline(), 2);
    t.is(loads, 2);
  });

  /** Builds chain() := second(first()), where first runs `body`; `order` lists the nodes called. */
  function chain(body: () => void) {
    const order: string[] = [];
    const first = xn(function first() {
      order.push("first");
      body();
      return 1;
    });
    const second = xn(function second(value: number) {
      order.push("second");
      return value + 1;
    });
    const pipeline = dag(
      function chain() {
        return second(first());
      },
      { engine },
    );
    return { order, pipeline };
  }

  test(`runSyncWith stops when a node aborts [${engine}]`, (t) => {
    const controller = new AbortController();
    const { order, pipeline } = chain(() => controller.abort(new Error("enough")));

    const error = t.throws(() => pipeline.runSyncWith({ signal: controller.signal }));
    t.is(error?.message, "enough");
    t.deepEqual(order, ["first"]);
  });

  test(`runSyncWith timeout checked between nodes [${engine}]`, (t) => {
    const { order, pipeline } = chain(() => {
      const end = performance.now() + 30;
      while (performance.now() < end) {
        // Busy: the run's time limit passes during this node.
      }
    });

    const error = t.throws(() => pipeline.runSyncWith({ timeout: 10 }), { instanceOf: TawaziTimeoutError });
    t.is(error?.code, errorCodes.TawaziTimeoutError);
    t.is(error?.timeout, 10);
    t.is(error?.node, undefined);
    t.deepEqual(order, ["first"]);
    t.is(pipeline.runSyncWith({ timeout: 1000 }), 2);
  });

  const invalidSignals: unknown[] = [null, "signal", { aborted: false }, new AbortController()];
  for (const signal of invalidSignals) {
    test(`run rejects signal ${describe(signal)} [${engine}]`, async (t) => {
      const pipeline = dag(
        function plain() {
          return 1;
        },
        { engine },
      );
      const run = pipeline.run({ signal: signal as AbortSignal });
      t.true(run instanceof Promise, "run() returns a promise instead of throwing");
      const error = await t.throwsAsync(run, { instanceOf: TawaziUsageError });
      t.regex(error!.message, /plain\.run\(\): option signal must be an AbortSignal/u);
      t.throws(() => pipeline.executor({ signal: signal as AbortSignal }), { instanceOf: TawaziUsageError });
      t.throws(() => pipeline.runSyncWith({ signal: signal as AbortSignal }), { instanceOf: TawaziUsageError });
    });
  }

  test(`run rejects unknown option [${engine}]`, async (t) => {
    const pipeline = dag(
      function plain() {
        return 1;
      },
      { engine },
    );
    const error = await t.throwsAsync(pipeline.run({ timeOut: 5 } as never), { instanceOf: TawaziUsageError });
    t.regex(error!.message, /unknown option "timeOut"; did you mean "timeout"\?/u);
    await t.throwsAsync(pipeline.run(null as never), { instanceOf: TawaziUsageError });
  });
}

test.serial("signal node called outside a DAG", (t) => {
  const previous = cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR;
  cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR = "ignore";
  try {
    const node = xn(
      function node(x: number, signal: AbortSignal) {
        return [x, signal.aborted];
      },
      { signal: true },
    );

    t.deepEqual(node(1), [1, false], "the function receives a signal that is not aborted");
  } finally {
    cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR = previous;
  }
});

function describe(value: unknown): string {
  if (value instanceof AbortController) return "AbortController";
  return JSON.stringify(value);
}
