// The WfCommons replays of `npm run bench`: real runtimes, scaled, against the lower bound.
import { basename } from "node:path";

import { type ReplayOrder, computeBounds, loadWorkflow, replayWorkflow, simulateReplay } from "../examples/workflow.js";

export interface ReplayRow {
  workflow: string;
  tasks: number;
  order: ReplayOrder;
  lowerBoundMs: number;
  criticalPathBound: boolean;
  simulatedMs: number;
  makespanMs: number;
}

export const replayConcurrency = 4;
const orders: ReplayOrder[] = ["description", "critical-path"];

/**
 * Replays each workflow in both orders, with runtimes scaled so that the lower bound is
 * `lowerBoundMs`, beside the simulation of the same schedule without overhead.
 */
export async function measureReplays(paths: readonly string[], lowerBoundMs: number): Promise<ReplayRow[]> {
  const rows: ReplayRow[] = [];
  for (const path of paths) {
    const workflow = await loadWorkflow(path);
    const unscaled = computeBounds(workflow, { concurrency: replayConcurrency, timeScale: 1 });
    const timeScale = lowerBoundMs / unscaled.lowerBoundMs;
    for (const order of orders) {
      const options = { concurrency: replayConcurrency, timeScale, order };
      const report = await replayWorkflow(workflow, options);
      rows.push({
        // The file name: instances of one workflow family often share the name inside the file.
        workflow: basename(path, ".json"),
        tasks: workflow.tasks.length,
        order,
        lowerBoundMs: report.lowerBoundMs,
        criticalPathBound: report.criticalPathMs >= report.workPerSlotMs,
        simulatedMs: simulateReplay(workflow, options),
        makespanMs: report.makespanMs,
      });
      console.log(`replay ${basename(path)} ${order}: makespan / lower bound ${report.ratio.toFixed(3)}`);
    }
  }
  return rows;
}

export function replayTable(rows: readonly ReplayRow[]): string[] {
  return [
    "| workflow | tasks | order | lower bound ms | bound set by | simulated / bound | makespan / bound | makespan / simulated |",
    "|---|---:|---|---:|---|---:|---:|---:|",
    ...rows.map(
      (row) =>
        `| ${row.workflow} | ${row.tasks} | ${row.order} | ${row.lowerBoundMs.toFixed(0)} | ` +
        `${row.criticalPathBound ? "critical path" : "work / concurrency"} | ${(row.simulatedMs / row.lowerBoundMs).toFixed(3)} | ` +
        `${(row.makespanMs / row.lowerBoundMs).toFixed(3)} | ${(row.makespanMs / row.simulatedMs).toFixed(3)} |`,
    ),
  ];
}
