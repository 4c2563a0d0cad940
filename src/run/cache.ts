/** What a cache file stores. */
export interface CacheContents {
  /** The DAG's name, for messages. */
  readonly dag: string;
  /** Key of the graph's structure (ids and edges); a different DAG writes a different key. */
  readonly structure: string;
  /** The call's arguments, serialized with node:v8, so a file is only reused for equal inputs. */
  readonly inputs: Uint8Array;
  /** Results by node id. */
  readonly results: ReadonlyMap<string, unknown>;
}

/** Returns a key of a graph's structure: a hash of its ids and parent lists. */
export function structureKey(
  ids: readonly string[],
  parentOffsets: Uint32Array,
  parents: Uint32Array,
): string {
  throw new Error("not implemented");
}

/** Serializes a call's arguments with node:v8; a value that cannot be serialized is a TawaziCacheError. */
export function serializeInputs(args: readonly unknown[], where: string): Uint8Array {
  throw new Error("not implemented");
}

/**
 * Writes `contents` to `path` atomically (a temporary file in the same folder, then a rename),
 * so a failed write never leaves a half-written cache. A result that cannot be serialized is a
 * TawaziCacheError naming its node; the previous file, if any, is left untouched.
 */
export function writeCacheFile(path: string, contents: CacheContents, where: string): void {
  throw new Error("not implemented");
}

/**
 * Reads a cache file written by writeCacheFile. A missing, truncated, corrupt or foreign file
 * (wrong magic, unknown version) is a TawaziCacheError, never a wrong result.
 */
export function readCacheFile(path: string, where: string): CacheContents {
  throw new Error("not implemented");
}
