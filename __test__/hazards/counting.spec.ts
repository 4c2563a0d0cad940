import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import { Resource, type ResourceKind, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

/** Start and end events, and how many times each node ran, shared by the nodes of one DAG. */
class Tracker {
  readonly events: string[] = [];
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly resource: ResourceKind,
    private readonly asynchronous: boolean,
  ) {}

  /**
   * Makes a node that logs its start and end. With no input it returns its name, with one
   * input `input>name`, and with several it returns the inputs as received.
   */
  node(name: string, delay: number) {
    const { events, counts, asynchronous } = this;
    counts[name] = 0;
    return xn(
      (...inputs: unknown[]): unknown => {
        events.push(`start ${name}`);
        counts[name]! += 1;
        let value: unknown = inputs;
        if (inputs.length === 0) value = name;
        if (inputs.length === 1) value = `${String(inputs[0])}>${name}`;
        if (!asynchronous) {
          events.push(`end ${name}`);
          return value;
        }
        return sleep(delay).then(() => {
          events.push(`end ${name}`);
          return value;
        });
      },
      { name, resource: this.resource },
    );
  }

  /** Returns true when `node` started after every one of `parents` ended. */
  startsAfter(node: string, parents: readonly string[]): boolean {
    const start = this.events.indexOf(`start ${node}`);
    return parents.every((parent) => {
      const end = this.events.indexOf(`end ${parent}`);
      return end !== -1 && end < start;
    });
  }
}

const concurrencyLimits = [1, 2, Number.POSITIVE_INFINITY];
const resources: ResourceKind[] = [Resource.async, Resource.mainThread];

for (const engine of engines) {
  for (const resource of resources) {
    for (const asynchronous of [false, true]) {
      for (const maxConcurrency of concurrencyLimits) {
        const mode = `${resource}, ${asynchronous ? "promises" : "sync"}, max ${maxConcurrency}`;

        /** Runs the DAG with `await` for promise-returning nodes and with runSync otherwise. */
        const runPipeline = async (pipeline: { (): Promise<unknown>; runSync(): unknown }) =>
          asynchronous ? await pipeline() : pipeline.runSync();

        test(`diamond join runs once (${mode}) [${engine}]`, async (t) => {
          const tracker = new Tracker(resource, asynchronous);
          const a = tracker.node("A", 2);
          const b1 = tracker.node("B1", 5);
          const b2 = tracker.node("B2", 5);
          const c = tracker.node("C", 1);
          const pipeline = dag(
            function diamond() {
              const top = a();
              return c(b1(top), b2(top));
            },
            { engine, maxConcurrency },
          );

          const result = await checkUnhandled(t, () => runPipeline(pipeline));

          t.deepEqual(result, ["A>B1", "A>B2"]);
          t.deepEqual(tracker.counts, { A: 1, B1: 1, B2: 1, C: 1 });
          t.true(tracker.startsAfter("C", ["B1", "B2"]), tracker.events.join(", "));
          t.true(tracker.startsAfter("B1", ["A"]), tracker.events.join(", "));
          t.true(tracker.startsAfter("B2", ["A"]), tracker.events.join(", "));
        });

        test(`uneven diamond join runs once (${mode}) [${engine}]`, async (t) => {
          // D's parents end at different depths: B2 after two steps, E after one.
          const tracker = new Tracker(resource, asynchronous);
          const a = tracker.node("A", 2);
          const b = tracker.node("B", 5);
          const b2 = tracker.node("B2", 5);
          const e = tracker.node("E", 1);
          const d = tracker.node("D", 1);
          const pipeline = dag(
            function unevenDiamond() {
              const top = a();
              return d(b2(b(top)), e(top));
            },
            { engine, maxConcurrency },
          );

          const result = await checkUnhandled(t, () => runPipeline(pipeline));

          t.deepEqual(result, ["A>B>B2", "A>E"]);
          t.deepEqual(tracker.counts, { A: 1, B: 1, B2: 1, E: 1, D: 1 });
          t.true(tracker.startsAfter("D", ["B2", "E"]), tracker.events.join(", "));
          t.true(tracker.startsAfter("B2", ["B"]), tracker.events.join(", "));
        });
      }
    }
  }

  test(`join on one parent twice runs once [${engine}]`, async (t) => {
    const tracker = new Tracker(Resource.async, true);
    const a = tracker.node("A", 2);
    const c = tracker.node("C", 1);
    const pipeline = dag(
      function sameParentTwice() {
        const top = a();
        return c(top, top);
      },
      { engine, maxConcurrency: Number.POSITIVE_INFINITY },
    );

    t.deepEqual(await checkUnhandled(t, () => pipeline()), ["A", "A"]);
    t.deepEqual(tracker.counts, { A: 1, C: 1 });
  });

  test(`join on two lookups runs once [${engine}]`, async (t) => {
    let joins = 0;
    const pair = xn(
      async function pair(): Promise<[string, string]> {
        await sleep(2);
        return ["left", "right"];
      },
      { unpackTo: 2 },
    );
    const join = xn(function join(left: string, right: string) {
      joins += 1;
      return `${left}+${right}`;
    });
    const pipeline = dag(
      function lookupDiamond() {
        const [left, right] = pair();
        return join(left, right);
      },
      { engine, maxConcurrency: Number.POSITIVE_INFINITY },
    );

    t.is(await checkUnhandled(t, () => pipeline()), "left+right");
    t.is(joins, 1);
  });

  for (const maxConcurrency of [1, 3, 64]) {
    for (const mode of ["runSync", "await", "await promises"] as const) {
      test(`chain counts once per run (${mode}, max ${maxConcurrency}) [${engine}]`, async (t) => {
        const counts = { a: 0, b: 0, c: 0 };
        const results: Record<string, unknown> = {};
        const settle = <T>(name: keyof typeof counts, value: T): T | Promise<T> => {
          counts[name] += 1;
          results[name] = value;
          return mode === "await promises" ? Promise.resolve(value) : value;
        };
        const a = xn(function a() {
          return settle("a", 1);
        });
        const b = xn(function b(x: number) {
          return settle("b", x * 2);
        });
        const c = xn(function c(x: number) {
          return settle("c", x + 3);
        });
        const chain = dag(
          function chain() {
            return c(b(a()));
          },
          { engine, maxConcurrency },
        );
        const run = () =>
          checkUnhandled(t, async () => (mode === "runSync" ? chain.runSync() : await chain()));

        t.is(await run(), 5);
        t.deepEqual(counts, { a: 1, b: 1, c: 1 });
        t.deepEqual(results, { a: 1, b: 2, c: 5 });

        t.is(await run(), 5);
        t.deepEqual(counts, { a: 2, b: 2, c: 2 });
      });
    }
  }
}
