import type { EngineKind } from "../../index.js";

/**
 * The engines every engine-level test runs against. Each test builds its DAGs with
 * `{ engine }` for each entry, so adding an engine here runs the whole suite on it.
 */
export const engines: readonly Exclude<EngineKind, "auto">[] = ["ts", "native"];
