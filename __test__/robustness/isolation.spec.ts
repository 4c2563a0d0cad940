import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import { type EngineKind, close, dag, xn } from "../../index.js";
import type * as tasks from "../fixtures/workers/tasks.js";
import { engines } from "../helpers/engines.js";
import { seededRandom } from "../helpers/random-graph.js";

type Engine = Exclude<EngineKind, "auto">;

const tasksUrl = new URL("../fixtures/workers/tasks.ts", import.meta.url);

test.after.always(async () => {
  await close();
});

/** One call's input: the numbers its nodes work on, and how long each node waits. */
interface Request {
  readonly id: number;
  readonly x: number;
  /** Milliseconds each of the four waiting nodes waits; 0 waits one microtask only. */
  readonly waits: readonly number[];
}

/** Draws `count` requests with distinct ids, inputs in [-1000, 1000] and waits of 0 to 4 ms. */
function drawRequests(count: number, seed: number): Request[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, id) => ({
    id,
    x: Math.floor(random() * 2001) - 1000,
    waits: Array.from({ length: 4 }, () => Math.floor(random() * 5)),
  }));
}

async function wait(ms: number): Promise<void> {
  if (ms === 0) await null;
  else await sleep(ms);
}

/** The setup result every call shares. */
const base = 100_000;

/** What one call of the pipeline must return, computed without tawazi. */
function expectedResult(request: Request) {
  const scaled = base + request.x * 3;
  const negated = -scaled;
  const halved = Math.trunc(negated / 2);
  const squared = request.x * request.x;
  return {
    id: request.id,
    scaled,
    negated,
    halved,
    squared,
    label: `${request.id}:${scaled}:${halved}:${squared}`,
  };
}

/**
 * Builds the pipeline of the isolation tests: a shared setup node, async nodes that wait,
 * a synchronous and an asynchronous main-thread node, and a join. `setupRuns.count` counts
 * the setup node's calls.
 */
function buildPipeline(engine: Engine) {
  const setupRuns = { count: 0 };
  const offset = xn(
    async function offset() {
      setupRuns.count += 1;
      await sleep(10);
      return base;
    },
    { setup: true },
  );
  const scale = xn(async function scale(request: Request, start: number) {
    await wait(request.waits[0]!);
    return start + request.x * 3;
  });
  const negate = xn(function negate(value: number) {
    return -value;
  }, { resource: "main-thread" });
  const halve = xn(async function halve(request: Request, value: number) {
    await wait(request.waits[1]!);
    return Math.trunc(value / 2);
  }, { resource: "main-thread" });
  const square = xn(async function square(request: Request) {
    await wait(request.waits[2]!);
    return request.x * request.x;
  });
  const label = xn(async function label(request: Request, scaled: number, halved: number, squared: number) {
    await wait(request.waits[3]!);
    return `${request.id}:${scaled}:${halved}:${squared}`;
  });
  const echo = xn(function echo(request: Request) {
    return request;
  });

  const pipeline = dag(
    function isolated(request: Request) {
      const scaled = scale(request, offset());
      const negated = negate(scaled);
      const halved = halve(request, negated);
      const squared = square(request);
      return {
        id: request.id,
        scaled,
        negated,
        halved,
        squared,
        label: label(request, scaled, halved, squared),
        request: echo(request),
      };
    },
    { engine, maxConcurrency: 4 },
  );
  return { pipeline, setupRuns };
}

for (const engine of engines) {
  test(`200 concurrent calls keep results apart [${engine}]`, async (t) => {
    const requests = drawRequests(200, 11);
    const { pipeline, setupRuns } = buildPipeline(engine);

    const results = await Promise.all(requests.map((request) => pipeline(request)));

    t.deepEqual(
      results.map(({ request: _request, ...rest }) => rest),
      requests.map(expectedResult),
    );
    t.is(results.filter((result, position) => result.request !== requests[position]).length, 0);
    t.is(setupRuns.count, 1);
  });

  test(`200 concurrent executions keep results apart [${engine}]`, async (t) => {
    const requests = drawRequests(200, 12);
    const { pipeline, setupRuns } = buildPipeline(engine);
    // Odd ids run only `square` and its ancestors, so full and partial runs overlap.
    const executions = requests.map((request) =>
      request.id % 2 === 0 ? pipeline.executor() : pipeline.executor({ targetNodes: ["square"] }),
    );

    const returned = await Promise.all(executions.map((execution, position) => execution(requests[position]!)));

    const expectedSquares = requests.map((request) => request.x * request.x);
    t.deepEqual(
      executions.map((execution) => execution.resultOf("square")),
      expectedSquares,
    );
    t.deepEqual(
      executions.map((execution) => execution.resultOf("label")),
      requests.map((request) => (request.id % 2 === 0 ? expectedResult(request).label : undefined)),
    );
    t.deepEqual(
      returned.map((result) => result.squared),
      expectedSquares,
    );
    t.deepEqual(
      executions.map((execution) => execution.status("scale").state),
      requests.map((request) => (request.id % 2 === 0 ? "succeeded" : "not-run")),
    );
    t.is(setupRuns.count, 1);
  });

  test(`concurrent failures stay in their call [${engine}]`, async (t) => {
    const requests = drawRequests(200, 13);
    const check = xn(async function check(request: Request) {
      await wait(request.waits[0]!);
      if (request.id % 5 === 0) throw new Error(`request ${request.id} refused`);
      return request.id;
    });
    const twice = xn(async function twice(request: Request, id: number) {
      await wait(request.waits[1]!);
      return id * 2;
    });
    const pipeline = dag(
      function failing(request: Request) {
        return twice(request, check(request));
      },
      { engine, maxConcurrency: 2 },
    );

    const settled = await Promise.allSettled(requests.map((request) => pipeline(request)));

    t.deepEqual(
      settled.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : (outcome.reason as Error).message)),
      requests.map((request) => (request.id % 5 === 0 ? `request ${request.id} refused` : request.id * 2)),
    );
  });

  test(`concurrent worker calls keep results apart [${engine}]`, async (t) => {
    const requests = drawRequests(40, 14);
    const add = xn.worker<typeof tasks.add>(tasksUrl, "add");
    const double = xn.worker<typeof tasks.double>(tasksUrl, "double");
    const square = xn(async function square(request: Request) {
      await wait(request.waits[0]!);
      return request.x * request.x;
    });
    const pipeline = dag(
      function workers(request: Request) {
        const squared = square(request);
        return [squared, add(double(request.id), squared)];
      },
      { engine, maxConcurrency: 2 },
    );

    const results = await Promise.all(requests.map((request) => pipeline(request)));

    t.deepEqual(
      results,
      requests.map((request) => [request.x * request.x, request.id * 2 + request.x * request.x]),
    );
  });
}
