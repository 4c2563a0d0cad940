/**
 * The examples' command line, run by main.ts (`npm start`). Without arguments it runs the demo;
 * `--workflow FILE.json` replays a WfCommons instance instead, and `--trace FILE` also writes
 * the replay's timeline as Trace Event JSON.
 *
 * Exit codes: 0 on success, 1 when the library or the workflow file raises an error or the
 * trace file cannot be written, 2 for an invalid command line.
 */
import { TawaziError } from "../index.js";
import { formatDemo, measureDemo } from "./demo.js";
import {
  TraceFileError,
  checkTracePath,
  formatReplay,
  type ReplayOrder,
  loadWorkflow,
  replayWorkflow,
  writeTraceFile,
} from "./workflow.js";

const usage = `Usage:
  npm start                               run the sales demo
  npm start -- --workflow FILE.json [--concurrency N] [--time-scale S] [--order O] [--trace FILE]
                                          replay a WfCommons workflow instance
  npm start -- --help                     print this help

Options:
  --workflow FILE.json  WfCommons instance to replay (WfFormat 1.5, or the older layout
                        with runtimes on the tasks)
  --concurrency N       maximum number of tasks running at once, an integer >= 1 (default 4)
  --time-scale S        factor applied to recorded runtimes, a positive number; 0.001 turns
                        1 s into 1 ms (default 0.001)
  --order O             order of ready tasks: description (the file's order, the default) or
                        critical-path (the longest remaining chain of runtimes first)
  --trace FILE          also write the replay's timeline to FILE as Trace Event JSON, one
                        event per task, to open in Perfetto or chrome://tracing`;

/** Limits compared by the demo: sequential, then every fetch at once. */
const demoLimits = [1, 3, 6];

const knownFlags = ["--workflow", "--concurrency", "--time-scale", "--order", "--trace"];
const orders: readonly ReplayOrder[] = ["description", "critical-path"];

/** An invalid command line; the message names the value and the fix. */
class CommandLineError extends Error {}

interface Command {
  help: boolean;
  workflow: string | undefined;
  concurrency: number;
  timeScale: number;
  order: ReplayOrder;
  trace: string | undefined;
}

function parseCommandLine(args: readonly string[]): Command {
  const command: Command = {
    help: false,
    workflow: undefined,
    concurrency: 4,
    timeScale: 0.001,
    order: "description",
    trace: undefined,
  };
  const flagsSeen = new Set<string>();

  for (let position = 0; position < args.length; position += 1) {
    const argument = args[position]!;
    if (argument === "--help" || argument === "-h") {
      command.help = true;
      continue;
    }
    if (!argument.startsWith("--")) {
      throw new CommandLineError(
        `unexpected argument "${argument}"; options start with --, run with --help to list them.`,
      );
    }

    const equals = argument.indexOf("=");
    const flag = equals === -1 ? argument : argument.slice(0, equals);
    if (!knownFlags.includes(flag)) {
      throw new CommandLineError(`unknown option "${flag}"; run with --help to list the options.`);
    }
    let value: string | undefined;
    if (equals !== -1) {
      value = argument.slice(equals + 1);
    } else if (position + 1 < args.length && !args[position + 1]!.startsWith("--")) {
      position += 1;
      value = args[position];
    }
    flagsSeen.add(flag);

    if (flag === "--workflow") {
      if (value === undefined || value === "") {
        throw new CommandLineError(
          "--workflow needs a file; pass it as --workflow path/to/instance.json.",
        );
      }
      command.workflow = value;
    } else if (flag === "--trace") {
      if (value === undefined || value === "") {
        throw new CommandLineError("--trace needs a file; pass it as --trace path/to/trace.json.");
      }
      command.trace = value;
    } else if (flag === "--concurrency") {
      const number = Number(value);
      if (value === undefined || value.trim() === "" || !Number.isInteger(number) || number < 1) {
        throw new CommandLineError(
          `--concurrency must be an integer >= 1, received ${JSON.stringify(value ?? "")}; ` +
            "pass e.g. --concurrency 4.",
        );
      }
      command.concurrency = number;
    } else if (flag === "--order") {
      if (!orders.includes(value as ReplayOrder)) {
        throw new CommandLineError(
          `--order must be description or critical-path, received ${JSON.stringify(value ?? "")}; ` +
            "pass e.g. --order critical-path.",
        );
      }
      command.order = value as ReplayOrder;
    } else {
      const number = Number(value);
      if (value === undefined || value.trim() === "" || !Number.isFinite(number) || number <= 0) {
        throw new CommandLineError(
          `--time-scale must be a positive number, received ${JSON.stringify(value ?? "")}; ` +
            "pass e.g. --time-scale 0.001.",
        );
      }
      command.timeScale = number;
    }
  }

  if (command.workflow === undefined && !command.help) {
    const orphan = ["--concurrency", "--time-scale", "--order", "--trace"].find((flag) => flagsSeen.has(flag));
    if (orphan !== undefined) {
      throw new CommandLineError(
        `${orphan} applies to a workflow replay; add --workflow FILE.json.`,
      );
    }
  }
  return command;
}

async function main(args: readonly string[]): Promise<void> {
  const command = parseCommandLine(args);
  if (command.help) {
    console.log(usage);
    return;
  }
  if (command.workflow === undefined) {
    console.log(formatDemo(await measureDemo(demoLimits)));
    return;
  }
  const workflow = await loadWorkflow(command.workflow);
  if (command.trace !== undefined) await checkTracePath(command.trace);
  const report = await replayWorkflow(workflow, {
    concurrency: command.concurrency,
    timeScale: command.timeScale,
    order: command.order,
    trace: command.trace !== undefined,
  });
  if (command.trace !== undefined) await writeTraceFile(command.trace, report.trace!);
  console.log(formatReplay(report, command.trace));
}

/** Runs the command line and returns the process exit code; errors are printed as one line. */
export async function runCommandLine(args: readonly string[]): Promise<number> {
  try {
    await main(args);
    return 0;
  } catch (error) {
    if (error instanceof CommandLineError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    if (error instanceof TraceFileError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    if (error instanceof TawaziError) {
      console.error(`${error.name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
