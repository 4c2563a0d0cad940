import { TawaziUsageError, describeValue } from "../errors.js";
import { NodeFlag, NodeKind } from "../graph/flags.js";
import type { Program } from "../run/program.js";
import type { Alias } from "./aliases.js";
import { DagCore } from "./dag-core.js";
import { Template } from "./template.js";
import { TracedRef } from "./traced.js";
import { checkKeys, checkOptionsObject } from "./validate.js";

/** Options of `pipeline.compose(options)`. */
export interface ComposeOptions {
  /**
   * The composed DAG's name.
   * @default `${original name}_composed`
   */
  name?: string;
  /**
   * The nodes whose results become the composed DAG's parameters, in order. `"..."` stands
   * for the original DAG's own inputs.
   */
  inputs: readonly (Alias | "...")[];
  /** The node whose result the composed DAG returns, or an array of them. */
  outputs: Alias | readonly Alias[];
}

/**
 * Builds the core of a DAG made of part of `core`'s DAG: the `inputs` nodes become argument
 * nodes and only what the outputs need from there runs.
 *
 * # Errors
 * TawaziUsageError for an alias that names no node or several, outputs that need a DAG input
 * not among `inputs`, or an input that depends on another input.
 *
 * # Complexity
 * O(V + E).
 */
export function composeCore(core: DagCore, options: ComposeOptions): DagCore {
  const where = `${core.name}.compose()`;
  checkOptionsObject(where, options);
  checkKeys(where, "option", options, ["name", "inputs", "outputs"]);
  if (!Array.isArray(options.inputs)) {
    throw new TawaziUsageError(
      `${where}: option inputs must be an array of aliases, received ${describeValue(options.inputs)}.`,
    );
  }
  const name = options.name === undefined ? `${core.name}_composed` : options.name;
  if (typeof name !== "string" || name === "") {
    throw new TawaziUsageError(`${where}: option name must be a non-empty string, received ${describeValue(name)}.`);
  }

  const program = core.traced.program;
  const graph = program.graph;
  const aliases = core.aliasIndex();
  const originalInputs = [];
  for (let node = 0; node < graph.size; node += 1) {
    const inScope = core.scope === null || core.scope[node] === 1;
    if (program.kinds[node] === NodeKind.argument && inScope) originalInputs.push(node);
  }

  const inputs: number[] = [];
  for (const alias of options.inputs) {
    const named = alias === "..." ? originalInputs : [aliases.resolveOne(alias, where, graph.ids)];
    for (const node of named) {
      if (inputs.includes(node)) {
        throw new TawaziUsageError(
          `${where}: node "${graph.ids[node]}" is listed twice in inputs` +
            `${alias === "..." ? ' (through "...")' : ""}; list each input once.`,
        );
      }
      inputs.push(node);
    }
  }
  const singleOutput = !Array.isArray(options.outputs);
  const outputAliases = (singleOutput ? [options.outputs] : options.outputs) as readonly Alias[];
  const outputs = outputAliases.map((alias) => aliases.resolveOne(alias, where, graph.ids));

  const isInput = new Uint8Array(graph.size);
  for (const input of inputs) isInput[input] = 1;
  const needed = ancestorsStoppingAt(program, outputs, isInput);

  const missing = originalInputs.filter((node) => needed[node] === 1 && isInput[node] === 0);
  if (missing.length > 0) {
    const several = missing.length > 1;
    throw new TawaziUsageError(
      `${where}: the outputs need ${missing.map((node) => `"${graph.ids[node]}"`).join(", ")}, ` +
        `which ${several ? "are" : "is"} not among the inputs. Add ${several ? "them" : "it"} to ` +
        'inputs (or add "..." for the DAG\'s own inputs).',
    );
  }
  for (const input of inputs) {
    const above = ancestorsStoppingAt(program, [input], new Uint8Array(graph.size));
    const dependsOn = inputs.find((other) => other !== input && above[other] === 1);
    if (dependsOn !== undefined) {
      throw new TawaziUsageError(
        `${where}: input "${graph.ids[input]}" depends on input "${graph.ids[dependsOn]}"; ` +
          "inputs must be independent, so keep only one of them.",
      );
    }
  }
  for (const input of inputs) {
    if (needed[input] === 0) {
      process.emitWarning(
        `${where}: input "${graph.ids[input]}" is not used by any output of "${name}".`,
        { code: "TAWAZI_UNUSED_INPUT" },
      );
    }
  }

  const composed = composedProgram(program, core, inputs, outputs, singleOutput);
  const scope = needed;
  for (const input of inputs) scope[input] = 1;
  for (let node = 0; node < graph.size; node += 1) {
    if (program.kinds[node] === NodeKind.argument && isInput[node] === 0) scope[node] = 0;
  }

  const parameters = inputs.map((input) => ({ name: graph.ids[input]!, hasDefault: false }));
  // NOTE: a composed DAG runs the program traced with every argument given, so it cannot apply
  // the original DAG's default values: those arguments become required.
  const required = inputs.map((input) => {
    if (program.kinds[input] !== NodeKind.argument) return false;
    return core.parameters[program.payloads[input] as number]?.hasDefault === true;
  });
  const describe = (): never => {
    // NOTE: a composed DAG has no describing function of its own, so it cannot be inlined.
    throw new TawaziUsageError(
      `DAG "${name}" was made by compose() and cannot be called inside a describing function; ` +
        "call the original DAG there instead.",
    );
  };
  return new DagCore(name, describe, parameters, { builder: core.traced.builder, program: composed }, {
    maxConcurrency: core.maxConcurrency,
    behavior: core.behavior,
    scheduler: core.scheduler,
    scope,
    required,
  });
}

/**
 * Returns the original program with the input nodes turned into argument nodes and the
 * outputs as return value. Node indices stay the same, so argument entries stay valid.
 */
function composedProgram(
  program: Program,
  core: DagCore,
  inputs: readonly number[],
  outputs: readonly number[],
  singleOutput: boolean,
): Program {
  const graph = program.graph;
  const kinds = program.kinds.slice();
  const flags = graph.flags.slice();
  const payloads = [...program.payloads];
  const actives = new Map(program.actives);
  const setupOrigins = new Map(program.setupOrigins);

  inputs.forEach((input, position) => {
    kinds[input] = NodeKind.argument;
    flags[input] = NodeFlag.inline;
    payloads[input] = position;
    actives.delete(input);
    setupOrigins.delete(input);
  });

  const refs = outputs.map((output) => new TracedRef(core.traced.builder, output, 0));
  const returnEntry = singleOutput
    ? refs[0]
    : new Template(
        refs.map(() => undefined),
        refs.map((ref, position) => ({ path: [position], ref })),
      );
  return {
    ...program,
    graph: { ...graph, flags, priority: graph.priority.slice(), compoundPriority: graph.compoundPriority.slice() },
    kinds,
    payloads,
    actives,
    setupOrigins,
    unpackTo: program.unpackTo.map((count, node) => (kinds[node] === NodeKind.argument ? 0 : count)),
    returnEntry,
  };
}

/** Marks `starts` and their ancestors, without going above nodes marked in `stops`. */
function ancestorsStoppingAt(program: Program, starts: readonly number[], stops: Uint8Array): Uint8Array {
  const { parentOffsets, parents, size } = program.graph;
  const reached = new Uint8Array(size);
  const stack = [...starts];
  for (const start of starts) reached[start] = 1;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (stops[node] === 1) continue;
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      const parent = parents[edge]!;
      if (reached[parent] === 0) {
        reached[parent] = 1;
        stack.push(parent);
      }
    }
  }
  return reached;
}
