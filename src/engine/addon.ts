import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { debuglog } from "node:util";

import { sourceDirectory } from "../module-location.js";

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

/** The places to search for the addon and the Node-API version of the runtime; tests pass their own. */
export interface AddonSearch {
  /** The folder of tawazi's package.json: the repository root, or node_modules/tawazi. */
  readonly packageRoot: string;
  /** The file named by TAWAZI_NATIVE_ADDON; when set, it is the only candidate. */
  readonly override?: string | undefined;
  /** The Node-API version of the running Node.js (`process.versions.napi`). */
  readonly nodeApiVersion: number;
  /** The platform part of binary names, as returned by platformTag(). */
  readonly tag: string;
}

/** The part of tawazi's package.json that describes the addon. */
interface AddonManifest {
  /** Name of the binaries in native/ (`<binaryName>.<tag>.node`). */
  readonly binaryName: string;
  /** Prefix of the per-platform packages (`<packageName>-<tag>`). */
  readonly packageName: string;
  /** The Node-API version the binaries are built for; older runtimes lack functions they call. */
  readonly nodeApiVersion: number;
}

/** Returns the platform part of the binary's name, as `napi build --platform` writes it. */
export function platformTag(): string {
  const { platform, arch } = process;
  if (platform === "linux") return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined;
}

/** Finds the folder of the nearest package.json named tawazi above this module. */
function findPackageRoot(): string {
  let folder = sourceDirectory;
  for (;;) {
    const manifest = path.join(folder, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "tawazi") {
      return folder;
    }
    const parent = path.dirname(folder);
    if (parent === folder) return path.resolve(sourceDirectory, "..");
    folder = parent;
  }
}

function readManifest(packageRoot: string): AddonManifest {
  const manifestPath = path.join(packageRoot, "package.json");
  const napi = (JSON.parse(readFileSync(manifestPath, "utf8")) as { napi?: Partial<AddonManifest> }).napi ?? {};
  const { binaryName, packageName, nodeApiVersion } = napi;
  if (typeof binaryName !== "string" || typeof packageName !== "string" || !Number.isInteger(nodeApiVersion)) {
    throw new Error(`${manifestPath} is missing napi.binaryName, napi.packageName or an integer napi.nodeApiVersion`);
  }
  return { binaryName, packageName, nodeApiVersion: nodeApiVersion! };
}

/** Returns the search of the running process: this package, TAWAZI_NATIVE_ADDON, this Node.js. */
export function defaultSearch(): AddonSearch {
  return {
    packageRoot: findPackageRoot(),
    override: process.env["TAWAZI_NATIVE_ADDON"],
    nodeApiVersion: Number(process.versions.napi),
    tag: platformTag(),
  };
}

/** A place the addon may be: a file path, or why there is none to try. */
type Candidate = { readonly file: string } | { readonly missing: string };

/** Returns the bundled prebuild's path in the layout of prebuildify (`prebuilds/<platform>-<arch>/`). */
function prebuildPath(packageRoot: string, tag: string): string {
  const [platform, arch] = tag.split("-");
  let libc = "";
  if (platform === "linux") libc = tag.endsWith("-musl") ? ".musl" : ".glibc";
  return path.join(packageRoot, "prebuilds", `${platform}-${arch}`, `node.napi${libc}.node`);
}

/** Resolves the per-platform package from tawazi's own folder; it is an optional dependency. */
function platformPackage(packageRoot: string, packageName: string): Candidate {
  const require = createRequire(path.join(packageRoot, "package.json"));
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${packageName}/package.json`);
  } catch {
    return { missing: `${packageName} (package not installed)` };
  }
  const { main } = JSON.parse(readFileSync(manifestPath, "utf8")) as { main?: unknown };
  if (typeof main !== "string") return { missing: `${manifestPath} (no main field naming the binary)` };
  return { file: path.join(path.dirname(manifestPath), main) };
}

/**
 * Lists the places to try, in order. When TAWAZI_NATIVE_ADDON is set, it is the only one.
 * Otherwise they are a local build in native/ (written by `npm run build:native`), the
 * per-platform package, then the prebuild bundled in the package.
 */
function candidates(search: AddonSearch, manifest: AddonManifest): Candidate[] {
  if (search.override !== undefined && search.override !== "") return [{ file: path.resolve(search.override) }];
  return [
    { file: path.join(search.packageRoot, "native", `${manifest.binaryName}.${search.tag}.node`) },
    platformPackage(search.packageRoot, `${manifest.packageName}-${search.tag}`),
    { file: prebuildPath(search.packageRoot, search.tag) },
  ];
}

/**
 * Returns why the running Node.js cannot load a binary built for `required`, or undefined when
 * it can. Checked before loading, because a missing Node-API function is only found when called.
 */
function nodeApiMismatch(required: number, provided: number): string | undefined {
  if (provided >= required) return undefined;
  return (
    `built for Node-API ${required}, but Node.js ${process.version} provides Node-API ${provided}; ` +
    `upgrade Node.js to a release with Node-API ${required} or later, or use engine "ts"`
  );
}

/** Looks for the addon in `search` and loads the first candidate that works, without caching. */
export function findAddon(search: AddonSearch): AddonLookup {
  const tried: string[] = [];
  let manifest: AddonManifest;
  try {
    manifest = readManifest(search.packageRoot);
  } catch (error) {
    const reason = `no native scheduler addon could be loaded: ${error instanceof Error ? error.message : String(error)}`;
    return { reason, tried };
  }
  const require = createRequire(path.join(search.packageRoot, "package.json"));

  for (const candidate of candidates(search, manifest)) {
    if ("missing" in candidate) {
      tried.push(candidate.missing);
      continue;
    }
    const file = candidate.file;
    if (!existsSync(file)) {
      tried.push(`${file} (not found)`);
      continue;
    }
    const mismatch = nodeApiMismatch(manifest.nodeApiVersion, search.nodeApiVersion);
    if (mismatch !== undefined) {
      tried.push(`${file} (${mismatch})`);
      continue;
    }
    try {
      const addon = require(file) as NativeAddon;
      log("native scheduler loaded from %s", file);
      return { addon, path: file, tried };
    } catch (error) {
      tried.push(`${file} (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  const reason = `no native scheduler addon could be loaded for ${search.tag}; tried: ${tried.join("; ")}`;
  log("%s", reason);
  return { reason, tried };
}

let lookup: AddonLookup | undefined;

/** Loads the addon once for this process (see findAddon for the order of places). */
export function loadAddon(): AddonLookup {
  lookup ??= findAddon(defaultSearch());
  return lookup;
}
