/**
 * Per-node bit flags of the compiled graph, shared by both engines. The values are part of
 * the contract with the native addon: change them on both sides together.
 */
export const NodeFlag = {
  /** Runs alone: waits until nothing runs, and nothing starts while it runs. */
  sequential: 1,
  /** Runs on the main thread, inline, without taking a slot of `maxConcurrency`. */
  inline: 2,
  /** A user function on the main thread: the engine ends its batch after it, so it can be awaited. */
  blocking: 4,
  setup: 8,
  debug: 16,
  /** Has an `active` condition that the run layer checks before launching. */
  conditional: 32,
  /** Runs in the worker-thread pool. */
  worker: 64,
} as const;

/** What a node is, which decides how the run layer launches it. */
export const NodeKind = {
  /** A DAG input: its result is the call's argument. */
  argument: 0,
  /** A user function (or an `ops` operator) called with resolved arguments. */
  call: 1,
  /** A key or index read from another node's result. */
  lookup: 2,
  /** An argument of an inlined sub-DAG: its result is the value passed to the sub-DAG. */
  forward: 3,
} as const;
