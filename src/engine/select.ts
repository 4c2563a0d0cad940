import { type EngineKind, cfg } from "../config.js";
import { TawaziUsageError } from "../errors.js";
import type { Scheduler } from "./scheduler.js";
import { tsScheduler } from "./ts.js";

/** Which engine `"auto"` picks, where the addon was found, and why a fallback happened. */
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

/** Returns the scheduler for an engine option; `kind` defaults to `cfg.TAWAZI_ENGINE`. */
export function schedulerFor(kind: EngineKind = cfg.TAWAZI_ENGINE, where = "dag()"): Scheduler {
  if (kind === "native") {
    throw new TawaziUsageError(
      `${where}: engine "native" is not available: ${nativeUnavailable}. ` +
        'Use engine "auto" or "ts".',
    );
  }
  return tsScheduler;
}
