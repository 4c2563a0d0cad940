import { type EngineKind, cfg, engineKinds } from "../config.js";
import { TawaziUsageError, describeValue } from "../errors.js";
import type { Scheduler } from "./scheduler.js";
import { tsScheduler } from "./ts.js";

/** The engine that `"auto"` picks, the addon path, and the reason for a fallback. */
export interface EngineInfo {
  readonly engine: "native" | "ts";
  readonly path?: string;
  readonly reason?: string;
}

// NOTE: no native addon ships with this version yet, so "auto" always resolves to the
// TypeScript engine and "native" is rejected.
const nativeUnavailable = "this version of tawazi ships no native scheduler addon";

/** Reports the engine that `engine: "auto"` selects. */
export function engineInfo(): EngineInfo {
  return { engine: "ts", reason: nativeUnavailable };
}

/** Returns the scheduler for an engine option; undefined means `cfg.TAWAZI_ENGINE`. */
export function schedulerFor(kind: EngineKind | undefined, where = "dag()"): Scheduler {
  const engine = kind ?? cfg.TAWAZI_ENGINE;
  if (!engineKinds.includes(engine)) {
    throw new TawaziUsageError(
      `${where}: cfg.TAWAZI_ENGINE has the invalid value ${describeValue(engine)}; ` +
        'allowed values: "auto", "native", "ts".',
    );
  }
  if (engine === "native") {
    const source =
      kind === undefined
        ? "the default engine cfg.TAWAZI_ENGINE (environment variable of the same name) is"
        : "option engine is";
    throw new TawaziUsageError(
      `${where}: ${source} "native", which is not available: ${nativeUnavailable}. ` +
        'Use "auto" or "ts".',
    );
  }
  return tsScheduler;
}
