import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import test from "ava";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const skippedFolders = new Set(["node_modules", ".git", "target", "dist", "scratch"]);

function specFiles(folder: string): string[] {
  const found: string[] = [];
  const pending = [folder];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skippedFolders.has(entry.name)) pending.push(path.join(current, entry.name));
      } else if (entry.name.endsWith(".spec.ts")) {
        found.push(path.relative(root, path.join(current, entry.name)));
      }
    }
  }
  return found;
}

test("every spec file is under __test__", (t) => {
  const outside = specFiles(root).filter((file) => !file.startsWith(`__test__${path.sep}`));
  t.deepEqual(outside, []);
});
