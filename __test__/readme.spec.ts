import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import test from "ava";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/gu)].map((match) => match[1]!);
const commonJsBlocks = [...readme.matchAll(/```cjs\n([\s\S]*?)```/gu)].map((match) => match[1]!);

/**
 * Turns a README example into a script that checks its documented results: a statement
 * followed by a comment holding a JavaScript value (`await pipeline(10); // [9, 11]`)
 * becomes `assert.deepStrictEqual(await pipeline(10), [9, 11])`. A comment that is not a
 * JavaScript value stays a comment. An ES module example imports the sources; a CommonJS one
 * keeps `require("tawazi")`, which resolves to the package's own CommonJS build.
 */
function toScript(block: string, format: "esm" | "cjs" = "esm"): { script: string; checks: number } {
  const indexUrl = pathToFileURL(path.join(root, "index.ts")).href;
  const rootUrl = pathToFileURL(`${root}/`).href;
  let checks = 0;
  // A result too long for one line follows its statement as a block of `//` lines: join them.
  const joined: string[] = [];
  for (const line of block.split("\n")) {
    const previous = joined[joined.length - 1];
    const continuation = /^\/\/ (.*)$/u.exec(line);
    if (continuation !== null && previous !== undefined && /;(\s*\/\/.*)?$/u.test(previous)) {
      joined[joined.length - 1] = previous.includes("; //")
        ? `${previous} ${continuation[1]}`
        : `${previous} // ${continuation[1]}`;
    } else {
      joined.push(line);
    }
  }
  const lines = joined.map((line) => {
    // Examples read as if they were modules at the repository root.
    const imported = line
      .replace(/from "tawazi"/u, `from ${JSON.stringify(indexUrl)}`)
      .replaceAll("import.meta.url", JSON.stringify(rootUrl));
    const match = /^(\s*)(.+?);\s*\/\/ (.+)$/u.exec(imported);
    if (match === null) return imported;
    const [, indent, code, expected] = match as unknown as [string, string, string, string];
    if (/^(const|let|var|import|export|return|throw)\b/u.test(code)) return imported;
    try {
      new Function(`return (${expected});`);
    } catch {
      return imported;
    }
    checks += 1;
    return `${indent}assert.deepStrictEqual(${code}, ${expected});`;
  });
  const script =
    format === "esm"
      ? `import assert from "node:assert";\n${lines.join("\n")}\nexport {};\n`
      : `const assert = require("node:assert");\n${lines.join("\n")}\n`;
  return { script, checks };
}

test("README has TypeScript examples", (t) => {
  t.true(blocks.length >= 8, `found ${blocks.length} blocks`);
});

for (const [position, block] of blocks.entries()) {
  const firstLine = block.split("\n").find((line) => line.trim() !== "" && !line.startsWith("import"));
  test.serial(`README example ${position + 1}: ${firstLine?.slice(0, 40) ?? "imports"}`, async (t) => {
    const folder = mkdtempSync(path.join(tmpdir(), "tawazi-readme-"));
    try {
      const file = path.join(folder, `example-${position + 1}.mts`);
      const { script, checks } = toScript(block);
      writeFileSync(file, script);
      const result = await run(process.execPath, ["--import=tsx", file], {
        cwd: root,
        timeout: 30_000,
      });
      t.is(result.stderr, "");
      t.log(`${checks} documented results checked`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
}

test("README has CommonJS examples", (t) => {
  t.true(commonJsBlocks.length >= 1, `found ${commonJsBlocks.length} blocks`);
});

for (const [position, block] of commonJsBlocks.entries()) {
  test.serial(`README CommonJS example ${position + 1}`, async (t) => {
    // Inside the repository, require("tawazi") resolves through the package's own exports to
    // dist/cjs, the build a CommonJS user installs (npm test runs npm run build first).
    const folder = mkdtempSync(path.join(root, ".tawazi-tmp-readme-"));
    try {
      const file = path.join(folder, `example-${position + 1}.cjs`);
      const { script, checks } = toScript(block, "cjs");
      writeFileSync(file, script);
      const result = await run(process.execPath, [file], { cwd: root, timeout: 30_000 });
      t.is(result.stderr, "");
      t.true(checks >= 1, "no documented result to check");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
}
