import test from "ava";

import { TawaziUsageError, close, dag, xn } from "../../index.js";

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

// close(null) read a property of null and rejected with a TypeError; other values were ignored.
for (const [label, options] of [["null", null], ["number", 5], ["string", "fast"], ["unknown key", { timout: 10 }]] as const) {
  test(`close options ${label} rejected`, async (t) => {
    const error = await t.throwsAsync(close(options as never), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /^close\(\): /u);
  });
}

// setup(null) listed the keys of null and rejected with a TypeError.
for (const [label, options] of [["null", null], ["number", 1], ["string", "all"]] as const) {
  test(`setup options ${label} rejected`, async (t) => {
    const error = await t.throwsAsync(pipeline.setup(options as never), { instanceOf: TawaziUsageError });

    t.regex(error?.message ?? "", /setup\(\): options must be an object/u);
  });
}
