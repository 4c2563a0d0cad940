import fc from "fast-check";

import { TawaziError, errorCodes } from "../../index.js";

/**
 * Returns the number of cases a fuzz property runs: `TAWAZI_FUZZ_RUNS` when set (for a longer
 * run, `TAWAZI_FUZZ_RUNS=20000 npx ava __test__/robustness/fuzz-*.spec.ts`), else `fallback`.
 */
export function fuzzRuns(fallback: number): number {
  const raw = process.env["TAWAZI_FUZZ_RUNS"];
  if (raw === undefined || raw === "") return fallback;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`TAWAZI_FUZZ_RUNS must be an integer ≥ 1, received ${JSON.stringify(raw)}`);
  }
  return runs;
}

/** Milliseconds one fuzz case may take before it counts as a hang. */
export const caseTimeoutMs = 5_000;

function cyclicObject(): object {
  const object: Record<string, unknown> = { priority: 1 };
  object["self"] = object;
  return object;
}

function cyclicArray(): unknown[] {
  const array: unknown[] = ["a"];
  array.push(array);
  return array;
}

/**
 * Values that do not belong where an option or argument is expected: edge numbers, numbers
 * as strings, symbols, bigints, nullish values, functions, cyclic and exotic objects. The fixed
 * values come most often, so each of them shows up in a few hundred cases. Revoked proxies are
 * left out because fast-check itself inspects generated values; regressions.spec.ts has them.
 */
export const garbageArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom<unknown>(
      Number.NaN,
      -0,
      0,
      -1,
      0.5,
      2 ** 31,
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 53),
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      "",
      "1",
      "NaN",
      "__proto__",
      "constructor",
      "then",
      true,
      false,
      null,
      undefined,
      1n,
      -(2n ** 64n),
      Symbol("garbage"),
      Symbol.iterator,
      () => 1,
      new Date(0),
      new Map([["a", 1]]),
      /regex/u,
      Object.create(null) as object,
      new Uint8Array(2),
      { then: 1 },
      [],
      {},
      [[["deep"]]],
      Object.freeze({ id: "frozen" }),
      cyclicObject(),
      cyclicArray(),
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);

/** Picks `valid` values most of the time and garbage otherwise. */
export function mostlyValid<T>(valid: fc.Arbitrary<T>, validWeight = 3): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: valid as fc.Arbitrary<unknown>, weight: validWeight },
    { arbitrary: garbageArbitrary, weight: 1 },
  );
}

/** The outcome of one fuzz case: its value, or the TawaziError it failed with. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TawaziError };

const registeredCodes = new Set<string>(Object.values(errorCodes));

/** Returns why `error` is not an acceptable failure of tawazi, or undefined when it is one. */
export function tawaziErrorProblem(error: unknown): string | undefined {
  if (!(error instanceof TawaziError)) {
    const name = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return `failed with ${name}, not a TawaziError`;
  }
  if (!registeredCodes.has(error.code)) return `TawaziError with the unregistered code ${String(error.code)}`;
  return undefined;
}

/**
 * Runs `action` (synchronous or not) within `timeoutMs`, and returns its value or the
 * TawaziError it threw or rejected with. Throws, failing the property, on any other error,
 * on a TawaziError without a registered code, and when the action takes longer than the limit.
 * `isNodeError` accepts an error raised by a node's own function, which tawazi passes through.
 */
export async function outcomeOf<T>(
  action: () => T | Promise<T>,
  isNodeError: (error: unknown) => boolean = () => false,
  timeoutMs = caseTimeoutMs,
): Promise<Outcome<T> | { readonly ok: false; readonly error: unknown; readonly nodeError: true }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the case did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  const attempt = (async () => action())();
  try {
    const value = await Promise.race([attempt, timeout]);
    return { ok: true, value };
  } catch (error) {
    if (isNodeError(error)) return { ok: false, error, nodeError: true };
    const problem = tawaziErrorProblem(error);
    if (problem !== undefined) {
      throw new Error(`the case ${problem}`, { cause: error });
    }
    return { ok: false, error: error as TawaziError };
  } finally {
    clearTimeout(timer);
    // A case that timed out may still settle later; its outcome no longer matters.
    attempt.catch(() => {});
  }
}
