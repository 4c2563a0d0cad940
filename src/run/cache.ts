/**
 * Cache files of DAG results.
 *
 * Layout (integers big-endian):
 *
 *   offset  size  field
 *        0     8  magic "TAWAZI\0C"
 *        8     4  format version (uint32)
 *       12     8  payload length in bytes (uint64)
 *       20    32  SHA-256 of the payload
 *       52     -  payload
 *
 * The payload is a sequence of length-prefixed sections: the writer (Node.js and V8 versions),
 * the DAG name, the structure key, the serialized inputs, then the result count (uint32) and
 * each result as its node id and its node:v8 serialization. A string is a uint32 byte length
 * and UTF-8 bytes, a byte section a uint64 length and the bytes. The file must be exactly
 * header plus payload long and the payload must match its hash, so a truncated, extended or
 * altered file is rejected before any value is deserialized.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import v8 from "node:v8";

import { TawaziCacheError, describeValue } from "../errors.js";

/** Contents of a cache file. */
export interface CacheContents {
  /** The DAG's name, for messages. */
  readonly dag: string;
  /**
   * Key of the DAG: its structure and whatever else the caller hashes in. A different DAG writes
   * a different key.
   */
  readonly structure: string;
  /** The call's arguments, serialized with node:v8, so a file is only reused for equal inputs. */
  readonly inputs: Uint8Array;
  /** Results by node id. */
  readonly results: ReadonlyMap<string, unknown>;
}

const magic = Buffer.from("TAWAZI\0C", "latin1");
const formatVersion = 1;
const hashLength = 32;
const headerLength = magic.length + 4 + 8 + hashLength;

/** Returns a key of a graph's structure: a hash of its ids and parent lists. */
export function structureKey(
  ids: readonly string[],
  parentOffsets: Uint32Array,
  parents: Uint32Array,
): string {
  // Every id is length-prefixed and every parent list count-prefixed, so two different
  // graphs never feed the hash the same bytes.
  const hash = createHash("sha256");
  hash.update(uint32(ids.length));
  for (let node = 0; node < ids.length; node += 1) {
    const id = Buffer.from(ids[node]!, "utf8");
    hash.update(uint32(id.length));
    hash.update(id);
    const first = parentOffsets[node]!;
    const end = parentOffsets[node + 1]!;
    hash.update(uint32(end - first));
    for (let edge = first; edge < end; edge += 1) hash.update(uint32(parents[edge]!));
  }
  return hash.digest("hex");
}

/**
 * Serializes a call's arguments with node:v8; a value that cannot be serialized is a TawaziCacheError.
 *
 * NOTE: equal arguments give equal bytes only when built alike: the order of object keys and of
 * Map and Set entries is part of the bytes, and so is -0 against 0. Such inputs fail to match a
 * cache file, which is a TawaziCacheError on load, and never load another call's results.
 */
export function serializeInputs(args: readonly unknown[], where: string): Uint8Array {
  for (let position = 0; position < args.length; position += 1) {
    const problem = findUncacheable(args[position]);
    if (problem !== undefined) {
      throw new TawaziCacheError(
        `${where}: the argument at index ${position} cannot be part of a cache key: ` +
          `${explain(problem, "argument")}. ${cacheableHint}`,
      );
    }
  }
  try {
    return v8.serialize(args);
  } catch (error) {
    const position = args.findIndex((arg) => !canSerialize(arg));
    const subject = position === -1 ? "the arguments" : `the argument at index ${position}`;
    const received = position === -1 ? "" : `, received ${describeValue(args[position])}`;
    throw new TawaziCacheError(
      `${where}: ${subject} cannot be serialized with node:v8 (${messageOf(error)})${received}. ` +
        cacheableHint,
      { cause: error },
    );
  }
}

/**
 * Writes `contents` to `path` atomically (a temporary file in the same folder, then a rename),
 * so a failed write never leaves a half-written cache. A result that cannot be serialized is a
 * TawaziCacheError naming its node; the previous file, if any, is left untouched.
 */
export function writeCacheFile(path: string, contents: CacheContents, where: string): void {
  const file = encodeFile(contents, where);

  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let descriptor: number;
  try {
    descriptor = openSync(temporary, "wx");
  } catch (error) {
    throw new TawaziCacheError(`${where}: cannot write cache file ${path}: ${openFailure(error, folder)}.`, {
      cause: error,
    });
  }

  try {
    try {
      let written = 0;
      while (written < file.length) written += writeSync(descriptor, file, written);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const reason = (error as NodeJS.ErrnoException).code === "EISDIR" ? "it is a folder" : messageOf(error);
    throw new TawaziCacheError(`${where}: cannot write cache file ${path}: ${reason}.`, {
      cause: error,
    });
  }
  syncFolder(folder);
}

/**
 * Reads a cache file written by writeCacheFile. A missing, truncated, corrupt or foreign file
 * (wrong magic, unknown version) is a TawaziCacheError, never a wrong result.
 */
export function readCacheFile(path: string, where: string): CacheContents {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (error) {
    throw new TawaziCacheError(`${where}: cannot read cache file ${path}: ${readFailure(error)}.`, {
      cause: error,
    });
  }
  const invalid = (reason: string): TawaziCacheError =>
    new TawaziCacheError(
      `${where}: ${path} is not a valid tawazi cache file: ${reason}. ` +
        "Delete it and write a new one with cacheIn.",
    );

  const payload = checkHeader(file, invalid);
  const reader = new PayloadReader(payload, invalid);
  const writer = reader.string("the writer");
  const dag = reader.string("the DAG name");
  const structure = reader.string("the structure key");
  const inputs = reader.bytes("the inputs");
  const count = reader.uint32("the result count");
  const results = new Map<string, unknown>();
  for (let entry = 0; entry < count; entry += 1) {
    const id = reader.string("a node id");
    if (results.has(id)) throw invalid(`node "${id}" has two results`);
    const bytes = reader.bytes(`the result of node "${id}"`);
    results.set(id, deserializeResult(bytes, id, path, writer, where));
  }
  if (!reader.atEnd()) throw invalid("bytes follow the last result");

  return { dag, structure, inputs: new Uint8Array(inputs), results };
}

/** Advice appended to every "cannot be cached" message. */
const cacheableHint =
  "A cache file holds only values that node:v8 restores exactly: primitives other than symbols, " +
  "plain objects, arrays, Map, Set, Date, RegExp, ArrayBuffer, typed arrays, DataView, Buffer " +
  "and built-in errors.";

function encodeFile(contents: CacheContents, where: string): Buffer {
  const sections: Buffer[] = [
    stringSection(`node ${process.version}, v8 ${process.versions.v8}`),
    stringSection(contents.dag),
    stringSection(contents.structure),
    ...bytesSection(contents.inputs),
    uint32(contents.results.size),
  ];
  for (const [id, value] of contents.results) {
    sections.push(stringSection(id), ...bytesSection(serializeResult(id, value, where)));
  }
  const payload = Buffer.concat(sections);

  const header = Buffer.alloc(headerLength);
  magic.copy(header, 0);
  header.writeUInt32BE(formatVersion, magic.length);
  header.writeBigUInt64BE(BigInt(payload.length), magic.length + 4);
  createHash("sha256").update(payload).digest().copy(header, magic.length + 12);
  return Buffer.concat([header, payload]);
}

function serializeResult(id: string, value: unknown, where: string): Buffer {
  const problem = findUncacheable(value);
  if (problem !== undefined) {
    throw new TawaziCacheError(
      `${where}: the result of node "${id}" cannot be cached: ${explain(problem, "result")}. ` +
        `Return plain data from that node. ${cacheableHint}`,
    );
  }
  try {
    return v8.serialize(value);
  } catch (error) {
    throw new TawaziCacheError(
      `${where}: the result of node "${id}" cannot be serialized with node:v8 ` +
        `(${messageOf(error)}), received ${describeValue(value)}. ${cacheableHint}`,
      { cause: error },
    );
  }
}

/** Returns the payload of a file whose header, length and hash are valid. */
function checkHeader(file: Buffer, invalid: (reason: string) => TawaziCacheError): Buffer {
  if (file.length === 0) throw invalid("the file is empty");
  const magicPart = file.subarray(0, magic.length);
  if (!magic.subarray(0, magicPart.length).equals(magicPart)) {
    throw invalid("it does not start with the tawazi cache signature (it is some other kind of file)");
  }
  if (file.length < headerLength) {
    throw invalid(
      `the file is truncated: ${file.length} bytes, shorter than the ${headerLength}-byte header`,
    );
  }

  const version = file.readUInt32BE(magic.length);
  if (version !== formatVersion) {
    throw invalid(
      `it has format version ${version}, and this version of tawazi reads only version ${formatVersion}`,
    );
  }
  const declared = file.readBigUInt64BE(magic.length + 4);
  const actual = BigInt(file.length - headerLength);
  if (declared !== actual) {
    const state = actual < declared ? "truncated" : "longer than written";
    throw invalid(
      `the file is ${state}: the header announces ${declared} payload bytes, the file has ${actual}`,
    );
  }

  const payload = file.subarray(headerLength);
  const expected = file.subarray(magic.length + 12, headerLength);
  if (!createHash("sha256").update(payload).digest().equals(expected)) {
    throw invalid("its content does not match its SHA-256 checksum (the file is corrupt)");
  }
  return payload;
}

/** Reads the sections of a payload, rejecting any length that runs past its end. */
class PayloadReader {
  private offset = 0;

  constructor(
    private readonly payload: Buffer,
    private readonly invalid: (reason: string) => TawaziCacheError,
  ) {}

  uint32(section: string): number {
    this.need(4, section);
    const value = this.payload.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(section: string): string {
    const length = this.uint32(section);
    return this.take(length, section).toString("utf8");
  }

  bytes(section: string): Buffer {
    this.need(8, section);
    const length = this.payload.readBigUInt64BE(this.offset);
    this.offset += 8;
    if (length > BigInt(this.payload.length - this.offset)) throw this.overrun(section);
    return this.take(Number(length), section);
  }

  atEnd(): boolean {
    return this.offset === this.payload.length;
  }

  private take(length: number, section: string): Buffer {
    this.need(length, section);
    const slice = this.payload.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  private need(length: number, section: string): void {
    if (this.offset + length > this.payload.length) throw this.overrun(section);
  }

  private overrun(section: string): TawaziCacheError {
    return this.invalid(`${section} runs past the end of the file`);
  }
}

function deserializeResult(bytes: Buffer, id: string, path: string, writer: string, where: string): unknown {
  const deserializer = new FreshViewDeserializer(bytes);
  try {
    deserializer.readHeader();
    return deserializer.readValue();
  } catch (error) {
    throw new TawaziCacheError(
      `${where}: the result of node "${id}" in ${path} cannot be deserialized (${messageOf(error)}). ` +
        `It was written by ${writer}, and this is node ${process.version}. ` +
        "Write a new cache with cacheIn on this version.",
      { cause: error },
    );
  }
}

type HostObjectReader = { _readHostObject(this: v8.Deserializer): unknown };
const defaultReadHostObject = (v8.DefaultDeserializer.prototype as unknown as HostObjectReader)
  ._readHostObject;

/**
 * node:v8's default deserializer, except that each typed array, Buffer and DataView gets its own
 * ArrayBuffer of exactly its length. The default one (Node.js 20) returns views into the input
 * bytes, or, when those are misaligned, into a Buffer.allocUnsafe copy, which small sizes take
 * from Node's shared Buffer pool.
 */
class FreshViewDeserializer extends v8.DefaultDeserializer {
  _readHostObject(): unknown {
    const view = defaultReadHostObject.call(this);
    if (!ArrayBuffer.isView(view)) return view;

    const copy = new ArrayBuffer(view.byteLength);
    new Uint8Array(copy).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    if (Buffer.isBuffer(view)) return Buffer.from(copy);
    if (view instanceof DataView) return new DataView(copy);
    const TypedArray = view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView;
    return new TypedArray(copy);
  }
}

/** A value that node:v8 cannot store, or could store only by losing part of it. */
interface Uncacheable {
  readonly value: unknown;
  /** The path from the top-level value, as in `.model.layers[2]`. */
  readonly path: string;
  readonly reason: string;
}

/** A value to check, with how it was reached, so a path is built only for a rejected value. */
interface Visit {
  readonly value: unknown;
  readonly parent: Visit | undefined;
  readonly via: "root" | "index" | "property" | "mapKey" | "mapValue" | "setEntry" | "cause";
  /** The array index, property name, Map key, or position in a Map or Set. */
  readonly key: unknown;
}

/** Prototypes whose instances node:v8 deserializes as instances of the same class. */
const builtinPrototypes = new Set<object | null>([
  null,
  Object.prototype,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Buffer.prototype,
  Int8Array.prototype,
  Uint8Array.prototype,
  Uint8ClampedArray.prototype,
  Int16Array.prototype,
  Uint16Array.prototype,
  Int32Array.prototype,
  Uint32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
  Number.prototype,
  String.prototype,
  Boolean.prototype,
  BigInt.prototype,
]);

const errorPrototypes = new Set<object | null>([
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
]);

/** Own properties of an error that node:v8 keeps. */
const errorKeys = new Set(["message", "stack", "cause"]);

/**
 * Finds the first part of `value` that node:v8 rejects or would change. It rejects functions and
 * symbols. It would restore a class instance as a plain object, and it drops symbol-keyed
 * properties and an error's properties other than message, stack and cause. Returns undefined
 * when the whole value round-trips.
 *
 * NOTE: non-enumerable properties of plain objects and arrays are not checked; node:v8 drops them.
 */
function findUncacheable(value: unknown): Uncacheable | undefined {
  const seen = new Set<object>();
  const stack: Visit[] = [{ value, parent: undefined, via: "root", key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    let reason: string | undefined;
    try {
      reason = checkOne(visit, seen, stack);
    } catch (error) {
      // A throwing getter or a revoked proxy: node:v8 would fail on it too.
      reason = `a value whose properties cannot be read (${messageOf(error)})`;
    }
    if (reason !== undefined) return { value: visit.value, path: pathOf(visit), reason };
  }
  return undefined;
}

const symbolKeysReason = "an object with symbol-keyed properties, which node:v8 drops";

/**
 * Checks one value and pushes its children. Returns why the value cannot be cached, or undefined.
 * Children that are primitives other than symbols are not pushed, so an array of numbers costs
 * one loop and no allocation.
 */
function checkOne(visit: Visit, seen: Set<object>, stack: Visit[]): string | undefined {
  const value = visit.value;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value !== "object" || value === null) return undefined;
  if (seen.has(value)) return undefined;
  seen.add(value);

  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === Object.prototype || prototype === null) {
    if (Object.getOwnPropertySymbols(value).length > 0) return symbolKeysReason;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (needsCheck(item)) stack.push({ value: item, parent: visit, via: "property", key });
    }
    return undefined;
  }
  if (prototype === Array.prototype) {
    // NOTE: named (non-index) properties of arrays are not checked, because listing them costs
    // one string per element. node:v8 still rejects a function or symbol among them.
    if (Object.getOwnPropertySymbols(value).length > 0) return symbolKeysReason;
    const array = value as unknown[];
    for (let index = 0; index < array.length; index += 1) {
      const item = array[index];
      if (needsCheck(item)) stack.push({ value: item, parent: visit, via: "index", key: index });
    }
    return undefined;
  }
  if (errorPrototypes.has(prototype)) {
    const extra = Object.getOwnPropertyNames(value).find((key) => !errorKeys.has(key));
    if (extra !== undefined) return `an error with property "${extra}", which node:v8 drops`;
    if (Object.hasOwn(value, "cause")) {
      const cause = (value as { cause: unknown }).cause;
      stack.push({ value: cause, parent: visit, via: "cause", key: undefined });
    }
    return undefined;
  }
  if (!builtinPrototypes.has(prototype)) {
    return "an instance of a class, which node:v8 would restore as a plain object";
  }

  if (value instanceof Map) {
    if (Object.getOwnPropertySymbols(value).length > 0) return symbolKeysReason;
    let position = 0;
    for (const [key, entry] of value) {
      if (needsCheck(key)) stack.push({ value: key, parent: visit, via: "mapKey", key: position });
      if (needsCheck(entry)) stack.push({ value: entry, parent: visit, via: "mapValue", key });
      position += 1;
    }
    return undefined;
  }
  if (value instanceof Set) {
    if (Object.getOwnPropertySymbols(value).length > 0) return symbolKeysReason;
    let position = 0;
    for (const entry of value) {
      if (needsCheck(entry)) stack.push({ value: entry, parent: visit, via: "setEntry", key: position });
      position += 1;
    }
    return undefined;
  }
  // Date, RegExp, ArrayBuffer, typed arrays, DataView, Buffer and boxed primitives hold no
  // other values.
  return undefined;
}

/** Returns false for the primitives node:v8 stores exactly: all but symbols. */
function needsCheck(value: unknown): boolean {
  const type = typeof value;
  return (type === "object" && value !== null) || type === "function" || type === "symbol";
}

function shortKey(key: unknown): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "number" || typeof key === "boolean" || typeof key === "bigint") return String(key);
  return "…";
}

function pathOf(visit: Visit): string {
  const steps: string[] = [];
  for (let current: Visit | undefined = visit; current !== undefined; current = current.parent) {
    steps.push(stepOf(current));
  }
  return steps.reverse().join("");
}

function stepOf(visit: Visit): string {
  switch (visit.via) {
    case "root":
      return "";
    case "index":
      return `[${String(visit.key)}]`;
    case "property":
      return `.${String(visit.key)}`;
    case "mapKey":
      return `.keys()[${String(visit.key)}]`;
    case "mapValue":
      return `.get(${shortKey(visit.key)})`;
    case "setEntry":
      return `.values()[${String(visit.key)}]`;
    case "cause":
      return ".cause";
  }
}

/** Describes which part of a value cannot be cached and why, as in `the value at result.k[1] is a ...`. */
function explain(problem: Uncacheable, top: string): string {
  const subject = problem.path === "" ? "it" : `the value at ${top}${problem.path}`;
  let received: string;
  try {
    received = describeValue(problem.value);
  } catch {
    received = "a value that cannot be inspected";
  }
  return `${subject} is ${problem.reason}, received ${received}`;
}

function canSerialize(value: unknown): boolean {
  try {
    v8.serialize(value);
    return true;
  } catch {
    return false;
  }
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function stringSection(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function bytesSection(bytes: Uint8Array): Buffer[] {
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(bytes.byteLength));
  return [length, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
}

function openFailure(error: unknown, folder: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `folder ${folder} does not exist; create it first`;
  if (code === "ENOTDIR") return `${folder} is not a folder`;
  return messageOf(error);
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "file not found; write one first with pipeline.executor({ cacheIn })";
  if (code === "EISDIR") return "it is a folder, not a file";
  return messageOf(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Makes the rename durable, where the platform lets a folder be opened and synced (not Windows). */
function syncFolder(folder: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(folder, "r");
    fsyncSync(descriptor);
  } catch {
    // The rename is done; only its durability across a power loss is not guaranteed here.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
