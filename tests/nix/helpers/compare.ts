/**
 * Comparing what Nix evaluated (its `--json` output) with what went in.
 *
 * Nix 2.8 prints floats in JSON with only 6 significant digits (`%g`), so
 * floats are compared here with a relative tolerance of 1e-5; exactness is
 * checked inside Nix instead (see nix-batch.ts). Everything else (integers up
 * to 2^53, strings, attribute names, structure) must be identical.
 */
const FLOAT_TOLERANCE = 1e-5;

/** The Nix type (`builtins.typeOf`) each leaf of a JSON-like value must have after rendering. */
export type TypeTree = string | TypeTree[] | { [k: string]: TypeTree };

export function expectedTypes(v: unknown): TypeTree {
  if (v === null) return "null";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isSafeInteger(v) ? "int" : "float";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return v.map(expectedTypes);
  const out: { [k: string]: TypeTree } = {};
  for (const k of Object.keys(v as object)) {
    const member = (v as Record<string, unknown>)[k];
    if (member !== undefined) define(out, k, expectedTypes(member));
  }
  return out;
}

/** Sets an own property even for names like `__proto__`. */
export function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The first difference between `actual` (from Nix) and `expected`, or undefined. */
export function jsonDifference(actual: unknown, expected: unknown, path = "$"): string | undefined {
  if (typeof expected === "number" && typeof actual === "number") {
    if (Number.isSafeInteger(expected)) {
      return actual === expected ? undefined : `${path}: ${actual} != ${expected}`;
    }
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    return Math.abs(actual - expected) <= FLOAT_TOLERANCE * scale ? undefined : `${path}: ${actual} != ${expected}`;
  }
  if (expected === null || typeof expected !== "object") {
    return actual === expected ? undefined : `${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: length ${actual.length} != ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = jsonDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
    return `${path}: expected a set, got ${JSON.stringify(actual)}`;
  }
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const eKeys = Object.keys(e).filter((k) => e[k] !== undefined).sort();
  const aKeys = Object.keys(a).sort();
  if (JSON.stringify(eKeys) !== JSON.stringify(aKeys)) {
    return `${path}: names ${JSON.stringify(aKeys)} != ${JSON.stringify(eKeys)}`;
  }
  for (const k of eKeys) {
    const d = jsonDifference(a[k], e[k], `${path}[${JSON.stringify(k)}]`);
    if (d) return d;
  }
  return undefined;
}

/**
 * `v` as JSON that Nix's `builtins.fromJSON` reads back exactly and with the
 * right type: safe integers as integers, every other number in exponent form
 * (`1.5e+300`, `1e-1`). Plain `JSON.stringify` would not do: it writes 2^60
 * as `1152921504606847000`, which Nix 2.8 reads as an integer (and wraps
 * past 2^63: `builtins.fromJSON "9223372036854775808"` is
 * -9223372036854775808).
 */
export function toNixJson(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isSafeInteger(v) ? String(v === 0 ? 0 : v) : v.toExponential();
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toNixJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  const members = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${toNixJson(o[k])}`);
  return `{${members.join(",")}}`;
}
