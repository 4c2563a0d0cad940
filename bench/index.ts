/**
 * The benchmark of tawazi against its peers (`npm run bench`; `npm run bench:quick` for the
 * short version). Every executor runs every workload in a process of its own (bench/row.ts),
 * side by side in one invocation, and the tables are written as the "## Engines and peers"
 * section of bench/RESULTS.md.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { engineInfo } from "../index.js";
import { type Workload, expectedValues, outputOf } from "./fixtures/workloads.js";
import { type Plan, type Row, type RowOutcome, planFor } from "./plan.js";
import { measureReplays } from "./replays.js";
import { formatSection } from "./report.js";
import { writeSection } from "./results.js";
import { type RowRequest, type RowResult, loadWorkload } from "./row.js";

const quick = process.argv.includes("--quick");
const workflowFolder = fileURLToPath(new URL("../../shared/data/wfinstances/", import.meta.url));
const plan: Plan = planFor(quick, await workflowPaths());

const rowScript = fileURLToPath(new URL("./row.ts", import.meta.url));
const pythonScript = fileURLToPath(new URL("./python/tawazi_row.py", import.meta.url));
const pythonPath = process.env["TAWAZI_PYTHON_PATH"];

/** Lists the WfCommons instances beside the project in name order, or none when the folder is missing. */
async function workflowPaths(): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(workflowFolder)).filter((name) => name.endsWith(".json"));
  } catch {
    console.warn(`No WfCommons instances in ${workflowFolder}: the workflow rows and replays are left out.`);
    return [];
  }
  return names.sort().map((name) => join(workflowFolder, name));
}

interface Finished {
  stdout: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
}

/** Runs a command to its end or until `limitMs`, when it is killed. */
function runProcess(command: string, args: string[], limitMs: number, env = process.env): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}

/** Returns the first line of the error a failed row process printed, such as "RangeError: Maximum call stack size exceeded". */
function errorLine(stderr: string): string {
  const line = stderr.split("\n").find((text) => /^\w*(Error|Exception)\b/u.test(text.trim()));
  return (line ?? stderr.trim().split("\n").at(-1) ?? "no output").trim().slice(0, 160);
}

function outcomeOf(finished: Finished, limitMs: number): RowOutcome {
  if (finished.timedOut) return { kind: "timeout", message: `did not finish within ${limitMs / 1000} s` };
  if (finished.code !== 0) return { kind: "failed", message: errorLine(finished.stderr) };
  return { kind: "measured", result: JSON.parse(finished.stdout.trim().split("\n").at(-1)!) as RowResult };
}

async function runNodeRow(row: Row): Promise<RowOutcome> {
  const request: RowRequest = {
    implementation: row.implementation,
    shape: row.shape,
    size: row.size,
    path: row.path,
    mode: row.mode,
    concurrency: plan.concurrency,
    repeats: row.repeats,
    budgetMs: plan.budgetMs,
  };
  const args = ["--import=tsx", "--expose-gc", "--stack-size=984", rowScript, JSON.stringify(request)];
  return outcomeOf(await runProcess(process.execPath, args, plan.rowLimitMs), plan.rowLimitMs);
}

/**
 * Runs the Python Tawazi row: the workload goes to the Python script as a JSON file (parent
 * lists, outputs and the expected output), and the script imports tawazi from TAWAZI_PYTHON_PATH.
 */
async function runPythonRow(row: Row, workload: Workload, scratch: string): Promise<RowOutcome> {
  const file = join(scratch, `${workload.name}-${workload.size}.json`);
  const { shape, parentLists, outputs, returnsList } = workload;
  const expected = outputOf(workload, expectedValues(workload));
  await writeFile(file, JSON.stringify({ shape, parentLists, outputs, returnsList, expected, concurrency: plan.concurrency }));
  const env = { ...process.env, PYTHONPATH: [pythonPath, process.env["PYTHONPATH"]].filter(Boolean).join(":") };
  const args = [pythonScript, file, String(row.repeats), String(plan.budgetMs)];
  return outcomeOf(await runProcess("python3", args, plan.rowLimitMs, env), plan.rowLimitMs);
}

/** Returns the key shared by the rows of one executor on one workload and mode, across sizes. */
function seriesKey(row: Row): string {
  return `${row.implementation}|${row.shape}|${row.path ?? ""}|${row.mode}`;
}

async function measureAll(scratch: string): Promise<Map<Row, RowOutcome>> {
  const outcomes = new Map<Row, RowOutcome>();
  const stoppedAt = new Map<string, number>();

  for (const row of plan.rows) {
    const stopped = stoppedAt.get(seriesKey(row));
    let outcome: RowOutcome;
    if (stopped !== undefined) {
      outcome = { kind: "skipped", message: `not run: it did not complete ${stopped.toLocaleString("en-US")} nodes` };
    } else if (row.implementation === "Python Tawazi") {
      outcome =
        pythonPath === undefined
          ? { kind: "skipped", message: "not run: set TAWAZI_PYTHON_PATH to a folder that imports tawazi" }
          : await runPythonRow(row, await loadWorkload(row), scratch);
    } else {
      outcome = await runNodeRow(row);
    }
    if (outcome.kind === "failed" || outcome.kind === "timeout") stoppedAt.set(seriesKey(row), row.size);

    outcomes.set(row, outcome);
    const shown = outcome.kind === "measured" ? `run ${outcome.result.runMs.toFixed(2)} ms` : outcome.message;
    console.log(`${row.shape} ${row.name} ${row.size} ${row.mode} ${row.implementation}: ${shown}`);
  }
  return outcomes;
}

/** Measures the peak RSS of a row process that loads everything and runs a 2-node chain. */
async function baselineRssMiB(): Promise<number> {
  const row: Row = { implementation: "Kahn floor", shape: "chain", name: "chain", size: 2, mode: "sync", repeats: 1 };
  const outcome = await runNodeRow(row);
  if (outcome.kind !== "measured") throw new Error(`the baseline row process failed: ${outcome.message}`);
  return outcome.result.peakRssMiB;
}

const info = engineInfo();
if (info.engine !== "native") throw new Error(`the native engine is not available (build it with npm run build:native): ${info.reason}`);

const loadAtStart = loadavg()[0]!;
const started = performance.now();
const scratch = await mkdtemp(join(tmpdir(), "tawazi-bench-"));
let outcomes: Map<Row, RowOutcome>;
try {
  outcomes = await measureAll(scratch);
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const replays = await measureReplays(plan.replays, plan.replayLowerBoundMs);
const section = formatSection({
  replays,
  workflowFolder,
  plan,
  outcomes,
  quick,
  pythonRequested: pythonPath !== undefined,
  baselineRssMiB: await baselineRssMiB(),
  totalSeconds: (performance.now() - started) / 1000,
  loadAtStart,
});
await writeSection(section, { cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version });
console.log(`\n${section}\n\nWritten to bench/RESULTS.md.`);
