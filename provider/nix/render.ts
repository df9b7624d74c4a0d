/**
 * The renderer: a Nix value as deterministic, nixfmt-like Nix source. Same
 * input, same bytes; no I/O.
 *
 * Layout rules:
 * - Indentation is two spaces per level.
 * - Attribute sets: `{ }` when empty, otherwise one `name = value;` per line,
 *   names sorted by plain JavaScript string comparison (UTF-16 code units,
 *   `a < b`), which is stable and independent of insertion order. Names are
 *   bare identifiers or quoted (escape.ts). Members that are `undefined` are
 *   omitted. Nested sets are never collapsed into `a.b = …` paths.
 * - Lists: `[ ]` when empty; on one line, `[ "a" "b" 1 ]`, when no element
 *   is a list or a set and the one-line form has no line break and is at most
 *   72 characters (counted without the indentation in front of it);
 *   otherwise one element per line.
 * - Strings: "..." unless multi-line text fits an indented string (see
 *   escape.ts `fitsIndentedString`), which is then written `''…''` with its
 *   lines indented one level deeper than the line it starts on.
 * - Numbers: see number.ts. Negative numbers are parenthesised where they are
 *   list elements (or function arguments, in the `nix` template).
 * - Raw Nix is written verbatim, never re-indented (that could change the
 *   content of strings inside it). As a list element it is parenthesised
 *   unless it is a plain attribute path (`pkgs.hello`). If its last line may
 *   end in a `#` comment, a line break follows it so the comment cannot
 *   swallow the `;` or `)` after it.
 */
import type { NixAttrs, NixValue } from "./types";
import { assertNixValue } from "./check";
import { isAtomicRaw, isRaw, mayEndInLineComment } from "./raw";
import { fitsIndentedString, nixAttrName, nixIndentedString, nixString } from "./escape";
import { nixNumber } from "./number";

export interface RenderOptions {
  /**
   * The indentation, in spaces, of the line the value starts on. The first
   * line is not prefixed (the caller has already written it, e.g.
   * `    config = `); later lines are indented relative to it. Default 0.
   */
  indent?: number;
  /** Path named in validation errors. Default "value". */
  path?: string;
}

/** Maximum length of a list written on one line. */
export const INLINE_LIST_MAX = 72;

/** `v` as a Nix expression, for a position followed by `;` or nothing (an attribute value, a whole file). */
export function renderNix(v: NixValue, opts: RenderOptions = {}): string {
  return renderChecked(v, opts, "value");
}

/**
 * `v` as a Nix expression that can stand as a list element or a function
 * argument: negative numbers and raw Nix (other than attribute paths) are
 * parenthesised.
 */
export function renderNixArgument(v: NixValue, opts: RenderOptions = {}): string {
  return renderChecked(v, opts, "argument");
}

type Position = "value" | "argument";

function renderChecked(v: NixValue, opts: RenderOptions, position: Position): string {
  const indent = opts.indent ?? 0;
  if (!Number.isSafeInteger(indent) || indent < 0) throw new RangeError(`indent must be a non-negative integer, got ${indent}`);
  assertNixValue(v, opts.path ?? "value");
  return render(v, " ".repeat(indent), position);
}

function render(v: NixValue, indent: string, position: Position): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number": {
      const text = nixNumber(v);
      return position === "argument" && text.startsWith("-") ? `(${text})` : text;
    }
    case "string":
      return fitsIndentedString(v) ? nixIndentedString(v, indent) : nixString(v);
  }
  if (Array.isArray(v)) return renderList(v, indent);
  if (isRaw(v)) return renderRaw(v.$nix, indent, position);
  return renderAttrs(v as NixAttrs, indent);
}

function renderRaw(text: string, indent: string, position: Position): string {
  const lineBreak = mayEndInLineComment(text) ? `\n${indent}` : "";
  if (position === "argument" && !isAtomicRaw(text)) return `(${text}${lineBreak})`;
  return text + lineBreak;
}

function renderList(items: NixValue[], indent: string): string {
  if (items.length === 0) return "[ ]";
  const inner = indent + "  ";
  const rendered = items.map((item) => render(item, inner, "argument"));
  const scalarsOnly = items.every((item) => typeof item !== "object" || item === null || isRaw(item));
  if (scalarsOnly) {
    const line = `[ ${rendered.join(" ")} ]`;
    if (line.length <= INLINE_LIST_MAX && !line.includes("\n")) return line;
  }
  return `[\n${rendered.map((r) => inner + r).join("\n")}\n${indent}]`;
}

function renderAttrs(attrs: NixAttrs, indent: string): string {
  const names = Object.keys(attrs)
    .filter((name) => attrs[name] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) return "{ }";
  const inner = indent + "  ";
  const lines = names.map((name) => `${inner}${nixAttrName(name)} = ${render(attrs[name]!, inner, "value")};`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}
