import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import {
  type BehaviorName,
  Resource,
  type ResourceKind,
  TawaziError,
  TawaziUsageError,
  dag,
  xn,
} from "../../index.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

const resources: ResourceKind[] = [Resource.async, Resource.mainThread];

/** A user error class with an own property, to check that the caller gets the object itself. */
class CodedError extends Error {
  code = 42;
}

for (const engine of engines) {
  for (const resource of resources) {
    /** Builds ok() → 1, boom() throwing a RangeError at once, and after(boom) counting runs. */
    function throwingPipeline() {
      const counts = { after: 0 };
      const thrown: RangeError[] = [];
      const ok = xn(function ok() {
        return 1;
      });
      const boom = xn(
        function boom(): number {
          const error = new RangeError("bad");
          thrown.push(error);
          throw error;
        },
        { resource },
      );
      const after = xn(function after(_value: number) {
        counts.after += 1;
      });
      const pipeline = dag(
        function throwing() {
          const a = ok();
          after(boom());
          return a;
        },
        { engine },
      );
      return { counts, thrown, pipeline };
    }

    test(`sync throw rejects the call (${resource}) [${engine}]`, async (t) => {
      const { counts, thrown, pipeline } = throwingPipeline();

      await checkUnhandled(t, async () => {
        for (let call = 0; call < 11; call += 1) {
          const error = await t.throwsAsync(pipeline(), { instanceOf: RangeError });
          t.is(error, thrown[call], `call ${call} rejects with the thrown object`);
          t.is(error?.message, "bad");
          t.is((error as { tawaziNode?: string } | undefined)?.tawaziNode, "boom");
        }
      });
      t.is(counts.after, 0);
      t.is(thrown.length, 11);
    });

    test(`sync throw escapes runSync (${resource}) [${engine}]`, (t) => {
      const { counts, thrown, pipeline } = throwingPipeline();

      for (let call = 0; call < 11; call += 1) {
        const error = t.throws(() => pipeline.runSync(), { instanceOf: RangeError });
        t.is(error, thrown[call], `call ${call} throws the thrown object`);
        t.is(error?.message, "bad");
      }
      t.is(counts.after, 0);
    });

    for (const asynchronous of [false, true]) {
      const failureKind = asynchronous ? "rejected" : "thrown";

      test(`${failureKind} user error kept as is (${resource}) [${engine}]`, async (t) => {
        let original: CodedError | undefined;
        let originalStack: string | undefined;
        const create = () => {
          original = new CodedError("x");
          originalStack = original.stack;
          return original;
        };
        const failing = xn(
          asynchronous
            ? async function failing(): Promise<never> {
                await sleep(1);
                throw create();
              }
            : function failing(): never {
                throw create();
              },
          { resource },
        );
        const pipeline = dag(
          function coded() {
            return failing();
          },
          { engine },
        );

        let caught: unknown;
        await checkUnhandled(t, async () => {
          try {
            await pipeline();
          } catch (error) {
            caught = error;
          }
        });

        t.is(caught, original);
        t.true(caught instanceof CodedError);
        t.true(caught instanceof Error);
        t.is((caught as CodedError).code, 42);
        t.is((caught as CodedError).stack, originalStack);
        t.is((caught as { tawaziNode?: string }).tawaziNode, "failing");
      });
    }
  }

  test(`usage error is a TawaziError [${engine}]`, (t) => {
    const noop = xn(function noop() {
      return 0;
    });
    let caught: unknown;
    try {
      dag(
        function invalid() {
          return noop();
        },
        { engine, maxConcurrency: 0 },
      );
    } catch (error) {
      caught = error;
    }

    t.true(caught instanceof Error);
    t.true(caught instanceof TawaziError);
    t.true(caught instanceof TawaziUsageError);
    t.is((caught as TawaziError).code, "ERR_TAWAZI_USAGE");
  });

  test(`extra argument rejects, never throws [${engine}]`, async (t) => {
    const identity = xn(function identity(x: number) {
      return x;
    });
    const pipeline = dag(
      function single(x: number) {
        return identity(x);
      },
      { engine },
    );
    const call = pipeline as unknown as (...args: unknown[]) => Promise<unknown>;

    let promise: Promise<unknown> | undefined;
    t.notThrows(() => {
      promise = call(1, 2);
    });
    const error = await t.throwsAsync(promise!, { instanceOf: TawaziUsageError });
    t.true(error instanceof TawaziError);
    t.true(error instanceof Error);
  });

  for (const maxConcurrency of [1, 2, Number.POSITIVE_INFINITY]) {
    test(`strict stops independent siblings (max ${maxConcurrency}) [${engine}]`, async (t) => {
      // boom comes first in description order, so it is handed out before its siblings. Once it
      // has thrown, neither sibling may start, even when the engine handed them out together.
      const started: string[] = [];
      const boom = xn(function boom(): number {
        started.push("boom");
        throw new RangeError("bad");
      });
      const sibling = xn(function sibling(name: string) {
        started.push(name);
        return name;
      });
      const pipeline = dag(
        function siblings() {
          return [boom(), sibling("left"), sibling("right")];
        },
        { engine, maxConcurrency },
      );

      await checkUnhandled(t, () => t.throwsAsync(pipeline(), { instanceOf: RangeError }));
      t.deepEqual(started, ["boom"]);

      started.length = 0;
      t.throws(() => pipeline.runSync(), { instanceOf: RangeError });
      t.deepEqual(started, ["boom"]);
    });
  }

  test(`strict starts nothing after a failure [${engine}]`, async (t) => {
    const events: string[] = [];
    const counts = { c: 0, e: 0, g: 0 };
    let failure: Error | undefined;
    const a = xn(async function a() {
      events.push("start a");
      await sleep(200);
      events.push("end a");
      return "a";
    });
    const b = xn(async function b() {
      events.push("start b");
      await sleep(50);
      return "b";
    });
    const x = xn(async function x(): Promise<string> {
      events.push("start x");
      await sleep(100);
      events.push("fail x");
      failure = new Error("x");
      throw failure;
    });
    const c = xn(function c(_a: string, _b: string) {
      events.push("start c");
      counts.c += 1;
    });
    const e = xn(async function e(_b: string) {
      events.push("start e");
      await sleep(80);
      counts.e += 1;
      events.push("end e");
    });
    const g = xn(function g(_a: string) {
      events.push("start g");
      counts.g += 1;
    });
    const pipeline = dag(
      function failFast() {
        const first = a();
        const second = b();
        x();
        c(first, second);
        e(second);
        g(first);
      },
      { engine, maxConcurrency: Number.POSITIVE_INFINITY },
    );

    let eDoneAtRejection = -1;
    await checkUnhandled(
      t,
      async () => {
        const error: unknown = await t.throwsAsync(pipeline());
        eDoneAtRejection = counts.e;
        t.is(error, failure);
      },
      250,
    );

    const failedAt = events.indexOf("fail x");
    t.true(failedAt !== -1);
    t.deepEqual(
      events.slice(failedAt).filter((event) => event.startsWith("start")),
      [],
      events.join(", "),
    );
    t.true(events.indexOf("start e") < failedAt);
    t.is(counts.c, 0);
    t.is(counts.g, 0);
    // Nodes running at the failure are not awaited: the call rejects first, and they settle later.
    t.is(eDoneAtRejection, 0);
    t.is(counts.e, 1);
    t.true(events.includes("end a"));
  });

  for (const resource of resources) {
    /** Builds a → b (throws) → c and a → d → e. Every node that runs logs its name. */
    function branchPipeline(behavior: BehaviorName) {
      const log: string[] = [];
      const received: unknown[] = [];
      const failures: Error[] = [];
      const node = <A extends unknown[]>(name: string, fn: (...args: A) => string) =>
        xn(fn, { name, resource });

      const a = node("a", () => "a");
      const b = node("b", (_a: string): string => {
        const error = new Error("b failed");
        failures.push(error);
        throw error;
      });
      const c = node("c", (value: string) => {
        received.push(value);
        log.push("c");
        return "c";
      });
      const d = node("d", (_a: string) => {
        log.push("d");
        return "d";
      });
      const e = node("e", (_d: string) => {
        log.push("e");
        return "e";
      });
      const pipeline = dag(
        function branches() {
          const top = a();
          const cResult = c(b(top));
          const dResult = d(top);
          return [top, cResult, dResult, e(dResult)];
        },
        { engine, behavior },
      );
      return { log, received, failures, pipeline };
    }

    test(`all-children skips only descendants (${resource}) [${engine}]`, async (t) => {
      const { log, received, pipeline } = branchPipeline("all-children");

      for (let call = 0; call < 10; call += 1) {
        log.length = 0;
        const result = await checkUnhandled(t, () => pipeline(), 0);
        t.deepEqual(result, ["a", undefined, "d", "e"]);
        t.deepEqual(log, ["d", "e"]);
      }
      t.deepEqual(received, []);

      log.length = 0;
      t.deepEqual(pipeline.runSync(), ["a", undefined, "d", "e"]);
      t.deepEqual(log, ["d", "e"]);
    });

    test(`permissive runs dependents with undefined (${resource}) [${engine}]`, async (t) => {
      const { log, received, pipeline } = branchPipeline("permissive");

      for (let call = 0; call < 10; call += 1) {
        log.length = 0;
        const result = await checkUnhandled(t, () => pipeline(), 0);
        t.deepEqual(result, ["a", "c", "d", "e"]);
        t.deepEqual(log, ["c", "d", "e"]);
      }
      t.deepEqual(received, new Array(10).fill(undefined));

      log.length = 0;
      t.deepEqual(pipeline.runSync(), ["a", "c", "d", "e"]);
      t.deepEqual(log, ["c", "d", "e"]);
    });

    test(`strict rejects before later branches (${resource}) [${engine}]`, async (t) => {
      // With maxConcurrency 1, b runs before d (description order), so the failure stops d and e.
      const { log, failures, pipeline } = branchPipeline("strict");

      for (let call = 0; call < 10; call += 1) {
        log.length = 0;
        const error: unknown = await checkUnhandled(t, () => t.throwsAsync(pipeline()), 0);
        t.is(error, failures[call]);
        t.deepEqual(log, []);
      }
    });
  }

  /** Builds p rejecting late, q rejecting soon and r throwing synchronously on the main thread. */
  function siblingFailures(behavior: BehaviorName) {
    const thrown: Record<string, Error> = {};
    const calls: string[] = [];
    const fail = (name: string): never => {
      calls.push(name);
      thrown[name] = new Error(name);
      throw thrown[name];
    };
    const p = xn(async function p(): Promise<number> {
      await sleep(300);
      return fail("p");
    });
    const q = xn(async function q(): Promise<number> {
      await sleep(10);
      return fail("q");
    });
    const r = xn(
      function r(): number {
        return fail("r");
      },
      { resource: Resource.mainThread },
    );
    const pipeline = dag(
      function siblings() {
        return [p(), q(), r()];
      },
      { engine, behavior, maxConcurrency: Number.POSITIVE_INFINITY },
    );
    return { thrown, calls, pipeline };
  }

  test(`strict rejects with first observed failure [${engine}]`, async (t) => {
    // p and q are launched first (description order) but r fails at once, before q's timer.
    const { thrown, calls, pipeline } = siblingFailures("strict");

    await checkUnhandled(
      t,
      async () => {
        const error = await t.throwsAsync(pipeline());
        t.is(error, thrown.r);
        t.is((error as { tawaziNode?: string } | undefined)?.tawaziNode, "r");
      },
      500,
    );
    t.deepEqual(calls, ["r", "q", "p"]);
  });

  for (const behavior of ["permissive", "all-children"] as const) {
    test(`${behavior} settles after every failure [${engine}]`, async (t) => {
      const { calls, pipeline } = siblingFailures(behavior);

      const result = await checkUnhandled(t, () => pipeline(), 500);

      t.deepEqual(result, [undefined, undefined, undefined]);
      t.deepEqual(calls, ["r", "q", "p"]);
    });
  }
}
