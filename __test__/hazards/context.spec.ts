import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import test from "ava";

import { Resource, type ResourceKind, dag, xn } from "../../index.js";
import { engines } from "../helpers/engines.js";
import { checkUnhandled } from "./unhandled.js";

interface Request {
  readonly id: string;
}

const resources: ResourceKind[] = [Resource.async, Resource.mainThread];

for (const engine of engines) {
  for (const resource of resources) {
    test(`request context reaches nodes (${resource}) [${engine}]`, async (t) => {
      const storage = new AsyncLocalStorage<Request>();
      // The first node waits a different time in each call, so runs interleave and later nodes
      // are launched from another run's completions if contexts leak.
      const wait = xn(
        async function wait(delay: number) {
          const before = storage.getStore()?.id;
          await sleep(delay);
          return [before, storage.getStore()?.id];
        },
        { resource },
      );
      const readRequest = xn(
        function readRequest(seen: (string | undefined)[]) {
          return [...seen, storage.getStore()?.id];
        },
        { resource },
      );
      const pipeline = dag(
        function request(delay: number) {
          return readRequest(wait(delay));
        },
        { engine, maxConcurrency: Number.POSITIVE_INFINITY },
      );

      const calls = Array.from({ length: 20 }, (_, call) =>
        storage.run({ id: `r${call}` }, () => pipeline((call * 7) % 11)),
      );
      const results = await checkUnhandled(t, () => Promise.all(calls));

      results.forEach((seen, call) => {
        const id = `r${call}`;
        t.deepEqual(seen, [id, id, id], `call ${call}`);
      });
    });

    test(`request context reaches runSync nodes (${resource}) [${engine}]`, (t) => {
      const storage = new AsyncLocalStorage<Request>();
      const readRequest = xn(
        function readRequest(_previous?: string) {
          return storage.getStore()?.id;
        },
        { resource },
      );
      const pipeline = dag(
        function request() {
          return [readRequest(), readRequest(readRequest())];
        },
        { engine },
      );

      for (let call = 0; call < 20; call += 1) {
        const id = `r${call}`;
        t.deepEqual(
          storage.run({ id }, () => pipeline.runSync()),
          [id, id],
        );
      }
      t.deepEqual(pipeline.runSync(), [undefined, undefined]);
    });
  }
}
