import test from "ava";

import { cfg, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { TickClock } from "../helpers/tick-clock.js";

failOnProcessErrors();

/** Lists the ticks at which `name` was running together with another node. */
function sharedTicks(clock: TickClock, name: string): number[] {
  return clock.runningAt.flatMap((names, tick) =>
    names.includes(name) && names.length > 1 ? [tick] : [],
  );
}

for (const engine of engines) {
  test(`sequential node waits for running nodes [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 3), { name: "a" });
    const s = xn(clock.task("s", 1), { name: "s", isSequential: true });
    const b = xn(clock.task("b", 1), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        return [a(), s(), b()];
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.runningAt, [["a"], ["a"], ["a"], ["s"], ["b"], []]);
  });

  test(`nothing starts while sequential runs [${engine}]`, async (t) => {
    const clock = new TickClock();
    const s = xn(clock.task("s", 2), { name: "s", isSequential: true });
    const a = xn(clock.task("a", 1), { name: "a" });
    const b = xn(clock.task("b", 1), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        return [s(), a(), b()];
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.runningAt, [["s"], ["s"], ["a", "b"], []]);
  });

  test(`sequential node blocks main-thread nodes [${engine}]`, async (t) => {
    const clock = new TickClock();
    const s = xn(clock.task("s", 2), { name: "s", isSequential: true });
    const m = xn(clock.instant("m"), { name: "m", resource: "main-thread" });
    const pipeline = dag(
      function pipeline() {
        return [s(), m()];
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.events, ["0 start s", "2 end s", "2 start m", "2 end m"]);
  });

  test(`sequential child waits for other branches [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 1), { name: "a" });
    const b = xn(clock.task("b", 2), { name: "b" });
    const s = xn(clock.task("s", 1), { name: "s", isSequential: true });
    const c = xn(clock.task("c", 1), { name: "c" });
    const pipeline = dag(
      function pipeline() {
        const first = a();
        return [first, b(), s(first), c()];
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.runningAt, [["a", "b", "c"], ["b"], ["s"], []]);
    t.deepEqual(sharedTicks(clock, "s"), []);
  });

  test(`sequential node holds back later nodes [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 2), { name: "a" });
    const b = xn(clock.task("b", 2), { name: "b" });
    const s = xn(clock.task("s", 1), { name: "s", isSequential: true });
    const c = xn(clock.task("c", 1), { name: "c" });
    const pipeline = dag(
      function pipeline() {
        return [a(), b(), s(), c()];
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.startOrder, ["a", "b", "s", "c"]);
    t.deepEqual(clock.runningAt, [["a", "b"], ["a", "b"], ["s"], ["c"], []]);
  });

  test(`sequential main-thread node runs alone [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 2), { name: "a" });
    const s = xn(clock.task("s", 1), {
      name: "s",
      isSequential: true,
      resource: "main-thread",
    });
    const b = xn(clock.task("b", 1), { name: "b" });
    const pipeline = dag(
      function pipeline() {
        return [a(), s(), b()];
      },
      { maxConcurrency: 2, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.runningAt, [["a"], ["a"], ["s"], ["b"], []]);
  });

  test(`several sequential nodes never overlap [${engine}]`, async (t) => {
    const clock = new TickClock();
    const names = ["p", "q", "r", "s", "u", "v"];
    const tasks = names.map((name, position) =>
      xn(clock.task(name, 1 + (position % 3)), { name, isSequential: position % 2 === 0 }),
    );
    const pipeline = dag(
      function pipeline() {
        return tasks.map((task) => task());
      },
      { maxConcurrency: 3, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.startOrder, names);
    t.deepEqual(sharedTicks(clock, "p"), []);
    t.deepEqual(sharedTicks(clock, "r"), []);
    t.deepEqual(sharedTicks(clock, "u"), []);
    t.deepEqual(clock.runningAt, [
      ["p"], ["q"], ["q"], ["r"], ["r"], ["r"], ["s"], ["u"], ["u"], ["v"], ["v"], ["v"], [],
    ]);
  });

  test.serial(`cfg default makes every node sequential [${engine}]`, async (t) => {
    const saved = cfg.TAWAZI_IS_SEQUENTIAL;
    cfg.TAWAZI_IS_SEQUENTIAL = true;
    try {
      const clock = new TickClock();
      const a = xn(clock.task("a", 1), { name: "a" });
      const b = xn(clock.task("b", 1), { name: "b" });
      const c = xn(clock.task("c", 1), { name: "c", isSequential: false });
      const pipeline = dag(
        function pipeline() {
          return [a(), b(), c()];
        },
        { maxConcurrency: 3, engine },
      );

      await clock.run(pipeline());

      t.true(pipeline.getNodeById("a").isSequential);
      t.false(pipeline.getNodeById("c").isSequential);
      t.deepEqual(clock.runningAt, [["a"], ["b"], ["c"], []]);
    } finally {
      cfg.TAWAZI_IS_SEQUENTIAL = saved;
    }
  });
}
