import test from "ava";

import { dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";
import { TickClock } from "../helpers/tick-clock.js";

failOnProcessErrors();

/** Makes synchronous ExecNodes that append their name to `order` when they run. */
function orderRecorder() {
  const order: string[] = [];
  const node = (name: string, priority = 0) =>
    xn(
      (..._inputs: unknown[]) => {
        order.push(name);
        return name;
      },
      { name, priority },
    );
  return { order, node };
}

for (const engine of engines) {
  test(`higher priority runs first [${engine}]`, async (t) => {
    const { order, node } = orderRecorder();
    const low = node("low", 1);
    const high = node("high", 5);
    const middle = node("middle", 3);
    const lowest = node("lowest", -2);
    const pipeline = dag(
      function pipeline() {
        return [low(), high(), middle(), lowest()];
      },
      { maxConcurrency: 1, engine },
    );

    t.deepEqual(await pipeline(), ["low", "high", "middle", "lowest"]);
    t.deepEqual(order, ["high", "middle", "low", "lowest"]);
  });

  test(`ties run in description order [${engine}]`, async (t) => {
    const { order, node } = orderRecorder();
    const names = ["e", "b", "d", "a", "c"];
    const nodes = names.map((name) => node(name, 2));
    const pipeline = dag(
      function pipeline(x: number) {
        return nodes.map((each) => each(x));
      },
      { maxConcurrency: 1, engine },
    );

    await pipeline(0);

    t.deepEqual(order, names);
  });

  test(`ties among priorities in description order [${engine}]`, async (t) => {
    const { order, node } = orderRecorder();
    const first = node("first", 1);
    const second = node("second", 4);
    const third = node("third", 1);
    const fourth = node("fourth", 4);
    const pipeline = dag(
      function pipeline() {
        return [first(), second(), third(), fourth()];
      },
      { maxConcurrency: 1, engine },
    );

    await pipeline();

    t.deepEqual(order, ["second", "fourth", "first", "third"]);
  });

  test(`compound priority of a diamond [${engine}]`, (t) => {
    const { node } = orderRecorder();
    const top = node("top", 1);
    const left = node("left", 2);
    const right = node("right", 3);
    const bottom = node("bottom", 4);
    const pipeline = dag(
      function pipeline(x: number) {
        const a = top(x);
        return bottom(left(a), right(a));
      },
      { engine },
    );

    const compound = (id: string) => pipeline.nodes.get(id)?.compoundPriority;
    t.is(compound("bottom"), 4);
    t.is(compound("left"), 6);
    t.is(compound("right"), 7);
    t.is(compound("top"), 14);
    t.is(compound("pipeline>>>x"), 14);
  });

  test(`compound priority through lookups [${engine}]`, (t) => {
    const pair = xn(
      function pair(x: number) {
        return [x, x];
      },
      { priority: 1, unpackTo: 2 },
    );
    const consume = xn(
      function consume(value: number) {
        return value;
      },
      { priority: 5 },
    );
    const pipeline = dag(
      function pipeline(x: number) {
        const [first] = pair(x);
        return consume(first!);
      },
      { engine },
    );

    t.is(pipeline.getNodeById("consume").compoundPriority, 5);
    t.is(pipeline.getNodeById("pair[0]").compoundPriority, 5);
    t.false(pipeline.nodes.has("pair[1]"));
    t.is(pipeline.getNodeById("pair").compoundPriority, 6);
  });

  test(`own priority kept beside compound [${engine}]`, (t) => {
    const { node } = orderRecorder();
    const parent = node("parent", 2);
    const child = node("child", 3);
    const pipeline = dag(
      function pipeline() {
        return child(parent());
      },
      { engine },
    );

    t.is(pipeline.getNodeById("parent").priority, 2);
    t.is(pipeline.getNodeById("parent").compoundPriority, 5);
    t.is(pipeline.getNodeById("child").priority, 3);
    t.is(pipeline.getNodeById("child").compoundPriority, 3);
  });

  test(`compound priority decides order [${engine}]`, async (t) => {
    const { order, node } = orderRecorder();
    const plain = node("plain", 0);
    const urgentChild = node("urgentChild", 10);
    const middle = node("middle", 5);
    const pipeline = dag(
      function pipeline() {
        const m = middle();
        const p = plain();
        return [m, p, urgentChild(p)];
      },
      { maxConcurrency: 1, engine },
    );

    await pipeline();

    t.deepEqual(order, ["plain", "urgentChild", "middle"]);
  });

  test(`newly ready node competes by priority [${engine}]`, async (t) => {
    const { order, node } = orderRecorder();
    const start = node("start", 0);
    const followUp = node("followUp", 5);
    const waiting = node("waiting", 2);
    const pipeline = dag(
      function pipeline() {
        const s = start();
        return [waiting(), followUp(s), s];
      },
      { maxConcurrency: 1, engine },
    );

    await pipeline();

    t.deepEqual(order, ["start", "followUp", "waiting"]);
  });

  test(`priority orders async starts on ticks [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 2), { name: "a", priority: 1 });
    const b = xn(clock.task("b", 1), { name: "b", priority: 3 });
    const c = xn(clock.task("c", 3), { name: "c", priority: 2 });
    const d = xn(clock.task("d", 1), { name: "d", priority: 0 });
    const pipeline = dag(
      function pipeline() {
        return [a(), b(), c(), d()];
      },
      { maxConcurrency: 2, engine },
    );

    t.deepEqual(await clock.run(pipeline()), ["a", "b", "c", "d"]);
    t.deepEqual(clock.events, [
      "0 start b",
      "0 start c",
      "1 end b",
      "1 start a",
      "3 end c",
      "3 end a",
      "3 start d",
      "4 end d",
    ]);
    t.deepEqual(clock.runningAt, [["b", "c"], ["c", "a"], ["c", "a"], ["d"], []]);
  });

  test(`priority order with maxConcurrency 1 on ticks [${engine}]`, async (t) => {
    const clock = new TickClock();
    const a = xn(clock.task("a", 2), { name: "a", priority: 0 });
    const b = xn(clock.task("b", 1), { name: "b", priority: 0 });
    const urgent = xn(clock.task("urgent", 1), { name: "urgent", priority: 9 });
    const pipeline = dag(
      function pipeline() {
        const first = a();
        return [first, b(), urgent(first)];
      },
      { maxConcurrency: 1, engine },
    );

    await clock.run(pipeline());

    t.deepEqual(clock.startOrder, ["a", "urgent", "b"]);
    t.deepEqual(clock.runningCounts, [1, 1, 1, 1, 0]);
  });
}
