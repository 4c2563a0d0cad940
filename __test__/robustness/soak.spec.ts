import test from "ava";

import {
  heapGrowthLimit,
  heapRatio,
  measureSoak,
  mebibytes,
  outsideHeapGrowthLimitBytes,
  rssGrowthLimitBytes,
} from "../../bench/soak/measure.js";
import { engines } from "../helpers/engines.js";

// `npm run soak` runs the full 200,000 calls per engine; the suite runs a quarter of that.
const runs = 50_000;

for (const engine of engines) {
  test.serial(`soak keeps memory flat [${engine}]`, async (t) => {
    t.timeout(60_000);

    const sample = await measureSoak(engine, runs);

    t.is(sample.wrongResults, 0);
    t.true(
      heapRatio(sample) <= 1 + heapGrowthLimit,
      `heap used ${mebibytes(sample.heapAfterWarmup)} → ${mebibytes(sample.heapAfterLast)} MiB`,
    );
    t.true(
      sample.rssAfterLast - sample.rssAfterWarmup <= rssGrowthLimitBytes,
      `RSS ${mebibytes(sample.rssAfterWarmup)} → ${mebibytes(sample.rssAfterLast)} MiB`,
    );
    t.true(
      sample.outsideHeapAfterLast - sample.outsideHeapAfterWarmup <= outsideHeapGrowthLimitBytes,
      `outside the heap ${mebibytes(sample.outsideHeapAfterWarmup)} → ${mebibytes(sample.outsideHeapAfterLast)} MiB`,
    );
  });
}
