// Builds the published package: dist/esm and dist/cjs (JavaScript and declarations) with the
// TypeScript compiler, and prebuilds/ from the addon that `npm run build:native` wrote to native/.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");

function compile(config) {
  execFileSync(process.execPath, [tsc, "-p", path.join(root, config)], { cwd: root, stdio: "inherit" });
}

rmSync(path.join(root, "dist"), { recursive: true, force: true });
compile("tsconfig.build.json");
compile("tsconfig.cjs.json");

// The CommonJS build compiled module-location.cjs.ts in place of module-location.ts (see that
// file); give its output the name the other modules require.
const cjsSource = path.join(root, "dist", "cjs", "src");
for (const extension of [".js", ".d.ts"]) {
  renameSync(path.join(cjsSource, `module-location.cjs${extension}`), path.join(cjsSource, `module-location${extension}`));
}
// The package is "type": "module", so .js files below dist/cjs need this to load as CommonJS.
writeFileSync(path.join(root, "dist", "cjs", "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);

// Worker threads load this plain ESM file by path in both formats.
for (const format of ["esm", "cjs"]) {
  copyFileSync(
    path.join(root, "src", "run", "worker-entry.mjs"),
    path.join(root, "dist", format, "src", "run", "worker-entry.mjs"),
  );
}

// Copy each addon binary, named `tawazi.<platform>-<arch>[-<abi>].node` by napi build, to the
// layout prebuildify writes and src/engine/addon.ts reads: prebuilds/<platform>-<arch>/node.napi[.<libc>].node.
const binaries = existsSync(path.join(root, "native"))
  ? readdirSync(path.join(root, "native")).filter((name) => /^tawazi\..+\.node$/u.test(name))
  : [];
if (binaries.length === 0) {
  console.error("scripts/build.mjs: no addon binary found in native/; run npm run build:native first.");
  process.exit(1);
}
rmSync(path.join(root, "prebuilds"), { recursive: true, force: true });
for (const binary of binaries) {
  const [platform, arch, abi] = binary.slice("tawazi.".length, -".node".length).split("-");
  const libcTags = { gnu: ".glibc", musl: ".musl" };
  const libc = libcTags[abi] ?? "";
  const folder = path.join(root, "prebuilds", `${platform}-${arch}`);
  mkdirSync(folder, { recursive: true });
  copyFileSync(path.join(root, "native", binary), path.join(folder, `node.napi${libc}.node`));
}
