import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import test from "ava";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const avaCli = path.join(root, "node_modules/ava/entrypoints/cli.mjs");
const config = "__test__/fixtures/guard/ava.config.mjs";

interface AvaOutcome {
  readonly exitCode: number;
  readonly output: string;
}

/** Runs one fixture test file under ava in a child process, with or without the guard. */
function runFixture(file: string, guard: "on" | "off"): Promise<AvaOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [avaCli, "--config", config, `__test__/fixtures/guard/${file}`],
      { cwd: root, env: { ...process.env, GUARD: guard, CI: "1" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        let exitCode = 0;
        if (error !== null) exitCode = typeof error.code === "number" ? error.code : -1;
        resolve({ exitCode, output: `${stdout}${stderr}` });
      },
    );
  });
}

test.serial("guard passes a clean file", async (t) => {
  const outcome = await runFixture("clean.test.ts", "on");

  t.is(outcome.exitCode, 0, outcome.output);
});

test.serial("guard fails a never-handled rejection", async (t) => {
  const outcome = await runFixture("leak.test.ts", "on");

  t.is(outcome.exitCode, 1, outcome.output);
  t.regex(outcome.output, /unhandled rejection: Error: leaked rejection/u);
});

test.serial("guard fails a rejection handled late", async (t) => {
  const outcome = await runFixture("late.test.ts", "on");

  t.is(outcome.exitCode, 1, outcome.output);
  t.regex(outcome.output, /unhandled rejection: Error: late rejection/u);
});

test.serial("ava alone misses a rejection handled late", async (t) => {
  const outcome = await runFixture("late.test.ts", "off");

  t.is(outcome.exitCode, 0, outcome.output);
});

test.serial("guard keeps failing an uncaught exception", async (t) => {
  const outcome = await runFixture("uncaught.test.ts", "on");

  t.is(outcome.exitCode, 1, outcome.output);
  t.regex(outcome.output, /Uncaught exception/u);
});
