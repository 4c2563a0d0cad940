import { setTimeout as delay } from "node:timers/promises";

import test, { type ExecutionContext } from "ava";

import { TawaziUsageError, dag, ops, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

/** Returns the line of this file from which it was called. */
function callerLine(): number {
  const frame = new Error().stack!.split("\n")[2]!;
  return Number(/:(\d+):\d+\)?$/u.exec(frame)![1]);
}

/** Asserts that `act` throws a TawaziUsageError whose message contains each of `includes`. */
function throwsUsage(t: ExecutionContext, act: () => unknown, includes: readonly string[]): void {
  const error = t.throws(act, { instanceOf: TawaziUsageError });
  t.is(error?.code, "ERR_TAWAZI_USAGE");
  for (const text of includes) {
    t.true(error?.message.includes(text), `message lacks ${JSON.stringify(text)}: ${error?.message}`);
  }
}

/** ExecNodes that log each call as `name(args)` into `calls`. */
function makeNodes() {
  const calls: string[] = [];
  const incr = xn(function incr(x: number) {
    calls.push(`incr(${x})`);
    return x + 1;
  });
  const double = xn(function double(x: number) {
    calls.push(`double(${x})`);
    return x * 2;
  });
  const pair = xn(
    function pair(x: number): [number, number] {
      calls.push(`pair(${x})`);
      return [x, -x];
    },
    { unpackTo: 2 },
  );
  return { calls, incr, double, pair };
}

/** Gate values and whether each opens the gate (JavaScript truthiness). */
const gateCases: readonly (readonly [unknown, boolean])[] = [
  [true, true],
  [false, false],
  [1, true],
  [0, false],
  ["", false],
  [null, false],
];

for (const engine of engines) {
  test(`inlined ids get sub-DAG prefix [${engine}]`, (t) => {
    const { incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return double(incr(x));
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(x), sub.inline(x)];
    }, { engine });

    t.deepEqual(
      [...parent.nodes.keys()],
      [
        "parent>>>x",
        "sub.sub>>>x",
        "sub.incr",
        "sub.double",
        "sub<<1>>.sub>>>x",
        "sub<<1>>.incr",
        "sub<<1>>.double",
      ],
    );
  });

  test(`inlined use counters stay separate [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(incr(x));
    }, { engine });
    const parent = dag(function parent(x: number) {
      const first = incr(x);
      const inner = sub.inline(first);
      const again = sub.inline(inner);
      return incr(again);
    }, { engine });

    t.deepEqual(
      [...parent.nodes.keys()],
      [
        "parent>>>x",
        "incr",
        "sub.sub>>>x",
        "sub.incr",
        "sub.incr<<1>>",
        "sub<<1>>.sub>>>x",
        "sub<<1>>.incr",
        "sub<<1>>.incr<<1>>",
        "incr<<1>>",
      ],
    );
  });

  test(`inlined sub-DAG returns its results [${engine}]`, async (t) => {
    const { calls, incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return double(incr(x));
    }, { engine });
    const parent = dag(function parent(x: number) {
      const once = sub.inline(x);
      return { once, twice: sub.inline(once) };
    }, { engine });

    t.deepEqual(await parent(1), { once: 4, twice: 10 });
    t.deepEqual(calls, ["incr(1)", "double(2)", "incr(4)", "double(5)"]);
  });

  test(`plain call inlines like inline [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      // At describe time a plain call returns traced values, not the promise its type states.
      return sub(x) as unknown as ReturnType<typeof sub.inline>;
    }, { engine });

    t.deepEqual([...parent.nodes.keys()], ["parent>>>x", "sub.sub>>>x", "sub.incr"]);
    t.is(await parent(4), 5);
  });

  test(`plain call outside describing function runs [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    t.is(await sub(4), 5);
  });

  test(`three levels nest prefixes [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(sub.inline(x));
    }, { engine });
    const top = dag(function top(x: number) {
      return parent.inline(x);
    }, { engine });

    t.deepEqual(
      [...top.nodes.keys()],
      [
        "top>>>x",
        "parent.parent>>>x",
        "parent.sub.sub>>>x",
        "parent.sub.incr",
        "parent.sub<<1>>.sub>>>x",
        "parent.sub<<1>>.incr",
      ],
    );
    t.is(await top(1), 3);
  });

  test(`lookup ids inside sub-DAG [${engine}]`, async (t) => {
    const { pair } = makeNodes();
    const sub = dag(function sub(x: number) {
      const [left, right] = pair(x);
      return { left, right };
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    t.deepEqual(
      [...parent.nodes.keys()],
      ["parent>>>x", "sub.sub>>>x", "sub.pair", "sub.pair[0]", "sub.pair[1]"],
    );
    t.deepEqual(await parent(3), { left: 3, right: -3 });
  });

  test(`lookup ids three levels deep [${engine}]`, (t) => {
    const { pair } = makeNodes();
    const sub = dag(function sub(x: number) {
      return pair(x)[1];
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });
    const top = dag(function top(x: number) {
      return parent.inline(x);
    }, { engine });

    t.deepEqual(
      [...top.nodes.keys()],
      ["top>>>x", "parent.parent>>>x", "parent.sub.sub>>>x", "parent.sub.pair", "parent.sub.pair[1]"],
    );
  });

  test(`lookup of inlined result in parent [${engine}]`, async (t) => {
    const { pair } = makeNodes();
    const sub = dag(function sub(x: number) {
      return pair(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x)[1];
    }, { engine });

    t.deepEqual([...parent.nodes.keys()], ["parent>>>x", "sub.sub>>>x", "sub.pair", "sub.pair[1]"]);
    t.is(await parent(3), -3);
  });

  test(`renamed sub-DAG prefixes its name [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function original(x: number) {
      return incr(x);
    }, { engine, name: "renamed" });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    t.deepEqual([...parent.nodes.keys()], ["parent>>>x", "renamed.renamed>>>x", "renamed.incr"]);
    t.is(await parent(1), 2);
  });

  test(`inlined argument node is an argument [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    const argument = parent.getNodeById("sub.sub>>>x");
    t.is(argument.kind, "argument");
    t.is(argument.name, "x");
    t.is(parent.getNodeById("sub.sub>!>x"), argument);
    t.is(parent.getNodeById("sub.incr").name, "incr");
  });

  test(`constant and container arguments forwarded [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const total = xn(function total(values: { base: number; extra: number[] }) {
      return values.base + values.extra.reduce((sum, value) => sum + value, 0);
    });
    const sub = dag(function sub(values: { base: number; extra: number[] }) {
      return total(values);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline({ base: x, extra: [incr(x), 100] }), sub.inline({ base: 1, extra: [2] })];
    }, { engine });

    t.deepEqual(await parent(10), [121, 3]);
  });

  test(`sub-DAG default parameter applies [${engine}]`, async (t) => {
    const sub = dag(function sub(x: number, y: number = 10) {
      return ops.add(x, y);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(x), sub.inline(x, x)];
    }, { engine });

    t.deepEqual(await parent(1), [11, 2]);
  });

  test(`constant-returning sub-DAG gives constant [${engine}]`, async (t) => {
    const one = dag(function one() {
      return 1;
    }, { engine });
    const parent = dag(function parent() {
      return one.inline();
    }, { engine });
    const top = dag(function top() {
      return parent.inline();
    }, { engine });

    t.is(await parent(), 1);
    t.is(await top(), 1);
  });

  test(`sub-DAG without return gives undefined [${engine}]`, async (t) => {
    const { calls, incr } = makeNodes();
    const none = dag(function none(x: number) {
      incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return { value: none.inline(x) };
    }, { engine });

    t.deepEqual(await parent(7), { value: undefined });
    t.deepEqual(calls, ["incr(7)"]);
  });

  for (const [gate, open] of gateCases) {
    test(`gate ${JSON.stringify(gate)} on sub-DAG [${engine}]`, async (t) => {
      const { calls, incr, double } = makeNodes();
      const sub = dag(function sub(x: number) {
        return [incr(x), double(x)];
      }, { engine });
      const parent = dag(function parent(x: number) {
        return sub.with({ active: gate })(x);
      }, { engine });

      t.deepEqual(await parent(3), open ? [4, 6] : [undefined, undefined]);
      t.deepEqual(calls, open ? ["incr(3)", "double(3)"] : []);
    });
  }

  test(`traced gate on sub-DAG [${engine}]`, async (t) => {
    const { calls, incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.with({ active: ops.gt(x, 0) })(x);
    }, { engine });

    t.is(await parent(5), 6);
    t.is<unknown, unknown>(await parent(-5), undefined);
    t.deepEqual(calls, ["incr(5)"]);
  });

  test(`undefined active leaves sub-DAG ungated [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.with({ active: undefined })(x);
    }, { engine });

    t.is(await parent(5), 6);
  });

  for (const outer of [true, false]) {
    for (const inner of [true, false]) {
      test(`gate ${outer} and own active ${inner} [${engine}]`, async (t) => {
        const { calls, incr, double } = makeNodes();
        const sub = dag(function sub(x: number, on: boolean) {
          return [incr.with({ active: on })(x), double(x)];
        }, { engine });
        const parent = dag(function parent(x: number, gate: boolean, on: boolean) {
          return sub.with({ active: gate })(x, on);
        }, { engine });

        const result = await parent(3, outer, inner);

        t.deepEqual(result, [outer && inner ? 4 : undefined, outer ? 6 : undefined]);
        t.deepEqual(calls, [...(outer && inner ? ["incr(3)"] : []), ...(outer ? ["double(3)"] : [])]);
      });

      test(`nested gates ${outer} and ${inner} [${engine}]`, async (t) => {
        const { calls, incr } = makeNodes();
        const sub = dag(function sub(x: number) {
          return incr(x);
        }, { engine });
        const middle = dag(function middle(x: number, on: boolean) {
          return sub.with({ active: on })(x);
        }, { engine });
        const top = dag(function top(x: number, gate: boolean, on: boolean) {
          return middle.with({ active: gate })(x, on);
        }, { engine });

        t.is<unknown, unknown>(await top(1, outer, inner), outer && inner ? 2 : undefined);
        t.deepEqual(calls, outer && inner ? ["incr(1)"] : []);
      });
    }
  }

  test(`gated echo returns undefined [${engine}]`, async (t) => {
    const { calls, incr } = makeNodes();
    const echo = dag(function echo(x: number) {
      return x;
    }, { engine });
    const parent = dag(function parent(x: number) {
      const echoed = echo.with({ active: ops.gt(x, 0) })(x);
      return { echoed, after: incr(echoed) };
    }, { engine });

    t.deepEqual(await parent(-2), { echoed: undefined, after: undefined });
    t.deepEqual(await parent(2), { echoed: 2, after: 3 });
    t.deepEqual(calls, ["incr(2)"]);
  });

  test(`gated sub-DAG result skips dependents [${engine}]`, async (t) => {
    const { incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return double(sub.with({ active: false })(x));
    }, { engine });
    const execution = parent.executor();

    t.is<unknown, unknown>(await execution(1), undefined);
    t.deepEqual(execution.status("sub.sub>>>x"), { state: "skipped", reason: "inactive" });
    t.is(execution.status("sub.incr").state, "skipped");
    t.is(execution.status("double").state, "skipped");
  });

  test(`skipped gate skips sub-DAG [${engine}]`, async (t) => {
    const { calls, incr } = makeNodes();
    const flag = xn(function flag() {
      return true;
    });
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      const gate = flag.with({ active: false })();
      return sub.with({ active: gate })(x);
    }, { engine });

    t.is<unknown, unknown>(await parent(1), undefined);
    t.deepEqual(calls, []);
  });

  test(`setup shared with inlined uses [${engine}]`, async (t) => {
    let setups = 0;
    const model = xn(function model() {
      setups += 1;
      return 100;
    }, { setup: true });
    const sub = dag(function sub(x: number) {
      return ops.add(x, model());
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(x), sub.inline(x)];
    }, { engine });
    const top = dag(function top(x: number) {
      return parent.inline(x);
    }, { engine });

    await sub.setup();
    t.is(setups, 1);
    t.is(await sub(1), 101);
    t.deepEqual(await parent(2), [102, 102]);
    await parent.setup();
    t.deepEqual(await top(3), [103, 103]);
    await top.setup();
    t.is(setups, 1);
  });

  test(`parent call fills sub-DAG setup [${engine}]`, async (t) => {
    let setups = 0;
    const model = xn(function model() {
      setups += 1;
      return 100;
    }, { setup: true });
    const sub = dag(function sub(x: number) {
      return ops.add(x, model());
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    t.is(await parent(1), 101);
    await sub.setup();
    t.is(await sub(2), 102);
    t.is(setups, 1);
  });

  test(`concurrent calls share setup [${engine}]`, async (t) => {
    let setups = 0;
    const model = xn(async function model() {
      setups += 1;
      await delay(20);
      return 100;
    }, { setup: true });
    const sub = dag(function sub(x: number) {
      return ops.add(x, model());
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    t.deepEqual(await Promise.all([parent(1), parent(2), sub(3)]), [101, 102, 103]);
    t.is(setups, 1);
  });

  test(`gated sub-DAG setup still runs [${engine}]`, async (t) => {
    let setups = 0;
    const { incr } = makeNodes();
    const model = xn(function model() {
      setups += 1;
      return "model";
    }, { setup: true });
    const sub = dag(function sub(x: number) {
      return [incr(x), model()];
    }, { engine });
    const parent = dag(function parent(x: number, on: boolean) {
      return sub.with({ active: on })(x);
    }, { engine });

    await parent.setup();
    t.is(setups, 1);
    t.deepEqual(await parent(1, false), [undefined, "model"]);
    t.deepEqual(await parent(1, true), [2, "model"]);
    t.is(setups, 1);
  });

  test(`outer limit bounds inlined nodes [${engine}]`, async (t) => {
    let running = 0;
    let peak = 0;
    const work = xn(async function work(x: number) {
      running += 1;
      peak = Math.max(peak, running);
      await delay(10);
      running -= 1;
      return x;
    });
    const wide = dag(function wide(x: number) {
      return [work(x), work(x), work(x), work(x)];
    }, { engine, maxConcurrency: 1 });
    const parent = dag(function parent(x: number) {
      return wide.inline(x);
    }, { engine, maxConcurrency: 3 });

    t.deepEqual(await parent(1), [1, 1, 1, 1]);
    t.is(peak, 3);
  });

  test(`outer limit one overrides inner [${engine}]`, async (t) => {
    let running = 0;
    let peak = 0;
    const work = xn(async function work(x: number) {
      running += 1;
      peak = Math.max(peak, running);
      await delay(10);
      running -= 1;
      return x;
    });
    const wide = dag(function wide(x: number) {
      return [work(x), work(x), work(x), work(x)];
    }, { engine, maxConcurrency: 4 });
    const parent = dag(function parent(x: number) {
      return wide.inline(x);
    }, { engine });

    t.deepEqual(await parent(2), [2, 2, 2, 2]);
    t.is(peak, 1);
  });

  test(`missing sub-DAG argument names call site [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    let line = 0;

    const error = thrownBy(() =>
      dag(function parent() {
        line = callerLine() + 1;
        return sub.inline(...([] as unknown as [number]));
      }, { engine }),
    );

    t.true(error instanceof TawaziUsageError);
    t.true(error.message.includes('"sub"'), error.message);
    t.true(error.message.includes('"x"'), error.message);
    t.true(error.message.includes(`sub-dag.spec.ts:${line}`), error.message);
  });

  test(`too many sub-DAG arguments name call site [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    let line = 0;

    const error = thrownBy(() =>
      dag(function parent(x: number) {
        line = callerLine() + 1;
        return sub.inline(...([x, x] as unknown as [number]));
      }, { engine }),
    );

    t.true(error instanceof TawaziUsageError);
    t.true(error.message.includes('"sub"'), error.message);
    t.true(error.message.includes("received 2"), error.message);
    t.true(error.message.includes(`sub-dag.spec.ts:${line}`), error.message);
  });

  test(`plain call with missing argument [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    let line = 0;

    const error = thrownBy(() =>
      dag(function parent() {
        line = callerLine() + 1;
        return (sub as unknown as () => unknown)();
      }, { engine }),
    );

    t.true(error instanceof TawaziUsageError);
    t.true(error.message.includes('"sub"'), error.message);
    t.true(error.message.includes(`sub-dag.spec.ts:${line}`), error.message);
  });

  test(`gated call with too many arguments [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    let line = 0;

    const error = thrownBy(() =>
      dag(function parent(x: number) {
        const gated = sub.with({ active: true }) as unknown as (...args: unknown[]) => unknown;
        line = callerLine() + 1;
        return gated(x, x, x);
      }, { engine }),
    );

    t.true(error instanceof TawaziUsageError);
    t.true(error.message.includes('"sub"'), error.message);
    t.true(error.message.includes("received 3"), error.message);
    t.true(error.message.includes(`sub-dag.spec.ts:${line}`), error.message);
  });

  test(`inline outside describing function throws [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });

    throwsUsage(t, () => sub.inline(1), ['"sub"']);
    throwsUsage(t, () => sub.with({ active: true })(1), ['"sub"']);
  });

  test(`sub-DAG with() rejects unknown option [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });

    throwsUsage(t, () => sub.with({ tag: "t" } as never), ["sub.with()", '"tag"']);
    throwsUsage(t, () => sub.with(null as never), ["sub.with()"]);
  });

  test(`composed DAG cannot be inlined [${engine}]`, (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const composed = sub.compose({ inputs: ["..."], outputs: "incr" });

    throwsUsage(
      t,
      () =>
        dag(function parent(x: number) {
          return composed.inline(x);
        }, { engine }),
      ['"sub_composed"', "compose()"],
    );
  });

  test(`targets select inlined ids [${engine}]`, async (t) => {
    const { calls, incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return [incr(x), double(x)];
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(x), sub.inline(x)];
    }, { engine });
    const execution = parent.executor({ targetNodes: ["sub.incr"] });

    t.deepEqual(await execution(1), [[2, undefined], [undefined, undefined]]);
    t.deepEqual(calls, ["incr(1)"]);
    t.is(execution.resultOf("sub.incr"), 2);
    t.deepEqual(execution.status("sub<<1>>.incr"), { state: "not-run", reason: "outside-subgraph" });
  });

  test(`tags declared inside sub-DAG [${engine}]`, async (t) => {
    const { calls, incr, double } = makeNodes();
    const tagged = xn(function tagged(x: number) {
      calls.push(`tagged(${x})`);
      return x * 10;
    }, { tag: "inner" });
    const sub = dag(function sub(x: number) {
      return [incr(x), tagged(x), double.with({ tag: "doubled" })(x)];
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(x), sub.inline(x)];
    }, { engine });

    t.deepEqual(
      parent.getNodesByTag("inner").map((node) => node.id),
      ["sub.tagged", "sub<<1>>.tagged"],
    );
    t.deepEqual(
      parent.getNodesByTag("doubled").map((node) => node.id),
      ["sub.double", "sub<<1>>.double"],
    );

    const execution = parent.executor({ targetNodes: ["inner"] });
    t.deepEqual(await execution(2), [[undefined, 20, undefined], [undefined, 20, undefined]]);
    t.deepEqual(calls, ["tagged(2)", "tagged(2)"]);
  });

  test(`ExecNode alias covers inlined uses [${engine}]`, async (t) => {
    const { calls, incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return double(incr(x));
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(incr(x)), double(x)];
    }, { engine });
    const execution = parent.executor({ targetNodes: [incr] });

    t.deepEqual(await execution(1), [undefined, undefined]);
    t.deepEqual(calls, ["incr(1)", "incr(2)"]);
    t.is(execution.resultOf("sub.incr"), 3);
  });

  test(`excluded inlined argument removes sub-DAG [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [sub.inline(x), sub.inline(x)];
    }, { engine });
    const execution = parent.executor({ excludeNodes: ["sub<<1>>.sub>>>x"] });

    t.deepEqual(await execution(1), [2, undefined]);
    t.deepEqual(execution.status("sub<<1>>.incr"), { state: "skipped", reason: "excluded" });
  });

  test(`inlined node on input is root [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [incr(x), sub.inline(x)];
    }, { engine });

    const execution = parent.executor({ rootNodes: ["sub.incr"] });

    t.deepEqual(await execution(1), [undefined, 2]);
  });

  test(`inlined node on computed value not root [${engine}]`, (t) => {
    const { incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(double(x));
    }, { engine });

    throwsUsage(t, () => parent.executor({ rootNodes: ["sub.incr"] }), ['"sub.incr"', "not a root"]);
  });

  test(`inner failure carries inlined id [${engine}]`, async (t) => {
    const failure = new Error("inner failed");
    const fail = xn(function fail(_x: number): number {
      throw failure;
    });
    const sub = dag(function sub(x: number) {
      return fail(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return sub.inline(x);
    }, { engine });

    const error = await t.throwsAsync(parent(1));

    t.is(error, failure);
    t.is((error as Error & { tawaziNode?: string }).tawaziNode, "sub.fail");
  });

  test(`runSync runs inlined nodes [${engine}]`, (t) => {
    const { incr, double } = makeNodes();
    const sub = dag(function sub(x: number) {
      return double(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [incr(x), sub.inline(x)];
    }, { engine });

    t.deepEqual(parent.runSync(4), [5, 8]);
  });

  test(`dotted ExecNode id gets own id [${engine}]`, async (t) => {
    const { incr } = makeNodes();
    const negate = xn((x: number) => -x, { name: "sub.incr" });
    const sub = dag(function sub(x: number) {
      return incr(x);
    }, { engine });
    const parent = dag(function parent(x: number) {
      return [negate(x), sub.inline(x)];
    }, { engine });

    t.deepEqual([...parent.nodes.keys()], ["parent>>>x", "sub.incr", "sub.sub>>>x", "sub.incr<<1>>"]);
    t.deepEqual(await parent(1), [-1, 2]);
  });
}

/** Runs `act`, which must throw, and returns what it threw. */
function thrownBy(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to throw");
}
