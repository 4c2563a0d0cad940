import test from "ava";

import { dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const record = xn(function record(x: number) {
  return { k: x, other: x * 2, nested: [x, x + 1, { deep: x + 2 }] };
});
const list = xn(function list(x: number) {
  return [x, x * 10, x * 100];
});
const incr = xn(function incr(x: number) {
  return x + 1;
});
const identity = xn(function identity<T>(value: T) {
  return value;
});

for (const engine of engines) {
  test(`dot and bracket reads [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const d = record(x);
        return [d.k, d["other"], incr(d.k)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(3), [3, 6, 4]);
  });

  test(`array index reads [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const l = list(x);
        return [l[0], l[2], incr(l[1]!)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(2), [2, 200, 21]);
  });

  test(`chained reads [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const d = record(x);
        return [d.nested[1], d.nested[0], incr(d.nested[1] as unknown as number)];
      },
      { engine },
    );

    t.deepEqual(await pipeline(3), [4, 3, 5]);
  });

  test(`deep chained read [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const d = record(x);
        const third = d.nested[2] as unknown as { deep: number };
        return third.deep;
      },
      { engine },
    );

    t.is(await pipeline(3), 5);
  });

  test(`same key read twice is one node [${engine}]`, (t) => {
    let first: unknown;
    let second: unknown;
    const pipeline = dag(
      function pipeline(x: number) {
        const d = record(x);
        first = d.k;
        second = d["k"];
        return [first, second];
      },
      { engine },
    );

    t.is(first, second);
    t.deepEqual([...pipeline.nodes.keys()], ["pipeline>>>x", "record", "record[k]"]);
  });

  test(`lookup ids name key and parent [${engine}]`, (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const d = record(x);
        const l = list(x);
        return [d.nested[1], l[0]];
      },
      { engine },
    );

    t.deepEqual(
      [...pipeline.nodes.keys()],
      [
        "pipeline>>>x",
        "record",
        "list",
        "record[nested]",
        "record[nested][1]",
        "list[0]",
      ],
    );
    t.is(pipeline.getNodeById("list[0]").kind, "lookup");
  });

  test(`reading a missing key gives undefined [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const d = record(x) as unknown as Record<string, unknown>;
        return d["absent"];
      },
      { engine },
    );

    t.is(await pipeline(3), undefined);
  });

  test(`reading from a null result rejects [${engine}]`, async (t) => {
    const nothing = xn(function nothing(): { k: number } | null {
      return null;
    });
    const pipeline = dag(
      function pipeline() {
        const d = nothing() as unknown as { k: number };
        return d.k;
      },
      { engine },
    );

    const error = await t.throwsAsync(pipeline());
    t.is((error as { code?: string } | undefined)?.code, "ERR_TAWAZI_TYPE");
    t.is((error as { tawaziNode?: string } | undefined)?.tawaziNode, "nothing[k]");
  });

  test(`traced values in a plain array argument [${engine}]`, async (t) => {
    const received: unknown[] = [];
    const collect = xn(function collect(value: unknown) {
      received.push(value);
      return value;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return collect([incr(x), 0, x]);
      },
      { engine },
    );

    t.deepEqual(await pipeline(5), [6, 0, 5]);
    t.deepEqual(received, [[6, 0, 5]]);
  });

  test(`traced values in a plain object argument [${engine}]`, async (t) => {
    const sum = xn(function sum(options: { left: number; right: number; scale: number }) {
      return (options.left + options.right) * options.scale;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return sum({ left: incr(x), right: x, scale: 10 });
      },
      { engine },
    );

    t.is(await pipeline(5), 110);
  });

  test(`traced values nested at any depth [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipeline(x: number) {
        const a = incr(x);
        return identity({ level1: [1, { level2: [{ level3: a }, x] }], flat: a });
      },
      { engine },
    );

    t.deepEqual(await pipeline(5), {
      level1: [1, { level2: [{ level3: 6 }, 5] }],
      flat: 6,
    });
  });

  test(`nested traced values are dependencies [${engine}]`, async (t) => {
    const order: string[] = [];
    const slow = xn(async function slow(x: number) {
      await new Promise((resolve) => setImmediate(resolve));
      order.push("slow");
      return x;
    });
    const after = xn(function after(options: { inner: { values: number[] } }) {
      order.push("after");
      return options.inner.values[0];
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return after({ inner: { values: [slow(x)] } });
      },
      { maxConcurrency: 2, engine },
    );

    t.is(await pipeline(7), 7);
    t.deepEqual(order, ["slow", "after"]);
    t.deepEqual([...pipeline.nodes.keys()], ["pipeline>>>x", "slow", "after"]);
  });

  test(`constant object passed by identity [${engine}]`, async (t) => {
    const settings = { retries: 3, nested: { depth: 1 } };
    let received: unknown;
    const use = xn(function use(options: unknown, x: number) {
      received = options;
      return x;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return use(settings, x);
      },
      { engine },
    );

    await pipeline(1);

    t.is(received, settings);
  });

  test(`constants keep identity beside traced values [${engine}]`, async (t) => {
    const settings = { retries: 3 };
    let received: { settings: unknown; value: number } | undefined;
    const use = xn(function use(options: { settings: unknown; value: number }) {
      received = options;
      return options.value;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return use({ settings, value: incr(x) });
      },
      { engine },
    );

    t.is(await pipeline(1), 2);
    t.is(received?.settings, settings);
  });

  test(`user container never mutated [${engine}]`, async (t) => {
    let container: { value: unknown; list: unknown[]; constant: number } | undefined;
    let tracedValue: unknown;
    let received: unknown;
    const use = xn(function use(options: unknown) {
      received = options;
      return options;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        tracedValue = incr(x);
        container = { value: tracedValue, list: [tracedValue, 1], constant: 2 };
        return use(container);
      },
      { engine },
    );

    const result = await pipeline(1);
    await pipeline(2);

    t.deepEqual(result, { value: 2, list: [2, 1], constant: 2 });
    t.not(received, container);
    t.is(container?.value, tracedValue);
    t.is(container?.list[0], tracedValue);
    t.is(container?.list.length, 2);
  });

  test(`containers are read at the call [${engine}]`, async (t) => {
    let flat: unknown[] = [];
    let nested: { inner: unknown[] } = { inner: [] };
    const pipeline = dag(
      function pipeline(x: number) {
        flat = [incr(x), 1];
        nested = { inner: [incr(x), 2] };
        return [identity(flat), identity(nested)];
      },
      { engine },
    );
    flat.push(3);
    nested.inner.push(4);

    t.deepEqual(await pipeline(1), [[2, 1], { inner: [2, 2] }]);
  });

  test(`each run gets new containers [${engine}]`, async (t) => {
    const received: unknown[] = [];
    const keep = xn(function keep(value: unknown[]) {
      received.push(value);
      value.push("changed by the node");
      return value.length;
    });
    const pipeline = dag(
      function pipeline(x: number) {
        return keep([incr(x), 0]);
      },
      { engine },
    );

    t.is(await pipeline(1), 3);
    t.is(await pipeline(1), 3);
    t.not(received[0], received[1]);
  });

  test(`argument object reaches node by identity [${engine}]`, async (t) => {
    let received: unknown;
    const use = xn(function use(options: object) {
      received = options;
      return 1;
    });
    const pipeline = dag(
      function pipeline(options: object) {
        return use(options);
      },
      { engine },
    );
    const input = { k: 1 };

    await pipeline(input);

    t.is(received, input);
  });
}
