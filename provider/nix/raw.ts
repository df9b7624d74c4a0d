/**
 * Raw Nix: the only way to put Nix syntax (rather than a value) into the model.
 *
 * A raw value is plain data, an object whose single key is `$nix`, not a class
 * or a symbol, because values travel through Pulumi's serialization, which
 * keeps only JSON-like data. In YAML/JSON inventories users write
 * `{ "$nix": "pkgs.hello" }`; in TypeScript they use `raw()` or the `nix`
 * tagged template.
 */
import type { NixRaw } from "./types";
import { isPlainObject } from "./plain";

export const RAW_KEY = "$nix";

/** Marks `text` as a Nix expression, used verbatim (never re-indented or escaped). */
export function raw(text: string): NixRaw {
  if (typeof text !== "string") throw new TypeError(`raw Nix must be a string, got ${typeof text}`);
  return { $nix: text };
}

/**
 * True for `{ $nix: "<string>" }`. Members whose value is `undefined` are
 * ignored, as everywhere in the model (they disappear in JSON and in Pulumi
 * serialization, so `{ $nix: "x", a: undefined }` must mean the same before
 * and after).
 */
export function isRaw(v: unknown): v is NixRaw {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  return keys.length === 1 && keys[0] === RAW_KEY && typeof v[RAW_KEY] === "string";
}

/**
 * A raw expression that is a plain identifier or attribute path
 * (`pkgs.hello`, `config.networking.hostName`) binds tighter than function
 * application, so it can stand as a list element without parentheses. Anything
 * else is parenthesised there.
 */
const ID = "[A-Za-z_][A-Za-z0-9_'-]*";
const SELECT_PATH = new RegExp(`^${ID}(?:\\.${ID})*$`);
const KEYWORDS = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]);

export function isAtomicRaw(text: string): boolean {
  return SELECT_PATH.test(text) && !text.split(".").some((part) => KEYWORDS.has(part));
}

/**
 * A raw text whose last line contains `#` may end in a line comment, which
 * would swallow whatever the renderer writes after it on the same line (`;`,
 * `)`). The renderer then breaks the line first. This is a cheap, conservative
 * test: a `#` inside a string on the last line only costs a line break.
 */
export function mayEndInLineComment(text: string): boolean {
  return text.slice(text.lastIndexOf("\n") + 1).includes("#");
}
