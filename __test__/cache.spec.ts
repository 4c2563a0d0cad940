import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import test, { type ExecutionContext } from "ava";

import { type EngineKind, TawaziCacheError, dag, errorCodes, xn } from "../index.js";
import {
  type CacheContents,
  readCacheFile,
  serializeInputs,
  structureKey,
  writeCacheFile,
} from "../src/run/cache.js";
import { type CallCounts, cachePipeline } from "./fixtures/cache-pipeline.js";
import { engines } from "./helpers/engines.js";
import { failOnProcessErrors } from "./helpers/process-failures.js";

failOnProcessErrors();

const execFileAsync = promisify(execFile);
const repository = fileURLToPath(new URL("..", import.meta.url));
const writeCacheScript = fileURLToPath(new URL("fixtures/write-cache.ts", import.meta.url));

/** Length of the fixed header: magic, version, payload length, SHA-256. */
const headerLength = 52;

/** Makes an empty folder that is removed after the test. */
function tempFolder(t: ExecutionContext): string {
  const folder = mkdtempSync(join(tmpdir(), "tawazi-cache-"));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** Asserts that `promise` rejects with a TawaziCacheError and returns it. */
async function rejectsWithCacheError(
  t: ExecutionContext,
  promise: Promise<unknown>,
): Promise<TawaziCacheError> {
  const error = await t.throwsAsync(promise, { instanceOf: TawaziCacheError });
  t.is(error?.code, errorCodes.TawaziCacheError);
  return error!;
}

/** Asserts that `run` throws a TawaziCacheError and returns it. */
function throwsCacheError(t: ExecutionContext, run: () => unknown): TawaziCacheError {
  const error = t.throws(run, { instanceOf: TawaziCacheError });
  t.is(error?.code, errorCodes.TawaziCacheError);
  return error!;
}

/** Returns "cache error" when `promise` rejects with a TawaziCacheError, else what it did. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    const value = await promise;
    return `resolved ${JSON.stringify(value)}`;
  } catch (error) {
    if (error instanceof TawaziCacheError && error.code === errorCodes.TawaziCacheError) return "cache error";
    return `rejected ${String(error)}`;
  }
}

/** Builds `dag p(x) { return inc(x) }`, where inc counts its calls. */
function incrementPipeline(engine: EngineKind, counter: { inc: number }) {
  const inc = xn(
    (x: number) => {
      counter.inc += 1;
      return x + 1;
    },
    { name: "inc" },
  );
  return dag((x: number) => inc(x), { name: "p", engine });
}

/** Recomputes the payload length and SHA-256 of an edited cache file, so only its content is wrong. */
function rehash(file: Buffer): Buffer {
  const fixed = Buffer.from(file);
  const payload = fixed.subarray(headerLength);
  fixed.writeBigUInt64BE(BigInt(payload.length), 12);
  createHash("sha256").update(payload).digest().copy(fixed, 20);
  return fixed;
}

function contentsOf(results: [string, unknown][]): CacheContents {
  return {
    dag: "direct",
    structure: "0".repeat(64),
    inputs: serializeInputs([1], "test"),
    results: new Map(results),
  };
}

for (const engine of engines) {
  test(`cache round trip keeps values [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const path = join(folder, "values.cache");
    const calls: Record<string, number> = {};
    const counted = <Args extends unknown[], Result>(name: string, fn: (...args: Args) => Result) =>
      xn(
        (...args: Args): Result => {
          calls[name] = (calls[name] ?? 0) + 1;
          return fn(...args);
        },
        { name },
      );

    const number = counted("number", (x: number) => x * 10);
    const text = counted("text", (n: number) => `n=${n}`);
    const record = counted("record", (n: number, s: string) => ({ n, s, nested: [1, { deep: null }] }));
    const table = counted("table", (n: number) => new Map<string, unknown>([["a", n], ["b", [n, "x"]]]));
    const date = counted("date", () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
    const floats = counted("floats", (n: number) => new Float64Array([n, 0.5, -1]));
    const bytes = counted("bytes", () => Uint8Array.from([1, 2, 255]));
    const nothing = counted("nothing", () => undefined);
    const skipped = counted("skipped", (n: number) => n + 1);
    const pipeline = dag(
      (x: number) => {
        const n = number(x);
        const s = text(n);
        const inactive = skipped.with({ active: false })(n);
        return [n, s, record(n, s), table(n), date(), floats(n), bytes(), nothing(), inactive];
      },
      { name: "values", engine },
    );

    const writer = pipeline.executor({ cacheIn: path });
    const written = await writer(4);
    const callsAfterWrite = { ...calls };
    const reader = pipeline.executor({ fromCache: path });
    const read = await reader(4);

    t.deepEqual(read, written);
    t.deepEqual(read, [
      40,
      "n=40",
      { n: 40, s: "n=40", nested: [1, { deep: null }] },
      new Map<string, unknown>([["a", 40], ["b", [40, "x"]]]),
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      new Float64Array([40, 0.5, -1]),
      Uint8Array.from([1, 2, 255]),
      undefined,
      undefined,
    ]);
    t.deepEqual(reader.results, writer.results);
    t.deepEqual(calls, callsAfterWrite);
    t.deepEqual(reader.status("skipped"), { state: "skipped", reason: "inactive" });
  });

  test(`cached typed arrays own buffers [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "views.cache");
    const view = xn(() => new Int32Array(new ArrayBuffer(64), 8, 3).fill(7), { name: "view" });
    const buffer = xn(() => Buffer.from("abc"), { name: "buffer" });
    const pipeline = dag(() => [view(), buffer()], { name: "views", engine });

    await pipeline.executor({ cacheIn: path })();
    const [ints, text] = (await pipeline.executor({ fromCache: path })()) as [Int32Array, Buffer];

    t.deepEqual(ints, Int32Array.from([7, 7, 7]));
    t.is(ints.byteOffset, 0);
    t.is(ints.buffer.byteLength, 12);
    t.true(Buffer.isBuffer(text));
    t.is(text.toString(), "abc");
    t.is(text.buffer.byteLength, 3);
  });

  test(`fromCache skips cached nodes [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "shared.cache");
    const counts: CallCounts = { scale: 0, summary: 0 };
    const pipeline = cachePipeline(engine, counts);
    const input = { values: [1, 2, 3], factor: 2 };

    const written = await pipeline.executor({ cacheIn: path })(input);
    const read = await pipeline.executor({ fromCache: path })(input);

    t.deepEqual(counts, { scale: 1, summary: 1 });
    t.deepEqual(read, written);
    t.deepEqual(read, {
      total: 12,
      positions: new Map([[2, 0], [4, 1], [6, 2]]),
      samples: new Float64Array([2, 4, 6]),
    });
  });

  test(`cacheDepsOf caches strict ancestors only [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "deps.cache");
    const calls = { a: 0, b: 0, c: 0, d: 0 };
    const step = (name: keyof typeof calls) =>
      xn(
        (value: string) => {
          calls[name] += 1;
          return `${value}>${name}`;
        },
        { name },
      );
    const a = step("a");
    const b = step("b");
    const c = step("c");
    const d = step("d");
    const pipeline = dag((x: string) => [c(b(a(x))), d(x)], { name: "deps", engine });

    const partial = await pipeline.executor({ cacheDepsOf: ["c"], cacheIn: path })("x");

    t.deepEqual(partial, ["x>a>b>c", undefined]);
    t.deepEqual(calls, { a: 1, b: 1, c: 1, d: 0 });
    t.deepEqual(readCacheFile(path, "test").results, new Map([["a", "x>a"], ["b", "x>a>b"]]));

    const full = await pipeline.executor({ fromCache: path })("x");

    t.deepEqual(full, ["x>a>b>c", "x>d"]);
    t.deepEqual(calls, { a: 1, b: 1, c: 2, d: 1 });
  });

  test(`other inputs reject cache [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "inc.cache");
    const counter = { inc: 0 };
    const pipeline = incrementPipeline(engine, counter);

    t.is(await pipeline.executor({ cacheIn: path })(1), 2);
    const error = await rejectsWithCacheError(t, pipeline.executor({ fromCache: path })(5));

    t.regex(error.message, /other inputs/);
    t.is(counter.inc, 1);
    t.is(await pipeline(5), 6);
    t.is(await pipeline.executor({ fromCache: path })(1), 2);
    t.is(counter.inc, 2);
  });

  test(`redefined DAG rejects cache [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "inc.cache");
    const counter = { inc: 0 };
    await incrementPipeline(engine, counter).executor({ cacheIn: path })(1);
    const inc = xn(
      (x: number) => {
        counter.inc += 1;
        return x + 1;
      },
      { name: "inc" },
    );
    const double = xn((x: number) => x * 2, { name: "double" });
    const redefined = dag((x: number) => double(inc(x)), { name: "p", engine });

    const error = await rejectsWithCacheError(t, redefined.executor({ fromCache: path })(1));

    t.regex(error.message, /different DAG/);
    t.is(counter.inc, 1);
  });

  test(`changed constant rejects cache [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "constant.cache");
    const add = xn((x: number, y: number) => x + y, { name: "add" });
    const addThree = dag((x: number) => add(x, 3), { name: "p", engine });
    const addFour = dag((x: number) => add(x, 4), { name: "p", engine });

    t.is(await addThree.executor({ cacheIn: path })(1), 4);

    // Serving 4 here would be a stale result: addFour(1) is 5.
    t.not(await outcome(addFour.executor({ fromCache: path })(1)), "resolved 4");
  });

  test(`changed constant in container rejects cache [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "container.cache");
    const sum = xn((values: number[]) => values.reduce((total, value) => total + value, 0), { name: "sum" });
    const inc = xn((x: number) => x + 1, { name: "inc" });
    const withThree = dag((x: number) => sum([inc(x), 3]), { name: "p", engine });
    const withFour = dag((x: number) => sum([inc(x), 4]), { name: "p", engine });

    t.is(await withThree.executor({ cacheIn: path })(1), 5);

    // Serving 5 here would be a stale result: withFour(1) is 6.
    t.not(await outcome(withFour.executor({ fromCache: path })(1)), "resolved 5");
  });

  test(`equal inputs give equal files [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const first = join(folder, "first.cache");
    const second = join(folder, "second.cache");
    const other = join(folder, "other.cache");
    const counts: CallCounts = { scale: 0, summary: 0 };

    await cachePipeline(engine, counts).executor({ cacheIn: first })({ values: [1, 2], factor: 3 });
    await cachePipeline(engine, counts).executor({ cacheIn: second })({ values: [1, 2], factor: 3 });
    await cachePipeline(engine, counts).executor({ cacheIn: other })({ values: [1, 2], factor: 4 });

    t.true(readFileSync(first).equals(readFileSync(second)));
    t.false(readFileSync(first).equals(readFileSync(other)));
    t.is(readCacheFile(first, "test").structure, readCacheFile(other, "test").structure);
  });

  test(`cache keys match across processes [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const input = JSON.stringify({ values: [5, 6, 7], factor: 2 });
    const otherInput = JSON.stringify({ values: [5, 6, 7], factor: 9 });
    const spawnWriter = (name: string, json: string) =>
      execFileAsync(process.execPath, ["--import=tsx", writeCacheScript, engine, join(folder, name), json], {
        cwd: repository,
        timeout: 60_000,
      });

    const [first, second, other] = await Promise.all([
      spawnWriter("first.cache", input),
      spawnWriter("second.cache", input),
      spawnWriter("other.cache", otherInput),
    ]);
    const counts: CallCounts = { scale: 0, summary: 0 };
    const local = join(folder, "local.cache");
    const parsed = JSON.parse(input) as { values: number[]; factor: number };
    await cachePipeline(engine, counts).executor({ cacheIn: local })(parsed);

    t.is(first.stdout, second.stdout);
    t.not(first.stdout, other.stdout);
    t.is(first.stdout, Buffer.from(serializeInputs([parsed], "test")).toString("hex"));
    t.true(readFileSync(join(folder, "first.cache")).equals(readFileSync(join(folder, "second.cache"))));
    t.true(readFileSync(join(folder, "first.cache")).equals(readFileSync(local)));

    const childFile = join(folder, "first.cache");
    const fromChild = await cachePipeline(engine, counts).executor({ fromCache: childFile })(parsed);

    t.deepEqual(fromChild, {
      total: 36,
      positions: new Map([[10, 0], [12, 1], [14, 2]]),
      samples: new Float64Array([10, 12, 14]),
    });
    t.deepEqual(counts, { scale: 1, summary: 1 });
  });

  test(`truncated cache file always rejected [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const path = join(folder, "inc.cache");
    const variant = join(folder, "variant.cache");
    const counter = { inc: 0 };
    const pipeline = incrementPipeline(engine, counter);
    await pipeline.executor({ cacheIn: path })(1);
    const file = readFileSync(path);

    const started = performance.now();
    const accepted: string[] = [];
    for (let length = 0; length < file.length; length += 1) {
      writeFileSync(variant, file.subarray(0, length));
      const result = await outcome(pipeline.executor({ fromCache: variant })(1));
      if (result !== "cache error") accepted.push(`${length} bytes: ${result}`);
    }
    const elapsed = (performance.now() - started).toFixed(0);
    t.log(`${file.length}-byte cache file, ${file.length} truncations in ${elapsed} ms`);

    t.deepEqual(accepted, []);
    t.is(await pipeline.executor({ fromCache: path })(1), 2);
    t.is(counter.inc, 1);
  });

  test(`altered cache file always rejected [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const path = join(folder, "inc.cache");
    const variant = join(folder, "variant.cache");
    const counter = { inc: 0 };
    const pipeline = incrementPipeline(engine, counter);
    await pipeline.executor({ cacheIn: path })(1);
    const file = readFileSync(path);

    const started = performance.now();
    const accepted: string[] = [];
    for (let position = 0; position < file.length; position += 1) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const altered = Buffer.from(file);
        altered[position]! ^= mask;
        writeFileSync(variant, altered);
        const result = await outcome(pipeline.executor({ fromCache: variant })(1));
        if (result !== "cache error") accepted.push(`byte ${position} xor ${mask}: ${result}`);
      }
    }
    t.log(`${file.length * 3} altered files in ${(performance.now() - started).toFixed(0)} ms`);

    t.deepEqual(accepted, []);
    t.is(counter.inc, 1);
  });

  test(`foreign cache files rejected [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const path = join(folder, "inc.cache");
    const counter = { inc: 0 };
    const pipeline = incrementPipeline(engine, counter);
    await pipeline.executor({ cacheIn: path })(1);
    const real = readFileSync(path);
    const foreign: Record<string, Buffer> = {
      empty: Buffer.alloc(0),
      json: Buffer.from(JSON.stringify({ inc: 2 })),
      png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
      "magic only": real.subarray(0, 8),
      "v8 value": Buffer.from(serializeInputs([new Map([["inc", 2]])], "test")),
      "one extra byte": Buffer.concat([real, Buffer.from([0])]),
      "two files": Buffer.concat([real, real]),
    };

    for (const [name, bytes] of Object.entries(foreign)) {
      const variant = join(folder, `${name}.cache`);
      writeFileSync(variant, bytes);
      t.is(await outcome(pipeline.executor({ fromCache: variant })(1)), "cache error", name);
    }
    t.is(counter.inc, 1);
  });

  test(`unknown format version rejected [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const path = join(folder, "inc.cache");
    const pipeline = incrementPipeline(engine, { inc: 0 });
    await pipeline.executor({ cacheIn: path })(1);
    const file = readFileSync(path);
    file.writeUInt32BE(2, 8);
    writeFileSync(path, file);

    const error = await rejectsWithCacheError(t, pipeline.executor({ fromCache: path })(1));

    t.regex(error.message, /version 2\b/);
    t.regex(error.message, /version 1\b/);
  });

  test(`missing cache file rejected [${engine}]`, async (t) => {
    const path = join(tempFolder(t), "absent.cache");
    const pipeline = incrementPipeline(engine, { inc: 0 });

    const error = await rejectsWithCacheError(t, pipeline.executor({ fromCache: path })(1));

    t.true(error.message.includes(path));
    t.regex(error.message, /cacheIn/);
  });

  test(`folder as fromCache rejected [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const pipeline = incrementPipeline(engine, { inc: 0 });

    await rejectsWithCacheError(t, pipeline.executor({ fromCache: folder })(1));
  });

  test(`missing cacheIn folder rejected [${engine}]`, async (t) => {
    const missing = join(tempFolder(t), "missing");
    const path = join(missing, "inc.cache");
    const pipeline = incrementPipeline(engine, { inc: 0 });

    const error = await rejectsWithCacheError(t, pipeline.executor({ cacheIn: path })(1));

    t.true(error.message.includes(missing));
    t.false(existsSync(missing));
  });

  test(`folder as cacheIn rejected [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const target = join(folder, "taken");
    mkdirSync(join(target, "inside"), { recursive: true });
    const pipeline = incrementPipeline(engine, { inc: 0 });

    await rejectsWithCacheError(t, pipeline.executor({ cacheIn: target })(1));

    t.deepEqual(readdirSync(folder), ["taken"]);
    t.deepEqual(readdirSync(target), ["inside"]);
  });

  const uncacheable: [string, () => unknown][] = [
    ["function", () => () => 1],
    ["symbol", () => Symbol("token")],
    ["class instance", () => new (class Model { weights = [1, 2]; })()],
    ["nested function", () => ({ handlers: [1, { onDone: () => 2 }] })],
    ["WeakMap", () => new WeakMap()],
    ["error with code", () => Object.assign(new Error("lost"), { code: "E_LOST" })],
  ];
  for (const [kind, make] of uncacheable) {
    test(`uncacheable ${kind} keeps old file [${engine}]`, async (t) => {
      const folder = tempFolder(t);
      const path = join(folder, "maker.cache");
      const good = xn(() => 1, { name: "maker" });
      const bad = xn(make, { name: "maker" });
      await dag(() => good(), { name: "make", engine }).executor({ cacheIn: path })();
      const before = readFileSync(path);

      const error = await rejectsWithCacheError(
        t,
        dag(() => bad(), { name: "make", engine }).executor({ cacheIn: path })(),
      );

      t.true(error.message.includes('"maker"'));
      t.true(readFileSync(path).equals(before));
      t.deepEqual(readdirSync(folder), ["maker.cache"]);
    });
  }

  test(`failing run writes no cache [${engine}]`, async (t) => {
    const folder = tempFolder(t);
    const path = join(folder, "fail.cache");
    const failure = new Error("node failed");
    const ok = xn((x: number) => x + 1, { name: "ok" });
    const fails = xn(
      (_x: number): number => {
        throw failure;
      },
      { name: "fails" },
    );
    const pipeline = dag((x: number) => [ok(x), fails(ok(x))], { name: "fail", engine });

    const error = await t.throwsAsync(pipeline.executor({ cacheIn: path })(1));

    t.is(error, failure);
    t.deepEqual(readdirSync(folder), []);

    writeFileSync(path, "previous");
    await t.throwsAsync(pipeline.executor({ cacheIn: path })(1));

    t.is(readFileSync(path, "utf8"), "previous");
    t.deepEqual(readdirSync(folder), ["fail.cache"]);
  });
}

test("structure key deterministic", (t) => {
  const key = structureKey(["a", "b", "c"], Uint32Array.from([0, 0, 1, 3]), Uint32Array.from([0, 0, 1]));

  t.regex(key, /^[0-9a-f]{64}$/);
  t.is(key, structureKey(["a", "b", "c"], Uint32Array.from([0, 0, 1, 3]), Uint32Array.from([0, 0, 1])));
});

test("structure key separates graphs", (t) => {
  const keys = [
    structureKey(["ab", "c"], Uint32Array.from([0, 0, 1]), Uint32Array.from([0])),
    structureKey(["a", "bc"], Uint32Array.from([0, 0, 1]), Uint32Array.from([0])),
    structureKey(["ab", "c"], Uint32Array.from([0, 0, 0]), Uint32Array.from([])),
    structureKey(["ab", "c"], Uint32Array.from([0, 0, 2]), Uint32Array.from([0, 0])),
    structureKey(["ab", "c", "d"], Uint32Array.from([0, 0, 1, 1]), Uint32Array.from([0])),
    structureKey(["ab", "c", "d"], Uint32Array.from([0, 0, 0, 1]), Uint32Array.from([0])),
    structureKey(["c", "ab"], Uint32Array.from([0, 1, 1]), Uint32Array.from([1])),
    structureKey([], Uint32Array.from([0]), Uint32Array.from([])),
  ];

  t.is(new Set(keys).size, keys.length);
});

test("serialized inputs equal for equal values", (t) => {
  const build = (factor: number) => [{ values: [1, 2], factor }, "text", new Map([[1, new Date(0)]])];

  const key = (factor: number) => Buffer.from(serializeInputs(build(factor), "test")).toString("hex");

  t.is(key(3), key(3));
  t.not(key(3), key(4));
});

test("unserializable input names position", (t) => {
  const error = throwsCacheError(t, () => serializeInputs([1, () => 2], "p: cacheIn"));

  t.regex(error.message, /^p: cacheIn: /);
  t.regex(error.message, /index 1\b/);
  t.regex(error.message, /function/);
});

test("class instance input rejected", (t) => {
  class Settings {
    level = 1;
  }

  const error = throwsCacheError(t, () => serializeInputs([new Settings()], "test"));

  t.regex(error.message, /Settings/);
});

test("cache file direct round trip", (t) => {
  const path = join(tempFolder(t), "direct.cache");
  const contents = contentsOf([
    ["n", 7],
    ["nested", { list: [new Set(["a"]), -0, Number.NaN, 2n ** 70n], at: new Date(5) }],
    ["pattern", /ab+c/gi],
    ["error", new RangeError("out", { cause: "reason" })],
    ["bare", Object.assign(Object.create(null) as object, { k: 1 })],
    ["é id ✓", "unicode"],
  ]);

  writeCacheFile(path, contents, "test");
  const read = readCacheFile(path, "test");

  t.is(read.dag, "direct");
  t.is(read.structure, contents.structure);
  t.true(Buffer.from(read.inputs).equals(contents.inputs));
  t.deepEqual([...read.results.keys()], [...contents.results.keys()]);
  t.deepEqual(read.results.get("nested"), contents.results.get("nested"));
  t.deepEqual(read.results.get("pattern"), /ab+c/gi);
  t.true(read.results.get("error") instanceof RangeError);
  t.is((read.results.get("error") as RangeError).cause, "reason");
  t.is(read.results.get("é id ✓"), "unicode");
});

test("direct write names the node", (t) => {
  const folder = tempFolder(t);
  const path = join(folder, "direct.cache");

  const error = throwsCacheError(t, () =>
    writeCacheFile(path, contentsOf([["fine", 1], ["holder", { deep: [Symbol("s")] }]]), "test"),
  );

  t.regex(error.message, /"holder"/);
  t.regex(error.message, /result\.deep\[0\]/);
  t.deepEqual(readdirSync(folder), []);
});

test("rehashed corrupt payload rejected", (t) => {
  const folder = tempFolder(t);
  const path = join(folder, "direct.cache");
  writeCacheFile(path, contentsOf([["a", 7], ["b", 8]]), "test");
  const file = readFileSync(path);
  // The file ends with result "b": its id ("b" with a uint32 length), a uint64 length, then
  // v8.serialize(8), which is 4 bytes.
  const lastId = file.length - 4 - 8 - 1;
  const countAt = lastId - 4 - (4 + 1 + 8 + 4) - 4;
  t.is(file.toString("latin1", lastId, lastId + 1), "b");
  t.is(file.readUInt32BE(countAt), 2);

  const duplicate = Buffer.from(file);
  duplicate.write("a", lastId, "latin1");
  const badValue = Buffer.from(file);
  badValue.fill(0xff, file.length - 4);
  const extraCount = Buffer.from(file);
  extraCount.writeUInt32BE(3, countAt);
  const trailing = Buffer.concat([file, Buffer.from([0])]);
  const longSection = Buffer.from(file);
  longSection.writeBigUInt64BE(5n, file.length - 4 - 8);

  for (const [name, bytes] of Object.entries({ duplicate, badValue, extraCount, trailing, longSection })) {
    writeFileSync(path, rehash(bytes));
    throwsCacheError(t, () => readCacheFile(path, name));
  }
});
