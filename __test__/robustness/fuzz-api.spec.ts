import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import test from "ava";
import fc from "fast-check";

import { type EngineKind, close, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { garbageArbitrary, fuzzRuns, mostlyValid, outcomeOf } from "../helpers/fuzz.js";

type Engine = Exclude<EngineKind, "auto">;

const folder = mkdtempSync(path.join(tmpdir(), "tawazi-fuzz-"));

test.after.always(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** Maps any value to a number, so node functions never throw on garbage inputs. */
function measure(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? value : 0;
  if (typeof value === "string") return value.length;
  return typeof value === "bigint" ? 3 : 1;
}

function incPlain(x: unknown): number {
  return measure(x) + 1;
}

function dblPlain(x: unknown): number {
  return measure(x) * 2;
}

function showPlain(x: unknown, y: unknown): string {
  return `${typeof x}:${typeof y}`;
}

/**
 * Returns the ids of the nodes whose result is not their function applied to the results of
 * their parents in `results`. A node of a subgraph receives `undefined` from a parent outside it.
 */
function inconsistentResults(execution: { results: Map<string, unknown>; status(alias: string): { state: string } }): string[] {
  const results = execution.results;
  const expected: [string, unknown][] = [
    ["inc", incPlain(results.get("fixture>>>x"))],
    ["dbl", dblPlain(results.get("inc"))],
    ["show", showPlain(results.get("dbl"), results.get("seed"))],
    ["inc<<1>>", incPlain(results.get("dbl"))],
    ["seed", 5],
  ];
  return expected
    .filter(([id, value]) => execution.status(id).state === "succeeded" && !Object.is(results.get(id), value))
    .map(([id]) => id);
}

/** The result of each node of the fixture DAG for input `x`, computed without tawazi. */
function plainResults(x: unknown): Map<string, unknown> {
  const a = incPlain(x);
  const b = dblPlain(a);
  return new Map<string, unknown>([
    ["fixture>>>x", x],
    ["seed", 5],
    ["inc", a],
    ["dbl", b],
    ["show", showPlain(b, 5)],
    ["inc<<1>>", incPlain(b)],
  ]);
}

/** Builds the fixture DAG: a setup node, a reused ExecNode, tags shared by several nodes. */
function buildFixture(engine: Engine) {
  const inc = xn(function inc(x: unknown) {
    return incPlain(x);
  }, { tag: "t1" });
  const dbl = xn(function dbl(x: unknown) {
    return dblPlain(x);
  }, { tag: ["t2", "shared"] });
  const show = xn(function show(x: unknown, y: unknown) {
    return showPlain(x, y);
  }, { tag: "shared" });
  const seed = xn(function seed() {
    return 5;
  }, { setup: true });
  const pipeline = dag(
    function fixture(x: unknown) {
      const a = inc(x);
      const b = dbl(a);
      return [a, b, show(b, seed()), inc(b)];
    },
    { engine },
  );
  const stranger = xn(function stranger() {
    return 0;
  });
  const aliases: unknown[] = [
    "inc",
    "inc<<1>>",
    "dbl",
    "show",
    "seed",
    "t1",
    "t2",
    "shared",
    "fixture>>>x",
    "fixture>!>x",
    "inx",
    "",
    inc,
    dbl,
    show,
    seed,
    stranger,
    ...pipeline.nodes.values(),
  ];
  return { pipeline, aliases };
}

function expectedReturn(x: unknown): unknown[] {
  const plain = plainResults(x);
  return [plain.get("inc"), plain.get("dbl"), plain.get("show"), plain.get("inc<<1>>")];
}

/** Generates a selection option: garbage, or an array of aliases with some garbage among them. */
function selectionArbitrary(aliases: readonly unknown[]) {
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.array(fc.constantFrom(...aliases), { maxLength: 3 }), weight: 4 },
    { arbitrary: fc.array(mostlyValid(fc.constantFrom(...aliases)), { maxLength: 3 }), weight: 2 },
    { arbitrary: garbageArbitrary, weight: 1 },
  );
}

/** A value of one xn option: valid values, and garbage for that option. */
const xnOptionArbitraries: Record<string, fc.Arbitrary<unknown>> = {
  name: mostlyValid(fc.constantFrom("node", "a<<1>>", "x.y", "__proto__", "constructor", "then")),
  priority: mostlyValid(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(2 ** 53, -(2 ** 31), 1e308, -0))),
  isSequential: mostlyValid(fc.boolean()),
  resource: mostlyValid(fc.constantFrom("async", "main-thread")),
  tag: mostlyValid(fc.oneof(fc.constantFrom("t", "__proto__"), fc.array(fc.constantFrom("a", "b", "then"), { maxLength: 3 }))),
  setup: mostlyValid(fc.constant(false)),
  debug: mostlyValid(fc.constant(false)),
  unpackTo: mostlyValid(fc.constant(1)),
};

/** xn options: each key absent, valid or garbage; sometimes an unknown key or a whole garbage value. */
const xnOptionsArbitrary = fc.oneof(
  { arbitrary: fc.record(xnOptionArbitraries, { requiredKeys: [] }), weight: 6 },
  { arbitrary: fc.constant({ priorty: 1 }), weight: 1 },
  { arbitrary: garbageArbitrary, weight: 1 },
);

/** Returns whether xn accepts `options` for a function of one argument, by the documented rules. */
function validXnOptions(options: unknown): boolean {
  if (options === undefined) return true;
  if (typeof options !== "object" || options === null || Array.isArray(options)) return false;
  const record = options as Record<string, unknown>;
  if (Object.keys(record).some((key) => !(key in xnOptionArbitraries))) return false;
  const { name, priority, isSequential, resource, tag, setup, debug, unpackTo } = record;
  const isTag = (value: unknown) => typeof value === "string" && value !== "";
  const absent = (value: unknown) => value === undefined;
  return (
    (name === undefined || isTag(name)) &&
    (absent(priority) || (typeof priority === "number" && Number.isFinite(priority))) &&
    (absent(isSequential) || typeof isSequential === "boolean") &&
    (absent(resource) || resource === "async" || resource === "main-thread") &&
    (tag === undefined || isTag(tag) || (Array.isArray(tag) && tag.every(isTag))) &&
    // A setup node may not depend on the DAG input the wrapper passes it.
    (absent(setup) || setup === false) &&
    (absent(debug) || typeof debug === "boolean") &&
    (unpackTo === undefined || unpackTo === 1)
  );
}

for (const engine of engines) {
  test(`xn options fuzz [${engine}]`, async (t) => {
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(
          mostlyValid(fc.constant((x: unknown) => [measure(x)]), 6),
          xnOptionsArbitrary,
          garbageArbitrary,
          async (fn, options, input) => {
            const outcome = await outcomeOf(async () => {
              const node = xn(fn as (x: unknown) => number[], options as never);
              const pipeline = dag(function wrapper(x: unknown) {
                return node(x);
              }, { engine });
              return pipeline(input);
            });
            // unpackTo 1 is valid only for a function returning an array of one value.
            const unpacks = (options as { unpackTo?: unknown } | null | undefined)?.unpackTo === 1;
            const returnsOne = typeof fn === "function" && Array.isArray(fn(input)) && fn(input).length === 1;
            const valid = typeof fn === "function" && validXnOptions(options) && (!unpacks || returnsOne);
            if (valid && fn.name === "" && (options as { name?: unknown } | undefined)?.name === undefined) {
              // An anonymous function needs the name option.
              if (outcome.ok) throw new Error("xn accepted an anonymous function without a name");
              return;
            }
            if (valid && !outcome.ok) throw new Error("valid xn options were rejected", { cause: outcome.error });
            if (!valid && outcome.ok) throw new Error(`invalid xn options were accepted`);
            if (!outcome.ok) return;
            // A debug node does not run while cfg.RUN_DEBUG_NODES is off, so its result is undefined.
            const debug = (options as { debug?: unknown } | null | undefined)?.debug === true;
            const expected = debug ? undefined : (fn as (x: unknown) => unknown)(input);
            if (JSON.stringify(outcome.value) !== JSON.stringify(expected)) {
              throw new Error(`the node returned ${String(outcome.value)}`);
            }
          },
        ),
        { numRuns: fuzzRuns(800) },
      ),
    );
  });

  test(`with options fuzz [${engine}]`, async (t) => {
    const pair = xn(function pair(x: unknown) {
      return [measure(x), 1];
    });
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record(
              {
                tag: mostlyValid(fc.constantFrom("t", "then")),
                active: garbageArbitrary,
                unpackTo: mostlyValid(fc.constant(2)),
              },
              { requiredKeys: [] },
            ),
            garbageArbitrary,
          ),
          garbageArbitrary,
          async (options, input) => {
            const outcome = await outcomeOf(async () => {
              const pipeline = dag(function withCall(x: unknown) {
                return pair.with(options as never)(x);
              }, { engine });
              return pipeline(input);
            });
            if (!outcome.ok) return;
            const record = options as { active?: unknown };
            const active = !("active" in record) || record.active === undefined || Boolean(record.active);
            const expected = active ? [measure(input), 1] : undefined;
            if (JSON.stringify(outcome.value) !== JSON.stringify(expected)) {
              throw new Error(`the call returned ${JSON.stringify(outcome.value)}, expected ${JSON.stringify(expected)}`);
            }
          },
        ),
        { numRuns: fuzzRuns(800) },
      ),
    );
  });

  test(`dag options and arguments fuzz [${engine}]`, async (t) => {
    const inc = xn(function inc(x: unknown) {
      return incPlain(x);
    });
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record(
              {
                name: mostlyValid(fc.constantFrom("p", "constructor", "a.b")),
                maxConcurrency: mostlyValid(fc.constantFrom(1, 3, 2 ** 53, Number.POSITIVE_INFINITY, 1e308)),
                behavior: mostlyValid(fc.constantFrom("strict", "all-children", "permissive")),
                engine: mostlyValid(fc.constant(engine)),
              },
              { requiredKeys: [] },
            ),
            garbageArbitrary,
          ),
          fc.array(garbageArbitrary, { maxLength: 3 }),
          async (options, args) => {
            const outcome = await outcomeOf(async () => {
              const pipeline = dag(function twoInputs(x: unknown, y: unknown) {
                return [inc(x), inc(y)];
              }, options as never);
              return pipeline(...(args as [unknown, unknown]));
            });
            if (!outcome.ok) return;
            const expected = [incPlain(args[0]), incPlain(args[1])];
            if (args.length > 2) throw new Error(`a call with ${args.length} arguments to a 2-input DAG resolved`);
            if (!Object.is((outcome.value as number[])[0], expected[0]) || !Object.is((outcome.value as number[])[1], expected[1])) {
              throw new Error(`the DAG returned ${String(outcome.value)}`);
            }
          },
        ),
        { numRuns: fuzzRuns(800) },
      ),
    );
  });

  test(`executor selections fuzz [${engine}]`, async (t) => {
    const { pipeline, aliases } = buildFixture(engine);
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              targetNodes: selectionArbitrary(aliases),
              excludeNodes: selectionArbitrary(aliases),
              rootNodes: selectionArbitrary(aliases),
              profile: mostlyValid(fc.boolean()),
              cacheIn: fc.constantFrom(undefined, null, 0, Symbol("path"), {}),
            },
            { requiredKeys: [] },
          ),
          garbageArbitrary,
          async (options, input) => {
            const created = await outcomeOf(() => pipeline.executor(options as never));
            if (!created.ok) return;
            const execution = created.value;
            const called = await outcomeOf(() => execution(input));
            if (!called.ok) throw new Error("an execution that executor() accepted failed", { cause: called.error });
            const wrong = inconsistentResults(execution);
            if (wrong.length > 0) throw new Error(`wrong results for ${wrong.join(", ")}`);
            const again = await outcomeOf(() => execution(input));
            if (again.ok) throw new Error("a second call of one execution resolved");
          },
        ),
        { numRuns: fuzzRuns(1000) },
      ),
    );
  });

  test(`inspection methods fuzz [${engine}]`, async (t) => {
    const { pipeline, aliases } = buildFixture(engine);
    const execution = pipeline.executor();
    await execution(1);
    const calls: ((value: unknown) => unknown)[] = [
      (value) => pipeline.getNodeById(value as never),
      (value) => pipeline.getNodesByTag(value as never),
      (value) => execution.resultOf(value as never),
      (value) => execution.status(value as never),
      (value) => pipeline.setup(value as never),
      (value) => pipeline.setup({ targetNodes: value as never }),
      (value) => pipeline.compose(value as never),
      (value) => pipeline.compose({ inputs: [], outputs: value as never }),
      (value) => pipeline.compose({ inputs: value as never, outputs: "dbl" }),
      (value) => pipeline.toDot(value as never),
      (value) => pipeline.toMermaid(value as never),
      (value) => pipeline.executor(value as never),
      (value) => pipeline.clone().configFromDict(value),
      (value) => close(value as never),
    ];
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(
          fc.nat(calls.length - 1),
          fc.oneof(garbageArbitrary, fc.constantFrom(...aliases)),
          async (which, value) => {
            await outcomeOf(() => calls[which]!(value));
          },
        ),
        { numRuns: fuzzRuns(1000) },
      ),
    );
  });

  test(`configuration fuzz [${engine}]`, async (t) => {
    const { pipeline, aliases } = buildFixture(engine);
    const stringAliases = aliases.filter((alias): alias is string => typeof alias === "string");
    const settings = fc.oneof(
      fc.record(
        {
          priority: mostlyValid(fc.integer({ min: -3, max: 3 })),
          isSequential: mostlyValid(fc.boolean()),
          is_sequential: mostlyValid(fc.boolean()),
        },
        { requiredKeys: [] },
      ),
      garbageArbitrary,
    );
    const config = fc.oneof(
      fc.record(
        {
          nodes: fc.oneof(fc.dictionary(fc.constantFrom(...stringAliases), settings, { maxKeys: 3 }), garbageArbitrary),
          maxConcurrency: mostlyValid(fc.constantFrom(1, 2, Number.POSITIVE_INFINITY)),
          max_concurrency: mostlyValid(fc.constantFrom(1, 4)),
        },
        { requiredKeys: [] },
      ),
      garbageArbitrary,
    );
    await t.notThrowsAsync(
      fc.assert(
        fc.asyncProperty(config, fc.constantFrom("dict", "json", "yaml", "text"), fc.string(), async (document, form, text) => {
          const copy = pipeline.clone();
          const file = path.join(folder, `config-${form}`);
          const applied = await outcomeOf(() => {
            if (form === "dict") return copy.configFromDict(document);
            if (form === "text") {
              writeFileSync(file, text);
              return copy.configFromYaml(file);
            }
            let written: string | undefined;
            try {
              written = JSON.stringify(document);
            } catch {
              written = undefined;
            }
            writeFileSync(file, written ?? "{");
            return form === "json" ? copy.configFromJson(file) : copy.configFromYaml(file);
          });
          if (!applied.ok) return;
          const result = await outcomeOf(() => copy(3));
          if (!result.ok) throw new Error("a DAG failed after a configuration was accepted", { cause: result.error });
          if (JSON.stringify(result.value) !== JSON.stringify(expectedReturn(3))) {
            throw new Error(`the configured DAG returned ${JSON.stringify(result.value)}`);
          }
        }),
        { numRuns: fuzzRuns(800) },
      ),
    );
  });
}

test("configuration file paths fuzz", async (t) => {
  const { pipeline } = buildFixture("ts");
  await t.notThrowsAsync(
    fc.assert(
      fc.asyncProperty(garbageArbitrary, fc.boolean(), async (filePath, json) => {
        if (typeof filePath === "string") return;
        const outcome = await outcomeOf(() =>
          json ? pipeline.configFromJson(filePath as never) : pipeline.configFromYaml(filePath as never),
        );
        if (outcome.ok) throw new Error(`a configuration path ${String(filePath)} was accepted`);
      }),
      { numRuns: fuzzRuns(300) },
    ),
  );
});
