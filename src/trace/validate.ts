import { types } from "node:util";

import { TawaziUsageError, describeValue } from "../errors.js";

/** Rejects keys of `options` that are not in `allowed`, naming the closest allowed key. */
export function checkKeys(
  where: string,
  kind: string,
  options: object,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestMatches(key, allowed, 1)[0];
    throw new TawaziUsageError(
      `${where}: unknown ${kind} ${JSON.stringify(key)}` +
        (suggestion === undefined ? "." : `; did you mean ${JSON.stringify(suggestion)}?`) +
        ` Allowed: ${allowed.join(", ")}.`,
    );
  }
}

/** Rejects options that are not an object: a primitive, null, or an array. */
export function checkOptionsObject(where: string, options: unknown): asserts options is object {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TawaziUsageError(`${where}: options must be an object, received ${describeValue(options)}.`);
  }
}

/** Returns whether `value` is a revoked Proxy, on which every operation throws a TypeError. */
export function isRevokedProxy(value: unknown): boolean {
  if ((typeof value !== "object" && typeof value !== "function") || value === null || !types.isProxy(value)) {
    return false;
  }
  try {
    Reflect.getPrototypeOf(value);
    return false;
  } catch {
    return true;
  }
}

export function validateBoolean(where: string, option: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  throw new TawaziUsageError(
    `${where}: option ${option} must be a boolean, received ${describeValue(value)}.`,
  );
}

export function validatePriority(where: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new TawaziUsageError(
    `${where}: option priority must be a finite number, received ${describeValue(value)}.`,
  );
}

export function validateUnpackTo(where: string, value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 2 ** 32 - 1) {
    return value;
  }
  throw new TawaziUsageError(
    `${where}: option unpackTo must be an integer ≥ 1 (the length of the returned array), ` +
      `received ${describeValue(value)}.`,
  );
}

export function validateTags(where: string, value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  const tags = typeof value === "string" ? [value] : value;
  if (
    Array.isArray(tags) &&
    tags.every((tag: unknown) => typeof tag === "string" && tag !== "")
  ) {
    return Object.freeze([...new Set(tags as string[])]);
  }
  throw new TawaziUsageError(
    `${where}: option tag must be a non-empty string or an array of them, ` +
      `received ${describeValue(value)}.`,
  );
}

export function validateMaxConcurrency(where: string, value: unknown): number {
  if (
    typeof value === "number" &&
    ((Number.isInteger(value) && value >= 1) || value === Number.POSITIVE_INFINITY)
  ) {
    return value;
  }
  throw new TawaziUsageError(
    `${where}: option maxConcurrency must be an integer ≥ 1 (or Infinity), ` +
      `received ${describeValue(value)}.`,
  );
}

/**
 * Checks a time limit in milliseconds: a finite number ≥ 0, or Infinity for no limit. `option`
 * names it in the message, as `timeout` or `option timeout of node "x"`.
 */
export function validateTimeout(where: string, option: string, value: unknown): number {
  const isLimit = Number.isFinite(value) || value === Number.POSITIVE_INFINITY;
  if (typeof value === "number" && value >= 0 && isLimit) return value;
  throw new TawaziUsageError(
    `${where}: option ${option} must be a number of milliseconds ≥ 0 (or Infinity for no limit), ` +
      `received ${describeValue(value)}.`,
  );
}

/** Checks an AbortSignal: any object with a boolean `aborted` and `addEventListener`. */
export function validateSignal(where: string, value: unknown): AbortSignal {
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function" &&
    typeof (value as AbortSignal).removeEventListener === "function"
  ) {
    return value as AbortSignal;
  }
  throw new TawaziUsageError(
    `${where}: option signal must be an AbortSignal (such as new AbortController().signal), ` +
      `received ${describeValue(value)}.`,
  );
}

export function validateChoice<T extends string>(
  where: string,
  option: string,
  value: unknown,
  choices: readonly T[],
): T {
  if ((choices as readonly unknown[]).includes(value)) return value as T;
  throw new TawaziUsageError(
    `${where}: option ${option} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, ` +
      `received ${describeValue(value)}.`,
  );
}

/** Edit distance between two strings, on two rows of the usual dynamic program. */
function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, position) => position);
  for (let row = 1; row <= left.length; row += 1) {
    const current = [row];
    for (let column = 1; column <= right.length; column += 1) {
      const substitution = previous[column - 1]! + (left[row - 1] === right[column - 1] ? 0 : 1);
      current.push(Math.min(previous[column]! + 1, current[column - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/** Returns up to `count` candidates closest to `text`, nearest first, ignoring far ones. */
export function closestMatches(
  text: string,
  candidates: Iterable<string>,
  count = 3,
): string[] {
  const scored: { candidate: string; distance: number }[] = [];
  const limit = Math.max(2, Math.floor(text.length / 2));
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - text.length) > limit) continue;
    const distance = editDistance(text.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit) scored.push({ candidate, distance });
  }
  scored.sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1));
  return scored.slice(0, count).map((entry) => entry.candidate);
}
