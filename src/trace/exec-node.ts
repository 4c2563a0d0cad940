import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";

import { Resource, type ResourceKind, cfg, outsideDagBehaviors } from "../config.js";
import { TawaziUsageError, describeValue } from "../errors.js";
import { NodeFlag } from "../graph/flags.js";
import { runInWorker } from "../run/worker-pool.js";
import { type CallSpec, currentBuilder } from "./builder.js";
import type { Traceable, Traced } from "./traced.js";
import {
  checkKeys,
  checkOptionsObject,
  isRevokedProxy,
  validateBoolean,
  validatePriority,
  validateTags,
  validateTimeout,
  validateUnpackTo,
} from "./validate.js";

/** Options of `xn(fn, options)`. */
export interface ExecNodeOptions {
  /**
   * The node's base id; further uses in one DAG get `name<<1>>`, `name<<2>>`, ...
   * @default fn.name
   */
  name?: string;
  /**
   * Higher runs first among ready nodes; a node's compound priority adds its children's.
   * @default 0
   */
  priority?: number;
  /**
   * Run alone: wait until nothing runs, and start nothing else while it runs.
   * @default cfg.TAWAZI_IS_SEQUENTIAL
   */
  isSequential?: boolean;
  /**
   * `"async"`: launched and awaited while other nodes keep starting, counted by
   * `maxConcurrency`. `"main-thread"`: called inline and awaited before anything else starts,
   * not counted by `maxConcurrency`.
   * @default cfg.TAWAZI_DEFAULT_RESOURCE
   */
  resource?: ResourceKind;
  /** A tag or tags naming this node in aliases. */
  tag?: string | readonly string[];
  /**
   * The result is computed once per DAG instance and reused.
   * @default false
   */
  setup?: boolean;
  /**
   * Runs only when `cfg.RUN_DEBUG_NODES` is true.
   * @default false
   */
  debug?: boolean;
  /** The node returns an array of this length, so its traced value can be destructured. */
  unpackTo?: number;
  /**
   * The function receives an AbortSignal as an extra last argument, after the arguments of
   * the call. The signal aborts when the node times out, or when its run ends before the node
   * does (the run was aborted or timed out, or another node failed under "strict"). Its
   * `reason` is the run's rejection reason or the node's TawaziTimeoutError.
   * @default false
   */
  signal?: boolean;
  /**
   * The maximum time the node may take, in milliseconds: a number ≥ 0, or Infinity for no
   * limit. A node that takes longer fails with a TawaziTimeoutError, which the DAG's behaviour
   * handles like any node error. A promise still pending is no longer awaited. A synchronous
   * function cannot be interrupted, so it fails when it returns late.
   * @default Infinity
   */
  timeout?: number;
}

/** Options of one use of an ExecNode, given through `execNode.with(options)`. */
export interface CallOptions {
  /** Replaces the ExecNode's own tags for this use. */
  tag?: string | readonly string[];
  /** The node runs only when this value (a constant or a traced value) is truthy. */
  active?: unknown;
  /** Overrides the ExecNode's `unpackTo` for this use. */
  unpackTo?: number;
  /** Overrides the ExecNode's `timeout` (milliseconds) for this use. */
  timeout?: number;
}

type Fn = (...args: never[]) => unknown;

type TraceableArgs<P extends readonly unknown[]> = { [K in keyof P]: Traceable<P[K]> };

/** A parameter list without its last AbortSignal parameter, the one a `signal: true` node receives. */
type WithoutSignal<P extends readonly unknown[]> = P extends readonly [...infer Head, AbortSignal]
  ? Head
  : P extends readonly [...infer Head, (AbortSignal | undefined)?]
    ? Head
    : P;

/** The arguments a call of the ExecNode takes: the function's, without the signal it receives. */
type CallParameters<F extends Fn, S extends boolean> = S extends true
  ? WithoutSignal<Parameters<F>>
  : Parameters<F>;

type TracedCall<F extends Fn, Absent = never, S extends boolean = false> = (
  ...args: TraceableArgs<CallParameters<F, S>>
) => Traced<Awaited<ReturnType<F>>, Absent>;

/**
 * A function wrapped by `xn`. Called inside a describing function it records a node and
 * returns a traced value; called outside, it follows `cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR`.
 */
export interface ExecNode<F extends Fn = Fn, S extends boolean = false> extends TracedCall<F, never, S> {
  /** The base id of the nodes this ExecNode makes. */
  readonly id: string;
  /** The wrapped function. */
  readonly fn: F;
  /** The validated options. */
  readonly options: Readonly<Required<Omit<ExecNodeOptions, "unpackTo" | "tag" | "signal">>> & {
    readonly signal: boolean;
    readonly tags: readonly string[];
    readonly unpackTo: number | undefined;
  };
  /**
   * Returns a caller that applies per-use options, as Tawazi's `twz_*` keywords. With
   * `active`, the result is typed as possibly `undefined`, the result of a skipped node.
   */
  with<O extends CallOptions>(
    options: O,
  ): TracedCall<F, "active" extends keyof O ? undefined : never, S>;
}

const execNodeOptionKeys = [
  "name",
  "priority",
  "isSequential",
  "resource",
  "tag",
  "setup",
  "debug",
  "unpackTo",
  "signal",
  "timeout",
] as const;

const callOptionKeys = ["tag", "active", "unpackTo", "timeout"] as const;

/**
 * The signal a `signal: true` function receives when it is called directly, outside a DAG
 * (see cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR): it never aborts.
 */
const neverAborted = new AbortController().signal;

const warnedOutsideDag = new WeakSet<object>();

/** Returns "file:line:column" of the caller's caller, for messages about a call site. */
export function callSite(): string {
  const lines = new Error().stack?.split("\n") ?? [];
  const frame = lines.find((line, position) => position >= 3 && !line.includes("/src/trace/"));
  return frame?.trim().replace(/^at\s+/u, "") ?? "an unknown location";
}

function validateResource(where: string, value: unknown, fromConfig: boolean): ResourceKind {
  if (value === Resource.async || value === Resource.mainThread) return value;
  const source = fromConfig
    ? "the default resource cfg.TAWAZI_DEFAULT_RESOURCE (environment variable of the same name)"
    : "option resource";
  if (value === Resource.worker) {
    // NOTE: worker nodes need a module URL and an export name to run in a worker thread.
    // Until that resource exists, "worker" is rejected here rather than run on the main thread.
    throw new TawaziUsageError(
      `${where}: ${source} is "worker", which is not available in this version; ` +
        'use "async" or "main-thread".',
    );
  }
  throw new TawaziUsageError(
    `${where}: ${source} must be "async" or "main-thread", received ${describeValue(value)}.`,
  );
}

/**
 * Wraps `fn` as an ExecNode.
 *
 * @example
 * const incr = xn(function incr(x: number) { return x + 1; });
 * const fetchUser = xn(async (id: string) => db.get(id), { name: "fetchUser", priority: 2 });
 */
export function xn<F extends Fn>(fn: F, options: ExecNodeOptions & { signal: true }): ExecNode<F, true>;
export function xn<F extends Fn>(fn: F, options?: ExecNodeOptions): ExecNode<F>;
export function xn<F extends Fn>(fn: F, options: ExecNodeOptions = {}): ExecNode<F, boolean> {
  return makeExecNode(fn, options, "xn()", false);
}

/** Options of `xn.worker(moduleUrl, exportName, options)`. */
export interface WorkerNodeOptions extends Omit<ExecNodeOptions, "resource" | "signal"> {
  /**
   * Cancel the node's task in the pool when the node's signal aborts (see ExecNodeOptions's
   * `signal`). A task still queued is removed, and the worker thread running it is terminated,
   * so the module's work stops. The next worker node starts a new thread. The function gets no
   * signal, because a signal cannot cross to a worker thread. Without it, a task whose run
   * ended keeps its thread busy until it returns, and its result is discarded.
   * @default false
   */
  signal?: boolean;
  /**
   * Positions of the arguments whose ArrayBuffer (an ArrayBuffer, or the buffer of a typed array
   * or DataView) is transferred to the worker instead of copied; the caller's copy is detached.
   * @default []
   */
  transfer?: readonly number[];
}

const workerOptionKeys = [...execNodeOptionKeys.filter((key) => key !== "resource"), "transfer"];

/**
 * Makes an ExecNode whose function is the export `exportName` of the module `moduleUrl`, run
 * in the shared worker-thread pool. Arguments and results cross by structured clone.
 *
 * @example
 * const heavy = xn.worker<typeof import("./tasks.js").heavy>(
 *   new URL("./tasks.js", import.meta.url), "heavy");
 */
xn.worker = function worker<F extends Fn = Fn>(
  moduleUrl: string | URL,
  exportName: string,
  options: WorkerNodeOptions = {},
): ExecNode<F> {
  const where = "xn.worker()";
  const url = workerModuleUrl(where, moduleUrl);
  if (typeof exportName !== "string" || exportName === "") {
    throw new TawaziUsageError(
      `${where}: the export name must be a non-empty string, received ${describeValue(exportName)}.`,
    );
  }
  checkOptionsObject(where, options);
  checkKeys(where, "option", options, workerOptionKeys);
  const transfer = validateTransfer(where, options.transfer);
  const { transfer: _transfer, ...nodeOptions } = options;
  const nodeName = options.name === undefined ? exportName : options.name;

  // A `signal: true` worker node receives the signal after its arguments, like any node.
  const cancellable = options.signal === true;
  const runExport = (...received: unknown[]): Promise<unknown> => {
    const signal = cancellable ? (received.pop() as AbortSignal) : undefined;
    return runInWorker({
      nodeName,
      moduleUrl: url,
      exportName,
      args: received,
      transferList: transferredBuffers(received, transfer),
      signal,
    });
  };
  const named = { ...nodeOptions, name: nodeName };
  return makeExecNode(runExport as unknown as F, named, where, true) as ExecNode<F>;
};

function workerModuleUrl(where: string, moduleUrl: unknown): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl === "string" && isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  if (typeof moduleUrl === "string" && /^(file|data):/u.test(moduleUrl)) return moduleUrl;
  throw new TawaziUsageError(
    `${where}: the module must be a URL or an absolute path, received ${describeValue(moduleUrl)}. ` +
      'Pass new URL("./tasks.js", import.meta.url).',
  );
}

function validateTransfer(where: string, value: unknown): readonly number[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((position) => Number.isInteger(position) && position >= 0)) {
    return value as number[];
  }
  throw new TawaziUsageError(
    `${where}: option transfer must be an array of argument positions (integers ≥ 0), ` +
      `received ${describeValue(value)}.`,
  );
}

/** Collects the buffers of the arguments at `positions`; other values are ignored. */
function transferredBuffers(args: readonly unknown[], positions: readonly number[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const position of positions) {
    const arg = args[position];
    if (arg instanceof ArrayBuffer) buffers.push(arg);
    else if (ArrayBuffer.isView(arg) && arg.buffer instanceof ArrayBuffer) buffers.push(arg.buffer);
  }
  return [...new Set(buffers)];
}

function makeExecNode<F extends Fn>(
  fn: F,
  options: ExecNodeOptions,
  where: string,
  worker: boolean,
): ExecNode<F, boolean> {
  if (typeof fn !== "function" || isRevokedProxy(fn)) {
    const received = typeof fn === "function" ? "a revoked Proxy" : describeValue(fn);
    throw new TawaziUsageError(
      `${where}: expected a function as first argument, received ${received}. ` +
        "Pass the function to run as a node.",
    );
  }
  checkOptionsObject(where, options);
  if (!worker) checkKeys(where, "option", options, execNodeOptionKeys);

  let name: string;
  if (options.name !== undefined) {
    if (typeof options.name !== "string" || options.name === "") {
      throw new TawaziUsageError(
        `${where}: option name must be a non-empty string, received ${describeValue(options.name)}.`,
      );
    }
    name = options.name;
  } else if (fn.name !== "") {
    name = fn.name;
  } else {
    throw new TawaziUsageError(
      `${where}: the function has no name (called at ${callSite()}). ` +
        'Use a named function or pass { name: "..." }.',
    );
  }

  // Only undefined selects a default: null is an invalid value like any other, as for name and tag.
  const priority = validatePriority(where, options.priority === undefined ? 0 : options.priority);
  const isSequential = validateBoolean(
    where,
    options.isSequential === undefined ? "cfg.TAWAZI_IS_SEQUENTIAL (the default of isSequential)" : "isSequential",
    options.isSequential === undefined ? cfg.TAWAZI_IS_SEQUENTIAL : options.isSequential,
  );
  const resource = worker
    ? Resource.worker
    : validateResource(
        where,
        options.resource === undefined ? cfg.TAWAZI_DEFAULT_RESOURCE : options.resource,
        options.resource === undefined,
      );
  const tags = validateTags(where, options.tag);
  const setup = validateBoolean(where, "setup", options.setup === undefined ? false : options.setup);
  const debug = validateBoolean(where, "debug", options.debug === undefined ? false : options.debug);
  if (setup && debug) {
    throw new TawaziUsageError(
      `${where}: node "${name}" is declared both setup and debug; a node can be one or the ` +
        "other. Split it into a setup node and a debug node that uses its result.",
    );
  }
  const unpackTo =
    options.unpackTo === undefined ? undefined : validateUnpackTo(where, options.unpackTo);
  const signal = validateBoolean(where, "signal", options.signal ?? false);
  const timeout =
    options.timeout === undefined
      ? Number.POSITIVE_INFINITY
      : validateTimeout(where, "timeout", options.timeout);

  let flags = 0;
  if (isSequential) flags |= NodeFlag.sequential;
  if (resource === Resource.mainThread) flags |= NodeFlag.inline | NodeFlag.blocking;
  if (resource === Resource.worker) flags |= NodeFlag.worker;
  if (setup) flags |= NodeFlag.setup;
  if (debug) flags |= NodeFlag.debug;

  const normalized = Object.freeze({
    name,
    priority,
    isSequential,
    resource,
    tags,
    setup,
    debug,
    unpackTo,
    signal,
    timeout,
  });
  const defaultSpec: CallSpec = {
    tags,
    priority,
    flags,
    unpackTo: unpackTo ?? 0,
    active: undefined,
    signal,
    timeout,
  };

  const execNode = function (this: unknown, ...args: unknown[]): unknown {
    return invoke(execNode as unknown as ExecNode, fn, defaultSpec, args);
  } as unknown as ExecNode<F, boolean>;

  const withOptions = (callOptions: CallOptions): unknown => {
    const spec = callSpecOf(name, defaultSpec, callOptions);
    return (...args: unknown[]) => invoke(execNode as unknown as ExecNode, fn, spec, args);
  };

  Object.defineProperties(execNode, {
    id: { value: name, enumerable: true },
    fn: { value: fn },
    options: { value: normalized },
    with: { value: withOptions },
  });
  Object.defineProperty(execNode, "name", { value: name });
  return execNode;
}

function callSpecOf(name: string, base: CallSpec, options: CallOptions): CallSpec {
  const where = `${name}.with()`;
  checkOptionsObject(where, options);
  checkKeys(where, "option", options, callOptionKeys);

  return {
    tags: options.tag === undefined ? base.tags : validateTags(where, options.tag),
    priority: base.priority,
    flags: base.flags,
    unpackTo:
      options.unpackTo === undefined ? base.unpackTo : validateUnpackTo(where, options.unpackTo),
    active: options.active,
    signal: base.signal,
    timeout:
      options.timeout === undefined ? base.timeout : validateTimeout(where, "timeout", options.timeout),
  };
}

function invoke(execNode: ExecNode, fn: Fn, spec: CallSpec, args: unknown[]): unknown {
  const builder = currentBuilder();
  if (builder !== undefined) return builder.addCall(execNode, args, spec);

  const behavior = cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR;
  if (!outsideDagBehaviors.includes(behavior)) {
    throw new TawaziUsageError(
      `cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR has the invalid value ${describeValue(behavior)}; ` +
        'allowed values: "error", "warning", "ignore".',
    );
  }
  if (behavior === "error") {
    throw new TawaziUsageError(
      `ExecNode "${execNode.id}" was called outside a describing function. Call it inside ` +
        "dag(...), or set cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR (environment variable of " +
        'the same name) to "warning" or "ignore" to call the function directly.',
    );
  }
  if (behavior === "warning" && !warnedOutsideDag.has(execNode)) {
    warnedOutsideDag.add(execNode);
    process.emitWarning(
      `ExecNode "${execNode.id}" was called outside a describing function; ` +
        "the function runs directly.",
      { code: "TAWAZI_EXECNODE_OUTSIDE_DAG" },
    );
  }
  const values = spec.signal ? [...args, neverAborted] : args;
  return (fn as (...values: unknown[]) => unknown)(...values);
}
