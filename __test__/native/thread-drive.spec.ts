import { AsyncLocalStorage } from "node:async_hooks";

import test from "ava";

import { type BehaviorName, dag, xn } from "../../index.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

// Every native run in this file is driven by the scheduler thread (read at each run's start).
process.env["TAWAZI_NATIVE_DRIVE"] = "thread";
failOnProcessErrors();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds a layered DAG of async and main-thread nodes that records start/end events. */
function layered(engine: "ts" | "native", maxConcurrency: number, behavior: BehaviorName = "strict") {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  const step = xn(async function step(index: number, ...inputs: number[]) {
    events.push(`start ${index}`);
    running += 1;
    peak = Math.max(peak, running);
    await sleep(index % 3);
    running -= 1;
    events.push(`end ${index}`);
    if (index === 17) throw new Error("node 17 failed");
    return inputs.reduce((sum, value) => sum + value, index);
  });
  const inline = xn(function inline(value: number) {
    return value * 2;
  }, { resource: "main-thread" });
  const pipeline = dag(
    function layers() {
      const values: unknown[] = [];
      for (let index = 0; index < 40; index += 1) {
        const parents = [index - 1, index - 5, index - 7].filter((parent) => parent >= 0);
        const value = step(index, ...(parents.map((parent) => values[parent]) as number[]));
        values.push(index % 4 === 0 ? inline(value) : value);
      }
      return values;
    },
    { engine, maxConcurrency, behavior },
  );
  return { pipeline, events, peak: () => peak };
}

for (const behavior of ["strict", "all-children", "permissive"] as const) {
  test(`thread drive matches TypeScript results (${behavior})`, async (t) => {
    const outcome = async (engine: "ts" | "native") => {
      const { pipeline } = layered(engine, 3, behavior);
      const execution = pipeline.executor();
      try {
        return { result: await execution(), statuses: [...pipeline.nodes.keys()].map((id) => execution.status(id).state) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    t.deepEqual(await outcome("native"), await outcome("ts"));
  });
}

test("thread drive respects dependencies and budget", async (t) => {
  const { pipeline, events, peak } = layered("native", 2, "permissive");
  await pipeline();
  for (let index = 0; index < 40; index += 1) {
    for (const parent of [index - 1, index - 5, index - 7].filter((candidate) => candidate >= 0)) {
      t.true(events.indexOf(`end ${parent}`) < events.indexOf(`start ${index}`), `${parent} before ${index}`);
    }
  }
  t.true(peak() <= 2, `peak ${peak()}`);
});

test("thread drive keeps the caller's context", async (t) => {
  const storage = new AsyncLocalStorage<string>();
  const who = xn(async function who(delay: number) {
    await sleep(delay);
    return storage.getStore();
  });
  const pipeline = dag(function ask(delay: number) {
    return who(delay);
  }, { engine: "native" });
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, index) => storage.run(`request ${index}`, () => pipeline(index % 5))),
  );
  t.deepEqual(answers, Array.from({ length: 20 }, (_, index) => `request ${index}`));
});

test("thread drive waits for main-thread nodes", async (t) => {
  const order: string[] = [];
  const blocking = xn(async function blocking() {
    order.push("blocking start");
    await sleep(20);
    order.push("blocking end");
    return 1;
  }, { resource: "main-thread", priority: 10 });
  const other = xn(function other() {
    order.push("other");
    return 2;
  });
  const pipeline = dag(function both() {
    return [blocking(), other()];
  }, { engine: "native", maxConcurrency: 4 });
  t.deepEqual(await pipeline(), [1, 2]);
  t.deepEqual(order, ["blocking start", "blocking end", "other"]);
});

test("thread drive stops after a strict failure", async (t) => {
  const started: number[] = [];
  const fail = xn(function fail(): number {
    throw new RangeError("bad");
  }, { priority: 5 });
  const later = xn(async function later(index: number) {
    started.push(index);
    await sleep(1);
    return index;
  });
  const pipeline = dag(function failing() {
    const failed = fail();
    return [failed, later(1), later(2)];
  }, { engine: "native", maxConcurrency: 1 });
  const error = await t.throwsAsync(() => pipeline(), { instanceOf: RangeError });
  t.is(error.message, "bad");
  await sleep(50);
  t.deepEqual(started, []);
});

test("thread drive runs a 20,000-node chain", async (t) => {
  const inc = xn(function inc(value: number) {
    return value + 1;
  });
  const chain = dag(function chain() {
    let value: unknown = 0;
    for (let index = 0; index < 20_000; index += 1) value = inc(value as number);
    return value;
  }, { engine: "native" });
  t.is(await chain(), 20_000);
});
