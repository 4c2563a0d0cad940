import { setTimeout as sleep } from "node:timers/promises";

import test, { type ExecutionContext } from "ava";

import { type EngineKind, type NodeProfile, cfg, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { failOnProcessErrors } from "../helpers/process-failures.js";

failOnProcessErrors();

// Tests that change cfg.TAWAZI_PROFILE_ALL_NODES are serial because cfg is global to the process.

/** Runs `body` with cfg.TAWAZI_PROFILE_ALL_NODES set to `value`, restoring it after. */
async function withProfileAll<T>(value: boolean, body: () => Promise<T>): Promise<T> {
  const previous = cfg.TAWAZI_PROFILE_ALL_NODES;
  cfg.TAWAZI_PROFILE_ALL_NODES = value;
  try {
    return await body();
  } finally {
    cfg.TAWAZI_PROFILE_ALL_NODES = previous;
  }
}

const nap = xn(async function nap(x: number) {
  await sleep(50);
  return x;
});

const pairUp = xn(
  function pairUp(a: number, b: number) {
    return [a, b];
  },
  { unpackTo: 2 },
);

const add = xn(function add(a: number, b: number) {
  return a + b;
});

/**
 * Two 50 ms naps side by side, then pairUp (unpacked into two lookups) and add. The call
 * nodes are nap, nap<<1>>, pairUp and add.
 */
function napping(engine: Exclude<EngineKind, "auto">) {
  return dag(
    function napping(x: number) {
      const [a, b] = pairUp(nap(x), nap(x));
      return add(a, b);
    },
    { engine, maxConcurrency: 2 },
  );
}

/** Asserts the invariants of every profile: start ≤ end and duration = end - start. */
function checkProfiles(t: ExecutionContext, profiles: ReadonlyMap<string, NodeProfile>): void {
  for (const [id, profile] of profiles) {
    t.true(profile.start <= profile.end, `${id}: start ${profile.start} > end ${profile.end}`);
    t.is(profile.duration, profile.end - profile.start, id);
  }
}

for (const engine of engines) {
  test(`profile option records call nodes [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: true });

    t.is(await execution(3), 6);

    t.deepEqual([...execution.profiles.keys()], ["nap", "nap<<1>>", "pairUp", "add"]);
    checkProfiles(t, execution.profiles);
    t.true(execution.profiles.get("nap")!.duration >= 45);
    t.true(execution.profiles.get("nap<<1>>")!.duration >= 45);
  });

  test(`profiles lie within the call [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: true });

    const before = performance.now();
    await execution(1);
    const after = performance.now();

    for (const [id, profile] of execution.profiles) {
      t.true(profile.start >= before, `${id} starts at ${profile.start}, before the call at ${before}`);
      t.true(profile.end <= after, `${id} ends at ${profile.end}, after the call at ${after}`);
    }
  });

  test(`dependent starts after parent ends [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: true });

    await execution(1);

    const profiles = execution.profiles;
    const latestNap = Math.max(profiles.get("nap")!.end, profiles.get("nap<<1>>")!.end);
    t.true(profiles.get("pairUp")!.start >= latestNap);
    t.true(profiles.get("add")!.start >= profiles.get("pairUp")!.end);
  });

  test(`sequential naps do not overlap [${engine}]`, async (t) => {
    const pipeline = dag(
      function oneAtATime(x: number) {
        return [nap(x), nap(x)];
      },
      { engine, maxConcurrency: 1 },
    );
    const execution = pipeline.executor({ profile: true });

    await execution(1);

    const first = execution.profiles.get("nap")!;
    const second = execution.profiles.get("nap<<1>>")!;
    t.true(second.start >= first.end);
    t.true(first.duration >= 45);
    t.true(second.duration >= 45);
  });

  test(`cpu time of a busy node [${engine}]`, async (t) => {
    const spin = xn(function spin(milliseconds: number) {
      const start = process.cpuUsage();
      let used = 0;
      while (used < milliseconds) {
        const delta = process.cpuUsage(start);
        used = (delta.user + delta.system) / 1000;
      }
      return used;
    });
    const pipeline = dag(
      function busy(milliseconds: number) {
        return spin(milliseconds);
      },
      { engine },
    );
    const execution = pipeline.executor({ profile: true });

    await execution(30);

    const profile = execution.profiles.get("spin")!;
    t.is(typeof profile.cpu, "number");
    t.true(profile.cpu! >= 30, `cpu ${profile.cpu}`);
    t.true(profile.duration >= 25, `duration ${profile.duration}`);
  });

  test(`only nodes that ran have profiles [${engine}]`, async (t) => {
    const fail = xn(function fail(_x: number): number {
      throw new Error("fails on purpose");
    });
    const after = xn(function after(x: unknown) {
      return x;
    });
    const gated = xn(function gated(x: number) {
      return x;
    });
    const left = xn(function left(x: number) {
      return x;
    });
    const outside = xn(function outside(x: number) {
      return x;
    });
    const pipeline = dag(
      function partial(x: number) {
        return [after(fail(x)), gated.with({ active: false })(x), left(x), outside(x)];
      },
      { engine, behavior: "all-children" },
    );
    const execution = pipeline.executor({ profile: true, excludeNodes: ["outside"] });

    await execution(1);

    t.deepEqual([...execution.profiles.keys()], ["fail", "left"]);
    checkProfiles(t, execution.profiles);
  });

  test(`profile option off records nothing [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: false });

    await execution(1);

    t.deepEqual(execution.profiles, new Map());
  });

  test.serial(`no profiles by default [${engine}]`, async (t) => {
    const execution = napping(engine).executor();

    await withProfileAll(false, () => execution(1));

    t.deepEqual(execution.profiles, new Map());
    t.deepEqual(
      execution.toChromeTrace().traceEvents.filter((event) => event.ph === "X"),
      [],
    );
  });

  test.serial(`cfg setting profiles every node [${engine}]`, async (t) => {
    const execution = napping(engine).executor();

    await withProfileAll(true, () => execution(2));

    t.deepEqual([...execution.profiles.keys()], ["nap", "nap<<1>>", "pairUp", "add"]);
    checkProfiles(t, execution.profiles);
    t.true(execution.profiles.get("nap")!.duration >= 45);
  });

  test.serial(`profile option overrides cfg setting [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: false });

    await withProfileAll(true, () => execution(2));

    t.deepEqual(execution.profiles, new Map());
  });

  test(`reused setup profile within call [${engine}]`, async (t) => {
    const load = xn(
      async function load() {
        await sleep(5);
        return 10;
      },
      { setup: true },
    );
    const pipeline = dag(
      function withSetup(x: number) {
        return add(load(), x);
      },
      { engine },
    );
    await pipeline(1);
    const execution = pipeline.executor({ profile: true });

    const before = performance.now();
    t.is(await execution(2), 12);

    checkProfiles(t, execution.profiles);
    for (const [id, profile] of execution.profiles) {
      t.true(profile.start >= before, `${id} starts at ${profile.start}, before the call at ${before}`);
    }
  });

  test(`Chrome trace events in microseconds [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: true });
    await execution(1);

    const trace = execution.toChromeTrace();

    t.deepEqual(JSON.parse(JSON.stringify(trace)), trace);
    const events = trace.traceEvents.filter((event) => event.ph === "X");
    t.deepEqual(
      events.map((event) => event.name).sort(),
      ["add", "nap", "nap<<1>>", "pairUp"],
    );
    const origin = Math.min(...[...execution.profiles.values()].map((profile) => profile.start));
    for (const event of events) {
      const profile = execution.profiles.get(event.name)!;
      t.true(Math.abs(event.ts - (profile.start - origin) * 1000) < 1e-3, event.name);
      t.true(Math.abs(event.dur! - profile.duration * 1000) < 1e-3, event.name);
      t.true(Number.isFinite(event.ts) && event.ts >= 0, event.name);
    }
    t.true(events.find((event) => event.name === "nap")!.dur! >= 45_000);
  });

  test(`overlapping nodes on different tracks [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: true });
    await execution(1);

    const events = execution.toChromeTrace().traceEvents.filter((event) => event.ph === "X");
    const byName = new Map(events.map((event) => [event.name, event]));

    t.not(byName.get("nap")!.tid, byName.get("nap<<1>>")!.tid);
    for (const first of events) {
      for (const second of events) {
        if (first === second || first.tid !== second.tid) continue;
        const overlap = first.ts < second.ts + second.dur! && second.ts < first.ts + first.dur!;
        t.false(overlap, `${first.name} and ${second.name} overlap on track ${first.tid}`);
      }
    }
  });

  test(`Chrome trace names the DAG [${engine}]`, async (t) => {
    const execution = napping(engine).executor({ profile: true });
    await execution(1);

    const metadata = execution.toChromeTrace().traceEvents.filter((event) => event.ph === "M");

    t.deepEqual(
      metadata.map((event) => event.args),
      [{ name: "napping" }],
    );
  });
}
