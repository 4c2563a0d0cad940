import test from "ava";

import {
  Resource,
  type ResourceKind,
  TawaziError,
  TawaziTypeError,
  close,
  configureWorkers,
  dag,
  errorCodes,
  xn,
} from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import {
  Slot,
  add,
  chainDouble,
  chainPlusThree,
  chainStart,
  combine,
  count,
  double,
  plusThree,
  readLog,
  readRequest,
  requestContext,
  track,
} from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

// Tests run one at a time because they share the process's worker pool, one reconfigures it,
// and several count how many nodes run at once.
failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);

/** Creates a SharedArrayBuffer of `slots` 32-bit counters, all 0. */
function sharedCounters(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT);
}

function readCounters(counters: SharedArrayBuffer): number[] {
  return Array.from(new Int32Array(counters));
}

test.after.always(async () => {
  await close();
});

for (const engine of engines) {
  test.serial(`mixed resources match all-async [${engine}]`, async (t) => {
    interface Nodes {
      add: (left: number, right: number) => unknown;
      double: (value: number) => unknown;
      plusThree: (value: number) => unknown;
      combine: (values: readonly number[], label: string) => unknown;
    }
    // The same description, built once from worker and main-thread nodes and once from async nodes.
    const build = (nodes: Nodes) =>
      dag(
        function arithmeticGraph(input: number) {
          const a = nodes.add(input, 1) as number;
          const b = nodes.double(a) as number;
          const c = nodes.plusThree(a) as number;
          const d = nodes.add(b, c) as number;
          const e = nodes.combine([a, b, c, d], "sum") as unknown as string;
          return { a, b, c, d, e };
        },
        { engine, maxConcurrency: 3 },
      );
    const mixed = build({
      add: xn.worker<typeof tasks.add>(tasksUrl, "add"),
      double: xn(double),
      plusThree: xn(plusThree, { resource: Resource.mainThread }),
      combine: xn.worker<typeof tasks.combine>(tasksUrl, "combine"),
    });
    const allAsync = build({
      add: xn(add),
      double: xn(double),
      plusThree: xn(plusThree),
      combine: xn(combine),
    });

    for (const input of [0, 1, 7, -3]) {
      const mixedExecution = mixed.executor();
      const asyncExecution = allAsync.executor();
      const mixedValue = await mixedExecution(input);
      const asyncValue = await asyncExecution(input);

      t.deepEqual(mixedValue, asyncValue, `input ${input}`);
      t.deepEqual(mixedExecution.results, asyncExecution.results, `input ${input}`);
    }
    const sample = await mixed(1);
    t.deepEqual(sample, { a: 2, b: 4, c: 5, d: 9, e: "sum:2,4,5,9" });
  });

  for (const limit of [1, 2, 3]) {
    test.serial(`peak within maxConcurrency ${limit} [${engine}]`, async (t) => {
      const counters = sharedCounters(4);
      const sleeper = xn(track<number>, { name: "sleeper" });
      const spinner = xn.worker<typeof tasks.track<number>>(tasksUrl, "track", { name: "spinner" });
      // Returns a promise that the node function did not make with `async`, standing in for a
      // long-lived handle.
      const pending = xn(
        function pending(shared: SharedArrayBuffer, ms: number, value: number): Promise<number> {
          return track(shared, ms, value, false);
        },
      );
      const pipeline = dag(
        function mixedKinds() {
          const values: number[] = [];
          for (let index = 0; index < 4; index += 1) {
            values.push(sleeper(counters, 50, index, false) as unknown as number);
            values.push(spinner(counters, 50, 4 + index) as unknown as number);
            values.push(pending(counters, 50, 8 + index) as unknown as number);
          }
          return values;
        },
        { engine, maxConcurrency: limit },
      );

      const values = await pipeline();

      t.deepEqual(
        [...values].sort((left, right) => left - right),
        Array.from({ length: 12 }, (_, index) => index),
      );
      const [active, peak, started, ended] = readCounters(counters);
      t.true(peak! <= limit, `peak ${peak} with maxConcurrency ${limit}`);
      t.is(active, 0);
      t.is(started, 12);
      t.is(ended, 12);
    });
  }

  test.serial(`priority orders worker starts [${engine}]`, async (t) => {
    const log = sharedCounters(7);
    const priorities = [100, -1, 2, 10, 0, 2];
    const nodes = priorities.map((priority, label) =>
      xn.worker<typeof tasks.logStart>(tasksUrl, "logStart", { name: `p${label}`, priority }),
    );
    const pipeline = dag(
      function prioritized() {
        return nodes.map((node, label) => node(log, label, 5));
      },
      { engine, maxConcurrency: 1 },
    );

    const labels = await pipeline();

    t.deepEqual(labels, [0, 1, 2, 3, 4, 5]);
    t.deepEqual(readLog(log), [0, 3, 2, 5, 4, 1]);
  });

  for (const isSequential of [true, false]) {
    test.serial(`${isSequential ? "sequential worker runs alone" : "plain worker overlaps sleepers"} [${engine}]`, async (t) => {
      const counters = sharedCounters(4);
      const sleeper = xn(track<number>, { name: "sleeper" });
      const watcher = xn.worker<typeof tasks.watchActive>(tasksUrl, "watchActive", {
        isSequential,
      });
      const pipeline = dag(
        function sequentialAmongAsync() {
          return [
            sleeper(counters, 600, 0, false),
            sleeper(counters, 600, 1, false),
            watcher(counters, 100),
            sleeper(counters, 600, 2, false),
            sleeper(counters, 600, 3, false),
          ];
        },
        { engine, maxConcurrency: 4 },
      );

      const [first, second, seen, third, fourth] = await pipeline();

      t.deepEqual([first, second, third, fourth], [0, 1, 2, 3]);
      if (isSequential) t.is(seen, 1, "the sequential node saw other nodes running");
      else t.true(seen > 1, `without isSequential the node saw ${seen} running`);
    });
  }

  test.serial(`join runs once [${engine}]`, async (t) => {
    const tally = xn.worker<typeof tasks.tally>(tasksUrl, "tally");

    const diamondCounters = sharedCounters(4);
    const diamond = dag(
      function diamond() {
        const a = tally(diamondCounters, 0, 0, []);
        const b1 = tally(diamondCounters, 1, 30, [a]);
        const b2 = tally(diamondCounters, 2, 30, [a]);
        return tally(diamondCounters, 3, 0, [b1, b2]);
      },
      { engine, maxConcurrency: 4 },
    );
    t.is(await diamond(), 5);
    t.deepEqual(readCounters(diamondCounters), [1, 1, 1, 1]);

    const unevenCounters = sharedCounters(5);
    const uneven = dag(
      function unevenDiamond() {
        const a = tally(unevenCounters, 0, 0, []);
        const b = tally(unevenCounters, 1, 10, [a]);
        const b2 = tally(unevenCounters, 2, 10, [b]);
        const e = tally(unevenCounters, 3, 0, [a]);
        return tally(unevenCounters, 4, 0, [b2, e]);
      },
      { engine, maxConcurrency: 4 },
    );
    t.is(await uneven(), 6);
    t.deepEqual(readCounters(unevenCounters), [1, 1, 1, 1, 1]);
  });

  test.serial(`chain on workers and threads [${engine}]`, async (t) => {
    type Mode = ResourceKind;
    const modes: Mode[] = [Resource.worker, Resource.async, Resource.mainThread];
    const nodesFor = (mode: Mode) =>
      mode === Resource.worker
        ? {
            start: xn.worker<typeof tasks.chainStart>(tasksUrl, "chainStart"),
            twice: xn.worker<typeof tasks.chainDouble>(tasksUrl, "chainDouble"),
            plus: xn.worker<typeof tasks.chainPlusThree>(tasksUrl, "chainPlusThree"),
          }
        : {
            start: xn(chainStart, { resource: mode }),
            twice: xn(chainDouble, { resource: mode }),
            plus: xn(chainPlusThree, { resource: mode }),
          };

    const resultsByRun: string[] = [];
    for (const mode of modes) {
      const nodes = nodesFor(mode);
      for (const maxConcurrency of [1, 3, 64]) {
        const counters = sharedCounters(3);
        const pipeline = dag(
          function chain() {
            return nodes.plus(counters, nodes.twice(counters, nodes.start(counters)));
          },
          { engine, maxConcurrency },
        );
        const execution = pipeline.executor();

        const value = await execution();

        const where = `${mode}, maxConcurrency ${maxConcurrency}`;
        t.is(value, 5, where);
        t.deepEqual(readCounters(counters), [1, 1, 1], where);
        resultsByRun.push(JSON.stringify([...execution.results]));
      }
    }
    t.is(new Set(resultsByRun).size, 1, resultsByRun.join("\n"));
  });

  test.serial(`context not seen by workers [${engine}]`, async (t) => {
    const onMain = xn(readRequest, { name: "onMain", resource: Resource.mainThread });
    const onWorker = xn.worker<typeof tasks.readRequest>(tasksUrl, "readRequest", {
      name: "onWorker",
    });
    const pipeline = dag(
      function request() {
        return [onMain(), onWorker()];
      },
      { engine, maxConcurrency: 2 },
    );

    // NOTE: the pool rejects tasks beyond piscina's queue limit (threads squared). Five threads
    // keep the 20 calls within it, so this test checks only the context.
    await configureWorkers({ threads: 5 });
    try {
      const calls = Array.from({ length: 20 }, (_, call) =>
        requestContext.run({ request: `r${call}` }, () => pipeline()),
      );
      const results = await Promise.all(calls);

      results.forEach((seen, call) => {
        t.deepEqual(seen, [`r${call}`, undefined], `call ${call}`);
      });
    } finally {
      await configureWorkers({});
    }
  });

  test.serial(`unclonable constant fails before dispatch [${engine}]`, async (t) => {
    const handle = { label: "h", connect: () => 1 };

    const mainCounters = sharedCounters(1);
    const onMain = xn(count<typeof handle>, { name: "f", resource: Resource.mainThread });
    const mainPipeline = dag(
      function passHandle() {
        return onMain(mainCounters, 0, handle);
      },
      { engine },
    );
    t.is(await mainPipeline(), handle);
    t.deepEqual(readCounters(mainCounters), [1]);

    const workerCounters = sharedCounters(1);
    const onWorker = xn.worker<typeof tasks.count<typeof handle>>(tasksUrl, "count", { name: "f" });
    const workerPipeline = dag(
      function passHandle() {
        return onWorker(workerCounters, 0, handle);
      },
      { engine },
    );
    const error = await t.throwsAsync(workerPipeline(), { instanceOf: TawaziTypeError });

    t.true(error instanceof TawaziError);
    t.is(error?.code, errorCodes.TawaziTypeError);
    t.is((error as { tawaziNode?: unknown } | undefined)?.tawaziNode, "f");
    t.true(error?.message.includes('"f"'), error?.message);
    t.true(error?.message.includes("argument 3"), error?.message);
    t.true(error?.message.includes("main-thread"), error?.message);
    t.true(error?.message.includes("async"), error?.message);
    t.deepEqual(readCounters(workerCounters), [0]);
  });

  test.serial(`ArrayBuffer argument is copied [${engine}]`, async (t) => {
    const firstByte = xn.worker<typeof tasks.firstByte>(tasksUrl, "firstByte");
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).fill(1);
    const pipeline = dag(
      function twoReads() {
        return [firstByte(buffer), firstByte(buffer)];
      },
      { engine, maxConcurrency: 2 },
    );

    t.deepEqual(await pipeline(), [1, 1]);
    t.is(buffer.byteLength, 8);
    t.deepEqual([...new Uint8Array(buffer)], [1, 1, 1, 1, 1, 1, 1, 1]);
  });

  test.serial(`transfer detaches the buffer [${engine}]`, async (t) => {
    const firstByte = xn.worker<typeof tasks.firstByte>(tasksUrl, "firstByte", { transfer: [0] });
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).fill(1);
    const pipeline = dag(
      function oneRead() {
        return firstByte(buffer);
      },
      { engine },
    );

    t.is(await pipeline(), 1);
    t.is(buffer.byteLength, 0);
  });
}
