import type { CompiledGraph } from "../graph/compiled.js";

/**
 * Life cycle of a node in one run. Values are shared with the native addon.
 * `pending` and `ready` are internal; a finished run holds only the final states.
 */
export const NodeState = {
  pending: 0,
  ready: 1,
  running: 2,
  succeeded: 3,
  failed: 4,
  /** Its `active` value was falsy. */
  skippedInactive: 5,
  /** A dependency was skipped, or failed under the "all-children" behaviour. */
  skippedDependency: 6,
  /** Outside the selected subgraph, or never started because a strict run stopped. */
  notRun: 7,
} as const;

/**
 * The end state of a node returned by `take`, reported by the run layer through `finish`.
 * `notRun` reports a node that was handed out but never started, because the run had ended.
 */
export type Outcome =
  | typeof NodeState.succeeded
  | typeof NodeState.failed
  | typeof NodeState.skippedInactive
  | typeof NodeState.notRun;

export const Behavior = {
  strict: 0,
  allChildren: 1,
  permissive: 2,
} as const;

export type BehaviorCode = (typeof Behavior)[keyof typeof Behavior];

/** The selection and limits of one run. */
export interface RunPlan {
  /** 1 for nodes of the selected subgraph; `null` selects every node. */
  readonly mask: Uint8Array | null;
  /** Most budgeted (non-inline) nodes running at once; Infinity for no limit. */
  readonly maxConcurrency: number;
  readonly behavior: BehaviorCode;
}

/**
 * One run's scheduling state: which nodes may start now, in which order. The run layer
 * launches what `take` returns and reports every launched node through `finish`.
 */
export interface ScheduleRun {
  /**
   * Writes the nodes that may start now into `out`, best first, and returns how many.
   * Ready nodes go by compound priority, then description order. A batch ends after a
   * blocking (main-thread user) node, so that node can be awaited before anything else starts.
   */
  take(out: Uint32Array): number;
  /** Reports that a node returned by `take` ended. */
  finish(node: number, outcome: Outcome): void;
  /** True when every selected node has ended, or a strict run stopped and nothing runs. */
  readonly finished: boolean;
  /** Final and current states, indexed by node. */
  readonly states: Uint8Array;
  /**
   * Present when the engine can push batches from a thread of its own instead of being asked
   * through `take`; `onBatch` then receives every batch, and completions still go to `finish`.
   */
  readonly drive?: (onBatch: (batch: Uint32Array) => void) => void;
  /** Stops a pushing engine after the run ended early (a strict failure). */
  readonly abandon?: () => void;
}

/** An engine: prepares runs of a compiled graph. */
export interface Scheduler {
  readonly name: "ts" | "native";
  start(graph: CompiledGraph, plan: RunPlan): ScheduleRun;
  /** Returns true when new runs will push batches from a thread of their own (`drive`). */
  readonly pushesBatches?: () => boolean;
}
