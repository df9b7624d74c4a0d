/**
 * The renderer read backwards: Nix source that render.ts wrote, as the value it was written
 * from. Only render.ts's own layout is read (attribute sets one member a line, lists inline or
 * one element a line, its strings and numbers); any other expression is raw Nix, taken
 * verbatim. Every value read is rendered again and kept only if that gives back the same bytes,
 * so a reading is never approximate: what cannot be read exactly is raw.
 */
import type { NixAttrs, NixValue } from "./types";
import { raw } from "./raw";
import { renderNix, renderNixArgument } from "./render";

/**
 * The value whose rendering at `indent` (the indentation of the line it starts on) is `text`:
 * null, booleans, numbers, strings, lists and attribute sets where render.ts would write exactly
 * `text`, raw Nix otherwise.
 */
export function readNix(text: string, indent = 0): NixValue {
  const pad = " ".repeat(indent);
  const literal = literalOf(text, pad);
  if (literal !== undefined && renderNix(literal, { indent }) === text) return literal;
  // A raw value that may end in a comment was followed by a line break (render.ts).
  const broken = text.endsWith(`\n${pad}`) ? text.slice(0, -(pad.length + 1)) : undefined;
  if (broken !== undefined && renderNix(raw(broken), { indent }) === text) return raw(broken);
  return raw(text);
}

/** The attribute set render.ts wrote as `text` at `indent`, member by member (names as written, values read); undefined if it is not one. */
export function readAttrs(text: string, indent = 0): { name: string; value: string }[] | undefined {
  const pad = " ".repeat(indent);
  if (text === "{ }") return [];
  if (!text.startsWith("{\n") || !text.endsWith(`\n${pad}}`)) return undefined;
  const body = text.slice(2, text.length - pad.length - 2);
  const inner = pad + "  ";
  const members: { name: string; value: string }[] = [];
  for (const line of split(body, inner, true)) {
    const m = /^((?:"(?:[^"\\]|\\.)*"|[^\s"=;]+)+) = ([\s\S]*);$/.exec(line.slice(inner.length));
    if (!m) return undefined;
    members.push({ name: m[1], value: m[2] });
  }
  return members;
}

/** An attribute name as render.ts writes it (escape.ts nixAttrName), read back. */
export function attrNameOf(written: string): string | undefined {
  if (/^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(written)) return written;
  return stringOf(written);
}

function literalOf(text: string, pad: string): NixValue | undefined {
  if (text === "null") return null;
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+(\.\d+)?(e[+-]\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('"')) return stringOf(text);
  if (text.startsWith("''")) return indentedStringOf(text, pad);
  if (text.startsWith("[")) return listOf(text, pad);
  if (text.startsWith("{")) return attrsOf(text, pad);
  return undefined;
}

function attrsOf(text: string, pad: string): NixAttrs | undefined {
  const members = readAttrs(text, pad.length);
  if (!members) return undefined;
  const out: NixAttrs = {};
  for (const { name, value } of members) {
    const key = attrNameOf(name);
    if (key === undefined || key in out) return undefined;
    out[key] = readNix(value, pad.length + 2);
  }
  return out;
}

function listOf(text: string, pad: string): NixValue[] | undefined {
  if (text === "[ ]") return [];
  const inner = pad + "  ";
  let items: string[];
  if (!text.includes("\n")) {
    if (!text.startsWith("[ ") || !text.endsWith(" ]")) return undefined;
    items = splitAtSpaces(text.slice(2, -2));
  } else {
    if (!text.startsWith("[\n") || !text.endsWith(`\n${pad}]`)) return undefined;
    items = split(text.slice(2, text.length - pad.length - 2), inner, false).map((l) => l.slice(inner.length));
  }
  return items.map((item) => argumentOf(item, inner));
}

/** A list element: written as a value, except that raw Nix (not a plain path) and negative numbers are parenthesised. */
function argumentOf(text: string, pad: string): NixValue {
  const literal = literalOf(text, pad);
  if (literal !== undefined && renderNixArgument(literal, { indent: pad.length }) === text) return literal;
  if (text.startsWith("(") && text.endsWith(")")) {
    const inner = text.slice(1, -1);
    const number = literalOf(inner, pad);
    if (typeof number === "number" && renderNixArgument(number, { indent: pad.length }) === text) return number;
    const broken = inner.endsWith(`\n${pad}`) ? inner.slice(0, -(pad.length + 1)) : inner;
    for (const candidate of [raw(broken), raw(inner)]) if (renderNixArgument(candidate, { indent: pad.length }) === text) return candidate;
  }
  return raw(text);
}

/** A "…" string literal with render.ts's escapes, the whole of `text`; undefined otherwise. */
function stringOf(text: string): string | undefined {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return undefined;
  let out = "";
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i];
    if (c === '"') return undefined;
    if (c === "$" && text[i + 1] === "{") return undefined; // an interpolation: Nix, not text
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined || i === text.length - 1) return undefined;
    out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
  }
  return out;
}

/** A ''…'' string as escape.ts nixIndentedString writes it at `pad`; undefined otherwise. */
function indentedStringOf(text: string, pad: string): string | undefined {
  if (!text.startsWith("''\n")) return undefined;
  const closing = `\n${pad}''`;
  const endsWithNewline = text.endsWith(closing);
  if (!endsWithNewline && !text.endsWith("''")) return undefined;
  const body = text.slice(3, endsWithNewline ? -closing.length : -2);
  const content = pad + "  ";
  const lines: string[] = [];
  for (const line of body.split("\n")) {
    if (line === "") {
      lines.push("");
      continue;
    }
    if (!line.startsWith(content)) return undefined;
    lines.push(line.slice(content.length).replace(/'''|''\$|''\\'/g, (m) => (m === "'''" ? "''" : m === "''$" ? "$" : "'")));
  }
  return lines.join("\n") + (endsWithNewline ? "\n" : "");
}

/**
 * `body` cut where a new line at the top level starts with `inner` and then no space: the
 * members of an attribute set (`attrs`: each ends with `;`) or the elements of a list written
 * one a line. Strings, comments and brackets are skipped, so their contents never cut.
 */
function split(body: string, inner: string, attrs: boolean): string[] {
  const top = topLevel(body);
  const starts = [0];
  for (let i = 1; i < body.length; i++) {
    const boundary = body[i - 1] === "\n" && top[i - 1] && body.startsWith(inner, i) && body[i + inner.length] !== " " && body[i + inner.length] !== "\n";
    if (boundary && (!attrs || (body[i - 2] === ";" && top[i - 2]))) starts.push(i);
  }
  return starts.map((s, k) => body.slice(s, k + 1 < starts.length ? starts[k + 1] - 1 : body.length));
}

/** The elements of a one-line list: cut at top-level spaces. */
function splitAtSpaces(body: string): string[] {
  const top = topLevel(body);
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || (body[i] === " " && top[i])) {
      items.push(body.slice(start, i));
      start = i + 1;
    }
  }
  return items;
}

type Frame = { kind: "code"; depth: number } | { kind: "dq" } | { kind: "ind" };

/** For each character of `text`: whether it is outside every string, comment and bracket. */
function topLevel(text: string): boolean[] {
  const top = new Array<boolean>(text.length).fill(false);
  const stack: Frame[] = [{ kind: "code", depth: 0 }];
  let i = 0;
  while (i < text.length) {
    const frame = stack[stack.length - 1];
    const c = text[i];
    if (frame.kind === "dq") {
      if (c === "\\") i += 2;
      else if (c === '"') (stack.pop(), i++);
      else if (c === "$" && text[i + 1] === "{") (stack.push({ kind: "code", depth: 0 }), (i += 2));
      else i++;
      continue;
    }
    if (frame.kind === "ind") {
      if (text.startsWith("'''", i) || text.startsWith("''$", i)) i += 3;
      else if (text.startsWith("''\\", i)) i += 4;
      else if (text.startsWith("''", i)) (stack.pop(), (i += 2));
      else if (c === "$" && text[i + 1] === "{") (stack.push({ kind: "code", depth: 0 }), (i += 2));
      else i++;
      continue;
    }
    top[i] = stack.length === 1 && frame.depth === 0;
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '"') (stack.push({ kind: "dq" }), i++);
    else if (text.startsWith("''", i)) (stack.push({ kind: "ind" }), (i += 2));
    else if (c === "(" || c === "[" || c === "{") (frame.depth++, i++);
    else if (c === ")" || c === "]" || c === "}") {
      if (frame.depth === 0 && stack.length > 1) stack.pop();
      else frame.depth--;
      i++;
    } else i++;
  }
  return top;
}
