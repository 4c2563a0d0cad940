export {
  xn,
  type ExecNode,
  type ExecNodeOptions,
  type CallOptions,
  type WorkerNodeOptions,
} from "./src/trace/exec-node.js";
export {
  close,
  configureWorkers,
  type CloseOptions,
  type WorkerPoolOptions,
} from "./src/run/worker-pool.js";
export {
  dag,
  DAG,
  type DagOptions,
  type NodeInfo,
  type BehaviorName,
  type SetupOptions,
  type DagRunOptions,
} from "./src/trace/dag.js";
export {
  DAGExecution,
  type ExecutorOptions,
  type NodeStatus,
} from "./src/trace/execution.js";
export type { Alias } from "./src/trace/aliases.js";
export type { ComposeOptions } from "./src/trace/compose.js";
export type { NodeProfile, ChromeTrace } from "./src/run/profile.js";
export type { RenderOptions } from "./src/graph/render.js";
export { ops, and_, or_, not_ } from "./src/trace/ops.js";
export type { Traced, TracedValue, Traceable, Resolved } from "./src/trace/traced.js";
export {
  cfg,
  Resource,
  type TawaziConfig,
  type ResourceKind,
  type EngineKind,
  type OutsideDagBehavior,
} from "./src/config.js";
export { engineInfo, type EngineInfo } from "./src/engine/select.js";
export {
  TawaziError,
  TawaziUsageError,
  TawaziTypeError,
  TawaziCycleError,
  TawaziCacheError,
  TawaziTimeoutError,
  TawaziWorkerError,
  errorCodes,
  type TawaziErrorCode,
} from "./src/errors.js";
