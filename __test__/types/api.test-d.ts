// Compile-only checks of the typed API: `npm test` type-checks this file, nothing runs it.
import { type DAG, type DagRunOptions, type Traceable, type Traced, dag, ops, xn } from "../../index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2
  ? true
  : false;
function expectType<T extends true>(_: T): void {}

const incr = xn(function incr(x: number) {
  return x + 1;
});
const fetchName = xn(async function fetchName(id: string) {
  return `user-${id}`;
});
const pair = xn(
  function pair(x: number): [number, string] {
    return [x, String(x)];
  },
  { unpackTo: 2 },
);
const record = xn(function record() {
  return { count: 1, nested: { label: "a" }, list: [1, 2] };
});

// Parameters with default values need a type annotation: TypeScript does not infer them here.
const pipeline = dag(function pipeline(x: number, id: string = "7") {
  const next = incr(x);
  const name = fetchName(id);
  const [left, right] = pair(next);
  const data = record();
  return { next, name, left, right, label: data.nested.label, first: data.list[0], sum: ops.add(x, 1) };
});

// Node results flow through traced values: awaited, indexed and destructured.
expectType<Equal<ReturnType<typeof incr>, Traced<number>>>(true);
expectType<Equal<ReturnType<typeof fetchName>, Traced<string>>>(true);

// The DAG's parameters and resolved return type.
expectType<Equal<Parameters<typeof pipeline>, [x: number, id?: string]>>(true);
type Output = Awaited<ReturnType<typeof pipeline>>;
expectType<Equal<Output["next"], number>>(true);
expectType<Equal<Output["name"], string>>(true);
expectType<Equal<Output["left"], number>>(true);
expectType<Equal<Output["right"], string>>(true);
expectType<Equal<Output["label"], string>>(true);
expectType<Equal<Output["first"], number>>(true);

const asArray = dag(function asArray(x: number) {
  return [incr(x), incr(x)] as const;
});
expectType<Equal<Awaited<ReturnType<typeof asArray>>, [number, number]>>(true);
expectType<Equal<ReturnType<typeof asArray.runSync>, [number, number]>>(true);

const single: DAG<[number], number> = dag(function single(x: number) {
  return incr(x);
});
void single;

// Arguments accept plain values, traced values and traced values inside plain containers.
const total = xn(function total(values: { items: number[] }) {
  return values.items.reduce((sum, value) => sum + value, 0);
});
dag(function containers(x: number) {
  return total({ items: [incr(x), 2, incr(x)] });
});

dag(function wrongArgument() {
  // @ts-expect-error a string is not a number argument
  return incr("1");
});

// A conditional call may be skipped: the DAG's result may be undefined, but dependents accept it.
const conditional = dag(function conditional(x: number) {
  const maybe = incr.with({ active: ops.gt(x, 0) })(x);
  const after = incr(maybe);
  return { maybe, after };
});
type ConditionalOutput = Awaited<ReturnType<typeof conditional>>;
expectType<Equal<ConditionalOutput["maybe"], number | undefined>>(true);
expectType<Equal<ConditionalOutput["after"], number>>(true);
expectType<Equal<ReturnType<ReturnType<typeof incr.with<{ tag: "t" }>>>, Traced<number>>>(true);

// A `signal: true` node is called without its trailing AbortSignal, which the run appends.
const cancellable = xn(
  async function cancellable(x: number, signal: AbortSignal) {
    return signal.aborted ? x : x + 1;
  },
  { signal: true, timeout: 1000 },
);
const withOptionalSignal = xn(
  function withOptionalSignal(x: number, signal?: AbortSignal) {
    return signal === undefined ? x : x * 2;
  },
  { signal: true },
);
expectType<Equal<Parameters<typeof cancellable>, [x: Traceable<number>]>>(true);
expectType<Equal<Parameters<typeof withOptionalSignal>, [x: Traceable<number>]>>(true);
expectType<Equal<Parameters<ReturnType<typeof cancellable.with>>, [x: Traceable<number>]>>(true);
const cancelling = dag(function cancelling(x: number) {
  // @ts-expect-error the signal is not an argument of the call
  cancellable(x, new AbortController().signal);
  return cancellable(withOptionalSignal(x));
});

// Per-run options come before the DAG's arguments; runSyncWith returns the result itself.
expectType<Equal<ReturnType<typeof cancelling.run>, Promise<number>>>(true);
expectType<Equal<Parameters<typeof cancelling.run>, [options: DagRunOptions, x: number]>>(true);
expectType<Equal<ReturnType<typeof cancelling.runSyncWith>, number>>(true);
// A signal node is an alias like any other ExecNode.
void cancelling.executor({ targetNodes: [cancellable, withOptionalSignal] });
