// Runs one worker node inside a pool thread: imports the node's module once per thread and
// calls the named export. Failures come back as plain records, because structured clone drops
// an error's own properties (such as `code`) and cannot say which import step failed.

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

function errorRecord(error) {
  if (!(error instanceof Error)) return { kind: "thrown", value: cloneable(error) ? error : String(error) };
  const props = {};
  for (const key of Object.keys(error)) {
    if (key !== "name" && key !== "message" && key !== "stack" && cloneable(error[key])) {
      props[key] = error[key];
    }
  }
  return { kind: "error", name: error.name, message: error.message, stack: error.stack, props };
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

  try {
    return { value: await fn(...args) };
  } catch (error) {
    return { failure: errorRecord(error) };
  }
}
