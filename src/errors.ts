/**
 * The error registry: every error tawazi raises is one of these classes, and each class has
 * one stable `code`. Tests and callers check `code` or the class, never the wording.
 *
 * Errors thrown by a node's own function are not wrapped: they reach the caller as the same
 * object, with the node id attached as `tawaziNode`.
 */

export const errorCodes = {
  TawaziError: "ERR_TAWAZI",
  TawaziUsageError: "ERR_TAWAZI_USAGE",
  TawaziTypeError: "ERR_TAWAZI_TYPE",
  TawaziCycleError: "ERR_TAWAZI_CYCLE",
  TawaziCacheError: "ERR_TAWAZI_CACHE",
  TawaziTimeoutError: "ERR_TAWAZI_TIMEOUT",
  TawaziWorkerError: "ERR_TAWAZI_WORKER",
} as const;

export type TawaziErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/** Base class of every error raised by tawazi itself. */
export class TawaziError extends Error {
  readonly code: TawaziErrorCode = errorCodes.TawaziError;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Misuse of the API: invalid options, unknown aliases, wrong argument counts, traced-value misuse. */
export class TawaziUsageError extends TawaziError {
  override readonly code: TawaziErrorCode = errorCodes.TawaziUsageError;
}

/** A value of the wrong shape at run time, such as an `unpackTo` node returning an array of another length. */
export class TawaziTypeError extends TawaziError {
  override readonly code: TawaziErrorCode = errorCodes.TawaziTypeError;
}

/** A dependency cycle; `cycle` lists the node ids in order, the first repeated at the end. */
export class TawaziCycleError extends TawaziError {
  override readonly code: TawaziErrorCode = errorCodes.TawaziCycleError;

  readonly cycle: readonly string[];

  constructor(cycle: readonly string[]) {
    super(
      `dependency cycle: ${cycle.join(" -> ")}. ` +
        "A node cannot depend on its own result; remove one of these edges.",
    );
    this.cycle = cycle;
  }
}

/** A cache file that is missing, truncated, corrupt or foreign, or a value that cannot be cached. */
export class TawaziCacheError extends TawaziError {
  override readonly code: TawaziErrorCode = errorCodes.TawaziCacheError;
}

/** Options of a TawaziTimeoutError: the limit that was exceeded and the node that exceeded it. */
export interface TimeoutErrorOptions extends ErrorOptions {
  /** The limit in milliseconds. */
  readonly timeout?: number;
  /** The id of the node that timed out; absent when a whole run timed out. */
  readonly node?: string;
}

/** A node or a run that exceeded its time limit (the `timeout` option). */
export class TawaziTimeoutError extends TawaziError {
  override readonly code: TawaziErrorCode = errorCodes.TawaziTimeoutError;
  /** The limit in milliseconds, when the error comes from a `timeout` option. */
  readonly timeout: number | undefined;
  /** The id of the node that timed out; undefined when a whole run timed out. */
  readonly node: string | undefined;

  constructor(message: string, options: TimeoutErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.timeout = options.timeout;
    this.node = options.node;
  }
}

/**
 * A worker node that could not run its function: the module or export does not exist, or the
 * worker thread exited or crashed (`process.exit`, out of memory). The pool's own error, if
 * any, is the `cause`.
 */
export class TawaziWorkerError extends TawaziError {
  override readonly code: TawaziErrorCode = errorCodes.TawaziWorkerError;
}

/** Describes a value for an error message: its printed form and its type, as in `0 (number)`. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `${JSON.stringify(value)} (string)`;
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (value === null) return "null";
  if (typeof value === "symbol") return `${String(value)} (symbol)`;
  if (typeof value === "bigint") return `${value}n (bigint)`;
  if (typeof value !== "object") return `${String(value)} (${typeof value})`;

  const kind = Array.isArray(value) ? "array" : "object";
  const prototype = Object.getPrototypeOf(value);
  if (kind === "array" || prototype === Object.prototype || prototype === null) {
    const printed = printedForm(value);
    return printed === undefined ? `an ${kind}` : `${printed} (${kind})`;
  }
  const name = (value as { constructor?: { name?: string } }).constructor?.name || "Object";
  return `an instance of ${name}`;
}

/** JSON text of a plain value, shortened to 60 characters; undefined when it has none. */
function printedForm(value: object): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Attaches the id of the node that raised `error` without wrapping it. Primitives and frozen
 * objects cannot carry the id; they are passed through unchanged.
 */
export function attachNodeId(error: unknown, nodeId: string): unknown {
  if ((typeof error === "object" && error !== null) || typeof error === "function") {
    try {
      Object.defineProperty(error, "tawaziNode", {
        value: nodeId,
        configurable: true,
        writable: true,
        enumerable: false,
      });
    } catch {
      // A frozen or exotic error object keeps its identity even without the id.
    }
  }
  return error;
}
