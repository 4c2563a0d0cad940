import { availableParallelism } from "node:os";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import test from "ava";

import { Resource, TawaziUsageError, cfg, dag, xn } from "../index.js";
import { readConfig } from "../src/config.js";

const execFileAsync = promisify(execFile);
const repository = fileURLToPath(new URL("..", import.meta.url));
const entry = fileURLToPath(new URL("../index.ts", import.meta.url));

const booleanVariables = [
  "TAWAZI_IS_SEQUENTIAL",
  "TAWAZI_PROFILE_ALL_NODES",
  "RUN_DEBUG_NODES",
] as const;

const choiceVariables = {
  TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR: ["error", "warning", "ignore"],
  TAWAZI_DEFAULT_RESOURCE: ["async", "main-thread", "worker"],
  TAWAZI_ENGINE: ["auto", "native", "ts"],
} as const;

const trueSpellings = ["true", "1", "yes", "on"];
const falseSpellings = ["false", "0", "no", "off"];

/** Returns the word in lower case, upper case and alternating case. */
function casings(word: string): string[] {
  const alternating = [...word].map((char, position) =>
    position % 2 === 0 ? char.toUpperCase() : char.toLowerCase(),
  );
  return [...new Set([word.toLowerCase(), word.toUpperCase(), alternating.join("")])];
}

/** Spawns a fresh Node process that imports the package and runs `script` after it. */
async function importWithEnv(
  env: Record<string, string>,
  script = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const source = `const tawazi = await import(${JSON.stringify(entry)});\n${script}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...booleanVariables, ...Object.keys(choiceVariables)]) delete childEnv[name];
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ["--import=tsx", "--input-type=module", "-e", source],
      { cwd: repository, env: { ...childEnv, ...env }, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failure.code !== "number") throw error;
    return { code: failure.code, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
  }
}

test("defaults from an empty environment", (t) => {
  t.deepEqual(readConfig({}), {
    TAWAZI_IS_SEQUENTIAL: false,
    TAWAZI_PROFILE_ALL_NODES: false,
    RUN_DEBUG_NODES: false,
    TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR: "error",
    TAWAZI_DEFAULT_RESOURCE: "async",
    TAWAZI_ENGINE: "auto",
    TAWAZI_WORKER_THREADS: availableParallelism(),
  });
});

test("empty values use the defaults", (t) => {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...booleanVariables, ...Object.keys(choiceVariables)]) env[name] = "";

  t.deepEqual(readConfig(env), readConfig({}));
});

test("unrelated variables are ignored", (t) => {
  t.deepEqual(readConfig({ TAWAZI_UNKNOWN: "x", PATH: "/bin" }), readConfig({}));
});

for (const name of booleanVariables) {
  for (const spelling of trueSpellings) {
    for (const word of casings(spelling)) {
      test(`${name}=${word} reads true`, (t) => {
        t.is(readConfig({ [name]: word })[name], true);
      });
    }
  }
  for (const spelling of falseSpellings) {
    for (const word of casings(spelling)) {
      test(`${name}=${word} reads false`, (t) => {
        t.is(readConfig({ [name]: word })[name], false);
      });
    }
  }

  test(`${name} rejects invalid words`, (t) => {
    for (const word of ["maybe", "2", "truee", "y", "-1", "enabled"]) {
      const error = t.throws(() => readConfig({ [name]: word }), {
        instanceOf: TawaziUsageError,
      });
      t.is(error?.code, "ERR_TAWAZI_USAGE");
      t.true(error?.message.includes(name), `${word}: ${error?.message}`);
      t.true(error?.message.includes(`"${word}"`), `${word}: ${error?.message}`);
      for (const allowed of [...trueSpellings, ...falseSpellings]) {
        t.true(error?.message.includes(allowed), `${allowed} missing: ${error?.message}`);
      }
    }
  });
}

for (const [name, choices] of Object.entries(choiceVariables)) {
  for (const choice of choices) {
    test(`${name}=${choice} is read`, (t) => {
      t.is(readConfig({ [name]: choice })[name as keyof typeof choiceVariables], choice);
    });
  }

  test(`${name} rejects an unknown choice`, (t) => {
    const error = t.throws(() => readConfig({ [name]: "gpu" }), { instanceOf: TawaziUsageError });

    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.true(error?.message.includes(name));
    t.true(error?.message.includes('"gpu"'));
    for (const choice of choices) t.true(error?.message.includes(`"${choice}"`), choice);
  });
}

test("variables are read independently", (t) => {
  const config = readConfig({
    RUN_DEBUG_NODES: "Yes",
    TAWAZI_ENGINE: "ts",
    TAWAZI_DEFAULT_RESOURCE: "main-thread",
  });

  t.is(config.RUN_DEBUG_NODES, true);
  t.is(config.TAWAZI_IS_SEQUENTIAL, false);
  t.is(config.TAWAZI_ENGINE, "ts");
  t.is(config.TAWAZI_DEFAULT_RESOURCE, "main-thread");
  t.is(config.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR, "error");
});

test("Resource constant has the three kinds", (t) => {
  t.deepEqual({ ...Resource }, { async: "async", mainThread: "main-thread", worker: "worker" });
});

test("cfg is a writable plain object", (t) => {
  const previous = cfg.TAWAZI_IS_SEQUENTIAL;
  cfg.TAWAZI_IS_SEQUENTIAL = !previous;
  t.is(cfg.TAWAZI_IS_SEQUENTIAL, !previous);
  cfg.TAWAZI_IS_SEQUENTIAL = previous;
  t.is(Object.getPrototypeOf(cfg), Object.prototype);
});

/**
 * Runs `action` with one cfg entry changed, restoring it afterwards. The body is synchronous,
 * so no other test of this file observes the change.
 */
function withConfig<K extends keyof typeof cfg, T>(key: K, value: (typeof cfg)[K], action: () => T): T {
  const previous = cfg[key];
  cfg[key] = value;
  try {
    return action();
  } finally {
    cfg[key] = previous;
  }
}

test("TAWAZI_IS_SEQUENTIAL sets the default", (t) => {
  const node = withConfig("TAWAZI_IS_SEQUENTIAL", true, () => xn(function sequential() {}));
  const explicit = withConfig("TAWAZI_IS_SEQUENTIAL", true, () =>
    xn(function parallel() {}, { isSequential: false }),
  );

  t.true(node.options.isSequential);
  t.false(explicit.options.isSequential);
});

test("TAWAZI_DEFAULT_RESOURCE sets the default", (t) => {
  const node = withConfig("TAWAZI_DEFAULT_RESOURCE", "main-thread", () => xn(function inline() {}));

  t.is(node.options.resource, "main-thread");
});

test("unusable default resource names its variable", (t) => {
  let execNode: ReturnType<typeof xn> | undefined;
  let failure: unknown;
  withConfig("TAWAZI_DEFAULT_RESOURCE", "worker", () => {
    try {
      execNode = xn(function byDefault() {});
    } catch (error) {
      failure = error;
    }
  });

  if (failure === undefined) {
    t.is(execNode?.options.resource, "worker");
    return;
  }
  t.true(failure instanceof TawaziUsageError);
  const message = (failure as Error).message;
  t.true(message.includes("TAWAZI_DEFAULT_RESOURCE"), message);
  t.true(message.includes('"worker"'), message);
});

test("unusable default engine names its variable", (t) => {
  let failure: unknown;
  const pipeline = withConfig("TAWAZI_ENGINE", "native", () => {
    try {
      return dag(function byDefault() {
        return 1;
      });
    } catch (error) {
      failure = error;
      return undefined;
    }
  });

  if (failure === undefined) {
    t.is(pipeline?.runSync(), 1);
    return;
  }
  t.true(failure instanceof TawaziUsageError);
  const message = (failure as Error).message;
  t.true(message.includes("TAWAZI_ENGINE"), message);
  t.true(message.includes('"native"'), message);
});

test("cfg is read from the environment at import", async (t) => {
  const result = await importWithEnv(
    {
      TAWAZI_IS_SEQUENTIAL: "ON",
      RUN_DEBUG_NODES: "yes",
      TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR: "ignore",
      TAWAZI_ENGINE: "ts",
      TAWAZI_WORKER_THREADS: "3",
    },
    "console.log(JSON.stringify(tawazi.cfg));",
  );

  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), {
    TAWAZI_IS_SEQUENTIAL: true,
    TAWAZI_PROFILE_ALL_NODES: false,
    RUN_DEBUG_NODES: true,
    TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR: "ignore",
    TAWAZI_DEFAULT_RESOURCE: "async",
    TAWAZI_ENGINE: "ts",
    TAWAZI_WORKER_THREADS: 3,
  });
});

const invalidImports = [
  { name: "TAWAZI_ENGINE", value: "gpu", allowed: ['"auto"', '"native"', '"ts"'] },
  { name: "RUN_DEBUG_NODES", value: "maybe", allowed: ["true", "false", "yes", "no", "on", "off"] },
  { name: "TAWAZI_IS_SEQUENTIAL", value: "2", allowed: ["1", "0", "true", "false"] },
  {
    name: "TAWAZI_DEFAULT_RESOURCE",
    value: "gpu",
    allowed: ['"async"', '"main-thread"', '"worker"'],
  },
  {
    name: "TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR",
    value: "warn",
    allowed: ['"error"', '"warning"', '"ignore"'],
  },
];

for (const { name, value, allowed } of invalidImports) {
  test(`import fails on ${name}=${value}`, async (t) => {
    const result = await importWithEnv({ [name]: value }, 'console.log("imported");');

    t.not(result.code, 0);
    t.false(result.stdout.includes("imported"));
    t.true(result.stderr.includes("TawaziUsageError"), result.stderr);
    t.true(result.stderr.includes(name), result.stderr);
    t.true(result.stderr.includes(`"${value}"`), result.stderr);
    for (const word of allowed) t.true(result.stderr.includes(word), `${word}: ${result.stderr}`);
  });
}

test("TAWAZI_WORKER_THREADS reads a positive integer", (t) => {
  t.is(readConfig({ TAWAZI_WORKER_THREADS: "4" }).TAWAZI_WORKER_THREADS, 4);
  t.is(readConfig({ TAWAZI_WORKER_THREADS: " 12 " }).TAWAZI_WORKER_THREADS, 12);
  for (const value of ["0", "-1", "1.5", "many", "0x10"]) {
    const error = t.throws(() => readConfig({ TAWAZI_WORKER_THREADS: value }), {
      instanceOf: TawaziUsageError,
    });
    t.true(error.message.includes("TAWAZI_WORKER_THREADS"), error.message);
    t.true(error.message.includes("integer ≥ 1"), error.message);
  }
});
