import test from "ava";

import { TawaziUsageError, dag, xn } from "../../index.js";

const inc = xn(function inc(x: number) {
  return x + 1;
});

const pipeline = dag(function regression(x: number) {
  return inc(x);
});

function cyclic(): object {
  const object: Record<string, unknown> = {};
  object["self"] = object;
  return object;
}

// A number was read as a file descriptor (0 waits on standard input), and a cyclic object
// made the message itself throw a TypeError.
const badPaths: [string, unknown][] = [
  ["0", 0],
  ["3", 3],
  ["cyclic object", cyclic()],
  ["null", null],
  ["empty string", ""],
  ["Buffer", Buffer.from("config.json")],
];

for (const [label, path] of badPaths) {
  test(`config path ${label} rejected`, (t) => {
    const error = t.throws(() => pipeline.configFromJson(path as never), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /configuration file path must be a non-empty string/u);
  });
}
