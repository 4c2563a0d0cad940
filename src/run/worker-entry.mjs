// Runs one worker node inside a pool thread: imports the node's module once per thread and
// calls the named export. Failures come back as plain records, because structured clone drops
// an error's own properties (such as `code`) and cannot tell which import step failed.

const modules = new Map();
let typeScriptLoader;

/**
 * Registers tsx's loader in this thread before the first TypeScript module: Node 20 does not
 * apply the main thread's `--import=tsx` hooks to worker threads. Without tsx installed, the
 * import below fails with Node's own message.
 */
function prepareTypeScript(moduleUrl) {
  if (!/\.[cm]?tsx?$/u.test(new URL(moduleUrl).pathname)) return undefined;
  typeScriptLoader ??= import("tsx/esm/api").then(
    (api) => api.register(),
    () => undefined,
  );
  return typeScriptLoader;
}

const unreadable = Symbol("unreadable");

/** Reads a property without letting a throwing getter escape; `fallback` when it throws. */
function readSafely(object, key, fallback = undefined) {
  try {
    return object[key];
  } catch {
    return fallback;
  }
}

function text(value, fallback) {
  if (typeof value === "string") return value;
  try {
    return value === undefined ? fallback : String(value);
  } catch {
    return fallback;
  }
}

function errorRecord(error, depth = 0) {
  if (!(error instanceof Error)) {
    return { kind: "thrown", value: cloneable(error) ? error : text(error, "a value that cannot be copied") };
  }
  const props = {};
  let keys = [];
  try {
    keys = Object.keys(error);
  } catch {
    // An exotic error (a proxy) may refuse to list its keys: keep only name, message and stack.
  }
  for (const key of keys) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
    const value = readSafely(error, key, unreadable);
    if (value !== unreadable && cloneable(value)) props[key] = value;
  }
  const record = {
    kind: "error",
    name: text(readSafely(error, "name"), "Error"),
    message: text(readSafely(error, "message"), ""),
    stack: text(readSafely(error, "stack"), undefined),
    props,
  };
  // A chain of causes is kept to a few levels, which also stops a cause that refers to itself.
  let hasCause = false;
  try {
    hasCause = "cause" in error;
  } catch {
    hasCause = false;
  }
  if (hasCause && depth < 8) record.cause = errorRecord(readSafely(error, "cause"), depth + 1);
  return record;
}

function cloneable(value) {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

export default async function runWorkerNode({ moduleUrl, exportName, args }) {
  let module = modules.get(moduleUrl);
  if (module === undefined) {
    try {
      await prepareTypeScript(moduleUrl);
      module = await import(moduleUrl);
    } catch (error) {
      return { failure: { kind: "module", message: String(error?.message ?? error) } };
    }
    modules.set(moduleUrl, module);
  }

  const fn = module[exportName];
  if (typeof fn !== "function") {
    const exports = Object.keys(module).filter((key) => typeof module[key] === "function");
    return { failure: { kind: "export", exports, found: typeof fn } };
  }

  let value;
  try {
    value = await fn(...args);
  } catch (error) {
    return { failure: errorRecord(error) };
  }
  // NOTE: objects are cloned once here to report a result that cannot cross as a clear error;
  // the pool clones them again to send them, so large object results cost twice.
  if ((typeof value === "object" && value !== null) || typeof value === "function") {
    try {
      structuredClone(value);
    } catch (error) {
      const type = typeof value === "function" ? "a function" : `an instance of ${value.constructor?.name ?? "Object"}`;
      return { failure: { kind: "result", type, message: String(error?.message ?? error) } };
    }
  }
  return { value };
}
