import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { debuglog } from "node:util";

const log = debuglog("tawazi");

/** The functions the native addon exports (crates/scheduler/src/napi/mod.rs). */
export interface NativeAddon {
  createGraph(
    parentOffsets: Uint32Array,
    parents: Uint32Array,
    flags: Uint8Array,
    priority: Float64Array,
  ): object;
  compoundPriorities(graph: object, out: Float64Array): void;
  topologicalOrder(graph: object, out: Uint32Array): void;
  createRun(graph: object, mask: Uint8Array | null, maxConcurrency: number, behavior: number): object;
  /** Starts a new run in the handle of a finished one, with the arguments of `createRun`. */
  resetRun(run: object, graph: object, mask: Uint8Array | null, maxConcurrency: number, behavior: number): void;
  take(run: object, out: Uint32Array): number;
  finish(run: object, node: number, outcome: number): boolean;
  isFinished(run: object): boolean;
  copyStates(run: object, out: Uint8Array): void;
  /**
   * Starts a scheduler thread calling `onBatch(batch)` on the JavaScript thread for every batch,
   * until the run is finished or abandoned.
   */
  driveOnThread(run: object, onBatch: (batch: Uint32Array) => void): void;
  abandon(run: object): void;
  /** Applies `count` completions (node, outcome pairs), then takes the next batch into `out`. */
  finishAndTake(run: object, completions: Uint32Array, count: number, out: Uint32Array): number;
  /** Applies `count` completions (node, outcome pairs); returns whether the run is finished. */
  finishMany(run: object, completions: Uint32Array, count: number): boolean;
  /** Panics inside the addon on purpose; tests check it surfaces as ERR_TAWAZI_NATIVE_PANIC. */
  panicForTesting(): never;
}

/** The outcome of looking for the addon: the loaded addon and its path, or why none loaded. */
export interface AddonLookup {
  readonly addon?: NativeAddon;
  readonly path?: string;
  readonly reason?: string;
  /** Every path tried, in order, with why each failed. */
  readonly tried: readonly string[];
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Returns the platform part of the binary's name, as `napi build --platform` writes it. */
export function platformTag(): string {
  const { platform, arch } = process;
  if (platform === "linux") {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return `linux-${arch}-${report?.header?.glibcVersionRuntime === undefined ? "musl" : "gnu"}`;
  }
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

let lookup: AddonLookup | undefined;

/**
 * Loads the addon once: the file named by the environment variable TAWAZI_NATIVE_ADDON when it
 * is set (and only that file), else a local build in native/, which `npm run build:native`
 * writes.
 */
export function loadAddon(): AddonLookup {
  if (lookup !== undefined) return lookup;
  const tag = platformTag();
  const override = process.env["TAWAZI_NATIVE_ADDON"];
  const candidates =
    override !== undefined && override !== ""
      ? [path.resolve(override)]
      : [path.join(packageRoot, "native", `tawazi.${tag}.node`)];
  // NOTE: the platform package and the prebuilt binary shipped in the package are not tried
  // yet; only a local build is looked for.
  const tried: string[] = [];
  const require = createRequire(import.meta.url);

  for (const candidate of candidates) {
    if (!existsSync(candidate)) {
      tried.push(`${candidate} (not found)`);
      continue;
    }
    try {
      const addon = require(candidate) as NativeAddon;
      log("native scheduler loaded from %s", candidate);
      lookup = { addon, path: candidate, tried };
      return lookup;
    } catch (error) {
      tried.push(`${candidate} (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  const reason = `no native scheduler addon could be loaded for ${tag}; tried: ${tried.join("; ")}`;
  log("%s", reason);
  lookup = { reason, tried };
  return lookup;
}
