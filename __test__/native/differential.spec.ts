import assert from "node:assert/strict";

import test from "ava";
import fc from "fast-check";

import { type BehaviorName, type NodeStatus, dag, xn } from "../../index.js";
import { failOnProcessErrors, nextMacrotask } from "../helpers/process-failures.js";

failOnProcessErrors();

type Engine = "ts" | "native";
type Mode = "sync" | "async";

const behaviors = ["strict", "all-children", "permissive"] as const;

/** One generated node: its parents (earlier nodes, repeats allowed) and its options. */
interface NodeSpec {
  readonly parents: readonly number[];
  readonly priority: number;
  readonly sequential: boolean;
  readonly mainThread: boolean;
  readonly fails: boolean;
  readonly inactive: boolean;
  /**
   * How an asynchronous run's node returns: 0 a plain value, 1 to 3 a promise settled after
   * that many microtask hops, 4 a promise settled on the next macrotask. Synchronous runs
   * always return plain values.
   */
  readonly duration: number;
}

interface Case {
  readonly specs: readonly NodeSpec[];
  readonly maxConcurrency: number;
}

/** Small integers (many ties), fractions, and values whose sums leave int32 or saturate. */
const priorityArbitrary = fc.oneof(
  { arbitrary: fc.integer({ min: -5, max: 5 }), weight: 5 },
  {
    arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom(
      2 ** 31,
      -(2 ** 31),
      2 ** 31 - 1,
      2 ** 53,
      0.5,
      -0.25,
      0.1,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
    ),
    weight: 2,
  },
);

/**
 * A parent pick: `[true, k]` picks one of the three nodes just before (chains and diamonds),
 * `[false, k]` any earlier node (wide graphs).
 */
const parentPicks = fc.array(fc.tuple(fc.nat(3).map((roll) => roll === 0), fc.nat()), { maxLength: 4 });

/**
 * Generates DAGs of 1 to `maxNodes` nodes in description order. Every random choice comes from
 * fast-check, so a failing case replays from the printed seed and shrinks. Failures and
 * inactive nodes are drawn per mille, with a rate drawn per case, so some large cases have
 * none and others many. Node options shrink towards a plain async node.
 */
function caseArbitrary(maxNodes: number): fc.Arbitrary<Case> {
  const rates = fc.record({
    failures: fc.constantFrom(0, 3, 30),
    inactive: fc.constantFrom(0, 3, 50),
  });
  const rawNode = fc.record({
    picks: parentPicks,
    priority: priorityArbitrary,
    sequential: fc.nat(24).map((roll) => roll === 24),
    mainThread: fc.nat(3).map((roll) => roll === 3),
    failureRoll: fc.nat(999),
    inactiveRoll: fc.nat(999),
    duration: fc.oneof(
      { arbitrary: fc.constant(0), weight: 1 },
      { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 4 },
      { arbitrary: fc.constant(4), weight: 2 },
    ),
  });
  return fc
    .record({
      rates,
      nodes: fc.array(rawNode, { minLength: 1, maxLength: maxNodes, size: "max" }),
      maxConcurrency: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 8 })),
    })
    .map(({ rates, nodes, maxConcurrency }) => ({
      maxConcurrency,
      specs: nodes.map((node, index) => ({
        parents:
          index === 0
            ? []
            : node.picks.map(([near, pick]) =>
                near ? index - 1 - (pick % Math.min(index, 3)) : pick % index,
              ),
        priority: node.priority,
        sequential: node.sequential,
        mainThread: node.mainThread,
        fails: node.failureRoll >= 1000 - rates.failures,
        inactive: node.inactiveRoll >= 1000 - rates.inactive,
        duration: node.duration,
      })),
    }));
}

/** Event codes of a run: `2n` node n started, `2n + 1` node n ended, `settledMark` the run settled. */
const settledMark = -1;

/** Records the start and end of every node call, and how many calls have not ended. */
class CallLog {
  readonly events: number[] = [];
  running = 0;

  start(node: number): void {
    this.events.push(2 * node);
    this.running += 1;
  }

  end(node: number): void {
    this.events.push(2 * node + 1);
    this.running -= 1;
  }

  /** Forgets the events of a previous run; its calls must all have ended. */
  reset(): void {
    this.events.length = 0;
  }

  /** The nodes in the order they started. */
  get startOrder(): number[] {
    return this.events.filter((event) => event >= 0 && event % 2 === 0).map((event) => event / 2);
  }

  /** Waits until every started call has ended, so a strict run's leftovers are recorded too. */
  async drain(): Promise<void> {
    for (let turn = 0; this.running > 0; turn += 1) {
      if (turn > 10_000) throw new Error(`${this.running} node calls never ended`);
      await nextMacrotask();
    }
  }
}

/** Mixes the inputs into a number, counting every input that is not a number (undefined) as 7. */
function mix(node: number, inputs: readonly unknown[]): number {
  let value = node;
  for (const input of inputs) value = (value * 31 + (typeof input === "number" ? input : 7)) % 1_000_003;
  return value;
}

async function microtaskHops(count: number): Promise<void> {
  for (let hop = 0; hop < count; hop += 1) await null;
}

/** Returns node `index`'s function, which logs its call and returns, throws or rejects as `spec` sets. */
function nodeFunction(index: number, spec: NodeSpec, mode: Mode, calls: CallLog) {
  return function node(...inputs: unknown[]): unknown {
    calls.start(index);
    if (mode === "sync" || spec.duration === 0) {
      try {
        if (spec.fails) throw new Error(`node ${index} failed`);
        return mix(index, inputs);
      } finally {
        calls.end(index);
      }
    }
    const wait = spec.duration === 4 ? nextMacrotask() : microtaskHops(spec.duration);
    return wait.then(() => {
      calls.end(index);
      if (spec.fails) throw new Error(`node ${index} rejected`);
      return mix(index, inputs);
    });
  };
}

/** Builds a DAG over `specs` whose describing function returns every node's value. */
function buildDag(
  { specs, maxConcurrency }: Case,
  engine: Engine,
  behavior: BehaviorName,
  mode: Mode,
  calls: CallLog,
) {
  const nodes = specs.map((spec, index) =>
    xn(nodeFunction(index, spec, mode, calls), {
      name: `n${index}`,
      priority: spec.priority,
      isSequential: spec.sequential,
      resource: spec.mainThread ? "main-thread" : "async",
    }),
  );
  return dag(
    function generated() {
      const values: unknown[] = [];
      specs.forEach((spec, index) => {
        const inputs = spec.parents.map((parent) => values[parent]);
        const call = spec.inactive ? nodes[index]!.with({ active: false }) : nodes[index]!;
        values.push(call(...(inputs as never[])));
      });
      return values;
    },
    { engine, behavior, maxConcurrency },
  );
}

/** Reduces an error to a comparable form: its message and the node id the library attached. */
function errorSummary(error: unknown) {
  if (!(error instanceof Error)) return { thrown: error };
  return { message: error.message, node: (error as { tawaziNode?: string }).tawaziNode };
}

function statusSummary(status: NodeStatus) {
  return status.state === "failed" ? { ...status, error: errorSummary(status.error) } : status;
}

/** The outcome of one run of a case, in a form both engines must agree on, and its calls. */
interface Outcome {
  readonly result: unknown;
  readonly error: ReturnType<typeof errorSummary> | undefined;
  readonly statuses: readonly ReturnType<typeof statusSummary>[];
  readonly failedNodes: readonly string[];
  readonly calls: CallLog;
}

/** Runs the case once through an execution, awaited, which exposes every node's status. */
async function executionOutcome(
  spec: Case,
  engine: Engine,
  behavior: BehaviorName,
  mode: Mode,
  calls = new CallLog(),
  pipeline = buildDag(spec, engine, behavior, mode, calls),
): Promise<Outcome> {
  calls.reset();
  const execution = pipeline.executor();
  let result: unknown;
  let error: ReturnType<typeof errorSummary> | undefined;
  try {
    result = await execution();
  } catch (caught) {
    error = errorSummary(caught);
  }
  calls.events.push(settledMark);
  await calls.drain();
  return {
    result,
    error,
    statuses: [...pipeline.nodes.keys()].map((id) => statusSummary(execution.status(id))),
    failedNodes: [...execution.errors.keys()],
    calls,
  };
}

/** Runs the case with `runSync`, which takes another path through the run layer. */
function runSyncOutcome(
  spec: Case,
  engine: Engine,
  behavior: BehaviorName,
  calls = new CallLog(),
  pipeline = buildDag(spec, engine, behavior, "sync", calls),
) {
  calls.reset();
  try {
    return { result: pipeline.runSync(), error: undefined, calls };
  } catch (caught) {
    return { result: undefined, error: errorSummary(caught), calls };
  } finally {
    calls.events.push(settledMark);
  }
}

/**
 * Returns the first scheduling rule that `events` breaks, or undefined for a legal schedule.
 * A node is called at most once, only when active, and only after every parent ended. At most
 * `maxConcurrency` async (not main-thread) calls run at once. A sequential node starts when
 * nothing runs, and nothing starts while it runs. Nothing starts after the run settled.
 *
 * A call counts as ended when its function returned or its promise settled, which is no later
 * than when the scheduler learns of it, so every rule checked here binds the scheduler too.
 */
function scheduleViolation(specs: readonly NodeSpec[], events: readonly number[], maxConcurrency: number) {
  const started = new Uint8Array(specs.length);
  const ended = new Uint8Array(specs.length);
  const running = new Set<number>();
  let asyncRunning = 0;
  let sequentialRunning = -1;
  let settled = false;

  for (const event of events) {
    if (event === settledMark) {
      settled = true;
      continue;
    }
    const node = Math.floor(event / 2);
    const spec = specs[node]!;

    if (event % 2 === 1) {
      if (started[node] !== 1 || ended[node] === 1) return `node ${node} ended without a running call`;
      ended[node] = 1;
      running.delete(node);
      if (!spec.mainThread) asyncRunning -= 1;
      if (sequentialRunning === node) sequentialRunning = -1;
      continue;
    }

    if (settled) return `node ${node} started after the run settled`;
    if (started[node] === 1) return `node ${node} started twice`;
    if (spec.inactive) return `inactive node ${node} started`;
    const waiting = spec.parents.find((parent) => ended[parent] !== 1);
    if (waiting !== undefined) return `node ${node} started before its parent ${waiting} ended`;
    if (sequentialRunning !== -1) {
      return `node ${node} started while sequential node ${sequentialRunning} ran`;
    }
    if (spec.sequential && running.size > 0) {
      return `sequential node ${node} started while ${[...running].join(", ")} ran`;
    }

    started[node] = 1;
    running.add(node);
    if (spec.sequential) sequentialRunning = node;
    if (!spec.mainThread) {
      asyncRunning += 1;
      if (asyncRunning > maxConcurrency) {
        return `node ${node} made ${asyncRunning} async nodes run at once, limit ${maxConcurrency}`;
      }
    }
  }

  if (running.size > 0) return `nodes ${[...running].join(", ")} never ended`;
  return undefined;
}

/**
 * Computes the final states and the returned values of a behaviour that does not stop the run
 * (description order is a topological order). For "strict" they are the outcome when no node fails.
 */
function expectedOutcome(specs: readonly NodeSpec[], behavior: BehaviorName) {
  const states: ("succeeded" | "failed" | "skipped")[] = [];
  const values: unknown[] = [];
  specs.forEach((spec, index) => {
    const parentStates = spec.parents.map((parent) => states[parent]);
    let state: (typeof states)[number];
    if (
      spec.inactive ||
      parentStates.includes("skipped") ||
      (behavior === "all-children" && parentStates.includes("failed"))
    ) {
      state = "skipped";
    } else {
      state = spec.fails ? "failed" : "succeeded";
    }
    states.push(state);
    values.push(state === "succeeded" ? mix(index, spec.parents.map((parent) => values[parent])) : undefined);
  });
  return { states, values };
}

/**
 * Runs a case on both engines and throws on the first difference between them, illegal
 * schedule or wrong outcome. At maxConcurrency 1 both engines must also call the nodes in
 * the same order.
 */
async function checkCase(spec: Case, behavior: BehaviorName, mode: Mode): Promise<void> {
  const { specs, maxConcurrency } = spec;
  const ts = await executionOutcome(spec, "ts", behavior, mode);
  const native = await executionOutcome(spec, "native", behavior, mode);

  for (const [engine, outcome] of [["ts", ts], ["native", native]] as const) {
    const violation = scheduleViolation(specs, outcome.calls.events, maxConcurrency);
    assert.equal(violation, undefined, `illegal ${mode} schedule on the ${engine} engine`);
  }
  assert.deepEqual(native.error, ts.error, "errors differ");
  assert.deepEqual(native.result, ts.result, "results differ");
  assert.deepEqual(native.statuses, ts.statuses, "statuses differ");
  assert.deepEqual(native.failedNodes, ts.failedNodes, "failed nodes differ");
  if (maxConcurrency === 1) {
    assert.deepEqual(native.calls.startOrder, ts.calls.startOrder, "call orders differ");
  }

  const expected = expectedOutcome(specs, behavior);
  if (behavior !== "strict" || !expected.states.includes("failed")) {
    assert.equal(ts.error, undefined, "the run rejected");
    assert.deepEqual(ts.statuses.map((status) => status.state), expected.states, "states differ from the model");
    assert.deepEqual(ts.result, expected.values, "results differ from the model");
  } else {
    assert.notEqual(ts.error, undefined, "a strict run with a failing node resolved");
  }

  if (mode === "sync") {
    const tsSync = runSyncOutcome(spec, "ts", behavior);
    const nativeSync = runSyncOutcome(spec, "native", behavior);
    for (const [engine, outcome] of [["ts", tsSync], ["native", nativeSync]] as const) {
      const violation = scheduleViolation(specs, outcome.calls.events, maxConcurrency);
      assert.equal(violation, undefined, `illegal runSync schedule on the ${engine} engine`);
    }
    assert.deepEqual(nativeSync.error, tsSync.error, "runSync errors differ");
    assert.deepEqual(nativeSync.result, tsSync.result, "runSync results differ");
    assert.deepEqual(tsSync.error, ts.error, "runSync and the awaited call reject differently");
    assert.deepEqual(tsSync.result, ts.result, "runSync and the awaited call return different values");
    if (maxConcurrency === 1) {
      assert.deepEqual(nativeSync.calls.startOrder, tsSync.calls.startOrder, "runSync call orders differ");
    }
  }
}

/**
 * Runs one DAG of the case several times on each engine and checks every run against a first
 * run on a fresh TypeScript DAG. A run records its schedule, and the next runs follow it while
 * their completions match, so repeated runs take another path than first runs.
 */
async function checkRepeatedRuns(spec: Case, behavior: BehaviorName, mode: Mode): Promise<void> {
  const ts = await executionOutcome(spec, "ts", behavior, mode);
  const tsSync = mode === "sync" ? runSyncOutcome(spec, "ts", behavior) : undefined;

  for (const engine of ["ts", "native"] as const) {
    const calls = new CallLog();
    const pipeline = buildDag(spec, engine, behavior, mode, calls);
    for (let repeat = 0; repeat < 3; repeat += 1) {
      const outcome = await executionOutcome(spec, engine, behavior, mode, calls, pipeline);
      const label = `${engine} repeat ${repeat}`;
      const violation = scheduleViolation(spec.specs, outcome.calls.events, spec.maxConcurrency);
      assert.equal(violation, undefined, `illegal schedule in ${label}`);
      assert.deepEqual(outcome.error, ts.error, `errors differ in ${label}`);
      assert.deepEqual(outcome.result, ts.result, `results differ in ${label}`);
      assert.deepEqual(outcome.statuses, ts.statuses, `statuses differ in ${label}`);
      if (spec.maxConcurrency === 1) {
        assert.deepEqual(outcome.calls.startOrder, ts.calls.startOrder, `call orders differ in ${label}`);
      }
    }
    if (tsSync === undefined) continue;

    for (let repeat = 0; repeat < 3; repeat += 1) {
      const outcome = runSyncOutcome(spec, engine, behavior, calls, pipeline);
      const label = `${engine} runSync repeat ${repeat}`;
      assert.deepEqual(outcome.error, tsSync.error, `errors differ in ${label}`);
      assert.deepEqual(outcome.result, tsSync.result, `results differ in ${label}`);
      assert.deepEqual(outcome.calls.startOrder, tsSync.calls.startOrder, `call orders differ in ${label}`);
    }
  }
}

// Cases per run: 6 × 200 small ones and 2 × 40 large ones, 1280 in all, then 2 × 100 repeated ones.
for (const behavior of behaviors) {
  for (const mode of ["sync", "async"] as const) {
    test(`engines agree on ${mode} runs (${behavior})`, async (t) => {
      await t.notThrowsAsync(
        fc.assert(
          fc.asyncProperty(caseArbitrary(50), (spec) => checkCase(spec, behavior, mode)),
          { numRuns: 200 },
        ),
      );
    });
  }
}

for (const mode of ["sync", "async"] as const) {
  test(`engines agree on large ${mode} runs`, async (t) => {
    t.timeout(60_000);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(caseArbitrary(3000), fc.constantFrom(...behaviors), (spec, behavior) =>
          checkCase(spec, behavior, mode),
        ),
        { numRuns: 40 },
      ),
    );
  });
}

for (const mode of ["sync", "async"] as const) {
  test(`repeated ${mode} runs agree`, async (t) => {
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(caseArbitrary(200), fc.constantFrom(...behaviors), (spec, behavior) =>
          checkRepeatedRuns(spec, behavior, mode),
        ),
        { numRuns: 100 },
      ),
    );
  });
}
