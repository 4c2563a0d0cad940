import { execFile } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import test from "ava";

import { Resource, type ResourceKind, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { priorityTree } from "./fixtures/priority-tree.js";
import { checkUnhandled } from "./unhandled.js";

const testFolder = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(testFolder, "../..");
const printOrderScript = path.join(testFolder, "fixtures", "print-priority-order.ts");

/** Makes a node that appends `name` to `order` when it starts and returns its name. */
function loggingNode(
  order: string[],
  name: string,
  priority: number,
  options: { resource?: ResourceKind; delay?: number } = {},
) {
  const { resource = Resource.async, delay = 0 } = options;
  return xn(
    (..._parents: unknown[]): unknown => {
      order.push(name);
      return delay === 0 ? name : sleep(delay).then(() => name);
    },
    { name, priority, resource },
  );
}

/** cp(v) = priority(v) + Σ cp(c) over the children c of v, straight from the definition. */
function expectedCompoundPriority(
  id: string,
  priority: Readonly<Record<string, number>>,
  children: Readonly<Record<string, readonly string[]>>,
): number {
  let sum = priority[id]!;
  for (const child of children[id] ?? []) {
    sum += expectedCompoundPriority(child, priority, children);
  }
  return sum;
}

for (const engine of engines) {
  /** Builds a DAG where A (priority 0) feeds C (priority 10), beside B and D (priority 5). */
  function urgentChildPipeline(order: string[], independentOrder: readonly string[]) {
    const a = loggingNode(order, "A", 0, { delay: 5 });
    const c = loggingNode(order, "C", 10, { delay: 5 });
    const independent = independentOrder.map((name) => loggingNode(order, name, 5, { delay: 5 }));
    return dag(
      function urgentChild() {
        c(a());
        for (const node of independent) node();
      },
      { engine, maxConcurrency: 1 },
    );
  }

  test(`parent inherits child's priority [${engine}]`, async (t) => {
    const order: string[] = [];
    const pipeline = urgentChildPipeline(order, ["B", "D"]);

    t.is(pipeline.nodes.get("A")?.compoundPriority, 10);
    t.is(pipeline.nodes.get("C")?.compoundPriority, 10);
    await checkUnhandled(t, () => pipeline());
    t.deepEqual(order, ["A", "C", "B", "D"]);
  });

  test(`equal priorities follow description order [${engine}]`, async (t) => {
    const order: string[] = [];
    const pipeline = urgentChildPipeline(order, ["D", "B"]);

    await checkUnhandled(t, () => pipeline());
    t.deepEqual(order, ["A", "C", "D", "B"]);
  });

  test(`start order identical over 200 runs [${engine}]`, async (t) => {
    const order: string[] = [];
    const pipeline = urgentChildPipeline(order, ["B", "D"]);
    const orders = new Set<string>();

    await checkUnhandled(t, async () => {
      for (let run = 0; run < 200; run += 1) {
        order.length = 0;
        await pipeline();
        orders.add(order.join(","));
      }
    });
    t.deepEqual([...orders], ["A,C,B,D"]);
  });

  test(`compound priority of a tree [${engine}]`, (t) => {
    const pipeline = priorityTree(engine, []);
    const priority = { R: 1, X: 1, Y: 1, Z: 1, W: 1, Q: 6, Q2: 8 };
    const children = { R: ["X"], X: ["Y", "Z"], Z: ["W"] };

    for (const id of Object.keys(priority)) {
      t.is(
        pipeline.nodes.get(id)?.compoundPriority,
        expectedCompoundPriority(id, priority, children),
        `compound priority of ${id}`,
      );
    }
    t.is(pipeline.nodes.get("R")?.compoundPriority, 5);
  });

  test(`tree start order in-process [${engine}]`, async (t) => {
    const order: string[] = [];
    const pipeline = priorityTree(engine, order);
    const orders = new Set<string>();

    for (let run = 0; run < 200; run += 1) {
      order.length = 0;
      await pipeline();
      orders.add(order.join(","));
    }
    t.deepEqual([...orders], ["Q2,Q,R,X,Z,Y,W"]);
  });

  test(`tree start order across processes [${engine}]`, async (t) => {
    const run = promisify(execFile);
    const outputs = await Promise.all(
      [1, 2, 3].map(() =>
        run(process.execPath, ["--import=tsx", printOrderScript, engine], { cwd: projectRoot }),
      ),
    );

    for (const { stdout } of outputs) {
      t.deepEqual(JSON.parse(stdout), ["Q2", "Q", "R", "X", "Z", "Y", "W"]);
    }
  });

  for (const resource of [Resource.async, Resource.mainThread] satisfies ResourceKind[]) {
    /** Builds a DAG of independent nodes declared out of priority order. */
    function numericPipeline(order: string[], extremes: boolean) {
      const declared: [string, number][] = [
        ["P100", 100],
        ["Pneg1", -1],
        ["P2", 2],
        ["P10", 10],
        ["P0", 0],
        ["P2b", 2],
      ];
      if (extremes) declared.splice(2, 0, ["Pmin", -(2 ** 31)], ["Pmax", 2 ** 31]);
      const nodes = declared.map(([name, priority]) =>
        loggingNode(order, name, priority, { resource }),
      );
      return dag(
        function numeric() {
          for (const node of nodes) node();
        },
        { engine, maxConcurrency: 1 },
      );
    }

    test(`priorities sort numerically (${resource}) [${engine}]`, async (t) => {
      const order: string[] = [];
      const pipeline = numericPipeline(order, false);
      const expected = ["P100", "P10", "P2", "P2b", "P0", "Pneg1"];

      await pipeline();
      t.deepEqual(order, expected);

      order.length = 0;
      pipeline.runSync();
      t.deepEqual(order, expected);
    });

    test(`priorities ±2^31 do not wrap (${resource}) [${engine}]`, async (t) => {
      const order: string[] = [];
      const pipeline = numericPipeline(order, true);

      await pipeline();
      t.deepEqual(order, ["Pmax", "P100", "P10", "P2", "P2b", "P0", "Pneg1", "Pmin"]);
      t.is(pipeline.nodes.get("Pmax")?.priority, 2 ** 31);
      t.is(pipeline.nodes.get("Pmin")?.compoundPriority, -(2 ** 31));
    });
  }

  test(`1,000 children at 2^31 sum exactly [${engine}]`, async (t) => {
    const order: string[] = [];
    const hub = loggingNode(order, "hub", 0);
    const leaf = loggingNode(order, "leaf", 2 ** 31);
    // 2^40 lies between one child's priority (2^31) and the hub's sum (1000 × 2^31).
    const rival = loggingNode(order, "rival", 2 ** 40);
    const pipeline = dag(
      function fanOut() {
        const top = hub();
        for (let child = 0; child < 1000; child += 1) leaf(top);
        rival();
      },
      { engine, maxConcurrency: 1 },
    );

    t.is(pipeline.nodes.get("hub")?.compoundPriority, 1000 * 2 ** 31);
    t.is(pipeline.nodes.get("leaf<<999>>")?.compoundPriority, 2 ** 31);
    await pipeline();
    t.deepEqual(order.slice(0, 3), ["hub", "rival", "leaf"]);
    t.is(order.length, 1002);
  });

  test(`chain of 1,000 at 2^31 sums exactly [${engine}]`, (t) => {
    const link = xn(function link(_previous?: unknown) {
      return 0;
    }, { priority: 2 ** 31 });
    const head = xn(function head() {
      return 0;
    });
    const pipeline = dag(
      function chain() {
        let value = head();
        for (let step = 0; step < 1000; step += 1) value = link(value);
        return value;
      },
      { engine },
    );

    t.is(pipeline.nodes.get("head")?.compoundPriority, 1000 * 2 ** 31);
    t.is(pipeline.nodes.get("link")?.compoundPriority, 1000 * 2 ** 31);
    t.is(pipeline.nodes.get("link<<999>>")?.compoundPriority, 2 ** 31);
    t.is(pipeline.runSync(), 0);
  });

  test(`compound priority saturates, stays finite [${engine}]`, (t) => {
    const node = (name: string, priority: number) =>
      xn((..._parents: unknown[]) => name, { name, priority });
    const top = node("top", 0);
    const huge = node("huge", Number.MAX_VALUE);
    const bottom = node("bottom", 0);
    const tiny = node("tiny", -Number.MAX_VALUE);
    const pipeline = dag(
      function extremes() {
        const high = top();
        huge(high);
        huge(high);
        const low = bottom();
        tiny(low);
        tiny(low);
      },
      { engine },
    );

    t.is(pipeline.nodes.get("top")?.compoundPriority, Number.MAX_VALUE);
    t.is(pipeline.nodes.get("bottom")?.compoundPriority, -Number.MAX_VALUE);
  });
}
