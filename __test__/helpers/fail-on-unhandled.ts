import { inspect } from "node:util";

/**
 * Loaded by ava before every test file (the `require` option in package.json), so that an
 * unhandled rejection anywhere in the suite fails it.
 *
 * ava alone reports only the rejections still unhandled when a file ends: one handled a tick
 * later, which would crash a plain Node process, passes silently. This listener turns every
 * `unhandledRejection` event into an uncaught exception, which ava reports with the reason and
 * the test file, and which ends that file with a failing exit code.
 *
 * Uncaught exceptions need no listener here: ava's own listener reports them the same way.
 */
process.on("unhandledRejection", (reason) => {
  process.exitCode = 1;
  throw new Error(
    `unhandled rejection: ${inspect(reason)}. Every promise a test or the library makes ` +
      "must have a rejection handler by the end of the tick in which it rejects.",
    { cause: reason },
  );
});
