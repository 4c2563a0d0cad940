// Formats the measured rows of `npm run bench` as the "## Engines and peers" section of RESULTS.md.
import type { Mode } from "./implementations/implementation.js";
import { layeredSeed } from "./fixtures/workloads.js";
import { type Plan, type Row, type RowOutcome, generatedShapes, modes } from "./plan.js";
import { type ReplayRow, replayConcurrency, replayTable } from "./replays.js";
import type { RowResult } from "./row.js";

export interface Report {
  plan: Plan;
  outcomes: Map<Row, RowOutcome>;
  replays: ReplayRow[];
  quick: boolean;
  /** The folder searched for WfCommons instances. */
  workflowFolder: string;
  pythonRequested: boolean;
  baselineRssMiB: number;
  totalSeconds: number;
  loadAtStart: number;
}

/** Formats milliseconds with about three significant digits. */
function formatMs(ms: number): string {
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

function formatRatio(ratio: number): string {
  if (ratio >= 100) return ratio.toFixed(0);
  if (ratio >= 10) return ratio.toFixed(1);
  return ratio.toFixed(2);
}

const count = (value: number) => value.toLocaleString("en-US");
const nsPerNode = (ms: number, nodes: number) => (ms * 1e6) / nodes;

function measured(outcome: RowOutcome | undefined): RowResult | undefined {
  return outcome?.kind === "measured" ? outcome.result : undefined;
}

/** Returns the rows of one workload (a shape, or one workflow) and mode, with their outcomes. */
function rowsOf(report: Report, name: string, mode: Mode): [Row, RowOutcome][] {
  return [...report.outcomes].filter(([row]) => row.name === name && row.mode === mode);
}

/** Returns the result of the same workload, mode and size on another executor. */
function peerOf(report: Report, row: Row, implementation: Row["implementation"]): RowResult | undefined {
  for (const [other, outcome] of report.outcomes) {
    if (other.implementation === implementation && other.name === row.name && other.mode === row.mode && other.size === row.size) {
      return measured(outcome);
    }
  }
  return undefined;
}

const tableColumns = [
  "| nodes | executor | describe + compile ms | describe + compile ns/node | first run ns/node | run ms | run ns/node | peak RSS MiB | run × native | describe + run × native | run × floor |",
  "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];

function formatRow(report: Report, row: Row, outcome: RowOutcome): string {
  const result = measured(outcome);
  const nodes = result?.nodes ?? row.size;
  const shownNodes = nodes === 0 ? "–" : count(nodes);
  if (result === undefined) {
    return `| ${shownNodes} | ${row.implementation} | ${(outcome as { message: string }).message} | – | – | – | – | – | – | – | – |`;
  }
  const native = peerOf(report, row, "native");
  const floor = peerOf(report, row, "Kahn floor");
  const runRatio = native === undefined ? "–" : formatRatio(result.runMs / native.runMs);
  const totalRatio = native === undefined ? "–" : formatRatio((result.buildMs + result.runMs) / (native.buildMs + native.runMs));
  const floorRatio = floor === undefined ? "–" : formatRatio(result.runMs / floor.runMs);
  return (
    `| ${shownNodes} | ${row.implementation} | ${formatMs(result.buildMs)} | ${nsPerNode(result.buildMs, nodes).toFixed(0)} | ` +
    `${nsPerNode(result.firstRunMs, nodes).toFixed(0)} | ${formatMs(result.runMs)} | ${nsPerNode(result.runMs, nodes).toFixed(0)} | ${result.peakRssMiB.toFixed(0)} | ` +
    `${runRatio} | ${totalRatio} | ${floorRatio} |`
  );
}

function workloadTables(report: Report): string[] {
  const lines: string[] = [];
  for (const shape of generatedShapes) {
    for (const mode of modes) {
      lines.push(`### ${shape}, ${mode} nodes`, "", ...tableColumns);
      for (const [row, outcome] of rowsOf(report, shape, mode)) lines.push(formatRow(report, row, outcome));
      lines.push("");
    }
  }
  for (const mode of modes) {
    lines.push(`### WfCommons workflows, ${mode} zero-time tasks`, "");
    lines.push(`| workflow |${tableColumns[0]!.slice(1)}`, `|---${tableColumns[1]}`);
    for (const path of report.plan.workflows) {
      const rows = [...report.outcomes].filter(([row]) => row.path === path && row.mode === mode);
      for (const [row, outcome] of rows) lines.push(`| ${row.name} ${formatRow(report, row, outcome)}`);
    }
    lines.push("");
  }
  return lines;
}

/** Lists peak RSS and the memory one build keeps, at the largest size of each generated shape (sync rows). */
function memoryTable(report: Report): string[] {
  const size = report.plan.sizes.at(-1)!;
  const lines = [
    `### Memory at ${count(size)} nodes`,
    "",
    "| workload | executor | peak RSS MiB | kept by one build, bytes/node | of which typed arrays, bytes/node |",
    "|---|---|---:|---:|---:|",
  ];
  for (const shape of generatedShapes) {
    for (const [row, outcome] of rowsOf(report, shape, "sync")) {
      const result = measured(outcome);
      if (row.size !== size || result === undefined) continue;
      lines.push(
        `| ${shape} | ${row.implementation} | ${result.peakRssMiB.toFixed(0)} | ` +
          `${result.builtBytesPerNode.toFixed(0)} | ${result.typedArrayBytesPerNode.toFixed(0)} |`,
      );
    }
  }
  return lines;
}

/** Returns every measured row of one executor with the native row of the same workload beside it. */
function pairs(report: Report, implementation: Row["implementation"], size?: number): [Row, RowResult, RowResult][] {
  const found: [Row, RowResult, RowResult][] = [];
  for (const [row, outcome] of report.outcomes) {
    const result = measured(outcome);
    const native = peerOf(report, row, "native");
    if (row.implementation !== implementation || result === undefined || native === undefined) continue;
    if (size !== undefined && row.size !== size) continue;
    found.push([row, result, native]);
  }
  return found;
}

type Check = [target: string, met: boolean | undefined, numbers: string];

function rangeOf(values: number[], format: (value: number) => string): string {
  if (values.length === 0) return "–";
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? format(low) : `${format(low)}–${format(high)}`;
}

/** Checks the performance targets against this run. A target with no row to check says so. */
function targetChecks(report: Report): Check[] {
  const checks: Check[] = [];
  const all = (values: number[], limit: number) => (values.length === 0 ? undefined : values.every((value) => value <= limit));
  const label = (row: Row) => `${row.name} ${row.mode}`;

  const atFloor = pairs(report, "Kahn floor", 100_000).map(
    ([row, floor, native]) => [label(row), native.runMs / floor.runMs, native.firstRunMs / floor.runMs] as const,
  );
  checks.push([
    "native run ≤ 1.5 × the Kahn floor at 100,000 nodes (first run in brackets)",
    all(atFloor.map(([, ratio]) => ratio), 1.5),
    atFloor.map(([name, ratio, first]) => `${name} ${formatRatio(ratio)} (${formatRatio(first)})`).join(", ") ||
      "not measured",
  ]);

  for (const [mode, limitNs] of [["sync", 800], ["async", 2000]] as const) {
    const rows = pairs(report, "native", 1_000_000).filter(([row]) => row.mode === mode);
    const values = rows.map(([row, result]) => [row.name, nsPerNode(result.runMs, result.nodes)] as const);
    checks.push([
      `native run ≤ ${limitNs} ns/node with ${mode} nodes at 1,000,000 nodes`,
      all(values.map(([, ns]) => ns), limitNs),
      values.map(([name, ns]) => `${name} ${ns.toFixed(0)}`).join(", ") || "not measured",
    ]);
  }

  const builds = pairs(report, "native").filter(([row]) => row.shape !== "workflow");
  const buildNs = builds.map(([, result]) => nsPerNode(result.buildMs, result.nodes));
  checks.push([
    "describe + compile ≤ 2,000 ns/node (native rows, every size)",
    all(buildNs, 2000),
    `${rangeOf(buildNs, (ns) => ns.toFixed(0))} ns/node`,
  ]);

  const rss = pairs(report, "native", 1_000_000).map(([row, result]) => [label(row), result.peakRssMiB] as const);
  checks.push([
    "peak RSS ≤ 1,024 MiB at 1,000,000 nodes (native rows)",
    all(rss.map(([, mib]) => mib), 1024),
    rss.length === 0 ? "not measured" : `${rangeOf(rss.map(([, mib]) => mib), (mib) => mib.toFixed(0))} MiB`,
  ]);

  const tsRatios = pairs(report, "ts").map(([, ts, native]) => ts.runMs / native.runMs);
  checks.push([
    "TypeScript engine run within 2 × native on every row",
    all(tsRatios, 2),
    `ts / native ${rangeOf(tsRatios, formatRatio)}`,
  ]);

  for (const [peer, factor] of [["p-graph", 20], ["async.auto", 20], ["Python Tawazi", 1000]] as const) {
    const ratios = pairs(report, peer).map(([, result, native]) => (result.buildMs + result.runMs) / (native.buildMs + native.runMs));
    const met = ratios.length === 0 ? undefined : ratios.every((ratio) => ratio >= factor);
    const numbers = ratios.length === 0 ? "no completed row" : `${peer} / native ${rangeOf(ratios, formatRatio)}`;
    checks.push([`≥ ${factor} × faster than ${peer} (describe + run, every completed row)`, met, numbers]);
  }

  const criticalPath = report.replays.filter((row) => row.order === "critical-path");
  const replayRatios = criticalPath.map((row) => row.makespanMs / row.lowerBoundMs);
  const simulatedRatios = criticalPath.map((row) => row.simulatedMs / row.lowerBoundMs);
  checks.push([
    "WfCommons replays: makespan within 5% of the lower bound (critical-path order)",
    all(replayRatios, 1.05),
    `makespan / bound ${rangeOf(replayRatios, (ratio) => ratio.toFixed(3))}; the schedule itself, simulated ` +
      `without overhead, ${rangeOf(simulatedRatios, (ratio) => ratio.toFixed(3))}`,
  ]);
  return checks;
}

function targetsTable(report: Report): string[] {
  const verdict = (met: boolean | undefined) => {
    if (met === undefined) return "not measured";
    return met ? "met" : "missed";
  };
  return [
    "### Targets",
    "",
    "| target | this run | numbers |",
    "|---|---|---|",
    ...targetChecks(report).map(([target, met, numbers]) => `| ${target} | ${verdict(met)} | ${numbers} |`),
  ];
}

export function formatSection(report: Report): string {
  const { plan, quick } = report;
  const command = quick ? "npm run bench:quick" : "npm run bench";
  const missingWorkflows =
    plan.workflows.length === 0
      ? [`No WfCommons instances were found in ${report.workflowFolder}, so the workflow tables are empty.`, ""]
      : [];
  return [
    // The quick run has a section of its own, so that it never replaces the full results.
    quick ? "## Engines and peers (quick run)" : "## Engines and peers",
    "",
    ...missingWorkflows,
    `Measured with \`${command}\`. Every row is one executor on one workload, measured in a ` +
      "process of its own (bench/row.ts), so that its peak RSS is its own and a peer that " +
      "overflows the stack or runs too long fails alone. The executors:",
    "",
    "- `native` and `ts`: tawazi on its native and TypeScript engines. Synchronous nodes run with " +
      "`pipeline.runSync()`, async nodes with `await pipeline()`.",
    "- `Kahn floor`: a minimal Kahn executor in plain JavaScript (bench/implementations/kahn-floor.ts: " +
      "typed-array CSR, FIFO ready queue, no priorities, concurrency budget or failure handling).",
    "- `p-graph` 2.0.0 and `async.auto` (async 3.2.6). p-graph's run functions take no inputs, so each " +
      "reads its parents' results from an array; async.auto's synchronous tasks call their callback at once.",
    `- \`Python Tawazi\`: ${report.pythonRequested ? "from TAWAZI_PYTHON_PATH" : "not run in this measurement (TAWAZI_PYTHON_PATH was not set)"}.`,
    "",
    "The workloads, generated deterministically:",
    "",
    "- chain: node 0 returns 1, node i returns its input + 1.",
    "- fan: a root returning 1, N − 2 middle nodes returning root + 1, and one sink summing them as one array argument.",
    "- layered: layers of width round(√N); layer 0 returns 1; every later node takes 1 to 4 distinct nodes " +
      `drawn uniformly from all earlier layers (mulberry32, seed 0x${layeredSeed.toString(16).toUpperCase()}) ` +
      "and returns the sum of its inputs mod 1e9+7; the DAG returns the last layer.",
    "- WfCommons workflows from ../shared/data/wfinstances with zero-time tasks: a task with no parents " +
      "returns 1, every other task the sum of its parents' results mod 1e9+7; the DAG returns the tasks no " +
      "other task depends on. This is pure scheduling overhead.",
    "",
    "How it is measured:",
    "",
    `- Every DAG has \`maxConcurrency: ${plan.concurrency}\`; the floor keeps at most ${plan.concurrency} ` +
      "async nodes in flight, and the peers get the same concurrency.",
    "- \"describe + compile\" is the time of `dag(...)` for tawazi, of building the CSR arrays for " +
      "the floor, of `new PGraph(...)` and of building the task object for async.auto.",
    "- \"first run\" is the first call of the last build. On it the native engine copies the compiled " +
      "graph into Rust, and both engines record the run's schedule. \"run\" is the median of the " +
      "runs after the first, which follow the recorded schedule (see the README's section on engines).",
    "- Builds and runs repeat min(100, max(3, 100,000 / N)) times, stopping early after 3 once " +
      `${formatMs(plan.budgetMs / 1000)} s of builds (or runs) have passed; the median is reported. ` +
      `A row process still running after ${plan.rowLimitMs / 1000} s is killed, and a peer that fails ` +
      "or runs out of time is not started at larger sizes.",
    "- Every run's output is checked against a plain loop computing the same values.",
    `- Peak RSS is the row process's maximum resident set; a row process that runs a 2-node chain peaks at ${report.baselineRssMiB.toFixed(0)} MiB.`,
    "- Ratios: \"× native\" divides by the native engine's time on the same row, \"run × floor\" by the Kahn floor's run time.",
    "",
    ...targetsTable(report),
    "",
    ...workloadTables(report),
    ...memoryTable(report),
    "",
    "### WfCommons replays",
    "",
    `Each workflow runs with its recorded runtimes, scaled so that the lower bound max(critical path, ` +
      `total work / ${replayConcurrency}) is ${report.plan.replayLowerBoundMs} ms, at \`maxConcurrency: ${replayConcurrency}\`, ` +
      "each task sleeping for its scaled runtime (examples/replay.ts). \"description\" runs ready tasks " +
      "in the file's order; \"critical-path\" sets priorities whose compound priority is each task's " +
      "longest remaining chain of runtimes. \"simulated\" is the same schedule computed without any " +
      "overhead, so it shows what the order costs, and makespan / simulated shows what running costs. " +
      "The lower bound is not always reachable: in helloworld-forkjoin-10, 8 tasks of about 100 s " +
      "between a first and a last task need two waves on 4 slots, so every schedule is about 1.33 × the bound.",
    "",
    ...replayTable(report.replays),
    "",
    `Total time ${report.totalSeconds.toFixed(0)} s; 1-minute load average at the start: ${report.loadAtStart.toFixed(2)}.`,
  ].join("\n");
}
