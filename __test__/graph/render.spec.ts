import { execFileSync, spawnSync } from "node:child_process";

import test from "ava";

import { type NodeInfo, type Traceable, TawaziUsageError, dag, xn } from "../../index.js";
import { type GraphView, type RenderOptions, renderDot, renderMermaid } from "../../src/graph/render.js";

type Edge = readonly [parent: string, child: string];

/**
 * Builds the view of `pipeline` from its public node list and the edges its describing function
 * creates, listed by hand, child by child in description order.
 */
function viewOf(
  pipeline: { readonly name: string; readonly nodes: ReadonlyMap<string, NodeInfo> },
  edges: readonly Edge[]): GraphView {
  const nodes: NodeInfo[] = [...pipeline.nodes.values()];
  const indexOf = new Map(nodes.map((node, index) => [node.id, index]));
  const parentOffsets = new Uint32Array(nodes.length + 1);
  const parents: number[] = [];

  nodes.forEach((node, index) => {
    for (const [parent, child] of edges) {
      if (child === node.id) parents.push(indexOf.get(parent)!);
    }
    parentOffsets[index + 1] = parents.length;
  });
  for (const [parent, child] of edges) {
    if (!indexOf.has(parent) || !indexOf.has(child)) throw new Error(`unknown edge ${parent} -> ${child}`);
  }
  return { name: pipeline.name, nodes, parentOffsets, parents: Uint32Array.from(parents) };
}

interface ParsedDot {
  name: string;
  /** Node name to its attributes, in statement order. */
  nodes: Map<string, Map<string, string>>;
  edges: Array<[string, string]>;
}

const dotUnescapes: Record<string, string> = { "\\": "\\", '"': '"', n: "\n", r: "\r" };

/** Splits DOT text into tokens. Quoted strings become `{ text }`, after undoing the escapes. */
function tokenizeDot(source: string): Array<string | { text: string }> {
  const tokens: Array<string | { text: string }> = [];
  let at = 0;
  while (at < source.length) {
    const character = source[at]!;
    if (/\s/.test(character)) {
      at += 1;
    } else if (character === '"') {
      let text = "";
      at += 1;
      while (source[at] !== '"') {
        if (at >= source.length) throw new Error("unterminated quoted string");
        if (source[at] === "\\") {
          const escaped = dotUnescapes[source[at + 1]!];
          if (escaped === undefined) throw new Error(`unexpected escape \\${source[at + 1]}`);
          text += escaped;
          at += 2;
        } else {
          if (source[at] === "\n") throw new Error("raw line break inside a quoted string");
          text += source[at];
          at += 1;
        }
      }
      at += 1;
      tokens.push({ text });
    } else if (source.startsWith("->", at)) {
      tokens.push("->");
      at += 2;
    } else if ("{}[];,=".includes(character)) {
      tokens.push(character);
      at += 1;
    } else {
      const bare = /^[A-Za-z0-9_.]+/.exec(source.slice(at));
      if (bare === null) throw new Error(`unexpected character ${JSON.stringify(character)}`);
      tokens.push(bare[0]);
      at += bare[0].length;
    }
  }
  return tokens;
}

/** Parses the subset of DOT the renderer writes: node statements with attributes, and edges. */
function parseDot(source: string): ParsedDot {
  const tokens = tokenizeDot(source);
  let at = 0;
  const next = () => tokens[at++];
  const expect = (token: string) => {
    const found = next();
    if (found !== token) throw new Error(`expected ${token}, found ${JSON.stringify(found)}`);
  };
  const quoted = (): string => {
    const found = next();
    if (typeof found !== "object") {
      throw new Error(`expected a quoted string, found ${JSON.stringify(found)}`);
    }
    return found.text;
  };
  const value = (): string => {
    const found = next();
    if (found === undefined) throw new Error("unexpected end of input");
    return typeof found === "object" ? found.text : found;
  };

  expect("digraph");
  const parsed: ParsedDot = { name: quoted(), nodes: new Map(), edges: [] };
  expect("{");
  while (tokens[at] !== "}") {
    const first = quoted();
    if (tokens[at] === "->") {
      at += 1;
      parsed.edges.push([first, quoted()]);
    } else {
      if (parsed.nodes.has(first)) throw new Error(`node ${first} declared twice`);
      const attributes = new Map<string, string>();
      expect("[");
      while (tokens[at] !== "]") {
        const key = value();
        expect("=");
        attributes.set(key, value());
        if (tokens[at] === ",") at += 1;
      }
      expect("]");
      parsed.nodes.set(first, attributes);
    }
    expect(";");
  }
  expect("}");
  if (at !== tokens.length) throw new Error("tokens after the closing brace");
  for (const [parent, child] of parsed.edges) {
    if (!parsed.nodes.has(parent) || !parsed.nodes.has(child)) {
      throw new Error(`edge ${parent} -> ${child} names an undeclared node`);
    }
  }
  return parsed;
}

/** Undoes the escapes of a Mermaid label. */
function decodeMermaid(label: string): string {
  const named: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">" };
  const decodeEntity = (_: string, code: string) =>
    /^\d+$/.test(code) ? String.fromCodePoint(Number(code)) : named[code]!;
  return label.replace(/<br>/g, "\n").replace(/#(\w+);/g, decodeEntity);
}

const pair = xn(
  function pair(x: number) {
    return [x, -x];
  },
  { unpackTo: 2, priority: 2, isSequential: true },
);
const add = xn(
  function add(a: number, b: number) {
    return a + b;
  },
  { tag: ["math", "x"], resource: "main-thread" },
);
const load = xn(
  function load() {
    return 10;
  },
  { setup: true },
);
const log = xn(
  function log(_value: unknown) {
    return undefined;
  },
  { debug: true },
);

function describePipe(x: number) {
  const [a, b] = pair(x);
  const sum = add(a, b);
  log(sum);
  return add.with({ tag: "t2" })(sum, load());
}

const pipeEdges: readonly Edge[] = [
  ["pipe>>>x", "pair"],
  ["pair", "pair[0]"],
  ["pair", "pair[1]"],
  ["pair[0]", "add"],
  ["pair[1]", "add"],
  ["add", "log"],
  ["add", "add<<1>>"],
  ["load", "add<<1>>"],
];

const pipeLabels: ReadonlyArray<readonly [string, string]> = [
  ["pipe>>>x", "pipe>>>x\npriority 0 (compound 2)"],
  ["pair", "pair\npriority 2 (compound 2)\nsequential"],
  ["pair[0]", "pair[0]"],
  ["pair[1]", "pair[1]"],
  ["add", "add\ntags: math, x\nmain-thread"],
  ["log", "log\ndebug"],
  ["load", "load\nsetup"],
  ["add<<1>>", "add<<1>>\ntags: t2\nmain-thread"],
];

function pipeView(): GraphView {
  return viewOf(dag(describePipe, { name: "pipe" }), pipeEdges);
}

const hostileNames = [
  'a"b\\c<<x>>',
  "ends with backslash\\",
  '\\"',
  "\\N and \\n",
  "tail>>>",
  "box[0]",
  "über → 日本 🚀",
  "two\nlines",
  "carriage\r\nreturn",
  "hash #quot; & `tick`",
];

/** Builds a chain through one node per hostile name, in a DAG whose name is hostile too. */
function hostileView(): GraphView {
  const steps = hostileNames.map((name) => xn((value: number) => value, { name }));
  const pipeline = dag(
    function chain(x: number) {
      let value: Traceable<number> = x;
      for (const step of steps) value = step(value);
      return value;
    },
    { name: 'q"\\z' },
  );
  const ids = [...pipeline.nodes.keys()];
  const edges = ids.slice(1).map((id, index): Edge => [ids[index]!, id]);
  return viewOf(pipeline, edges);
}

test("dot round trip keeps nodes", (t) => {
  const parsed = parseDot(renderDot(pipeView()));

  t.is(parsed.name, "pipe");
  t.deepEqual(
    [...parsed.nodes.keys()],
    pipeLabels.map(([id]) => id),
  );
});

test("dot labels show tags and priorities", (t) => {
  const parsed = parseDot(renderDot(pipeView()));

  for (const [id, label] of pipeLabels) {
    t.is(parsed.nodes.get(id)?.get("label"), label, id);
  }
});

test("dot edges in description order", (t) => {
  const parsed = parseDot(renderDot(pipeView()));

  t.deepEqual(parsed.edges, pipeEdges);
});

test("dot shape per node kind", (t) => {
  const parsed = parseDot(renderDot(pipeView()));

  t.is(parsed.nodes.get("pipe>>>x")!.get("shape"), "parallelogram");
  t.is(parsed.nodes.get("pair[0]")!.get("shape"), "ellipse");
  t.is(parsed.nodes.get("add<<1>>")!.get("shape"), "box");
  t.is(parsed.nodes.get("add<<1>>")!.get("style"), "rounded");
});

test("dot marks node options", (t) => {
  const parsed = parseDot(renderDot(pipeView()));

  t.is(parsed.nodes.get("pair")!.get("peripheries"), "2");
  t.is(parsed.nodes.get("add")!.get("color"), "#1f4e9c");
  t.is(parsed.nodes.get("load")!.get("style"), "rounded,filled");
  t.is(parsed.nodes.get("load")!.get("fillcolor"), "#fff2cc");
  t.is(parsed.nodes.get("log")!.get("style"), "rounded,dashed");
  t.false(parsed.nodes.get("pair[0]")!.has("color"), "lookups are not marked main-thread");
  t.false(parsed.nodes.get("pipe>>>x")!.has("color"), "arguments are not marked main-thread");
});

test("dot escapes hostile ids", (t) => {
  const view = hostileView();
  const dot = renderDot(view);
  const parsed = parseDot(dot);

  t.is(parsed.name, 'q"\\z');
  t.deepEqual(
    [...parsed.nodes.keys()],
    view.nodes.map((node) => node.id),
  );
  for (const node of view.nodes) {
    t.is(parsed.nodes.get(node.id)?.get("label"), node.id);
  }
  t.is(parsed.edges.length, hostileNames.length);
  t.is(dot.split("\n").length, 1 + view.nodes.length + hostileNames.length + 2, "one line per statement");
});

test("dot without arguments drops them", (t) => {
  const parsed = parseDot(renderDot(pipeView(), { arguments: false }));

  t.deepEqual(
    [...parsed.nodes.keys()],
    pipeLabels.map(([id]) => id).filter((id) => id !== "pipe>>>x"),
  );
  t.deepEqual(
    parsed.edges,
    pipeEdges.filter(([parent]) => parent !== "pipe>>>x"),
  );
});

test("arguments option defaults to true", (t) => {
  const view = pipeView();

  t.is(renderDot(view), renderDot(view, { arguments: true }));
  t.is(renderMermaid(view), renderMermaid(view, { arguments: true }));
});

test("render output is deterministic", (t) => {
  t.is(renderDot(pipeView()), renderDot(pipeView()));
  t.is(renderMermaid(hostileView()), renderMermaid(hostileView()));
});

test("render rejects invalid options", (t) => {
  const view = pipeView();

  const notBoolean = { arguments: "no" } as unknown as RenderOptions;
  const misspelled = { argument: false } as unknown as RenderOptions;
  const notObject = null as unknown as RenderOptions;

  t.throws(() => renderDot(view, notBoolean), { instanceOf: TawaziUsageError });
  t.throws(() => renderMermaid(view, misspelled), { instanceOf: TawaziUsageError });
  t.throws(() => renderDot(view, notObject), { instanceOf: TawaziUsageError });
});

test("mermaid small DAG golden", (t) => {
  const expected = [
    "flowchart TD",
    '  n0[/"pipe#gt;#gt;#gt;x<br>priority 0 (compound 2)"/]',
    '  n1("pair<br>priority 2 (compound 2)<br>sequential")',
    '  n2(["pair[0]"])',
    '  n3(["pair[1]"])',
    '  n4("add<br>tags: math, x<br>main-thread")',
    '  n5("log<br>debug")',
    '  n6("load<br>setup")',
    '  n7("add#lt;#lt;1#gt;#gt;<br>tags: t2<br>main-thread")',
    "  n0 --> n1",
    "  n1 --> n2",
    "  n1 --> n3",
    "  n2 --> n4",
    "  n3 --> n4",
    "  n4 --> n5",
    "  n4 --> n7",
    "  n6 --> n7",
    "  classDef sequential stroke-width:3px",
    "  class n1 sequential",
    "  classDef mainThread stroke:#1f4e9c",
    "  class n4,n7 mainThread",
    "  classDef setup fill:#fff2cc",
    "  class n6 setup",
    "  classDef debug stroke-dasharray:5 5",
    "  class n5 debug",
    "",
  ].join("\n");

  t.is(renderMermaid(pipeView()), expected);
});

test("mermaid without arguments keeps keys", (t) => {
  const lines = renderMermaid(pipeView(), { arguments: false }).split("\n");

  t.is(lines[1], '  n1("pair<br>priority 2 (compound 2)<br>sequential")');
  t.false(lines.some((line) => line.includes("n0")));
  t.is(lines.filter((line) => line.includes("-->")).length, pipeEdges.length - 1);
});

test("mermaid escapes hostile ids", (t) => {
  const view = hostileView();
  const lines = renderMermaid(view).split("\n");
  const nodeLines = lines.filter((line) => /^ {2}n\d+[([]/.test(line));

  t.is(nodeLines.length, view.nodes.length);
  view.nodes.forEach((node, index) => {
    const line = nodeLines[index]!;
    const match = /^ {2}n(\d+)\("(.*)"\)$/.exec(line) ?? /^ {2}n(\d+)\[\/"(.*)"\/\]$/.exec(line);
    t.truthy(match, line);
    const label = match![2]!;

    t.is(Number(match![1]), index);
    t.false(/["<>`]|#(?!\w+;)/.test(label.replace(/<br>/g, "")), `raw special character in ${label}`);
    t.is(decodeMermaid(label), node.id.replace(/\r\n|\r/g, "\n"));
  });
});

test("mermaid escapes quote as entity", (t) => {
  const lines = renderMermaid(hostileView()).split("\n");

  t.is(lines[2], '  n1("a#quot;b\\c#lt;#lt;x#gt;#gt;")');
  t.is(lines[11], '  n10("hash #35;quot; #amp; #96;tick#96;")');
});

const graphviz = spawnSync("which", ["dot"], { encoding: "utf8" });
const dotCommand = graphviz.status === 0 ? graphviz.stdout.trim() : undefined;

if (dotCommand === undefined) {
  test.skip("graphviz renders output (skipped: dot not installed)", () => {});
} else {
  test("graphviz renders output", (t) => {
    for (const view of [pipeView(), hostileView()]) {
      const json = execFileSync(dotCommand, ["-Tjson"], { input: renderDot(view), encoding: "utf8" });
      const rendered = JSON.parse(json) as { objects?: unknown[]; edges?: unknown[] };

      t.is(rendered.objects?.length, view.nodes.length);
      t.is(rendered.edges?.length, view.parents.length);
    }
  });
}
