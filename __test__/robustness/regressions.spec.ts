import test from "ava";

import { TawaziUsageError, close, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";

const inc = xn(function inc(x: number) {
  return x + 1;
});

const pipeline = dag(function regression(x: number) {
  return inc(x);
});

function cyclic(): object {
  const object: Record<string, unknown> = {};
  object["self"] = object;
  return object;
}

// A number was read as a file descriptor (0 waits on standard input), and a cyclic object
// made the message itself throw a TypeError.
const badPaths: [string, unknown][] = [
  ["0", 0],
  ["3", 3],
  ["cyclic object", cyclic()],
  ["null", null],
  ["empty string", ""],
  ["Buffer", Buffer.from("config.json")],
];

for (const [label, path] of badPaths) {
  test(`config path ${label} rejected`, (t) => {
    const error = t.throws(() => pipeline.configFromJson(path as never), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /configuration file path must be a non-empty string/u);
  });
}

// close(null) read a property of null and rejected with a TypeError; other values were ignored.
for (const [label, options] of [["null", null], ["number", 5], ["string", "fast"], ["unknown key", { timout: 10 }]] as const) {
  test(`close options ${label} rejected`, async (t) => {
    const error = await t.throwsAsync(close(options as never), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /^close\(\): /u);
  });
}

// setup(null) listed the keys of null and rejected with a TypeError.
for (const [label, options] of [["null", null], ["number", 1], ["string", "all"]] as const) {
  test(`setup options ${label} rejected`, async (t) => {
    const error = await t.throwsAsync(pipeline.setup(options as never), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /setup\(\): options must be an object/u);
  });
}

// The native engine reuses the handle of a finished run for the next run of the same graph, so
// an execution must keep its own final states once its handle serves other runs.
for (const engine of engines) {
  const fails = xn(function fails(x: number) {
    if (x < 0) throw new Error("negative");
    return x;
  });

  test(`execution keeps statuses after later runs [${engine}]`, async (t) => {
    const tracked = dag(
      function tracked(x: number) {
        return [inc(x), fails(x)];
      },
      { engine, behavior: "all-children" },
    );
    const first = tracked.executor({ excludeNodes: ["inc"] });
    await first(-1);

    await Promise.all(Array.from({ length: 100 }, (_, x) => tracked(x)));
    const second = tracked.executor();
    await second(-2);

    t.deepEqual(first.status("inc"), { state: "skipped", reason: "excluded" });
    t.is(first.status("fails").state, "failed");
    t.is(second.status("inc").state, "succeeded");
    t.is(second.status("fails").state, "failed");
  });

  test(`stopped execution keeps statuses [${engine}]`, async (t) => {
    const stopping = dag(
      function stopping(x: number) {
        return inc(fails(x));
      },
      { engine },
    );
    const stopped = stopping.executor();
    await t.throwsAsync(stopped(-1), { message: "negative" });

    await Promise.all(Array.from({ length: 100 }, (_, x) => stopping(x)));

    t.is(stopped.status("fails").state, "failed");
    t.deepEqual(stopped.status("inc"), { state: "not-run", reason: "run-stopped" });
  });
}

// A null camelCase setting was read as absent, because `??` fell back to the absent snake_case
// spelling, so these two were ignored while `priority: null` was rejected.
for (const [label, config] of [
  ["isSequential null", { nodes: { inc: { isSequential: null } } }],
  ["maxConcurrency null", { maxConcurrency: null }],
  ["priority null", { nodes: { inc: { priority: null } } }],
  ["is_sequential null", { nodes: { inc: { is_sequential: null } } }],
] as const) {
  test(`config ${label} rejected`, (t) => {
    const error = t.throws(() => pipeline.clone().configFromDict(config), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /received null/u);
  });
}

// These options read null as absent through `??` and ran with their defaults, while null for
// name, tag or engine was rejected.
const nullOptions: [string, () => unknown][] = [
  ["xn priority", () => xn(inc.fn, { priority: null as never })],
  ["xn isSequential", () => xn(inc.fn, { isSequential: null as never })],
  ["xn resource", () => xn(inc.fn, { resource: null as never })],
  ["xn setup", () => xn(inc.fn, { setup: null as never })],
  ["xn debug", () => xn(inc.fn, { debug: null as never })],
  ["dag maxConcurrency", () => dag(function nulls(x: number) { return inc(x); }, { maxConcurrency: null as never })],
  ["dag behavior", () => dag(function nulls(x: number) { return inc(x); }, { behavior: null as never })],
  ["compose name", () => pipeline.compose({ name: null as never, inputs: [], outputs: "inc" })],
];

for (const [label, act] of nullOptions) {
  test(`${label} null rejected`, (t) => {
    const error = t.throws(act, { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /received null/u);
  });
}

test("close timeout null rejected", async (t) => {
  const error = await t.throwsAsync(close({ timeout: null as never }), { instanceOf: TawaziUsageError });

  t.regex(error?.message ?? "", /received null/u);
});

// A revoked Proxy passed as a constant made dag() or the run throw a TypeError from inside the
// library, which inspected it (`instanceof`, reading a key) to look for traced values.
const kind = xn(function kind(value: unknown) {
  return typeof value;
});

function revoked<T extends object>(target: T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

for (const engine of engines) {
  test(`revoked proxy constants pass through [${engine}]`, async (t) => {
    const object = revoked({});
    const callable = revoked(() => 1);
    const constants = dag(
      function constants() {
        return [kind(object), kind(callable), kind([object]), kind({ callable })];
      },
      { engine },
    );

    t.deepEqual(await constants(), ["object", "function", "object", "object"]);
  });
}

// xn() and dag() read the name of a revoked Proxy and threw its TypeError.
test("xn rejects a revoked function proxy", (t) => {
  const error = t.throws(() => xn(revoked(() => 1), { name: "revoked" }), { instanceOf: TawaziUsageError });

  t.regex(error?.message ?? "", /received a revoked Proxy/u);
});

test("dag rejects a revoked function proxy", (t) => {
  const error = t.throws(() => dag(revoked(() => 1)), { instanceOf: TawaziUsageError });

  t.regex(error?.message ?? "", /received a revoked Proxy/u);
});
