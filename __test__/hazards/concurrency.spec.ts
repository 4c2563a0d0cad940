import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import { Resource, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

/** Counts the nodes running now and keeps the highest count seen. */
class Gauge {
  running = 0;
  peak = 0;

  enter(): void {
    this.running += 1;
    this.peak = Math.max(this.peak, this.running);
  }

  leave(): void {
    this.running -= 1;
  }
}

/** Spins the CPU for `milliseconds`, blocking the event loop. */
function spin(milliseconds: number): void {
  const end = performance.now() + milliseconds;
  while (performance.now() < end) {
    // Busy wait: the point is to hold the main thread.
  }
}

for (const engine of engines) {
  for (const maxConcurrency of [1, 2, 3]) {
    test(`async and promise nodes within max ${maxConcurrency} [${engine}]`, async (t) => {
      const gauge = new Gauge();
      const sleeper = xn(async function sleeper(id: number) {
        gauge.enter();
        await sleep(50);
        gauge.leave();
        return id;
      });
      // Not an async function: it returns a promise that settles later, as a long-lived task would.
      const longPromise = xn(function longPromise(id: number) {
        gauge.enter();
        return new Promise<number>((resolve) => {
          setTimeout(() => {
            gauge.leave();
            resolve(id);
          }, 50);
        });
      });
      const pipeline = dag(
        function mixed() {
          return [0, 1, 2, 3].flatMap((id) => [sleeper(id), longPromise(id + 4)]);
        },
        { engine, maxConcurrency },
      );

      const results = await checkUnhandled(t, () => pipeline());

      t.deepEqual(results, [0, 4, 1, 5, 2, 6, 3, 7]);
      t.is(gauge.peak, maxConcurrency);
      t.is(gauge.running, 0);
    });
  }

  test(`main-thread nodes run beyond the limit [${engine}]`, async (t) => {
    // Three async nodes under maxConcurrency 2 and three main-thread nodes of lower priority:
    // the main-thread nodes do not take a slot, so they run while two async nodes are pending.
    const asyncGauge = new Gauge();
    const allGauge = new Gauge();
    const pendingAtMainStart: number[] = [];
    const events: string[] = [];

    const slow = xn(
      async function slow(id: string) {
        events.push(`start ${id}`);
        asyncGauge.enter();
        allGauge.enter();
        await sleep(30);
        asyncGauge.leave();
        allGauge.leave();
        events.push(`end ${id}`);
        return id;
      },
      { priority: 2 },
    );
    const blocking = xn(
      function blocking(id: string) {
        events.push(`start ${id}`);
        pendingAtMainStart.push(asyncGauge.running);
        allGauge.enter();
        spin(2);
        allGauge.leave();
        events.push(`end ${id}`);
        return id;
      },
      { priority: 1, resource: Resource.mainThread },
    );
    const waiting = xn(
      async function waiting(id: string) {
        events.push(`start ${id}`);
        pendingAtMainStart.push(asyncGauge.running);
        allGauge.enter();
        await sleep(5);
        allGauge.leave();
        events.push(`end ${id}`);
        return id;
      },
      { priority: 1, resource: Resource.mainThread },
    );
    const pipeline = dag(
      function mixedResources() {
        return [slow("A1"), slow("A2"), slow("A3"), blocking("M1"), blocking("M2"), waiting("M3")];
      },
      { engine, maxConcurrency: 2 },
    );

    const results = await checkUnhandled(t, () => pipeline());

    t.deepEqual(results, ["A1", "A2", "A3", "M1", "M2", "M3"]);
    t.deepEqual(pendingAtMainStart, [2, 2, 2]);
    t.is(asyncGauge.peak, 2);
    t.is(allGauge.peak, 3);
    const firstAsyncEnd = Math.min(events.indexOf("end A1"), events.indexOf("end A2"));
    t.true(events.indexOf("start A3") > firstAsyncEnd, `A3 waits for a slot: ${events.join(", ")}`);
  });
}
