import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import test, { type ExecutionContext } from "ava";

import { type DAG, TawaziUsageError, dag, xn } from "../index.js";
import { AliasIndex } from "../src/trace/aliases.js";
import {
  type DagConfigPatch,
  type NodeSettings,
  parseDagConfig,
  readConfigDocument,
} from "../src/trace/config-file.js";

const where = "configFromDict()";

const a = xn(function a() {
  return 1;
}, { tag: "grp" });
const b = xn(function b() {
  return 2;
}, { tag: "grp" });
const c = xn(function c() {
  return 3;
});
const d = xn(function d() {
  return 4;
});
const e = xn(function e() {
  return 5;
}, { tag: ["c", "odd"] });

/** Nodes x (argument), a and b (tag grp), c (no tag), in this order. */
const grouped = dag(function grouped(x: number) {
  return [x, a(), b(), c()];
});

/** Call-site tags: a (grp), a<<1>> (late), d (late), d<<1>> (none). */
const callSite = dag(function callSite() {
  return [a(), a.with({ tag: "late" })(), d.with({ tag: "late" })(), d()];
});

/** Node e carries tag "c", the id of another node. */
const shadowed = dag(function shadowed() {
  return [c(), e()];
});

type AnyDag = DAG<never[], unknown>;

function idsOf(pipeline: AnyDag): string[] {
  return [...pipeline.nodes.keys()];
}

function configure(pipeline: AnyDag, document: unknown): DagConfigPatch {
  const infos = [...pipeline.nodes.values()];
  const aliases = new AliasIndex(pipeline.name, infos, infos.map(() => null));
  return parseDagConfig(document, aliases, idsOf(pipeline), where);
}

/** Returns the configured nodes keyed by id instead of index. */
function settingsById(pipeline: AnyDag, patch: DagConfigPatch): Map<string, NodeSettings> {
  const ids = idsOf(pipeline);
  return new Map([...patch.nodes].map(([node, settings]) => [ids[node]!, settings]));
}

/** Asserts that `act` throws a TawaziUsageError whose message contains each of `includes`. */
function throwsUsage(t: ExecutionContext, act: () => unknown, includes: readonly string[]): void {
  const error = t.throws(act, { instanceOf: TawaziUsageError });
  for (const text of includes) {
    t.true(error?.message.includes(text), `message lacks ${JSON.stringify(text)}: ${error?.message}`);
  }
}

test("tag configures every tagged node", (t) => {
  const patch = configure(grouped as AnyDag, {
    nodes: { grp: { priority: 256 } },
    max_concurrency: 3,
  });
  t.deepEqual(
    settingsById(grouped as AnyDag, patch),
    new Map([
      ["a", { priority: 256 }],
      ["b", { priority: 256 }],
    ]),
  );
  t.is(patch.maxConcurrency, 3);
});

test("id and tag of one node conflict", (t) => {
  throwsUsage(
    t,
    () => configure(grouped as AnyDag, { nodes: { a: { priority: 1 }, grp: { priority: 2 } } }),
    ['node "a" is configured twice', 'its id "a"', 'tag "grp"'],
  );
});

test("tag then id conflict names both", (t) => {
  throwsUsage(
    t,
    () => configure(grouped as AnyDag, { nodes: { grp: { priority: 2 }, b: { priority: 1 } } }),
    ['node "b"', 'through tag "grp" and through its id "b"'],
  );
});

test("argument id spellings conflict", (t) => {
  throwsUsage(
    t,
    () =>
      configure(grouped as AnyDag, {
        nodes: { "grouped>>>x": { priority: 1 }, "grouped>!>x": { priority: 2 } },
      }),
    ['node "grouped>>>x"', '"grouped>>>x"', '"grouped>!>x"'],
  );
});

test("Tawazi 0.6 argument alias accepted", (t) => {
  const patch = configure(grouped as AnyDag, { nodes: { "grouped>!>x": { priority: 7 } } });
  t.deepEqual(settingsById(grouped as AnyDag, patch), new Map([["grouped>>>x", { priority: 7 }]]));
});

test("call-site tag configures its uses", (t) => {
  const patch = configure(callSite as AnyDag, { nodes: { late: { isSequential: true } } });
  t.deepEqual(
    settingsById(callSite as AnyDag, patch),
    new Map([
      ["a<<1>>", { isSequential: true }],
      ["d", { isSequential: true }],
    ]),
  );
});

test("call-site tag replaces declared tag", (t) => {
  const patch = configure(callSite as AnyDag, {
    nodes: { grp: { priority: 1 }, late: { priority: 2 } },
  });
  t.deepEqual(
    settingsById(callSite as AnyDag, patch),
    new Map([
      ["a", { priority: 1 }],
      ["a<<1>>", { priority: 2 }],
      ["d", { priority: 2 }],
    ]),
  );
});

test("call-site tag conflicts with id", (t) => {
  throwsUsage(
    t,
    () =>
      configure(callSite as AnyDag, { nodes: { late: { priority: 2 }, "a<<1>>": { priority: 1 } } }),
    ['node "a<<1>>" is configured twice', 'tag "late"', 'its id "a<<1>>"'],
  );
});

test("tag wins over id", (t) => {
  const patch = configure(shadowed as AnyDag, { nodes: { c: { priority: 9 } } });
  t.deepEqual(settingsById(shadowed as AnyDag, patch), new Map([["e", { priority: 9 }]]));
});

test("overlapping tags conflict", (t) => {
  throwsUsage(
    t,
    () => configure(shadowed as AnyDag, { nodes: { c: { priority: 1 }, odd: { priority: 2 } } }),
    ['node "e" is configured twice', 'tag "c"', 'tag "odd"'],
  );
});

test("snake_case keys accepted", (t) => {
  const patch = configure(grouped as AnyDag, {
    nodes: { c: { is_sequential: true, priority: 4 } },
    max_concurrency: 2,
  });
  t.deepEqual(
    settingsById(grouped as AnyDag, patch),
    new Map([["c", { isSequential: true, priority: 4 }]]),
  );
  t.is(patch.maxConcurrency, 2);
});

test("camelCase keys accepted", (t) => {
  const patch = configure(grouped as AnyDag, {
    nodes: { c: { isSequential: false, priority: -1.5 } },
    maxConcurrency: Number.POSITIVE_INFINITY,
  });
  t.deepEqual(
    settingsById(grouped as AnyDag, patch),
    new Map([["c", { isSequential: false, priority: -1.5 }]]),
  );
  t.is(patch.maxConcurrency, Number.POSITIVE_INFINITY);
});

test("patch holds only given keys", (t) => {
  const patch = configure(grouped as AnyDag, { nodes: { a: { priority: 0 } } });
  t.deepEqual(Object.keys(patch), ["nodes"]);
  t.deepEqual(settingsById(grouped as AnyDag, patch), new Map([["a", { priority: 0 }]]));
});

test("empty document configures nothing", (t) => {
  const patch = configure(grouped as AnyDag, {});
  t.is(patch.nodes.size, 0);
  t.false("maxConcurrency" in patch);
});

test("null-prototype document accepted", (t) => {
  const document = Object.assign(Object.create(null) as object, { maxConcurrency: 5 });
  t.is(configure(grouped as AnyDag, document).maxConcurrency, 5);
});

test("empty node entry kept without settings", (t) => {
  const patch = configure(grouped as AnyDag, { nodes: { c: {} } });
  t.deepEqual(settingsById(grouped as AnyDag, patch), new Map([["c", {}]]));
});

test("undefined values count as absent", (t) => {
  const patch = configure(grouped as AnyDag, {
    nodes: { a: { priority: undefined, isSequential: undefined, is_sequential: true } },
    maxConcurrency: undefined,
  });
  t.deepEqual(settingsById(grouped as AnyDag, patch), new Map([["a", { isSequential: true }]]));
  t.false("maxConcurrency" in patch);
});

test("nodes listed in description order", (t) => {
  const patch = configure(grouped as AnyDag, {
    nodes: { c: { priority: 1 }, "grouped>>>x": { priority: 2 }, a: { priority: 3 } },
  });
  const ids = idsOf(grouped as AnyDag);
  const expected = ["grouped>>>x", "a", "c"].map((id) => ids.indexOf(id));
  t.deepEqual([...patch.nodes.keys()], expected);
});

test("unknown alias lists close matches", (t) => {
  throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { grpp: { priority: 1 } } }), [
    '"grpp"',
    'close matches: "grp"',
  ]);
});

test("document must be a plain object", (t) => {
  const cases: [unknown, string][] = [
    [null, "received null"],
    [[], "[] (array)"],
    ["nodes", '"nodes" (string)'],
    [3, "3 (number)"],
    [new Map(), "an instance of Map"],
  ];
  for (const [document, printed] of cases) {
    throwsUsage(t, () => configure(grouped as AnyDag, document), [where, "plain object", printed]);
  }
});

test("nodes must be a plain object", (t) => {
  const cases: [unknown, string][] = [
    [null, "received null"],
    [[{ a: {} }], '[{"a":{}}] (array)'],
    ["a", '"a" (string)'],
  ];
  for (const [nodes, printed] of cases) {
    throwsUsage(t, () => configure(grouped as AnyDag, { nodes }), ['"nodes"', "plain object", printed]);
  }
});

test("node entry must be a plain object", (t) => {
  const cases: [unknown, string][] = [
    [1, "1 (number)"],
    [null, "received null"],
    [[256], "[256] (array)"],
    ["high", '"high" (string)'],
  ];
  for (const [entry, printed] of cases) {
    throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { b: entry } }), [
      'node entry "b"',
      "plain object",
      printed,
    ]);
  }
});

test("unknown top-level key suggests match", (t) => {
  throwsUsage(t, () => configure(grouped as AnyDag, { max_concurency: 3 }), [
    'unknown configuration key "max_concurency"',
    'did you mean "max_concurrency"?',
    "Allowed keys: nodes, maxConcurrency, max_concurrency.",
  ]);
  throwsUsage(t, () => configure(grouped as AnyDag, { node: {} }), [
    'unknown configuration key "node"',
    'did you mean "nodes"?',
  ]);
});

test("unknown node key suggests match", (t) => {
  throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { a: { prority: 1 } } }), [
    'node entry "a"',
    'unknown configuration key "prority"',
    'did you mean "priority"?',
    "Allowed keys: priority, isSequential, is_sequential.",
  ]);
  throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { a: { isSequental: true } } }), [
    'unknown configuration key "isSequental"',
    'did you mean "isSequential"?',
  ]);
});

test("far unknown key has no suggestion", (t) => {
  const error = t.throws(() => configure(grouped as AnyDag, { nodes: { a: { x: 1 } } }), {
    instanceOf: TawaziUsageError,
  });
  t.true(error?.message.includes('unknown configuration key "x"'));
  t.false(error?.message.includes("did you mean"));
});

test("both spellings of a key rejected", (t) => {
  throwsUsage(t, () => configure(grouped as AnyDag, { maxConcurrency: 2, max_concurrency: 2 }), [
    '"maxConcurrency"',
    '"max_concurrency"',
    "give only one",
  ]);
  throwsUsage(
    t,
    () => configure(grouped as AnyDag, { nodes: { a: { isSequential: true, is_sequential: true } } }),
    ['node entry "a"', '"isSequential"', '"is_sequential"'],
  );
});

test("invalid priorities rejected", (t) => {
  const cases: [unknown, string][] = [
    [Number.NaN, "NaN (number)"],
    ["1", '"1" (string)'],
    [Number.POSITIVE_INFINITY, "Infinity (number)"],
    [null, "received null"],
  ];
  for (const [priority, printed] of cases) {
    throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { a: { priority } } }), [
      'node entry "a"',
      "option priority",
      printed,
    ]);
  }
});

test("invalid isSequential rejected", (t) => {
  throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { a: { isSequential: "yes" } } }), [
    'node entry "a"',
    "option isSequential",
    '"yes" (string)',
  ]);
  throwsUsage(t, () => configure(grouped as AnyDag, { nodes: { a: { is_sequential: 1 } } }), [
    "option is_sequential",
    "1 (number)",
  ]);
});

test("invalid maxConcurrency rejected", (t) => {
  const cases: [unknown, string][] = [
    [0, "0 (number)"],
    [1.5, "1.5 (number)"],
    [-1, "-1 (number)"],
    ["3", '"3" (string)'],
  ];
  for (const [value, printed] of cases) {
    throwsUsage(t, () => configure(grouped as AnyDag, { maxConcurrency: value }), [
      "option maxConcurrency",
      printed,
    ]);
    throwsUsage(t, () => configure(grouped as AnyDag, { max_concurrency: value }), [
      "option maxConcurrency",
      printed,
    ]);
  }
});

const directory = mkdtempSync(join(tmpdir(), "tawazi-config-"));
test.after.always(() => rmSync(directory, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

test("JSON file read and applied", (t) => {
  const path = writeTemp(
    "good.json",
    '{\n  "nodes": {"grp": {"priority": 256, "is_sequential": true}},\n  "max_concurrency": 3\n}\n',
  );
  const document = readConfigDocument(path, "json", where);
  t.deepEqual(document, {
    nodes: { grp: { priority: 256, is_sequential: true } },
    max_concurrency: 3,
  });
  const patch = configure(grouped as AnyDag, document);
  t.deepEqual(
    settingsById(grouped as AnyDag, patch),
    new Map([
      ["a", { priority: 256, isSequential: true }],
      ["b", { priority: 256, isSequential: true }],
    ]),
  );
});

test("YAML file read", (t) => {
  const path = writeTemp(
    "good.yaml",
    "# priorities\nnodes:\n  grp:\n    priority: 256\n  c: {isSequential: false}\nmaxConcurrency: 3\n",
  );
  t.deepEqual(readConfigDocument(path, "yaml", where), {
    nodes: { grp: { priority: 256 }, c: { isSequential: false } },
    maxConcurrency: 3,
  });
});

test("byte order mark ignored", (t) => {
  const jsonPath = writeTemp("bom.json", '\uFEFF{"maxConcurrency": 2}');
  t.deepEqual(readConfigDocument(jsonPath, "json", where), { maxConcurrency: 2 });
  const yamlPath = writeTemp("bom.yaml", "\uFEFFmaxConcurrency: 2\n");
  t.deepEqual(readConfigDocument(yamlPath, "yaml", where), { maxConcurrency: 2 });
});

test("missing file rejected", (t) => {
  const path = join(directory, "absent.json");
  for (const format of ["json", "yaml"] as const) {
    throwsUsage(t, () => readConfigDocument(path, format, where), [
      where,
      JSON.stringify(path),
      "not found",
    ]);
  }
});

test("directory rejected", (t) => {
  const path = join(directory, "folder.yaml");
  mkdirSync(path);
  for (const format of ["json", "yaml"] as const) {
    throwsUsage(t, () => readConfigDocument(path, format, where), [
      JSON.stringify(path),
      "is a directory",
    ]);
  }
});

test("empty file rejected", (t) => {
  for (const [name, text] of [["empty", ""], ["blank", " \n\t\n"]]) {
    for (const format of ["json", "yaml"] as const) {
      const path = writeTemp(`${name}.${format}`, text!);
      throwsUsage(t, () => readConfigDocument(path, format, where), [JSON.stringify(path), "is empty"]);
    }
  }
});

test("comment-only YAML rejected", (t) => {
  const path = writeTemp("comments.yaml", "# nothing configured yet\n");
  throwsUsage(t, () => readConfigDocument(path, "yaml", where), [
    JSON.stringify(path),
    "contains only comments",
  ]);
});

test("invalid JSON names line and column", (t) => {
  const cases: [string, string][] = [
    ['{\n  "nodes": {\n    "a": {"priority": 1,}\n  }\n}\n', "line 3, column 25"],
    ['{\n  "a": tru\n}\n', "line 2, column 11"],
    ['{"a": 1', "line 1, column 8"],
    ['{"a": 1}\n{"b": 2}\n', "line 2, column 1"],
    ["{\n  nodes: {}\n}\n", "line 2, column 3"],
    ['{"a": 01}', "line 1, column 8"],
  ];
  for (const [position, [text, expected]] of cases.entries()) {
    const path = writeTemp(`invalid-${position}.json`, text);
    throwsUsage(t, () => readConfigDocument(path, "json", where), [
      JSON.stringify(path),
      "is not valid JSON",
      `at ${expected}:`,
    ]);
  }
});

test("invalid YAML names line", (t) => {
  const cases: [string, string, string][] = [
    ["nodes:\n  a: {}\n  a: {}\n", "Map keys must be unique", "line 3, column 3"],
    ["nodes:\n  a: [1,\n", "Flow sequence", "line 3, column 1"],
    ["maxConcurrency: 1\n---\nmaxConcurrency: 2\n", "multiple documents", "line 2, column 1"],
    ["nodes: !custom {}\n", "Unresolved tag", "line 1, column 8"],
  ];
  for (const [position, [text, problem, expected]] of cases.entries()) {
    const path = writeTemp(`invalid-${position}.yaml`, text);
    throwsUsage(t, () => readConfigDocument(path, "yaml", where), [
      JSON.stringify(path),
      "is not valid YAML",
      problem,
      `at ${expected}`,
    ]);
  }
});
