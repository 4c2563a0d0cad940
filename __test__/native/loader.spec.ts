import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import test, { type ExecutionContext } from "ava";

import { type AddonSearch, findAddon, loadAddon, platformTag } from "../../src/engine/addon.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  napi: { binaryName: string; packageName: string; nodeApiVersion: number };
};
const tag = platformTag();
const built = path.join(root, "native", `${manifest.napi.binaryName}.${tag}.node`);
const runtimeNodeApi = Number(process.versions.napi);

/** Creates a package folder holding a package.json with the given napi settings. */
function fakePackage(t: ExecutionContext, napi: object = manifest.napi): string {
  const folder = mkdtempSync(path.join(tmpdir(), "tawazi-loader-"));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  writeFileSync(path.join(folder, "package.json"), JSON.stringify({ name: "tawazi", napi }));
  return folder;
}

/** Copies the built addon to `relative` inside `folder`; returns its path. */
function placeBinary(folder: string, relative: string): string {
  const target = path.join(folder, relative);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(built, target);
  return target;
}

function search(packageRoot: string, overrides: Partial<AddonSearch> = {}): AddonSearch {
  return { packageRoot, override: undefined, nodeApiVersion: runtimeNodeApi, tag, ...overrides };
}

const prebuild = path.join("prebuilds", "linux-x64", "node.napi.glibc.node");
const platformPackage = `${manifest.napi.packageName}-${tag}`;

test("loader finds the development build", (t) => {
  t.is(loadAddon().path, built, loadAddon().reason);
});

test("loader lists every place in order", (t) => {
  const folder = fakePackage(t);
  const lookup = findAddon(search(folder));

  t.is(lookup.addon, undefined);
  t.deepEqual(lookup.tried, [
    `${path.join(folder, "native", `${manifest.napi.binaryName}.${tag}.node`)} (not found)`,
    `${platformPackage} (package not installed)`,
    `${path.join(folder, prebuild)} (not found)`,
  ]);
  t.is(lookup.reason, `no native scheduler addon could be loaded for ${tag}; tried: ${lookup.tried.join("; ")}`);
});

test("loader loads the bundled prebuild", (t) => {
  const folder = fakePackage(t);
  const binary = placeBinary(folder, prebuild);
  const lookup = findAddon(search(folder));

  t.is(lookup.path, binary);
  t.is(typeof lookup.addon?.createGraph, "function");
});

test("loader prefers the platform package", (t) => {
  const folder = fakePackage(t);
  placeBinary(folder, prebuild);
  const packageFolder = path.join(folder, "node_modules", ...platformPackage.split("/"));
  const binary = placeBinary(packageFolder, "scheduler.node");
  writeFileSync(path.join(packageFolder, "package.json"), JSON.stringify({ name: platformPackage, main: "scheduler.node" }));
  const lookup = findAddon(search(folder));

  t.is(lookup.path, binary);
});

test("loader prefers the local build", (t) => {
  const folder = fakePackage(t);
  placeBinary(folder, prebuild);
  const local = placeBinary(folder, path.join("native", `${manifest.napi.binaryName}.${tag}.node`));
  const lookup = findAddon(search(folder));

  t.is(lookup.path, local);
});

test("loader tries only the override", (t) => {
  const folder = fakePackage(t);
  placeBinary(folder, prebuild);
  const missing = path.join(folder, "elsewhere.node");
  const lookup = findAddon(search(folder, { override: missing }));

  t.is(lookup.addon, undefined);
  t.deepEqual(lookup.tried, [`${missing} (not found)`]);
});

test("loader rejects an addon for a newer Node-API", (t) => {
  const folder = fakePackage(t, { ...manifest.napi, nodeApiVersion: runtimeNodeApi + 1 });
  const binary = placeBinary(folder, prebuild);
  const lookup = findAddon(search(folder));

  t.is(lookup.addon, undefined);
  const [, , refusal] = lookup.tried;
  t.true(refusal?.startsWith(`${binary} (built for Node-API ${runtimeNodeApi + 1}, `), refusal);
  t.true(refusal?.includes(`Node.js ${process.version} provides Node-API ${runtimeNodeApi}`), refusal);
  t.true(refusal?.includes(`upgrade Node.js to a release with Node-API ${runtimeNodeApi + 1} or later`), refusal);
});

test("loader rejects an older Node.js", (t) => {
  const folder = fakePackage(t);
  placeBinary(folder, prebuild);
  const older = manifest.napi.nodeApiVersion - 1;
  const lookup = findAddon(search(folder, { nodeApiVersion: older }));

  t.is(lookup.addon, undefined);
  t.true(lookup.reason?.includes(`provides Node-API ${older}`), lookup.reason);
  t.true(lookup.reason?.includes(`built for Node-API ${manifest.napi.nodeApiVersion}`), lookup.reason);
});

test("loader reports a manifest without napi settings", (t) => {
  const folder = fakePackage(t, {});
  const lookup = findAddon(search(folder));

  t.is(lookup.addon, undefined);
  t.true(lookup.reason?.includes("napi.nodeApiVersion"), lookup.reason);
});
