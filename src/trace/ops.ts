import { Resource } from "../config.js";
import { type ExecNode, xn } from "./exec-node.js";

/**
 * Makes an operator node: synchronous, on the main thread, outside the concurrency budget.
 * Its id is the operator's name (`add`, `add<<1>>`, ...).
 */
function operator<F extends (...args: never[]) => unknown>(name: string, fn: F): ExecNode<F> {
  return xn(fn, { name, resource: Resource.mainThread });
}

/**
 * Node-making operators, since JavaScript has no operator overloading to trace `x + y`.
 * Each follows the JavaScript operator of the same meaning: `eq`/`ne` are strict (`===`),
 * `and`/`or` return an operand like `&&`/`||`, `not`/`xor` return booleans, `floorDiv` is
 * `Math.floor(a / b)` (floored division for bigints), `mod` is `%` (sign of the dividend).
 * Every operator works detached from this object.
 */
export const ops = Object.freeze({
  add: operator("add", (a: any, b: any) => a + b),
  sub: operator("sub", (a: any, b: any) => a - b),
  mul: operator("mul", (a: any, b: any) => a * b),
  div: operator("div", (a: any, b: any) => a / b),
  floorDiv: operator("floorDiv", (a: any, b: any) => floorDivide(a, b)),
  mod: operator("mod", (a: any, b: any) => a % b),
  pow: operator("pow", (a: any, b: any) => a ** b),
  neg: operator("neg", (a: any) => -a),
  pos: operator("pos", (a: any) => +a),
  abs: operator("abs", (a: any) => (typeof a === "bigint" ? (a < 0n ? -a : a) : Math.abs(a))),
  eq: operator("eq", (a: unknown, b: unknown) => a === b),
  ne: operator("ne", (a: unknown, b: unknown) => a !== b),
  lt: operator("lt", (a: any, b: any) => a < b),
  le: operator("le", (a: any, b: any) => a <= b),
  gt: operator("gt", (a: any, b: any) => a > b),
  ge: operator("ge", (a: any, b: any) => a >= b),
  and: operator("and", (a: unknown, b: unknown) => a && b),
  or: operator("or", (a: unknown, b: unknown) => a || b),
  xor: operator("xor", (a: unknown, b: unknown) => Boolean(a) !== Boolean(b)),
  not: operator("not", (a: unknown) => !a),
  bitAnd: operator("bitAnd", (a: any, b: any) => a & b),
  bitOr: operator("bitOr", (a: any, b: any) => a | b),
  bitXor: operator("bitXor", (a: any, b: any) => a ^ b),
  bitNot: operator("bitNot", (a: any) => ~a),
  shl: operator("shl", (a: any, b: any) => a << b),
  shr: operator("shr", (a: any, b: any) => a >> b),
});

function floorDivide(a: any, b: any): any {
  if (typeof a === "bigint" && typeof b === "bigint") {
    const quotient = a / b;
    return (a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? quotient - 1n : quotient;
  }
  return Math.floor(a / b);
}

/** Logical AND node, as Tawazi's `and_`: returns `a && b`. */
export const and_ = ops.and;
/** Logical OR node, as Tawazi's `or_`: returns `a || b`. */
export const or_ = ops.or;
/** Logical NOT node, as Tawazi's `not_`: returns `!a`. */
export const not_ = ops.not;
