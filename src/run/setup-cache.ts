/**
 * Results of setup nodes, shared by every run of one DAG instance and keyed by node id. A
 * pending entry lets runs that start while the first computation is under way wait for it
 * instead of computing the result again.
 */
export type SetupEntry =
  | { readonly done: true; readonly value: unknown }
  | { readonly done: false; readonly promise: Promise<unknown> };

export type SetupCache = Map<string, SetupEntry>;

/** A promise with its settle functions, for a setup result that is being computed. */
export interface Deferred {
  readonly promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function defer(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Waiting runs attach their own handlers; this one keeps a failure with no waiter handled.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
