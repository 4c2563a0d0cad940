import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import test from "ava";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const folder = mkdtempSync(path.join(tmpdir(), "tawazi-package-"));
const project = path.join(folder, "project");
const installed = path.join(project, "node_modules", "tawazi");

/** PATH without the folders that hold cargo, so nothing can build the addon during the tests. */
const pathWithoutCargo = (process.env["PATH"] ?? "")
  .split(path.delimiter)
  .filter((entry) => entry !== "" && !existsSync(path.join(entry, "cargo")))
  .join(path.delimiter);
const environment: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutCargo, CI: "true" };
delete environment["TAWAZI_NATIVE_ADDON"];
delete environment["TAWAZI_ENGINE"];

/** The DAG every consumer script runs: two branches joined, with a worker-free exact result. */
const pipelineSource = `
const incr = xn(function incr(x) { return x + 1; });
const double = xn(function double(x) { return 2 * x; });
const join = xn(function join(a, b) { return [a, b]; });
const pipeline = dag(function pipeline(x) { return join(incr(x), double(x)); });
`;

/** The part of `npm pack --json` output the tests read. */
interface Tarball {
  readonly filename: string;
  readonly size: number;
  readonly files: readonly { readonly path: string }[];
}

let tarball: Tarball;

/**
 * Packs the repository (npm runs the prepack build) and installs the tarball into an empty
 * project. The same install names the repository's node_modules/yaml and node_modules/piscina
 * folders, which satisfy the package's dependencies, so `--offline` with an empty npm cache
 * needs no registry.
 */
test.before(async () => {
  const packed = await run("npm", ["pack", "--json", "--pack-destination", folder], {
    cwd: root,
    env: environment,
    maxBuffer: 16 * 1024 * 1024,
  });
  [tarball] = JSON.parse(packed.stdout) as [Tarball];
  const filename = tarball.filename;

  mkdirSync(project);
  writeFileSync(
    path.join(project, "package.json"),
    `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true })}\n`,
  );
  const dependencies = ["yaml", "piscina"].map((name) => path.join(root, "node_modules", name));
  await run(
    "npm",
    [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      ...dependencies,
      path.join(folder, filename),
    ],
    { cwd: project, env: { ...environment, npm_config_cache: path.join(folder, "npm-cache") } },
  );
});

test.after.always(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** Runs a script file written into `cwd` with the test environment; returns its parsed JSON output. */
async function runScript(cwd: string, name: string, source: string): Promise<unknown> {
  writeFileSync(path.join(cwd, name), source);
  const { stdout } = await run(process.execPath, [name], { cwd, env: environment, timeout: 30_000 });
  return JSON.parse(stdout);
}

test.serial("package tarball holds only shipped files", (t) => {
  const paths = tarball.files.map((file) => file.path);
  const unexpected = paths.filter(
    (file) => !(file.startsWith("dist/") || file.startsWith("prebuilds/") || ["README.md", "package.json"].includes(file)),
  );

  t.deepEqual(unexpected, []);
  t.true(paths.includes("prebuilds/linux-x64/node.napi.glibc.node"));
  t.true(paths.includes("dist/esm/src/run/worker-entry.mjs"));
  t.true(paths.includes("dist/cjs/src/run/worker-entry.mjs"));
  t.false(paths.some((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")));
  // A generous bound: the tarball is about 350 kB, most of it the addon binary.
  t.true(tarball.size < 1_000_000, `${tarball.size} bytes`);
});

test.serial("package import loads the prebuild", async (t) => {
  const outcome = await runScript(
    project,
    "esm.mjs",
    `import { dag, engineInfo, xn } from "tawazi";
${pipelineSource}
console.log(JSON.stringify({ info: engineInfo(), result: await pipeline(5) }));
`,
  );

  t.deepEqual(outcome, {
    info: { engine: "native", path: path.join(installed, "prebuilds", "linux-x64", "node.napi.glibc.node") },
    result: [6, 10],
  });
});

test.serial("package require loads the prebuild", async (t) => {
  const outcome = await runScript(
    project,
    "cjs.cjs",
    `const { dag, engineInfo, xn } = require("tawazi");
${pipelineSource}
pipeline(5).then((result) => console.log(JSON.stringify({ info: engineInfo(), result, sync: pipeline.runSync(7) })));
`,
  );

  t.deepEqual(outcome, {
    info: { engine: "native", path: path.join(installed, "prebuilds", "linux-x64", "node.napi.glibc.node") },
    result: [6, 10],
    sync: [8, 14],
  });
});

test.serial("package require uses the CommonJS build", async (t) => {
  const outcome = await runScript(
    project,
    "resolve.cjs",
    `console.log(JSON.stringify({ required: require.resolve("tawazi") }));`,
  );

  t.deepEqual(outcome, { required: path.join(installed, "dist", "cjs", "index.js") });
});

for (const [format, file, importLine] of [
  ["ESM", "workers.mjs", 'import { close, dag, xn } from "tawazi";\nimport { pathToFileURL } from "node:url";'],
  ["CommonJS", "workers.cjs", 'const { close, dag, xn } = require("tawazi");\nconst { pathToFileURL } = require("node:url");'],
] as const) {
  test.serial(`package worker nodes run [${format}]`, async (t) => {
    writeFileSync(path.join(project, "square.mjs"), "export function square(x) { return x * x; }\n");
    const outcome = await runScript(
      project,
      file,
      `${importLine}
const square = xn.worker(pathToFileURL(${JSON.stringify(path.join(project, "square.mjs"))}), "square");
const sum = xn(function sum(values) { return values.reduce((total, value) => total + value, 0); });
const squares = dag(function squares(a, b) { return sum([square(a), square(b)]); });
squares(3, 4).then(async (result) => {
  await close();
  console.log(JSON.stringify({ result }));
});
`,
    );

    t.deepEqual(outcome, { result: 25 });
  });
}

test.serial("package without prebuild falls back to ts", async (t) => {
  const bare = path.join(folder, "bare");
  cpSync(project, bare, { recursive: true });
  const prebuilds = path.join(bare, "node_modules", "tawazi", "prebuilds");
  rmSync(prebuilds, { recursive: true });

  const outcome = (await runScript(
    bare,
    "fallback.mjs",
    `import { dag, engineInfo, xn } from "tawazi";
${pipelineSource}
let nativeError;
try { dag(function strict() {}, { engine: "native" }); } catch (error) { nativeError = error.code; }
console.log(JSON.stringify({ info: engineInfo(), result: await pipeline(5), nativeError }));
`,
  )) as { info: { engine: string; path?: string; reason: string }; result: number[]; nativeError: string };

  t.is(outcome.info.engine, "ts");
  t.is(outcome.info.path, undefined);
  t.true(outcome.info.reason.includes("@tawazi/scheduler-linux-x64-gnu (package not installed)"), outcome.info.reason);
  t.true(
    outcome.info.reason.includes(`${path.join(prebuilds, "linux-x64", "node.napi.glibc.node")} (not found)`),
    outcome.info.reason,
  );
  t.deepEqual(outcome.result, [6, 10]);
  t.is(outcome.nativeError, "ERR_TAWAZI_USAGE");
});

/**
 * A consumer module that compiles only when the package's types resolve: the `@ts-expect-error`
 * line is itself an error when the types are missing and everything is `any`.
 */
const consumerSource = `import { type DagOptions, TawaziUsageError, dag, engineInfo, xn } from "tawazi";

const incr = xn(function incr(x: number) {
  return x + 1;
});
const options: DagOptions = { maxConcurrency: 2, engine: "auto" };
const pipeline = dag(function pipeline(x: number) {
  return incr(x);
}, options);

export async function check(): Promise<number> {
  const result: number = await pipeline(1);
  // @ts-expect-error: the DAG takes a number
  await pipeline("one");
  const engine: "native" | "ts" = engineInfo().engine;
  const usage: string = new TawaziUsageError("example").code;
  return result + engine.length + usage.length;
}
`;

const typeChecks = [
  {
    resolution: "node16",
    compilerOptions: { module: "node16", moduleResolution: "node16" },
    files: { "esm.mts": "dist/esm/index.d.ts", "cjs.cts": "dist/cjs/index.d.ts" },
  },
  {
    resolution: "nodenext",
    compilerOptions: { module: "nodenext", moduleResolution: "nodenext" },
    files: { "esm.mts": "dist/esm/index.d.ts", "cjs.cts": "dist/cjs/index.d.ts" },
  },
  {
    resolution: "bundler",
    compilerOptions: { module: "esnext", moduleResolution: "bundler" },
    files: { "bundled.ts": "dist/esm/index.d.ts" },
  },
];

for (const { resolution, compilerOptions, files } of typeChecks) {
  test.serial(`package types check under ${resolution}`, async (t) => {
    const consumer = path.join(folder, `types-${resolution}`);
    mkdirSync(consumer);
    // The packed types import node: modules, so the consumer has @types/node like any Node project.
    symlinkSync(path.join(project, "node_modules"), path.join(consumer, "node_modules"), "dir");
    for (const file of Object.keys(files)) writeFileSync(path.join(consumer, file), consumerSource);
    writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          ...compilerOptions,
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [path.join(root, "node_modules", "@types")],
        },
        files: Object.keys(files),
      }),
    );

    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const { stdout } = await run(process.execPath, [tsc, "-p", consumer, "--listFiles"], {
      cwd: consumer,
      env: environment,
    });
    const listed = stdout.split("\n");

    for (const declaration of new Set(Object.values(files))) {
      t.true(listed.includes(path.join(installed, declaration)), `${declaration} not among ${stdout}`);
    }
  });
}
