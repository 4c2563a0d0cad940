import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import test from "ava";

import { TawaziUsageError, dag, engineInfo, xn } from "../../index.js";
import { type NativeAddon, loadAddon } from "../../src/engine/addon.js";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function addon(): NativeAddon {
  const { addon: loaded, reason } = loadAddon();
  if (loaded === undefined) throw new Error(`the native addon is not built: ${reason}`);
  return loaded;
}

/** A three-node chain a -> b -> c as the addon receives it. */
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
