import { TawaziUsageError } from "../errors.js";

/** One declared parameter of a describing function. */
export interface Parameter {
  /** The identifier, or `arg<i>` for a destructuring pattern. */
  readonly name: string;
  /** Whether the parameter has a JavaScript default value (`y = 10`). */
  readonly hasDefault: boolean;
}

const identifierStart = /[\p{ID_Start}$_]/u;
const identifierPart = /[\p{ID_Continue}$\u200c\u200d]/u;

/**
 * Reads the declared parameters of `fn` from its source text, as the engine would bind them:
 * plain names, names with default values and destructuring patterns.
 *
 * Rest parameters are rejected because a DAG needs a fixed list of inputs.
 *
 * NOTE: a regular-expression literal with an unbalanced bracket inside a default value is not
 * recognised and can shift the parameter list. Write such a default as a constant.
 */
export function readParameters(fn: Function, where: string): Parameter[] {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/u.test(source)) {
    throw new TawaziUsageError(
      `${where}: the parameters of ${fn.name || "the describing function"} cannot be read ` +
        "because it is a bound or built-in function. Pass the original function instead.",
    );
  }
  const list = parameterListOf(source);
  const parameters: Parameter[] = [];

  for (const [position, raw] of splitTopLevel(list).entries()) {
    const text = raw.slice(skipSpaceAndComments(raw, 0)).trim();
    if (text === "") continue;
    if (text.startsWith("...")) {
      throw new TawaziUsageError(
        `${where}: the describing function declares the rest parameter ${JSON.stringify(text)}; ` +
          "a DAG needs a fixed list of inputs, so declare each input as its own parameter.",
      );
    }

    const equals = topLevelAssignment(text);
    const target = (equals === -1 ? text : text.slice(0, equals)).trim();
    if ((target.startsWith("{") || target.startsWith("[")) && hasInnerDefault(target)) {
      throw new TawaziUsageError(
        `${where}: parameter ${position + 1} of the describing function (${JSON.stringify(target)}) ` +
          "gives default values inside a destructuring pattern; they would apply to the traced " +
          "value when the DAG is described, never to the values of a call. Destructure without " +
          "defaults, and apply defaults inside an ExecNode.",
      );
    }
    const name = identifierStart.test(target[0] ?? "") ? leadingIdentifier(target) : `arg${position}`;
    parameters.push({ name, hasDefault: equals !== -1 });
  }

  return parameters;
}

/** Returns whether a destructuring pattern gives a default value (`{ a = 5 }`), outside strings. */
function hasInnerDefault(pattern: string): boolean {
  const withoutStrings = pattern.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/gu, '""');
  return /(^|[^=!<>])=(?![=>])/u.test(withoutStrings);
}

function leadingIdentifier(text: string): string {
  let end = 1;
  while (end < text.length && identifierPart.test(text[end]!)) end += 1;
  return text.slice(0, end);
}

/** Returns the text between the parentheses of the parameter list, or the lone arrow parameter. */
function parameterListOf(source: string): string {
  let position = skipSpaceAndComments(source, 0);

  if (source.startsWith("async", position) && !identifierPart.test(source[position + 5] ?? "")) {
    position = skipSpaceAndComments(source, position + 5);
  }

  // A lone arrow parameter: `x => ...`.
  if (!source.startsWith("function", position) && identifierStart.test(source[position] ?? "")) {
    const name = leadingIdentifier(source.slice(position));
    const after = skipSpaceAndComments(source, position + name.length);
    if (source.startsWith("=>", after)) return name;
  }

  const open = findParameterListStart(source, position);
  const close = matchingBracket(source, open);
  return source.slice(open + 1, close);
}

function findParameterListStart(source: string, from: number): number {
  let position = from;
  while (position < source.length) {
    position = skipSpaceAndComments(source, position);
    const char = source[position];
    if (char === "(") return position;
    if (char === "[") {
      // A computed method name such as `[key](x) {}`.
      position = matchingBracket(source, position) + 1;
      continue;
    }
    position += 1;
  }
  throw new TawaziUsageError(
    "dag(): could not find the parameter list of the describing function; " +
      "pass a plain function or arrow function.",
  );
}

function skipSpaceAndComments(source: string, from: number): number {
  let position = from;
  while (position < source.length) {
    const char = source[position]!;
    if (/\s/u.test(char)) {
      position += 1;
    } else if (source.startsWith("//", position)) {
      const end = source.indexOf("\n", position);
      position = end === -1 ? source.length : end + 1;
    } else if (source.startsWith("/*", position)) {
      const end = source.indexOf("*/", position + 2);
      position = end === -1 ? source.length : end + 2;
    } else {
      break;
    }
  }
  return position;
}

const closers: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/**
 * Returns the index of the bracket closing the one at `open`, skipping strings, template
 * literals and comments. Iterative: nesting depth lives in an explicit stack.
 */
function matchingBracket(source: string, open: number): number {
  const first = source[open]!;
  const stack: string[] = [first === "`" ? "`" : closers[first]!];
  let position = open + 1;

  while (position < source.length && stack.length > 0) {
    const char = source[position]!;
    const top = stack[stack.length - 1];

    if (top === "`") {
      if (char === "\\") position += 2;
      else if (char === "`") {
        stack.pop();
        position += 1;
      } else if (source.startsWith("${", position)) {
        stack.push("}");
        position += 2;
      } else position += 1;
      continue;
    }

    if (char === "'" || char === '"') {
      position = endOfString(source, position);
    } else if (char === "`") {
      stack.push("`");
      position += 1;
    } else if (source.startsWith("//", position) || source.startsWith("/*", position)) {
      position = skipSpaceAndComments(source, position);
    } else if (char in closers) {
      stack.push(closers[char]!);
      position += 1;
    } else if (char === top) {
      stack.pop();
      position += 1;
    } else {
      position += 1;
    }
  }

  if (stack.length > 0) {
    throw new TawaziUsageError(
      "dag(): could not read the parameter list of the describing function; " +
        "move unusual default values into constants.",
    );
  }
  return position - 1;
}

function endOfString(source: string, start: number): number {
  const quote = source[start];
  let position = start + 1;
  while (position < source.length && source[position] !== quote) {
    position += source[position] === "\\" ? 2 : 1;
  }
  return position + 1;
}

/** Splits a parameter list at its top-level commas. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let position = 0;

  while (position < list.length) {
    const char = list[position]!;
    if (char === "'" || char === '"') {
      position = endOfString(list, position);
    } else if (char === "`" || char in closers) {
      position = matchingBracket(list, position) + 1;
    } else if (list.startsWith("//", position) || list.startsWith("/*", position)) {
      position = skipSpaceAndComments(list, position);
    } else if (char === ",") {
      parts.push(list.slice(start, position));
      start = position + 1;
      position += 1;
    } else {
      position += 1;
    }
  }

  parts.push(list.slice(start));
  return parts;
}

/** Returns the index of the `=` that starts a default value, or -1. */
function topLevelAssignment(parameter: string): number {
  let position = 0;
  while (position < parameter.length) {
    const char = parameter[position]!;
    if (char === "'" || char === '"') {
      position = endOfString(parameter, position);
    } else if (char === "`" || char in closers) {
      position = matchingBracket(parameter, position) + 1;
    } else if (char === "=") {
      const next = parameter[position + 1];
      if (next !== "=" && next !== ">") return position;
      position += 2;
    } else {
      position += 1;
    }
  }
  return -1;
}
