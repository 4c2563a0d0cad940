import test from "ava";

import { dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { TickClock } from "../helpers/tick-clock.js";

failOnProcessErrors();

/**
 * Four roots lasting 3, 1, 2 and 1 ticks, and `e` (1 tick) that waits for `a` and `b`.
 * Every priority is 0, so ready nodes start in description order a, b, c, d, e.
 */
function fiveTasks(clock: TickClock, maxConcurrency: number, engine: (typeof engines)[number]) {
  const a = xn(clock.task("a", 3), { name: "a" });
  const b = xn(clock.task("b", 1), { name: "b" });
  const c = xn(clock.task("c", 2), { name: "c" });
  const d = xn(clock.task("d", 1), { name: "d" });
  const e = xn(clock.task("e", 1), { name: "e" });
  return dag(
    function pipeline() {
      const first = a();
      const second = b();
      return [first, second, c(), d(), e(first, second)];
    },
    { maxConcurrency, engine },
  );
}

/** Schedules of `fiveTasks`: who runs at each tick, once launches have settled. */
const fiveTaskSchedules: { maxConcurrency: number; startOrder: string[]; runningAt: string[][] }[] = [
  {
    maxConcurrency: 1,
    startOrder: ["a", "b", "c", "d", "e"],
    runningAt: [["a"], ["a"], ["a"], ["b"], ["c"], ["c"], ["d"], ["e"], []],
  },
  {
    maxConcurrency: 2,
    startOrder: ["a", "b", "c", "d", "e"],
    runningAt: [["a", "b"], ["a", "c"], ["a", "c"], ["d", "e"], []],
  },
  {
    maxConcurrency: 3,
    startOrder: ["a", "b", "c", "d", "e"],
    runningAt: [["a", "b", "c"], ["a", "c", "d"], ["a"], ["e"], []],
  },
  {
    maxConcurrency: Number.POSITIVE_INFINITY,
    startOrder: ["a", "b", "c", "d", "e"],
    runningAt: [["a", "b", "c", "d"], ["a", "c"], ["a"], ["e"], []],
  },
];

for (const engine of engines) {
  for (const { maxConcurrency, startOrder, runningAt } of fiveTaskSchedules) {
    test(`schedule with maxConcurrency ${maxConcurrency} [${engine}]`, async (t) => {
      const clock = new TickClock();
      const pipeline = fiveTasks(clock, maxConcurrency, engine);

      t.deepEqual(await clock.run(pipeline()), ["a", "b", "c", "d", "e"]);
      t.deepEqual(clock.startOrder, startOrder);
      t.deepEqual(clock.runningAt, runningAt);
    });
  }

  test(`event log with maxConcurrency 2 [${engine}]`, async (t) => {
    const clock = new TickClock();
    const pipeline = fiveTasks(clock, 2, engine);

    await clock.run(pipeline());

    t.deepEqual(clock.events, [
      "0 start a",
      "0 start b",
      "1 end b",
      "1 start c",
      "3 end a",
      "3 end c",
      "3 start d",
      "3 start e",
      "4 end d",
      "4 end e",
    ]);
  });

  for (const maxConcurrency of [1, 2, 3]) {
    test(`wide graph fills maxConcurrency ${maxConcurrency} [${engine}]`, async (t) => {
      const clock = new TickClock();
      const durations = [2, 1, 4, 3, 1, 2, 2, 3, 1, 1, 4, 2];
      const tasks = durations.map((ticks, position) =>
        xn(clock.task(`n${position}`, ticks), { name: `n${position}` }),
      );
      const pipeline = dag(
        function pipeline() {
          return tasks.map((task) => task());
        },
        { maxConcurrency, engine },
      );

      await clock.run(pipeline());

      const counts = clock.runningCounts;
      t.is(Math.max(...counts), maxConcurrency);
      t.deepEqual(clock.startOrder, durations.map((_, position) => `n${position}`));
      // Work conserving: while some node has not started, the limit is reached.
      const startEvents = clock.events.filter((event) => event.includes(" start "));
      const lastStart = Number.parseInt(startEvents[startEvents.length - 1]!, 10);
      t.deepEqual(
        counts.slice(0, lastStart).filter((count) => count !== maxConcurrency),
        [],
      );
    });
  }

  test(`layered graph never exceeds maxConcurrency [${engine}]`, async (t) => {
    const clock = new TickClock();
    const layerSizes = [4, 5, 3];
    const pipeline = dag(
      function pipeline() {
        let previous: unknown[] = [];
        for (const [layer, size] of layerSizes.entries()) {
          const current: unknown[] = [];
          for (let position = 0; position < size; position += 1) {
            const name = `l${layer}n${position}`;
            const task = xn(clock.task(name, 1 + ((layer + position) % 3)), { name });
            current.push(task(...previous.slice(0, 2 + position)));
          }
          previous = current;
        }
        return previous;
      },
      { maxConcurrency: 2, engine },
    );

    await clock.run(pipeline());

    t.true(clock.runningCounts.every((count) => count <= 2));
    t.is(clock.startOrder.length, 12);
  });

  test(`main-thread node blocks launching [${engine}]`, async (t) => {
    const clock = new TickClock();
    const blocking = xn(clock.task("m", 2), { name: "m", resource: "main-thread" });
    const a = xn(clock.task("a", 1), { name: "a" });
    const b = xn(clock.task("b", 1), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        return [blocking(), a(), b()];
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.runningAt, [["m"], ["m"], ["a", "b"], []]);
  });

  test(`main-thread node outside maxConcurrency [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 3), { name: "a" });
    const m = xn(clock.task("m", 1), { name: "m", resource: "main-thread" });
    const b = xn(clock.task("b", 1), { name: "b" });
    const c = xn(clock.task("c", 1), { name: "c", resource: "main-thread" });
    const pipeline = dag(
      function pipeline() {
        return [a(), m(), b(), c()];
      },
      { maxConcurrency: 1, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.runningAt, [["a", "m"], ["a", "c"], ["a"], ["b"], []]);
  });

  test(`running async nodes continue during main-thread node [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 1), { name: "a" });
    const m = xn(clock.task("m", 3), { name: "m", resource: "main-thread" });
    const b = xn(clock.task("b", 1), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        return [a(), m(), b()];
      },
      { maxConcurrency: 2, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.events, [
      "0 start a",
      "0 start m",
      "1 end a",
      "3 end m",
      "3 start b",
      "4 end b",
    ]);
  });

  test(`synchronous main-thread node runs inline [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 2), { name: "a" });
    const m = xn(clock.instant("m"), { name: "m", resource: "main-thread" });
    const b = xn(clock.task("b", 1), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        const first = a();
        return [first, m(), b(), m(first)];
      },
      { maxConcurrency: 1, engine },
    );

    t.deepEqual(await clock.run(pipeline()), ["a", "m", "b", "m"]);
    t.deepEqual(clock.events, [
      "0 start a",
      "0 start m",
      "0 end m",
      "2 end a",
      "2 start b",
      "2 start m",
      "2 end m",
      "3 end b",
    ]);
  });

  test(`concurrent calls each respect maxConcurrency [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 2), { name: "a" });
    const b = xn(clock.task("b", 2), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        return [a(), b()];
      },
      { maxConcurrency: 1, engine },
    );

    await clock.run(Promise.all([pipeline(), pipeline()]));

    t.deepEqual(clock.runningAt, [["a", "a"], ["a", "a"], ["b", "b"], ["b", "b"], []]);
  });
}
