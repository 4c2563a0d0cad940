// The fault matrix: each way a node can fail, under each behaviour, on each engine. Every
// case runs the same shape of DAG, ok() and the faulty node f side by side and after(f) below
// f, and states exactly what the run returns or rejects with, which nodes ran, and what the
// execution records. Worker variants raise the same values in a worker thread, and the caller
// receives structured clones of them. The process must see no unhandled rejection or uncaught
// exception.
import test, { type ExecutionContext } from "ava";

import {
  type BehaviorName,
  type DAGExecution,
  Resource,
  type ResourceKind,
  TawaziTimeoutError,
  TawaziTypeError,
  cfg,
  close,
  dag,
  errorCodes,
  xn,
} from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);

test.after.always("close the worker pool", async () => {
  await close();
});

const behaviors: readonly BehaviorName[] = ["strict", "all-children", "permissive"];

/** What a faulty node does: throw or reject with a value made fresh for each call. */
interface Fault {
  readonly name: string;
  /** Makes the value thrown; objects are new on each call, so identity can be checked. */
  readonly value: () => unknown;
  readonly asynchronous: boolean;
}

const thrownValues: readonly { readonly label: string; readonly make: () => unknown }[] = [
  { label: "an Error", make: () => new RangeError("bad") },
  { label: "a string", make: () => "bad" },
  { label: "undefined", make: () => undefined },
  { label: "a plain object", make: () => ({ reason: "bad" }) },
];

const faults: readonly Fault[] = thrownValues.flatMap(({ label, make }) => [
  { name: `throws ${label}`, value: make, asynchronous: false },
  { name: `rejects with ${label}`, value: make, asynchronous: true },
]);

/**
 * What a worker node raises, by kind, and how the caller receives it: a copy made by structured
 * clone, so an Error keeps its class and message and an object is equal but not the same.
 */
const workerValues: readonly {
  readonly label: string;
  readonly kind: Parameters<typeof tasks.throwValue>[0];
  readonly check: (t: ExecutionContext, error: unknown) => void;
}[] = [
  {
    label: "an Error",
    kind: "error",
    check: (t, error) => {
      t.true(error instanceof RangeError);
      t.is((error as Error).message, "bad");
      t.is((error as { tawaziNode?: string }).tawaziNode, "f");
    },
  },
  { label: "a string", kind: "string", check: (t, error) => t.is(error, "bad") },
  { label: "undefined", kind: "undefined", check: (t, error) => t.is(error, undefined) },
  { label: "a plain object", kind: "object", check: (t, error) => t.deepEqual(error, { reason: "bad" }) },
];

/** The counters and the values each case records. */
interface Tally {
  after: number;
  ok: number;
  /** The values the faulty node threw, in call order. */
  readonly thrown: unknown[];
  /** The argument after() received on its last call. */
  afterInput: unknown;
}

function newRecord(): Tally {
  return { after: 0, ok: 0, thrown: [], afterInput: "not called" };
}

/** ok() → 1, counted. */
function okNode(record: Tally) {
  return xn(function ok() {
    record.ok += 1;
    return 1;
  });
}

/** after(v) → "after:<v>", counted, remembering its input. */
function afterNode(record: Tally, debug = false) {
  return xn(
    function after(value: unknown) {
      record.after += 1;
      record.afterInput = value;
      return `after:${String(value)}`;
    },
    { debug },
  );
}

/** Makes a node that throws (or rejects with) `fault`'s value and records it. */
function faultyNode(record: Tally, fault: Fault, resource: ResourceKind, extra: { setup?: boolean; debug?: boolean } = {}) {
  const raise = (): never => {
    const value = fault.value();
    record.thrown.push(value);
    throw value;
  };
  return fault.asynchronous
    ? xn(
        async function f() {
          await Promise.resolve();
          return raise();
        },
        { resource, ...extra },
      )
    : xn(
        function f(): number {
          return raise();
        },
        { resource, ...extra },
      );
}

/**
 * Runs `execution`, of the shape [ok(), f, after(f)], under `behavior` and checks the outcome.
 * Node `faultId` is the faulty one, and `expected` checks what it failed with.
 */
async function checkBehavior(
  t: ExecutionContext,
  behavior: BehaviorName,
  execution: DAGExecution,
  record: Tally,
  faultId: string,
  expected: (error: unknown) => void,
): Promise<void> {
  if (behavior === "strict") {
    let rejected: { error: unknown } | undefined;
    try {
      await execution();
    } catch (error) {
      rejected = { error };
    }
    t.not(rejected, undefined, "the run rejects");
    expected(rejected!.error);
    t.is(record.after, 0);
    t.deepEqual(execution.status("after"), { state: "not-run", reason: "run-stopped" });
    return;
  }

  const result = await execution();
  t.true(execution.errors.has(faultId), "the failure is recorded");
  expected(execution.errors.get(faultId));
  t.is(execution.status(faultId).state, "failed");
  if (behavior === "all-children") {
    t.deepEqual(result, [1, undefined, undefined]);
    t.is(record.after, 0);
    t.deepEqual(execution.status("after"), { state: "skipped", reason: "dependency-failed", cause: faultId });
  } else {
    t.deepEqual(result, [1, undefined, "after:undefined"]);
    t.is(record.after, 1);
    t.is(record.afterInput, undefined);
  }
  t.is(record.ok, 1);
}

/** Builds the case's DAG: [ok(), f, after(f)], where `f` is what `faulty()` returns. */
function matrixDag(
  name: string,
  engine: (typeof engines)[number],
  behavior: BehaviorName,
  record: Tally,
  faulty: () => unknown,
  afterIsDebug = false,
) {
  const ok = okNode(record);
  const after = afterNode(record, afterIsDebug);
  return dag(
    function matrix() {
      const value = faulty();
      return [ok(), value, after(value)];
    },
    { name, engine, behavior, maxConcurrency: 2 },
  );
}

/** Expects the very value the node threw, as is: the same object, or an equal primitive. */
function sameAsThrown(t: ExecutionContext, record: Tally) {
  return (error: unknown) => {
    t.is(record.thrown.length, 1);
    t.is(error, record.thrown[0]);
  };
}

for (const engine of engines) {
  for (const behavior of behaviors) {
    for (const resource of [Resource.async, Resource.mainThread]) {
      for (const fault of faults) {
        test(`${fault.name} (${resource}, ${behavior}) [${engine}]`, async (t) => {
          const record = newRecord();
          const f = faultyNode(record, fault, resource);
          const pipeline = matrixDag("matrix", engine, behavior, record, () => f());

          await checkBehavior(t, behavior, pipeline.executor(), record, "f", sameAsThrown(t, record));
        });
      }
    }

    test(`never-settling promise with timeout (${behavior}) [${engine}]`, async (t) => {
      const record = newRecord();
      const f = xn(
        function f(): Promise<number> {
          return new Promise(() => {});
        },
        { timeout: 20 },
      );
      const pipeline = matrixDag("hanging", engine, behavior, record, () => f());

      await checkBehavior(t, behavior, pipeline.executor(), record, "f", (error) => {
        t.true(error instanceof TawaziTimeoutError);
        t.is((error as TawaziTimeoutError).code, errorCodes.TawaziTimeoutError);
        t.is((error as TawaziTimeoutError).node, "f");
        t.is((error as TawaziTimeoutError).timeout, 20);
      });
    });

    test(`setup node throws (${behavior}) [${engine}]`, async (t) => {
      const record = newRecord();
      const f = faultyNode(record, faults[0]!, Resource.async, { setup: true });
      const pipeline = matrixDag("withSetup", engine, behavior, record, () => f());

      await checkBehavior(t, behavior, pipeline.executor(), record, "f", sameAsThrown(t, record));

      // A failed setup node caches nothing: the next call runs it again.
      await pipeline().catch(() => undefined);
      t.is(record.thrown.length, 2);
    });

    test(`debug node throws (${behavior}) [${engine}]`, async (t) => {
      const record = newRecord();
      const f = faultyNode(record, faults[0]!, Resource.async, { debug: true });
      const pipeline = matrixDag("withDebug", engine, behavior, record, () => f(), true);

      const previous = cfg.RUN_DEBUG_NODES;
      cfg.RUN_DEBUG_NODES = true;
      try {
        await checkBehavior(t, behavior, pipeline.executor(), record, "f", sameAsThrown(t, record));
      } finally {
        cfg.RUN_DEBUG_NODES = previous;
      }
    });

    test(`sub-DAG node throws (${behavior}) [${engine}]`, async (t) => {
      const record = newRecord();
      const f = faultyNode(record, faults[1]!, Resource.async);
      const inner = dag(function inner() {
        return f();
      });
      const pipeline = matrixDag("outer", engine, behavior, record, () => inner.inline());

      await checkBehavior(t, behavior, pipeline.executor(), record, "inner.f", (error) => {
        sameAsThrown(t, record)(error);
        t.is((error as { tawaziNode?: string }).tawaziNode, "inner.f");
      });
    });

    test(`unpackTo of wrong length (${behavior}) [${engine}]`, async (t) => {
      const record = newRecord();
      const f = xn(
        function f() {
          return [1, 2, 3];
        },
        { unpackTo: 2 },
      );
      const pipeline = matrixDag("unpacking", engine, behavior, record, () => f());

      await checkBehavior(t, behavior, pipeline.executor(), record, "f", (error) => {
        t.true(error instanceof TawaziTypeError);
        t.is((error as TawaziTypeError).code, errorCodes.TawaziTypeError);
        t.regex((error as Error).message, /node "f" is declared with unpackTo 2 but returned an array of length 3/u);
      });
    });
  }

  for (const behavior of behaviors) {
    for (const { label, kind, check } of workerValues) {
      for (const exportName of ["throwValue", "rejectWith"] as const) {
        const action = exportName === "throwValue" ? "throws" : "rejects with";
        test(`${action} ${label} (worker, ${behavior}) [${engine}]`, async (t) => {
          const record = newRecord();
          const f = xn.worker<typeof tasks.throwValue>(tasksUrl, exportName, { name: "f" });
          const pipeline = matrixDag("matrix", engine, behavior, record, () => f(kind));

          await checkBehavior(t, behavior, pipeline.executor(), record, "f", (error) => check(t, error));
        });
      }
    }

    test(`never-settling worker with timeout (${behavior}) [${engine}]`, async (t) => {
      const record = newRecord();
      const f = xn.worker<typeof tasks.hang>(tasksUrl, "hang", { name: "f", timeout: 50, signal: true });
      const pipeline = matrixDag("hanging", engine, behavior, record, () => f());

      await checkBehavior(t, behavior, pipeline.executor(), record, "f", (error) => {
        t.true(error instanceof TawaziTimeoutError);
        t.is((error as TawaziTimeoutError).node, "f");
        t.is((error as TawaziTimeoutError).timeout, 50);
      });
    });
  }

  test(`results pass by reference [${engine}]`, async (t) => {
    const seen: unknown[] = [];
    const make = xn(function make() {
      return { items: [1] };
    });
    const mutate = xn(function mutate(shared: { items: number[] }) {
      shared.items.push(2);
      seen.push(shared);
      return shared;
    });
    const read = xn(function read(shared: { items: number[] }, _after: unknown) {
      seen.push(shared);
      return shared.items.length;
    });
    const pipeline = dag(
      function sharing() {
        const shared = make();
        const mutated = mutate(shared);
        return [shared, read(shared, mutated)];
      },
      { engine },
    );

    const execution = pipeline.executor();
    const [returned, length] = (await execution()) as [{ items: number[] }, number];
    const made = execution.resultOf("make");
    t.is(seen[0], made, "mutate received make's object itself");
    t.is(seen[1], made, "read received the same object");
    t.is(returned as unknown, made, "the DAG returns the same object");
    t.is(length, 2, "read sees mutate's change");
    t.deepEqual(returned.items, [1, 2]);
  });
}
