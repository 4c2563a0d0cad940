import test from "ava";

import {
  TawaziCacheError,
  TawaziCycleError,
  TawaziError,
  TawaziTimeoutError,
  TawaziTypeError,
  TawaziUsageError,
  TawaziWorkerError,
  errorCodes,
} from "../index.js";
import * as errorsModule from "../src/errors.js";

const errorClasses = [
  TawaziError,
  TawaziUsageError,
  TawaziTypeError,
  TawaziCycleError,
  TawaziCacheError,
  TawaziTimeoutError,
  TawaziWorkerError,
] as const;

function instanceOf(ErrorClass: (typeof errorClasses)[number]): TawaziError {
  return ErrorClass === TawaziCycleError
    ? new TawaziCycleError(["A", "B", "A"])
    : new (ErrorClass as typeof TawaziError)("something failed");
}

for (const ErrorClass of errorClasses) {
  test(`${ErrorClass.name} is an Error`, (t) => {
    const error = instanceOf(ErrorClass);

    t.true(error instanceof Error);
    t.true(error instanceof TawaziError);
    t.true(error instanceof ErrorClass);
  });

  test(`${ErrorClass.name} has its registered code`, (t) => {
    const error = instanceOf(ErrorClass);
    const registered = errorCodes[ErrorClass.name as keyof typeof errorCodes];

    t.is(typeof registered, "string");
    t.is(error.code, registered);
  });

  test(`${ErrorClass.name} name is the class name`, (t) => {
    const error = instanceOf(ErrorClass);

    t.is(error.name, ErrorClass.name);
    t.true(String(error).startsWith(`${ErrorClass.name}: `));
  });

  test(`${ErrorClass.name} keeps message and stack`, (t) => {
    const error = instanceOf(ErrorClass);

    t.true(error.message.length > 0);
    t.true(error.stack?.includes(error.message));
  });
}

test("every exported class is registered", (t) => {
  const exported = Object.entries(errorsModule)
    .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error)
    .map(([name]) => name)
    .sort();

  t.deepEqual(exported, Object.keys(errorCodes).sort());
  t.deepEqual(
    errorClasses.map((ErrorClass) => ErrorClass.name).sort(),
    Object.keys(errorCodes).sort(),
  );
});

test("codes are distinct and prefixed", (t) => {
  const codes = Object.values(errorCodes);

  t.is(new Set(codes).size, codes.length);
  for (const code of codes) t.regex(code, /^ERR_TAWAZI(_[A-Z]+)*$/u);
});

test("cycle error carries its cycle", (t) => {
  const error = new TawaziCycleError(["A", "C", "B", "A"]);

  t.deepEqual(error.cycle, ["A", "C", "B", "A"]);
  t.true(error.message.includes("A -> C -> B -> A"));
});

test("cause option is kept", (t) => {
  const cause = new Error("root cause");
  const error = new TawaziUsageError("wrapped", { cause });

  t.is(error.cause, cause);
});

test("subclasses are distinct", (t) => {
  const usage = new TawaziUsageError("x");

  t.false(usage instanceof TawaziTypeError);
  t.false(usage instanceof TawaziCycleError);
  t.false(new TawaziTypeError("x") instanceof TawaziUsageError);
});
