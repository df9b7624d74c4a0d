/**
 * The Nix value model: what the provider can turn into Nix source.
 *
 *   null | boolean | number | string | list | attribute set | raw Nix
 *
 * It is plain, JSON-like data on purpose: values pass through Pulumi's
 * serialization (which drops symbols and class prototypes) and come from
 * YAML/JSON inventories. Rules, in short (details next to the code):
 * - `null` is Nix `null`; object members that are `undefined` are omitted
 *   (as in JSON); `undefined` anywhere else is refused.
 * - Numbers: safe integers are Nix integers, other finite numbers Nix floats
 *   (number.ts). NaN, ±Infinity, subnormals are refused.
 * - Strings: any text without NUL and without lone surrogates (escape.ts).
 * - Attribute sets: plain objects; rendered with sorted names (render.ts).
 * - Raw Nix: `{ $nix: "<expression>" }` and nothing else in that object
 *   (raw.ts); built by `raw()` or the `nix` tagged template (template.ts).
 * Anything else (functions, symbols, bigint, Date, Map, Buffer, class
 * instances, cycles) is refused by `checkNixValue` (check.ts), never
 * converted.
 */

export type { NixValue, NixAttrs, NixRaw } from "./types";
export { RAW_KEY, raw, isRaw } from "./raw";
export { nix } from "./template";
export { checkNixValue, assertNixValue, isNixValue, NixValueError, MAX_NIX_DEPTH } from "./check";
