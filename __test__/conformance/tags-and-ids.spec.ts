import test from "ava";

import { TawaziUsageError, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

const incr = xn(function incr(x: number) {
  return x + 1;
});
const print = xn(
  function print(value: unknown) {
    return String(value);
  },
  { tag: ["output", "io"] },
);
const pair = xn(
  function pair(x: number) {
    return [x, -x];
  },
  { unpackTo: 2 },
);

for (const engine of engines) {
  test(`repeated uses get numbered ids [${engine}]`, async (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return incr(incr(incr(x)));
      },
      { engine },
    );

    t.deepEqual([...pipeline.nodes.keys()], ["pipe>>>x", "incr", "incr<<1>>", "incr<<2>>"]);
    t.is(await pipeline(0), 3);
  });

  test(`argument ids use the DAG name [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number, y: number) {
        return [incr(x), incr(y)];
      },
      { engine },
    );

    t.is(pipeline.getNodeById("pipe>>>y").id, "pipe>>>y");
    t.is(pipeline.getNodeById("pipe>>>y").kind, "argument");
    t.is(pipeline.getNodeById("pipe>>>y").name, "y");
  });

  test(`argument alias with exclamation mark [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number, y: number) {
        return [incr(x), incr(y)];
      },
      { engine },
    );

    t.is(pipeline.getNodeById("pipe>!>y"), pipeline.getNodeById("pipe>>>y"));
  });

  test(`name option sets argument prefix [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return incr(x);
      },
      { name: "renamed", engine },
    );

    t.deepEqual([...pipeline.nodes.keys()], ["renamed>>>x", "incr"]);
    t.is(pipeline.name, "renamed");
  });

  test(`name option sets the base id [${engine}]`, (t) => {
    const decrement = xn((x: number) => x - 1, { name: "decr" });
    const pipeline = dag(
      function pipe(x: number) {
        return decrement(decrement(x));
      },
      { engine },
    );

    t.deepEqual([...pipeline.nodes.keys()], ["pipe>>>x", "decr", "decr<<1>>"]);
  });

  test(`nodes in description order [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number, y: number) {
        const [positive, negative] = pair(y);
        const printed = print(incr(x));
        return [incr(negative!), printed, positive, print(x)];
      },
      { engine },
    );

    t.deepEqual(
      [...pipeline.nodes.keys()],
      [
        "pipe>>>x",
        "pipe>>>y",
        "pair",
        "pair[0]",
        "pair[1]",
        "incr",
        "print",
        "incr<<1>>",
        "print<<1>>",
      ],
    );
  });

  test(`ExecNode tags on every use [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return [print(x), print(incr(x))];
      },
      { engine },
    );

    t.deepEqual(pipeline.getNodeById("print").tags, ["output", "io"]);
    t.deepEqual(
      pipeline.getNodesByTag("io").map((node) => node.id),
      ["print", "print<<1>>"],
    );
  });

  test(`with tag replaces ExecNode tags [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return [print(x), print.with({ tag: "byebye" })(x), print(incr(x))];
      },
      { engine },
    );

    t.deepEqual(pipeline.getNodeById("print<<1>>").tags, ["byebye"]);
    t.deepEqual(
      pipeline.getNodesByTag("byebye").map((node) => node.id),
      ["print<<1>>"],
    );
    t.deepEqual(
      pipeline.getNodesByTag("output").map((node) => node.id),
      ["print", "print<<2>>"],
    );
  });

  test(`with tag list on untagged node [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return incr.with({ tag: ["a", "b"] })(incr(x));
      },
      { engine },
    );

    t.deepEqual(pipeline.getNodeById("incr").tags, []);
    t.deepEqual(pipeline.getNodeById("incr<<1>>").tags, ["a", "b"]);
  });

  test(`nodes by tag in description order [${engine}]`, (t) => {
    const late = xn(function late(x: number) {
      return x;
    });
    const pipeline = dag(
      function pipe(x: number) {
        const first = late.with({ tag: "step" })(x);
        const second = incr.with({ tag: "step" })(first);
        const third = late.with({ tag: "step" })(second);
        return incr.with({ tag: "step" })(third);
      },
      { engine },
    );

    t.deepEqual(
      pipeline.getNodesByTag("step").map((node) => node.id),
      ["late", "incr", "late<<1>>", "incr<<1>>"],
    );
  });

  test(`unknown tag gives empty list [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return print(x);
      },
      { engine },
    );

    t.deepEqual(pipeline.getNodesByTag("missing"), []);
  });

  test(`unknown id lists close matches [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return incr(incr(incr(x)));
      },
      { engine },
    );

    const error = t.throws(() => pipeline.getNodeById("incr<<3>>"), {
      instanceOf: TawaziUsageError,
    });
    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.true(error?.message.includes('"incr<<2>>"'));
    t.true(error?.message.includes('"incr<<1>>"'));
  });

  test(`unknown id without close matches [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return incr(x);
      },
      { engine },
    );

    t.throws(() => pipeline.getNodeById("something-else-entirely"), {
      instanceOf: TawaziUsageError,
    });
  });

  test(`descriptors are frozen [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return print(incr(x));
      },
      { engine },
    );

    const node = pipeline.getNodeById("print");

    t.true(Object.isFrozen(node));
    t.true(Object.isFrozen(node.tags));
    t.throws(() => {
      (node as { priority: number }).priority = 9;
    });
    t.is(pipeline.getNodeById("print").priority, 0);
  });

  test(`descriptors are the same object [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return print(incr(x));
      },
      { engine },
    );

    const node = pipeline.getNodeById("print");

    t.is(pipeline.getNodeById("print"), node);
    t.is(pipeline.nodes.get("print"), node);
    t.is(pipeline.getNodesByTag("output")[0], node);
    t.is(pipeline.nodes, pipeline.nodes);
  });

  test(`descriptor fields of a call [${engine}]`, (t) => {
    const heavy = xn(
      function heavy(x: number) {
        return x;
      },
      { priority: 2, isSequential: true, resource: "main-thread", tag: "h" },
    );
    const pipeline = dag(
      function pipe(x: number) {
        return heavy(x);
      },
      { engine },
    );

    t.deepEqual(
      { ...pipeline.getNodeById("heavy") },
      {
        id: "heavy",
        name: "heavy",
        kind: "call",
        tags: ["h"],
        priority: 2,
        compoundPriority: 2,
        isSequential: true,
        resource: "main-thread",
        setup: false,
        debug: false,
      },
    );
  });

  test(`getNodesByTag returns a fresh list [${engine}]`, (t) => {
    const pipeline = dag(
      function pipe(x: number) {
        return print(x);
      },
      { engine },
    );

    const first = pipeline.getNodesByTag("output");
    first.pop();

    t.is(pipeline.getNodesByTag("output").length, 1);
  });
}
