/**
 * Entry of `npm start`. The library is imported here, inside the try, because it reads its
 * configuration from the environment at import: an invalid variable is reported as one line
 * with exit code 1 instead of a stack trace.
 */
try {
  const { runCommandLine } = await import("./cli.js");
  process.exitCode = await runCommandLine(process.argv.slice(2));
} catch (error) {
  const code = (error as { code?: unknown } | null)?.code;
  if (!(error instanceof Error) || typeof code !== "string" || !code.startsWith("ERR_TAWAZI")) {
    throw error;
  }
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
}

export {};
