import { readFileSync } from "node:fs";

import { parseDocument } from "yaml";

import { TawaziUsageError, describeValue } from "../errors.js";
import type { AliasIndex } from "./aliases.js";
import {
  closestMatches,
  validateBoolean,
  validateMaxConcurrency,
  validatePriority,
} from "./validate.js";

/** Settings of one node that a configuration may change. */
export interface NodeSettings {
  readonly priority?: number;
  readonly isSequential?: boolean;
}

/** A validated configuration, by dense node index. */
export interface DagConfigPatch {
  readonly nodes: ReadonlyMap<number, NodeSettings>;
  readonly maxConcurrency?: number;
}

/** The camelCase key of each setting, mapped to its snake_case spelling in Python Tawazi. */
const topLevelKeys = { nodes: "nodes", maxConcurrency: "max_concurrency" } as const;
const nodeKeys = { priority: "priority", isSequential: "is_sequential" } as const;

/**
 * Validates a configuration document `{ nodes: { <alias>: { priority, isSequential } },
 * maxConcurrency }` (Tawazi's snake_case keys accepted too) against a DAG's aliases.
 *
 * An alias that names several nodes (a tag) configures each of them. A node named by two
 * entries, an unknown key, a key given in both spellings and an invalid value are each a
 * TawaziUsageError. A key whose value is `undefined` counts as absent, as in `xn` options.
 * The result contains only the settings the document gives.
 */
export function parseDagConfig(
  document: unknown,
  aliases: AliasIndex,
  ids: readonly string[],
  where: string,
): DagConfigPatch {
  if (!isPlainObject(document)) {
    throw new TawaziUsageError(
      `${where}: a configuration must be a plain object { nodes, maxConcurrency }, ` +
        `received ${describeValue(document)}.`,
    );
  }
  rejectUnknownKeys(where, document, topLevelKeys);
  const nodesValue = readSetting(where, document, topLevelKeys, "nodes");
  const maxConcurrency = readSetting(where, document, topLevelKeys, "maxConcurrency");

  const nodes = nodesValue === undefined ? new Map() : parseNodes(nodesValue, aliases, ids, where);
  if (maxConcurrency === undefined) return { nodes };
  return { nodes, maxConcurrency: validateMaxConcurrency(where, maxConcurrency) };
}

function parseNodes(
  entries: unknown,
  aliases: AliasIndex,
  ids: readonly string[],
  where: string,
): Map<number, NodeSettings> {
  if (!isPlainObject(entries)) {
    throw new TawaziUsageError(
      `${where}: key "nodes" of a configuration must be a plain object from alias (an id or a ` +
        `tag) to settings, received ${describeValue(entries)}.`,
    );
  }

  const settingsByNode = new Map<number, NodeSettings>();
  const aliasByNode = new Map<number, string>();
  for (const alias of Object.keys(entries)) {
    const nodes = aliases.resolve(alias, where);
    const entryWhere = `${where}: node entry ${JSON.stringify(alias)}`;
    const settings = parseNodeSettings(entries[alias], entryWhere);
    for (const node of nodes) {
      const earlier = aliasByNode.get(node);
      if (earlier !== undefined) {
        throw new TawaziUsageError(
          `${where}: node ${JSON.stringify(ids[node])} is configured twice, through ` +
            `${describeAlias(earlier, aliases, ids, where)} and through ` +
            `${describeAlias(alias, aliases, ids, where)}. Configure each node in one entry only.`,
        );
      }
      aliasByNode.set(node, alias);
      settingsByNode.set(node, settings);
    }
  }

  return new Map([...settingsByNode].sort(([left], [right]) => left - right));
}

function parseNodeSettings(entry: unknown, where: string): NodeSettings {
  if (!isPlainObject(entry)) {
    throw new TawaziUsageError(
      `${where}: the settings of a node must be a plain object { priority, isSequential }, ` +
        `received ${describeValue(entry)}.`,
    );
  }
  rejectUnknownKeys(where, entry, nodeKeys);

  const settings: { priority?: number; isSequential?: boolean } = {};
  const priority = readSetting(where, entry, nodeKeys, "priority");
  if (priority !== undefined) settings.priority = validatePriority(where, priority);
  const isSequential = readSetting(where, entry, nodeKeys, "isSequential");
  if (isSequential !== undefined) {
    const spelling = entry.isSequential === undefined ? "is_sequential" : "isSequential";
    settings.isSequential = validateBoolean(where, spelling, isSequential);
  }
  // The nodes of one tag share this object, so it is frozen.
  return Object.freeze(settings);
}

/** Rejects a key that is neither spelling of a setting, naming the closest allowed key. */
function rejectUnknownKeys(
  where: string,
  object: Record<string, unknown>,
  spellings: Record<string, string>,
): void {
  const allowed = [...new Set(Object.entries(spellings).flat())];
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestMatches(key, allowed, 1)[0];
    throw new TawaziUsageError(
      `${where}: unknown configuration key ${JSON.stringify(key)}` +
        (suggestion === undefined ? "." : `; did you mean ${JSON.stringify(suggestion)}?`) +
        ` Allowed keys: ${allowed.join(", ")}.`,
    );
  }
}

/** Returns the value of setting `camel` under either spelling, rejecting both at once. */
function readSetting<K extends string>(
  where: string,
  object: Record<string, unknown>,
  spellings: Record<K, string>,
  camel: K,
): unknown {
  const snake = spellings[camel];
  const camelValue = Object.hasOwn(object, camel) ? object[camel] : undefined;
  const snakeValue = Object.hasOwn(object, snake) ? object[snake] : undefined;
  if (camel !== snake && camelValue !== undefined && snakeValue !== undefined) {
    throw new TawaziUsageError(
      `${where}: keys ${JSON.stringify(camel)} and ${JSON.stringify(snake)} are two spellings ` +
        "of the same setting; give only one of them.",
    );
  }
  // Only undefined counts as absent: `??` would drop a null camelCase value in favour of an
  // absent snake_case one, so `isSequential: null` was ignored while `priority: null` was not.
  return camelValue !== undefined ? camelValue : snakeValue;
}

/** Describes an alias as the id or the tag it is, for the message about a node configured twice. */
function describeAlias(
  alias: string,
  aliases: AliasIndex,
  ids: readonly string[],
  where: string,
): string {
  const nodes = aliases.resolve(alias, where);
  const isId = nodes.length === 1 && ids[nodes[0]!] === alias.replace(">!>", ">>>");
  return `${isId ? "its id" : "tag"} ${JSON.stringify(alias)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Reads and parses a JSON or YAML configuration file, synchronously.
 *
 * A missing file, a directory, an empty file and invalid syntax are each a TawaziUsageError
 * naming the path and, for invalid syntax, the line and column. A leading byte order mark is
 * ignored. A YAML file must hold one document, and YAML warnings (such as an unknown `!tag`)
 * are errors, since the value they produce is not what the file meant.
 */
export function readConfigDocument(path: unknown, format: "json" | "yaml", where: string): unknown {
  // readFileSync would read a number as a file descriptor (0 is standard input, so the call
  // could wait forever), and a Buffer or URL has no printable name for the messages below.
  if (typeof path !== "string" || path === "") {
    throw new TawaziUsageError(
      `${where}: the configuration file path must be a non-empty string, received ` +
        `${describeValue(path)}. Pass the path of a ${format === "json" ? "JSON" : "YAML"} file.`,
    );
  }
  const label = `${format === "json" ? "JSON" : "YAML"} configuration file ${JSON.stringify(path)}`;
  let text = readText(path, label, where);
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  if (text.trim() === "") {
    throw new TawaziUsageError(
      `${where}: ${label} is empty; it must contain a configuration object.`,
    );
  }
  return format === "json" ? parseJson(text, label, where) : parseYaml(text, label, where);
}

function readText(path: string, label: string, where: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT") {
      throw new TawaziUsageError(`${where}: ${label} not found. Check the path.`, { cause: error });
    }
    if (code === "EISDIR") {
      throw new TawaziUsageError(`${where}: ${label} is a directory, not a file.`, {
        cause: error,
      });
    }
    throw new TawaziUsageError(
      `${where}: ${label} could not be read: ${(error as Error).message}.`,
      { cause: error },
    );
  }
}

function parseJson(text: string, label: string, where: string): unknown {
  // NOTE: JSON.parse keeps the last value of a key repeated in one object, so a node alias
  // given twice in a JSON file is not reported. YAML files reject repeated keys.
  try {
    return JSON.parse(text);
  } catch (error) {
    // Node 20's JSON.parse gives no position for some errors, so the scanner below finds it.
    const offset = jsonErrorOffset(text);
    const position = offset === undefined ? "" : ` at ${lineAndColumn(text, offset)}`;
    throw new TawaziUsageError(
      `${where}: ${label} is not valid JSON${position}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function parseYaml(text: string, label: string, where: string): unknown {
  const document = parseDocument(text);
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem !== undefined) {
    throw new TawaziUsageError(
      `${where}: ${label} is not valid YAML: ${problem.message.trimEnd()}`,
      { cause: problem },
    );
  }
  if (document.contents === null) {
    throw new TawaziUsageError(
      `${where}: ${label} contains only comments; it must contain a configuration object.`,
    );
  }
  try {
    return document.toJS();
  } catch (error) {
    // toJS() throws when YAML aliases expand past the yaml package's limit (maxAliasCount).
    throw new TawaziUsageError(
      `${where}: ${label} could not be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Returns "line L, column C" (both from 1) of a character offset in `text`. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line}, column ${column}`;
}

/**
 * Returns the offset of the first character where `text` stops being valid JSON (RFC 8259),
 * `text.length` when it ends too early, or undefined when it is valid.
 */
function jsonErrorOffset(text: string): number | undefined {
  const scanner = new JsonScanner(text);
  scanner.skipSpace();
  if (!scanner.value()) return scanner.offset;
  scanner.skipSpace();
  return scanner.offset === text.length ? undefined : scanner.offset;
}

/** A JSON syntax checker whose methods return false at the first invalid character. */
class JsonScanner {
  offset = 0;

  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (" \t\n\r".includes(this.text[this.offset] ?? "x")) this.offset += 1;
  }

  value(): boolean {
    const char = this.text[this.offset];
    if (char === "{") return this.object();
    if (char === "[") return this.array();
    if (char === '"') return this.string();
    if (char === "-" || isDigit(char)) return this.number();
    for (const word of ["true", "false", "null"]) {
      if (char === word[0]) return this.literal(word);
    }
    return false;
  }

  private object(): boolean {
    this.offset += 1;
    this.skipSpace();
    if (this.text[this.offset] === "}") {
      this.offset += 1;
      return true;
    }
    for (;;) {
      if (this.text[this.offset] !== '"' || !this.string()) return false;
      this.skipSpace();
      if (this.text[this.offset] !== ":") return false;
      this.offset += 1;
      this.skipSpace();
      if (!this.value()) return false;
      this.skipSpace();
      const next = this.text[this.offset];
      this.offset += 1;
      if (next === "}") return true;
      if (next !== ",") return this.back();
      this.skipSpace();
    }
  }

  private array(): boolean {
    this.offset += 1;
    this.skipSpace();
    if (this.text[this.offset] === "]") {
      this.offset += 1;
      return true;
    }
    for (;;) {
      if (!this.value()) return false;
      this.skipSpace();
      const next = this.text[this.offset];
      this.offset += 1;
      if (next === "]") return true;
      if (next !== ",") return this.back();
      this.skipSpace();
    }
  }

  private string(): boolean {
    this.offset += 1;
    for (;;) {
      const char = this.text[this.offset];
      if (char === undefined || char < " ") return false;
      this.offset += 1;
      if (char === '"') return true;
      if (char !== "\\") continue;
      const escape = this.text[this.offset];
      if (escape !== undefined && '"\\/bfnrt'.includes(escape)) {
        this.offset += 1;
      } else if (escape === "u") {
        this.offset += 1;
        for (let digit = 0; digit < 4; digit += 1) {
          if (!/[0-9a-fA-F]/.test(this.text[this.offset] ?? "")) return false;
          this.offset += 1;
        }
      } else {
        return false;
      }
    }
  }

  private number(): boolean {
    if (this.text[this.offset] === "-") this.offset += 1;
    if (this.text[this.offset] === "0") this.offset += 1;
    else if (!this.digits()) return false;
    if (this.text[this.offset] === ".") {
      this.offset += 1;
      if (!this.digits()) return false;
    }
    if (this.text[this.offset] === "e" || this.text[this.offset] === "E") {
      this.offset += 1;
      if (this.text[this.offset] === "+" || this.text[this.offset] === "-") this.offset += 1;
      if (!this.digits()) return false;
    }
    return true;
  }

  /** Consumes one or more digits, and returns false when there is none. */
  private digits(): boolean {
    const start = this.offset;
    while (isDigit(this.text[this.offset])) this.offset += 1;
    return this.offset > start;
  }

  private literal(word: string): boolean {
    for (const expected of word) {
      if (this.text[this.offset] !== expected) return false;
      this.offset += 1;
    }
    return true;
  }

  /** Steps back onto the character just consumed, so that the offset points at it. */
  private back(): false {
    this.offset -= 1;
    return false;
  }
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= "0" && char <= "9";
}
