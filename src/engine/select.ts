import { type EngineKind, cfg, engineKinds } from "../config.js";
import { TawaziUsageError, describeValue } from "../errors.js";
import { loadAddon } from "./addon.js";
import { nativeScheduler } from "./native.js";
import type { Scheduler } from "./scheduler.js";
import { withScheduleTraces } from "./traced-scheduler.js";
import { tsScheduler } from "./ts.js";

/** The engine that `"auto"` picks, the addon path, and the reason for a fallback. */
export interface EngineInfo {
  readonly engine: "native" | "ts";
  readonly path?: string;
  readonly reason?: string;
}

let native: Scheduler | undefined;
const typescript = withScheduleTraces(tsScheduler);

/** Reports the engine that `engine: "auto"` selects, the addon path, and why a fallback happened. */
export function engineInfo(): EngineInfo {
  const lookup = loadAddon();
  if (lookup.addon !== undefined) return { engine: "native", path: lookup.path! };
  return { engine: "ts", reason: lookup.reason! };
}

function nativeEngine(): Scheduler | undefined {
  const lookup = loadAddon();
  if (lookup.addon === undefined) return undefined;
  native ??= withScheduleTraces(nativeScheduler(lookup.addon));
  return native;
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
  if (engine === "ts") return typescript;

  const scheduler = nativeEngine();
  if (scheduler !== undefined) return scheduler;
  if (engine === "auto") return typescript;

  const source =
    kind === undefined
      ? "the default engine cfg.TAWAZI_ENGINE (environment variable of the same name) is"
      : "option engine is";
  throw new TawaziUsageError(
    `${where}: ${source} "native", which is not available: ${loadAddon().reason}. ` +
      'Use "auto" or "ts", or point the environment variable TAWAZI_NATIVE_ADDON at a build of ' +
      "the addon (npm run build:native in a clone of the repository writes one to native/).",
  );
}
