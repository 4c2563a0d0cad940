import { type ExecNodeOptions, xn } from "../../index.js";

/**
 * Makes ExecNodes that log their name in `calls` when they run and return
 * `name(input1,input2,...)`, so a result shows which values reached the node.
 */
export function recorder() {
  const calls: string[] = [];
  const node = (name: string, options: ExecNodeOptions = {}) =>
    xn(
      (...inputs: unknown[]): string => {
        calls.push(name);
        return `${name}(${inputs.map(String).join(",")})`;
      },
      { ...options, name },
    );
  return { calls, node };
}

/** Makes a setup ExecNode that counts its runs in `counts[name]` and returns `name#run`. */
export function countedSetup(counts: Record<string, number>, name: string) {
  counts[name] = 0;
  return xn(
    (...inputs: unknown[]): string => {
      counts[name]! += 1;
      const suffix = inputs.length === 0 ? "" : `(${inputs.map(String).join(",")})`;
      return `${name}#${counts[name]}${suffix}`;
    },
    { name, setup: true },
  );
}
