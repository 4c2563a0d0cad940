// The one module that reads its own location, so the rest of src works in both module formats.
// This file serves development (tsx) and the ESM build. The CommonJS build compiles
// module-location.cjs.ts in its place, because `import.meta` is a syntax error in CommonJS:
// tsconfig.cjs.json lists ".cjs" first in moduleSuffixes, so "./module-location.js" resolves
// to that file, and scripts/build.mjs renames its output to module-location.js.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The folder holding this module: src/ in development, dist/esm/src/ in the package. */
export const sourceDirectory = path.dirname(fileURLToPath(import.meta.url));
