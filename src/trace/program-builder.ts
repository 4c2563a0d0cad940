import { TawaziUsageError } from "../errors.js";
import { compileGraph } from "../graph/compiled.js";
import { LimitFlag, type Program } from "../run/program.js";
import { isThenable } from "../run/run.js";
import { GraphBuilder } from "./builder.js";
import { checkNodeRules } from "./node-rules.js";
import type { Parameter } from "./parameters.js";
import { tracedRefOf } from "./traced.js";

/** A traced description: the builder's records and the program compiled from them. */
export interface TracedProgram {
  readonly builder: GraphBuilder;
  readonly program: Program;
}

/** Returns whether `value` is thenable; a revoked Proxy, which throws on any read, is not. */
function returnsThenable(value: unknown): boolean {
  try {
    return isThenable(value);
  } catch {
    return false;
  }
}

/**
 * Calls `describe` once with a traced value for each parameter and compiles what it records.
 * Where `useDefault[i]` is true, parameter i still gets its argument node (so ids stay the
 * same) but `describe` receives `undefined` there, so its JavaScript default applies.
 */
export function traceProgram(
  describe: (...args: unknown[]) => unknown,
  name: string,
  parameters: readonly Parameter[],
  useDefault: readonly boolean[] | null,
): TracedProgram {
  const builder = new GraphBuilder(name);
  const tracedArgs = parameters.map((parameter, position) =>
    builder.addArgument(parameter.name, position),
  );

  const describeArgs =
    useDefault === null
      ? tracedArgs
      : tracedArgs.map((traced, position) => (useDefault[position] ? undefined : traced));
  const returned = builder.trace(() => describe(...describeArgs));
  if (tracedRefOf(returned) === undefined && returnsThenable(returned)) {
    // The promise may reject later (it may await a traced value); keep that rejection handled.
    Promise.resolve(returned as PromiseLike<unknown>).catch(() => {});
    throw new TawaziUsageError(
      `dag(): the describing function of "${name}" returned a promise. Describing functions ` +
        "must be synchronous: they only wire ExecNodes together; put the await inside an ExecNode.",
    );
  }
  const returnEntry = builder.toEntry(returned, -1);
  checkNodeRules(builder);

  const graph = compileGraph({
    ids: builder.ids,
    parentOffsets: builder.parentOffsets,
    parents: builder.parentList,
    flags: builder.flags,
    priority: builder.priorities,
  });

  const program: Program = {
    graph,
    kinds: Uint8Array.from(builder.kinds),
    fns: builder.execNodes.map((execNode) =>
      execNode === null ? null : (execNode.fn as (...args: unknown[]) => unknown),
    ),
    payloads: builder.payloads,
    actives: builder.actives,
    setupOrigins: builder.setupOrigins,
    unpackTo: Uint32Array.from(builder.unpackTo),
    returnEntry,
    ...limitArrays(builder),
  };
  return { builder, program };
}

/** Turns the builder's sparse signal and time-limit records into per-node arrays. */
function limitArrays(builder: GraphBuilder): Pick<Program, "limits" | "timeouts"> {
  if (builder.limits.size === 0) return { limits: null, timeouts: null };
  const limits = new Uint8Array(builder.size);
  const timeouts = new Float64Array(builder.size).fill(Number.POSITIVE_INFINITY);
  for (const [node, { signal, timeout }] of builder.limits) {
    if (signal) limits[node]! |= LimitFlag.signal;
    if (timeout !== Number.POSITIVE_INFINITY) limits[node]! |= LimitFlag.timeout;
    timeouts[node] = timeout;
  }
  return { limits, timeouts };
}
