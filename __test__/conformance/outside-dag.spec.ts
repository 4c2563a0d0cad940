import test from "ava";

import { type OutsideDagBehavior, TawaziUsageError, cfg, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors, nextMacrotask } from "../helpers/process-failures.js";

failOnProcessErrors();

/** Runs `body` with the outside-DAG behaviour set to `behavior`, then restores the setting. */
async function withOutsideBehavior<T>(
  behavior: OutsideDagBehavior,
  body: () => T | Promise<T>,
): Promise<T> {
  const saved = cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR;
  cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR = behavior;
  try {
    return await body();
  } finally {
    cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR = saved;
  }
}

/** Collects the process warnings emitted while `body` runs (and until the next macrotask). */
async function collectWarnings(body: () => void): Promise<Error[]> {
  const warnings: Error[] = [];
  const listener = (warning: Error) => warnings.push(warning);
  process.on("warning", listener);
  try {
    body();
    await nextMacrotask();
  } finally {
    process.off("warning", listener);
  }
  return warnings;
}

test.serial("outside call raises by default", (t) => {
  t.is(cfg.TAWAZI_EXECNODE_OUTSIDE_DAG_BEHAVIOR, "error");
});

test.serial("outside call raises in error mode", async (t) => {
  const calls: number[] = [];
  const incr = xn(function incr(x: number) {
    calls.push(x);
    return x + 1;
  });

  await withOutsideBehavior("error", () => {
    const error = t.throws(() => incr(1), { instanceOf: TawaziUsageError });
    t.regex(error?.message ?? "", /incr/);
  });
  t.deepEqual(calls, []);
});

test.serial("outside call with options raises", async (t) => {
  const incr = xn(function incr(x: number) {
    return x + 1;
  });

  await withOutsideBehavior("error", () => {
    t.throws(() => incr.with({ tag: "t" })(1), { instanceOf: TawaziUsageError });
  });
});

test.serial("warning mode warns once per ExecNode", async (t) => {
  const incr = xn(function incr(x: number) {
    return x + 1;
  });
  const decr = xn(function decr(x: number) {
    return x - 1;
  });
  const results: unknown[] = [];

  const warnings = await withOutsideBehavior("warning", () =>
    collectWarnings(() => {
      results.push(incr(1), incr(2), decr(5), incr(3), decr(6));
    }),
  );

  t.deepEqual(results, [2, 3, 4, 4, 5]);
  t.is(warnings.length, 2);
  t.regex(warnings[0]?.message ?? "", /"incr"/);
  t.regex(warnings[1]?.message ?? "", /"decr"/);
});

test.serial("warning mode warns again for a new ExecNode", async (t) => {
  const makeIncr = () =>
    xn(function incr(x: number) {
      return x + 1;
    });
  const first = makeIncr();
  const second = makeIncr();

  const warnings = await withOutsideBehavior("warning", () =>
    collectWarnings(() => {
      first(1);
      second(1);
      first(1);
    }),
  );

  t.is(warnings.length, 2);
});

test.serial("warning mode calls the function after warning", async (t) => {
  const order: string[] = [];
  const listener = () => order.push("warning");
  const record = xn(function record() {
    order.push("call");
    return "done";
  });

  process.on("warning", listener);
  try {
    await withOutsideBehavior("warning", async () => {
      t.is(record() as unknown, "done");
      await nextMacrotask();
    });
  } finally {
    process.off("warning", listener);
  }

  t.deepEqual(order.sort(), ["call", "warning"]);
});

test.serial("ignore mode calls without warning", async (t) => {
  const incr = xn(function incr(x: number) {
    return x + 1;
  });
  let result: unknown;

  const warnings = await withOutsideBehavior("ignore", () =>
    collectWarnings(() => {
      result = incr(41);
    }),
  );

  t.is(result, 42);
  t.deepEqual(warnings, []);
});

test.serial("ignore mode calls with options", async (t) => {
  const incr = xn(function incr(x: number) {
    return x + 1;
  });

  const result = await withOutsideBehavior("ignore", () => incr.with({ tag: "t" })(1));

  t.is(result as unknown, 2);
});

test.serial("ignore mode returns the function's promise", async (t) => {
  const fetchDouble = xn(async function fetchDouble(x: number) {
    return x * 2;
  });

  // Wrapped in an object so that withOutsideBehavior does not await the returned promise.
  const { result } = await withOutsideBehavior("ignore", () => ({
    result: fetchDouble(4) as unknown,
  }));

  t.true(result instanceof Promise);
  t.is(await (result as Promise<number>), 8);
});

test.serial("ignore mode calls nested ExecNodes directly", async (t) => {
  const incr = xn(function incr(x: number) {
    return x + 1;
  });
  const double = xn(function double(x: number) {
    return x * 2;
  });

  const result = await withOutsideBehavior("ignore", () => double(incr(3)) as unknown);

  t.is(result, 8);
});

for (const engine of engines) {
  test.serial(`DAG runs the same in every mode [${engine}]`, async (t) => {
    const incr = xn(function incr(x: number) {
      return x + 1;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return incr(incr(x));
      },
      { engine },
    );

    for (const behavior of ["error", "warning", "ignore"] as const) {
      const warnings = await withOutsideBehavior(behavior, async () => {
        const collected: Error[] = [];
        const listener = (warning: Error) => collected.push(warning);
        process.on("warning", listener);
        try {
          t.is(await pipeline(1), 3);
          await nextMacrotask();
        } finally {
          process.off("warning", listener);
        }
        return collected;
      });
      t.deepEqual(warnings, []);
    }
  });
}
