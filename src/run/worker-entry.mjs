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

function errorRecord(error, depth = 0) {
  if (!(error instanceof Error)) return { kind: "thrown", value: cloneable(error) ? error : String(error) };
  const props = {};
  for (const key of Object.keys(error)) {
    if (key !== "name" && key !== "message" && key !== "stack" && key !== "cause" && cloneable(error[key])) {
      props[key] = error[key];
    }
  }
  const record = { kind: "error", name: error.name, message: error.message, stack: error.stack, props };
  // A chain of causes is kept to a few levels, which also stops a cause that refers to itself.
  if ("cause" in error && depth < 8) record.cause = errorRecord(error.cause, depth + 1);
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
