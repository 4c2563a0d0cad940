import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import test from "ava";

import { TawaziUsageError, dag, engineInfo, xn } from "../../index.js";
import { type NativeAddon, loadAddon } from "../../src/engine/addon.js";
import { NodeState } from "../../src/engine/scheduler.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors, nextMacrotask } from "../helpers/process-failures.js";
import { seededRandom } from "../helpers/random-graph.js";

failOnProcessErrors();

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function addon(): NativeAddon {
  const { addon: loaded, reason } = loadAddon();
  if (loaded === undefined) throw new Error(`the native addon is not built: ${reason}`);
  return loaded;
}

/** Returns a three-node chain a -> b -> c as the addon receives it. */
function chainArrays() {
  return {
    parentOffsets: new Uint32Array([0, 0, 1, 2]),
    parents: new Uint32Array([0, 1]),
    flags: new Uint8Array(3),
    priority: new Float64Array([1, 2, 3]),
  };
}

test("engineInfo reports the native addon", (t) => {
  const info = engineInfo();
  t.is(info.engine, "native");
  t.true(info.path?.endsWith(".node"), info.path);
  t.is(info.reason, undefined);
});

test("native graph computes compound priorities", (t) => {
  const { parentOffsets, parents, flags, priority } = chainArrays();
  const graph = addon().createGraph(parentOffsets, parents, flags, priority);
  const compound = new Float64Array(3);
  addon().compoundPriorities(graph, compound);
  t.deepEqual([...compound], [6, 5, 3]);
  const order = new Uint32Array(3);
  addon().topologicalOrder(graph, order);
  t.deepEqual([...order], [0, 1, 2]);
});

test("native graph rejects a cycle with its nodes", (t) => {
  const error = t.throws(() =>
    addon().createGraph(
      new Uint32Array([0, 1, 2, 3]),
      new Uint32Array([2, 0, 1]),
      new Uint8Array(3),
      new Float64Array(3),
    ),
  );
  t.is((error as { code?: string }).code, "ERR_TAWAZI_CYCLE");
  t.deepEqual((error as { cycle?: number[] }).cycle, [0, 1, 2, 0]);
});

const invalidCalls: { name: string; call: (native: NativeAddon) => unknown; code: string; includes: string }[] = [
  {
    name: "graph from plain arrays",
    call: (native) => native.createGraph([0] as never, [] as never, [] as never, [] as never),
    code: "ERR_TAWAZI_USAGE",
    includes: "parentOffsets must be a Uint32Array",
  },
  {
    name: "offsets of the wrong length",
    call: (native) =>
      native.createGraph(new Uint32Array([0]), new Uint32Array([0]), new Uint8Array(2), new Float64Array(2)),
    code: "ERR_TAWAZI_USAGE",
    includes: "createGraph()",
  },
  {
    name: "parent out of range",
    call: (native) =>
      native.createGraph(new Uint32Array([0, 1]), new Uint32Array([7]), new Uint8Array(1), new Float64Array(1)),
    code: "ERR_TAWAZI_USAGE",
    includes: "createGraph()",
  },
  {
    name: "NaN priority",
    call: (native) =>
      native.createGraph(new Uint32Array([0, 0]), new Uint32Array(0), new Uint8Array(1), new Float64Array([Number.NaN])),
    code: "ERR_TAWAZI_USAGE",
    includes: "createGraph()",
  },
  {
    name: "run of a foreign object",
    call: (native) => native.take({}, new Uint32Array(1)),
    code: "ERR_TAWAZI_USAGE",
    includes: "not a handle made by this addon",
  },
  {
    name: "graph handle used as a run",
    call: (native) => {
      const { parentOffsets, parents, flags, priority } = chainArrays();
      return native.take(native.createGraph(parentOffsets, parents, flags, priority), new Uint32Array(1));
    },
    code: "ERR_TAWAZI_USAGE",
    includes: "handle of another kind",
  },
  {
    name: "finish of a node never taken",
    call: (native) => {
      const { parentOffsets, parents, flags, priority } = chainArrays();
      const graph = native.createGraph(parentOffsets, parents, flags, priority);
      return native.finish(native.createRun(graph, null, 1, 0), 2, 3);
    },
    code: "ERR_TAWAZI_USAGE",
    includes: "finish()",
  },
  {
    name: "finish of the same node twice",
    call: (native) => {
      const { parentOffsets, parents, flags, priority } = chainArrays();
      const run = native.createRun(native.createGraph(parentOffsets, parents, flags, priority), null, 1, 0);
      const batch = new Uint32Array(3);
      native.take(run, batch);
      native.finish(run, batch[0]!, NodeState.succeeded);
      return native.finish(run, batch[0]!, NodeState.succeeded);
    },
    code: "ERR_TAWAZI_USAGE",
    includes: "node 0 is not running",
  },
  {
    name: "finish of a node out of range",
    call: (native) => {
      const { parentOffsets, parents, flags, priority } = chainArrays();
      const graph = native.createGraph(parentOffsets, parents, flags, priority);
      return native.finish(native.createRun(graph, null, 1, 0), 99, 3);
    },
    code: "ERR_TAWAZI_USAGE",
    includes: "finish()",
  },
  {
    name: "maxConcurrency zero",
    call: (native) => {
      const { parentOffsets, parents, flags, priority } = chainArrays();
      return native.createRun(native.createGraph(parentOffsets, parents, flags, priority), null, 0, 0);
    },
    code: "ERR_TAWAZI_USAGE",
    includes: "maxConcurrency",
  },
  {
    name: "mask of the wrong length",
    call: (native) => {
      const { parentOffsets, parents, flags, priority } = chainArrays();
      const graph = native.createGraph(parentOffsets, parents, flags, priority);
      return native.createRun(graph, new Uint8Array(1), 1, 0);
    },
    code: "ERR_TAWAZI_USAGE",
    includes: "createRun()",
  },
];

for (const { name, call, code, includes } of invalidCalls) {
  test(`native rejects ${name}`, (t) => {
    const error = t.throws(() => call(addon()));
    t.is((error as { code?: string }).code, code);
    t.true(error.message.includes(includes), error.message);
  });
}

test("missing addon falls back to TypeScript", async (t) => {
  const script = [
    `const tawazi = await import(${JSON.stringify(path.join(root, "index.ts"))});`,
    "const info = tawazi.engineInfo();",
    "const inc = tawazi.xn(function inc(x) { return x + 1; });",
    "const p = tawazi.dag(function p(x) { return inc(x); });",
    "let nativeError;",
    'try { tawazi.dag(function q() {}, { engine: "native" }); } catch (error) { nativeError = error.code + " " + error.message; }',
    "console.log(JSON.stringify({ info, result: await p(1), nativeError }));",
  ].join("\n");
  const missing = path.join(root, "native", "does-not-exist.node");
  const { stdout } = await run(process.execPath, ["--import=tsx", "--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, TAWAZI_NATIVE_ADDON: missing },
  });
  const outcome = JSON.parse(stdout) as { info: { engine: string; reason: string }; result: number; nativeError: string };

  t.is(outcome.info.engine, "ts");
  t.true(outcome.info.reason.includes(`${missing} (not found)`), outcome.info.reason);
  t.is(outcome.result, 2);
  t.true(outcome.nativeError.startsWith("ERR_TAWAZI_USAGE"), outcome.nativeError);
  t.true(outcome.nativeError.includes(missing), outcome.nativeError);
});

test("addon loads in several worker threads", async (t) => {
  const script = [
    'import { Worker } from "node:worker_threads";',
    `const addonPath = ${JSON.stringify(loadAddon().path ?? "")};`,
    "const body = `",
    '  const { parentPort } = require("node:worker_threads");',
    "  const native = require(${JSON.stringify(addonPath)});",
    "  const graph = native.createGraph(new Uint32Array([0, 0, 1]), new Uint32Array([0]), new Uint8Array(2), new Float64Array([1, 1]));",
    "  const out = new Float64Array(2); native.compoundPriorities(graph, out);",
    "  parentPort.postMessage([...out]);",
    "`;",
    "const results = await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {",
    "  const worker = new Worker(body, { eval: true, execArgv: [] });",
    "  worker.once(\"message\", (message) => { resolve(message); worker.terminate(); });",
    "  worker.once(\"error\", reject);",
    "})));",
    "console.log(JSON.stringify(results));",
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root });
  t.deepEqual(JSON.parse(stdout), [
    [2, 1],
    [2, 1],
    [2, 1],
    [2, 1],
  ]);
});

test("engine native runs a DAG", async (t) => {
  const inc = xn(function inc(x: number) {
    return x + 1;
  });
  const pipeline = dag(function pipeline(x: number) {
    return inc(inc(x));
  }, { engine: "native" });
  t.is(await pipeline(1), 3);
  t.is(pipeline.runSync(5), 7);
  t.true(TawaziUsageError.prototype instanceof Error);
});

/** Takes and finishes every node of `run` with `outcome` until the run is finished. */
function drainRun(native: NativeAddon, run: object, outcome: number): number[] {
  const batch = new Uint32Array(8);
  const order: number[] = [];
  while (!native.isFinished(run)) {
    const count = native.take(run, batch);
    if (count === 0) throw new Error("the run is not finished but take returned no node");
    for (const node of batch.subarray(0, count)) {
      order.push(node);
      native.finish(run, node, outcome);
    }
  }
  return order;
}

function finishedChainRun(native: NativeAddon): object {
  const { parentOffsets, parents, flags, priority } = chainArrays();
  const run = native.createRun(native.createGraph(parentOffsets, parents, flags, priority), null, 1, 0);
  drainRun(native, run, NodeState.succeeded);
  return run;
}

test("finished run takes no node", (t) => {
  const native = addon();
  const run = finishedChainRun(native);
  const batch = new Uint32Array(3).fill(9);
  t.is(native.take(run, batch), 0);
  t.deepEqual([...batch], [9, 9, 9]);
  t.true(native.isFinished(run));
});

test("finished run keeps its final states", (t) => {
  const native = addon();
  const run = finishedChainRun(native);
  const states = new Uint8Array(3);
  native.copyStates(run, states);
  t.deepEqual([...states], [NodeState.succeeded, NodeState.succeeded, NodeState.succeeded]);
});

test("finished run rejects further finish", (t) => {
  const native = addon();
  const run = finishedChainRun(native);
  for (const outcome of [NodeState.succeeded, NodeState.failed, NodeState.notRun]) {
    for (const node of [0, 1, 2]) {
      const error = t.throws(() => native.finish(run, node, outcome));
      t.is((error as { code?: string }).code, "ERR_TAWAZI_USAGE", `node ${node}, outcome ${outcome}`);
    }
  }
  t.true(native.isFinished(run));
});

test("stopped strict run rejects later calls", (t) => {
  const native = addon();
  const { parentOffsets, parents, flags, priority } = chainArrays();
  const run = native.createRun(native.createGraph(parentOffsets, parents, flags, priority), null, 1, 0);
  const batch = new Uint32Array(3);
  t.is(native.take(run, batch), 1);
  t.true(native.finish(run, batch[0]!, NodeState.failed));
  t.is(native.take(run, batch), 0);

  const states = new Uint8Array(3);
  native.copyStates(run, states);
  t.deepEqual([...states], [NodeState.failed, NodeState.notRun, NodeState.notRun]);
  const error = t.throws(() => native.finish(run, 1, NodeState.succeeded));
  t.is((error as { code?: string }).code, "ERR_TAWAZI_USAGE");
});

test("native panic becomes an error", async (t) => {
  const error = t.throws(() => addon().panicForTesting());
  t.true(error instanceof Error);
  t.is((error as { code?: string }).code, "ERR_TAWAZI_NATIVE_PANIC");

  const double = xn(function double(x: number) {
    return 2 * x;
  });
  const pipeline = dag(function afterPanic(x: number) {
    return double(double(x));
  }, { engine: "native" });
  t.is(await pipeline(3), 12);
  t.is(pipeline.runSync(4), 16);
});

test("hundred panics leave the process working", async (t) => {
  // A child process keeps the hundred panic reports that Rust writes to stderr out of the test log.
  const script = [
    `const tawazi = await import(${JSON.stringify(path.join(root, "index.ts"))});`,
    `const { loadAddon } = await import(${JSON.stringify(path.join(root, "src", "engine", "addon.ts"))});`,
    "const native = loadAddon().addon;",
    "const codes = new Set();",
    "let errors = 0;",
    "for (let attempt = 0; attempt < 100; attempt += 1) {",
    "  try { native.panicForTesting(); } catch (error) { errors += error instanceof Error ? 1 : 0; codes.add(error.code); }",
    "}",
    "const inc = tawazi.xn(function inc(x) { return x + 1; });",
    'const pipeline = tawazi.dag(function afterPanics(x) { return inc(inc(x)); }, { engine: "native" });',
    "console.log(JSON.stringify({ errors, codes: [...codes], awaited: await pipeline(1), sync: pipeline.runSync(5) }));",
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--import=tsx", "--input-type=module", "-e", script], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });

  t.deepEqual(JSON.parse(stdout), { errors: 100, codes: ["ERR_TAWAZI_NATIVE_PANIC"], awaited: 3, sync: 7 });
});

test("native default engine without addon throws", async (t) => {
  const script = [
    `const tawazi = await import(${JSON.stringify(path.join(root, "index.ts"))});`,
    "const attempt = (options) => {",
    "  try { tawazi.dag(function q() {}, options); return undefined; }",
    '  catch (error) { return { code: error.code, message: error.message }; }',
    "};",
    "const inc = tawazi.xn(function inc(x) { return x + 1; });",
    'const auto = tawazi.dag(function p(x) { return inc(x); }, { engine: "auto" });',
    "console.log(JSON.stringify({",
    "  fromConfig: attempt(undefined),",
    '  fromOption: attempt({ engine: "native" }),',
    "  auto: await auto(1),",
    "}));",
  ].join("\n");
  const missing = path.join(root, "native", "does-not-exist.node");
  const { stdout } = await run(process.execPath, ["--import=tsx", "--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, TAWAZI_ENGINE: "native", TAWAZI_NATIVE_ADDON: missing },
  });
  const outcome = JSON.parse(stdout) as {
    fromConfig?: { code: string; message: string };
    fromOption?: { code: string; message: string };
    auto: number;
  };

  t.is(outcome.fromConfig?.code, "ERR_TAWAZI_USAGE");
  t.true(outcome.fromConfig?.message.includes(missing), outcome.fromConfig?.message);
  t.true(outcome.fromConfig?.message.includes("TAWAZI_ENGINE"), outcome.fromConfig?.message);
  t.is(outcome.fromOption?.code, "ERR_TAWAZI_USAGE");
  t.true(outcome.fromOption?.message.includes(missing), outcome.fromOption?.message);
  t.is(outcome.auto, 2);
});

const hugeLimits = [
  { label: "2^53", maxConcurrency: 2 ** 53 },
  { label: "2^53 - 1", maxConcurrency: 2 ** 53 - 1 },
  { label: "Infinity", maxConcurrency: Number.POSITIVE_INFINITY },
];

for (const engine of engines) {
  for (const { label, maxConcurrency } of hugeLimits) {
    test(`maxConcurrency ${label} runs everything at once [${engine}]`, async (t) => {
      const width = 20;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = 0;
      const wait = xn(async function wait(position: number) {
        started += 1;
        await gate;
        return position;
      });
      const pipeline = dag(function wide() {
        return Array.from({ length: width }, (_, position) => wait(position));
      }, { engine, maxConcurrency });

      const call = pipeline();
      // The call is awaited below; this handler only keeps an early rejection from going unhandled.
      call.catch(() => {});
      await nextMacrotask();
      t.is(started, width);
      release();
      t.deepEqual(await call, Array.from({ length: width }, (_, position) => position));
    });

    test(`maxConcurrency ${label} runs synchronously [${engine}]`, (t) => {
      const inc = xn(function inc(x: number) {
        return x + 1;
      });
      const pipeline = dag(function pair(x: number) {
        return [inc(x), inc(x)];
      }, { engine, maxConcurrency });
      t.deepEqual(pipeline.runSync(1), [2, 2]);
    });
  }
}

// A random DAG of a million nodes. About one node in a thousand is a root, and every other node
// has 1 to 3 parents: one among the three nodes just before it, so the longest path is about
// 300,000 nodes, and the rest anywhere before it. Priorities vary, and an inactive node 200,000
// nodes before the end makes most of the nodes after it skipped.
const millionNodes = 1_000_000;
const millionModulus = 1_000_000_007;

function sumInputs(...inputs: number[]): number {
  let total = 0;
  for (const input of inputs) total = (total + input) % millionModulus;
  return total;
}

const leafOf = xn(function leafOf(seed: number, position: number) {
  return (seed + position) % millionModulus;
});

const weightedSums = [-3, -1, 0, 0.5, 2, 2 ** 31, -(2 ** 31)].map((priority, position) =>
  xn(sumInputs, { name: `sum${position}`, priority }),
);

interface MillionNodeGraph {
  readonly parents: Int32Array[];
  readonly kinds: Uint8Array;
  readonly inactive: number;
}

function millionNodeGraph(seed: number): MillionNodeGraph {
  const random = seededRandom(seed);
  const parents: Int32Array[] = new Array(millionNodes);
  const kinds = new Uint8Array(millionNodes);
  for (let node = 0; node < millionNodes; node += 1) {
    const count = node === 0 || random() < 0.001 ? 0 : 1 + Math.floor(random() * 3);
    const chosen = new Int32Array(count);
    for (let slot = 0; slot < count; slot += 1) {
      chosen[slot] = slot === 0 ? node - 1 - Math.floor(random() * Math.min(node, 3)) : Math.floor(random() * node);
    }
    parents[node] = chosen;
    kinds[node] = Math.floor(random() * weightedSums.length);
  }
  return { parents, kinds, inactive: millionNodes - 200_000 };
}

/** Computes every node's value with a plain loop in node order; undefined for skipped nodes. */
function millionNodeValues({ parents, inactive }: MillionNodeGraph, seed: number): (number | undefined)[] {
  const values: (number | undefined)[] = new Array(millionNodes);
  for (let node = 0; node < millionNodes; node += 1) {
    const chosen = parents[node]!;
    if (node === inactive || [...chosen].some((parent) => values[parent] === undefined)) {
      values[node] = undefined;
    } else if (chosen.length === 0) {
      values[node] = (seed + node) % millionModulus;
    } else {
      values[node] = sumInputs(...[...chosen].map((parent) => values[parent]!));
    }
  }
  return values;
}

function firstMismatch(actual: readonly unknown[], expected: readonly unknown[]): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let node = 0; node < expected.length; node += 1) {
    if (actual[node] !== expected[node]) return node;
  }
  return -1;
}

test.serial("million-node random DAG runs [native]", async (t) => {
  t.timeout(60_000);
  const seed = 7_340_033;
  const graph = millionNodeGraph(seed);
  const expected = millionNodeValues(graph, seed);

  let start = performance.now();
  const random = dag(function randomMillion(x: number) {
    const values: unknown[] = new Array(millionNodes);
    for (let node = 0; node < millionNodes; node += 1) {
      const chosen = graph.parents[node]!;
      if (chosen.length === 0) {
        const leaf = node === graph.inactive ? leafOf.with({ active: false }) : leafOf;
        values[node] = leaf(x, node);
        continue;
      }
      const inputs: unknown[] = new Array(chosen.length);
      for (let slot = 0; slot < chosen.length; slot += 1) inputs[slot] = values[chosen[slot]!];
      const sum = weightedSums[graph.kinds[node]!]!;
      values[node] = (node === graph.inactive ? sum.with({ active: false }) : sum)(...(inputs as number[]));
    }
    return values;
  }, { engine: "native", maxConcurrency: 4 });
  t.log(`describe + compile: ${((performance.now() - start) / 1000).toFixed(2)} s`);
  t.is(random.nodes.size, millionNodes + 1);

  start = performance.now();
  const syncValues = random.runSync(seed) as unknown[];
  t.log(`runSync: ${((performance.now() - start) / 1000).toFixed(2)} s`);
  t.is(firstMismatch(syncValues, expected), -1);

  start = performance.now();
  const awaitedValues = (await random(seed)) as unknown[];
  t.log(`await call: ${((performance.now() - start) / 1000).toFixed(2)} s`);
  t.is(firstMismatch(awaitedValues, expected), -1);
});
