import { Resource } from "../config.js";
import type { NodeInfo } from "../trace/dag.js";
import { checkKeys, checkOptionsObject, validateBoolean } from "../trace/validate.js";
import { TawaziUsageError, describeValue } from "../errors.js";

/** The data a picture of a DAG is drawn from. */
export interface GraphView {
  readonly name: string;
  /** The nodes in description order; node i is `nodes[i]`. */
  readonly nodes: readonly NodeInfo[];
  /** Node i's parents: parents[parentOffsets[i] .. parentOffsets[i + 1]). */
  readonly parentOffsets: Uint32Array;
  readonly parents: Uint32Array;
}

/** Options of `dag.toDot()` and `dag.toMermaid()`. */
export interface RenderOptions {
  /**
   * Draw the argument nodes (the DAG's inputs).
   * @default true
   */
  arguments?: boolean;
}

/** A node property drawn with its own style, in the order labels and styles list them. */
interface Marker {
  readonly name: string;
  readonly applies: (node: NodeInfo) => boolean;
  readonly dot: readonly string[];
  readonly mermaid: string;
}

const markers: readonly Marker[] = [
  {
    name: "sequential",
    applies: (node) => node.isSequential,
    dot: ["peripheries=2"],
    mermaid: "stroke-width:3px",
  },
  {
    // Argument and lookup nodes also report main-thread because they are resolved inline, so
    // only a call's resource is marked.
    name: "main-thread",
    applies: (node) => node.kind === "call" && node.resource === Resource.mainThread,
    dot: ['color="#1f4e9c"'],
    mermaid: "stroke:#1f4e9c",
  },
  {
    name: "setup",
    applies: (node) => node.setup,
    dot: ["style=filled", 'fillcolor="#fff2cc"'],
    mermaid: "fill:#fff2cc",
  },
  {
    name: "debug",
    applies: (node) => node.debug,
    dot: ["style=dashed"],
    mermaid: "stroke-dasharray:5 5",
  },
];

const dotShapes: Record<NodeInfo["kind"], readonly string[]> = {
  argument: ["shape=parallelogram"],
  call: ["shape=box", "style=rounded"],
  lookup: ["shape=ellipse"],
};

/** Mermaid's opening and closing brackets of each node shape. */
const mermaidShapes: Record<NodeInfo["kind"], readonly [string, string]> = {
  argument: ["[/", "/]"],
  call: ["(", ")"],
  lookup: ["([", "])"],
};

/**
 * Renders the DAG as a Graphviz DOT digraph. Each node is named by its quoted id and labelled
 * with its id, tags, priorities and markers. Edges go from parent to child, in description order.
 */
export function renderDot(view: GraphView, options: RenderOptions = {}): string {
  const drawn = drawnNodes(view, drawsArguments("toDot()", options));
  const lines = [`digraph ${quoteDot(view.name)} {`];

  for (const node of drawn) {
    const info = view.nodes[node]!;
    const label = labelLines(info).map(escapeDot).join("\\n");
    lines.push(`  ${quoteDot(info.id)} [${dotAttributes(info, label).join(", ")}];`);
  }
  for (const [parent, child] of edgesBetween(view, drawn)) {
    lines.push(`  ${quoteDot(view.nodes[parent]!.id)} -> ${quoteDot(view.nodes[child]!.id)};`);
  }

  lines.push("}");
  return lines.join("\n") + "\n";
}

/**
 * Renders the DAG as a Mermaid flowchart. Node i gets the key `n<i>` and a quoted label with its
 * id, tags, priorities and markers. Each marker is a class. Edges go from parent to child, in
 * description order.
 */
export function renderMermaid(view: GraphView, options: RenderOptions = {}): string {
  const drawn = drawnNodes(view, drawsArguments("toMermaid()", options));
  const lines = ["flowchart TD"];

  for (const node of drawn) {
    const info = view.nodes[node]!;
    const [open, close] = mermaidShapes[info.kind];
    const label = labelLines(info).map(escapeMermaid).join("<br>");
    lines.push(`  n${node}${open}"${label}"${close}`);
  }
  for (const [parent, child] of edgesBetween(view, drawn)) {
    lines.push(`  n${parent} --> n${child}`);
  }

  for (const marker of markers) {
    const keys = drawn.filter((node) => marker.applies(view.nodes[node]!)).map((node) => `n${node}`);
    if (keys.length === 0) continue;
    const className = mermaidClassName(marker.name);
    lines.push(`  classDef ${className} ${marker.mermaid}`);
    lines.push(`  class ${keys.join(",")} ${className}`);
  }
  return lines.join("\n") + "\n";
}

function drawsArguments(where: string, options: RenderOptions): boolean {
  checkOptionsObject(where, options);
  checkKeys(where, "option", options, ["arguments"]);
  return options.arguments === undefined ? true : validateBoolean(where, "arguments", options.arguments);
}

function drawnNodes(view: GraphView, withArguments: boolean): number[] {
  const drawn: number[] = [];
  view.nodes.forEach((info, node) => {
    if (withArguments || info.kind !== "argument") drawn.push(node);
  });
  return drawn;
}

/** Lists the edges whose both ends are drawn, child by child, each child's parents in CSR order. */
function edgesBetween(view: GraphView, drawn: readonly number[]): Array<[number, number]> {
  const isDrawn = new Uint8Array(view.nodes.length);
  for (const node of drawn) isDrawn[node] = 1;

  const edges: Array<[number, number]> = [];
  for (const child of drawn) {
    for (let edge = view.parentOffsets[child]!; edge < view.parentOffsets[child + 1]!; edge += 1) {
      const parent = view.parents[edge]!;
      if (isDrawn[parent] === 1) edges.push([parent, child]);
    }
  }
  return edges;
}

/** Lists the lines of a node's label: its id, then tags, priorities and markers where present. */
function labelLines(node: NodeInfo): string[] {
  const lines = [node.id];
  if (node.tags.length > 0) lines.push(`tags: ${node.tags.join(", ")}`);
  if (node.priority !== 0 || node.compoundPriority !== 0) {
    lines.push(`priority ${node.priority} (compound ${node.compoundPriority})`);
  }
  const names = markersOf(node).map((marker) => marker.name);
  if (names.length > 0) lines.push(names.join(", "));
  return lines;
}

function dotAttributes(node: NodeInfo, escapedLabel: string): string[] {
  const attributes = [`label="${escapedLabel}"`];
  const styles: string[] = [];
  for (const attribute of [...dotShapes[node.kind], ...markersOf(node).flatMap((marker) => marker.dot)]) {
    if (attribute.startsWith("style=")) styles.push(attribute.slice("style=".length));
    else attributes.push(attribute);
  }
  if (styles.length > 0) attributes.push(`style="${styles.join(",")}"`);
  return attributes;
}

function markersOf(node: NodeInfo): Marker[] {
  return markers.filter((marker) => marker.applies(node));
}

function mermaidClassName(markerName: string): string {
  return markerName.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
}

const dotEscapes: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r" };

/**
 * Escapes text for a DOT quoted string. In labels Graphviz reads `\\`, `\n` and `\r` back as a
 * backslash and line breaks, so an escaped `\N` or `\G` stays literal text (Graphviz docs,
 * "escString" and "The DOT Language").
 *
 * NOTE: the DOT parser itself only unescapes `\"`, so a node whose id contains a backslash gets a
 * node name with that backslash doubled. No DOT string can hold a lone backslash before a quote.
 * Labels show the id exactly, and distinct ids still get distinct node names.
 */
function escapeDot(text: string): string {
  return text.replace(/[\\"\n\r]/g, (character) => dotEscapes[character]!);
}

function quoteDot(text: string): string {
  return `"${escapeDot(text)}"`;
}

const mermaidEntities: Record<string, string> = {
  '"': "#quot;",
  "#": "#35;",
  "&": "#amp;",
  "<": "#lt;",
  ">": "#gt;",
  "`": "#96;",
};

/**
 * Escapes text for a quoted Mermaid label. Mermaid turns `#name;` and `#<decimal>;` into HTML
 * entities, so `#` itself is escaped. Line breaks become `<br>`.
 */
function escapeMermaid(text: string): string {
  return text
    .replace(/["#&<>`]/g, (character) => mermaidEntities[character]!)
    .replace(/\r\n|\r|\n/g, "<br>");
}
