// The CommonJS counterpart of module-location.ts (see there): the CommonJS build compiles this
// file in its place.

/** The folder holding this module: dist/cjs/src/ in the package. */
export const sourceDirectory = __dirname;
