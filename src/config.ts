import { availableParallelism } from "node:os";

import { TawaziUsageError, describeValue } from "./errors.js";

/** The places a node's function can run. */
export const Resource = {
  async: "async",
  mainThread: "main-thread",
  worker: "worker",
} as const;

export type ResourceKind = (typeof Resource)[keyof typeof Resource];

export const outsideDagBehaviors = ["error", "warning", "ignore"] as const;
export type OutsideDagBehavior = (typeof outsideDagBehaviors)[number];

export const engineKinds = ["auto", "native", "ts"] as const;
export type EngineKind = (typeof engineKinds)[number];

/** Global settings, read from the environment at import and writable afterwards. */
export interface TawaziConfig {
  /** Default of the `isSequential` node option. */
  TAWAZI_IS_SEQUENTIAL: boolean;
  /** Record start, end and duration of every node of every run. */
  TAWAZI_PROFILE_ALL_NODES: boolean;
  /** Run nodes declared with `debug: true`. */
  RUN_DEBUG_NODES: boolean;
  /** The effect of calling an ExecNode outside a describing function. */
  TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR: OutsideDagBehavior;
  /** Default of the `resource` node option. */
  TAWAZI_DEFAULT_RESOURCE: ResourceKind;
  /** Default of the `engine` DAG option. */
  TAWAZI_ENGINE: EngineKind;
  /** Threads of the worker pool, read when the pool starts. */
  TAWAZI_WORKER_THREADS: number;
}

const trueWords = new Set(["true", "1", "yes", "on"]);
const falseWords = new Set(["false", "0", "no", "off"]);

function invalidVariable(name: string, value: string, allowed: string): TawaziUsageError {
  return new TawaziUsageError(
    `environment variable ${name} has the invalid value ${describeValue(value)}; ` +
      `allowed values: ${allowed}. Fix or unset the variable.`,
  );
}

function readBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const word = raw.trim().toLowerCase();
  if (trueWords.has(word)) return true;
  if (falseWords.has(word)) return false;
  throw invalidVariable(name, raw, "true/false, 1/0, yes/no, on/off (any case)");
}

function readChoice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const word = raw.trim();
  if ((choices as readonly string[]).includes(word)) return word as T;
  throw invalidVariable(name, raw, choices.map((choice) => JSON.stringify(choice)).join(", "));
}

function readPositiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const word = raw.trim();
  if (/^[0-9]+$/u.test(word) && Number(word) >= 1) return Number(word);
  throw invalidVariable(name, raw, "an integer ≥ 1");
}

/** Reads the configuration from `env`; throws a TawaziUsageError naming the first invalid variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): TawaziConfig {
  return {
    TAWAZI_IS_SEQUENTIAL: readBoolean(env, "TAWAZI_IS_SEQUENTIAL", false),
    TAWAZI_PROFILE_ALL_NODES: readBoolean(env, "TAWAZI_PROFILE_ALL_NODES", false),
    RUN_DEBUG_NODES: readBoolean(env, "RUN_DEBUG_NODES", false),
    TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR: readChoice(
      env,
      "TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR",
      outsideDagBehaviors,
      "error",
    ),
    TAWAZI_DEFAULT_RESOURCE: readChoice(
      env,
      "TAWAZI_DEFAULT_RESOURCE",
      Object.values(Resource),
      Resource.async,
    ),
    TAWAZI_ENGINE: readChoice(env, "TAWAZI_ENGINE", engineKinds, "auto"),
    TAWAZI_WORKER_THREADS: readPositiveInteger(env, "TAWAZI_WORKER_THREADS", availableParallelism()),
  };
}

export const cfg: TawaziConfig = readConfig();
