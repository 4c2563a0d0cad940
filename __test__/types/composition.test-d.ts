// Compile-only checks of sub-DAG calls and compose: `npm test` type-checks this file, nothing runs it.
import { type DAG, type Traced, dag, ops, xn } from "../../index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2
  ? true
  : false;
function expectType<T extends true>(_: T): void {}

const incr = xn(function incr(x: number) {
  return x + 1;
});
const label = xn(function label(x: number) {
  return `#${x}`;
});

const single = dag(function single(x: number) {
  return incr(x);
});
const tuple = dag(function tuple(x: number) {
  return [incr(x), label(x)] as const;
});
const record = dag(function record(x: number) {
  return { next: incr(x), name: label(x) };
});
const optional = dag(function optional(x: number, step: number = 1) {
  return ops.add(x, step);
});
const none = dag(function none(x: number) {
  incr(x);
});

// Inside a describing function, inline() returns traced values of the sub-DAG's results.
dag(function parent(x: number) {
  const next = single.inline(x);
  expectType<Equal<typeof next, Traced<number>>>(true);

  const [left, right] = tuple.inline(next);
  expectType<Equal<typeof left, Traced<number>>>(true);
  expectType<Equal<typeof right, Traced<string>>>(true);

  const fields = record.inline(x);
  expectType<Equal<typeof fields.next, Traced<number>>>(true);
  expectType<Equal<typeof fields.name, Traced<string>>>(true);

  // Arguments accept plain values and traced values. A parameter with a default is optional.
  optional.inline(x);
  optional.inline(1, next);

  // @ts-expect-error a string is not a number argument
  single.inline("1");
  // @ts-expect-error the argument x is missing
  single.inline();
  // @ts-expect-error one argument too many
  single.inline(x, x);

  return incr(next);
});

// The parent's result type comes through the inlined sub-DAG.
const chained = dag(function chained(x: number) {
  const [count, name] = tuple.inline(x);
  return { count, name, fields: record.inline(count) };
});
type Chained = Awaited<ReturnType<typeof chained>>;
expectType<Equal<Chained["count"], number>>(true);
expectType<Equal<Chained["name"], string>>(true);
expectType<Equal<Chained["fields"], { next: number; name: string }>>(true);

// A sub-DAG without a return value inlines to undefined.
dag(function parentOfNone(x: number) {
  const nothing = none.inline(x);
  expectType<Equal<typeof nothing, Traced<void>>>(true);
});

// A gated sub-DAG call may be skipped, so its results may be undefined, as for a gated ExecNode.
const gated = dag(function gated(x: number) {
  return single.with({ active: ops.gt(x, 0) })(x);
});
expectType<Equal<Awaited<ReturnType<typeof gated>>, number | undefined>>(true);

// compose() returns a DAG whose parameters and result are not known statically.
const composed = chained.compose({ inputs: ["..."], outputs: ["tuple.incr"] });
expectType<Equal<typeof composed, DAG<unknown[], unknown>>>(true);
expectType<Equal<ReturnType<typeof composed>, Promise<unknown>>>(true);
chained.compose({ inputs: [incr, "...", single.getNodeById("incr")], outputs: incr, name: "part" });
// @ts-expect-error outputs is required
chained.compose({ inputs: [] });
