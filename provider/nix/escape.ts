/**
 * Writing text as Nix source: double-quoted strings, indented (`''`) strings
 * and attribute names. Every string that reaches a Nix file goes through here,
 * so a string value can never become Nix code.
 *
 * Facts about Nix 2.8 these rules rest on (checked with nix-instantiate, and
 * by the property test in tests/nix):
 * - In "...": `\\`, `\"`, `\n`, `\t`, `\r` and `\${` are escapes; a lone `$`
 *   is literal. There is no `\u`/`\x` escape (`"\u00e9"` is "u00e9").
 * - Any other character, control characters included, stands for itself
 *   inside "..." (a literal U+0001 byte evaluates to U+0001). The exception is
 *   a raw carriage return, which the lexer turns into `\n`, hence the escape.
 * - NUL cannot appear in a Nix string at all (strings are C strings), and a
 *   lone UTF-16 surrogate has no UTF-8 encoding: both are refused, never
 *   replaced.
 */

/** Why `s` cannot be written into a Nix file, or undefined if it can. */
export function textProblem(s: string): string | undefined {
  const nul = s.indexOf("\0");
  if (nul >= 0) return `contains a NUL character (at index ${nul}), which Nix strings cannot hold`;
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(s);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return `contains a lone UTF-16 surrogate (U+${code} at index ${lone.index}), which has no UTF-8 encoding`;
  }
  return undefined;
}

function assertWritable(s: string, what: string): void {
  if (typeof s !== "string") throw new TypeError(`${what} must be a string, got ${typeof s}`);
  const problem = textProblem(s);
  if (problem) throw new Error(`${what} ${JSON.stringify(s)} ${problem}`);
}

const DQ_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  '"': '\\"',
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "${": "\\${",
};

/** `s` as a double-quoted Nix string literal. */
export function nixString(s: string): string {
  assertWritable(s, "string");
  return '"' + s.replace(/[\\"\n\t\r]|\$\{/g, (m) => DQ_ESCAPES[m]!) + '"';
}

/** Words the Nix 2.8 lexer reserves; they must be quoted as attribute names. */
export const NIX_KEYWORDS: ReadonlySet<string> = new Set([
  "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit",
  // `or` is accepted bare as an attribute name by Nix 2.8, but it is an
  // operator in selections (`a.b or c`), so it is quoted to stay unambiguous.
  "or",
]);

const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/;

/**
 * True if `s` can be written bare as an attribute name. `true`, `false`,
 * `null` and `__curPos` are ordinary identifiers to the lexer and work bare
 * (verified with Nix 2.8).
 */
export function isNixIdentifier(s: string): boolean {
  return IDENTIFIER.test(s) && !NIX_KEYWORDS.has(s);
}

/** `s` as an attribute name: bare if it is a plain identifier, else quoted. */
export function nixAttrName(s: string): string {
  assertWritable(s, "attribute name");
  return isNixIdentifier(s) ? s : nixString(s);
}

/**
 * Whether `s` is written as an indented string (`''…''`), which keeps a
 * multi-line value readable and makes `pulumi preview --diff` show it line by
 * line. Indented strings strip the common indentation and drop a final
 * spaces-only line, so they are only used where we can pin both down:
 * - `s` has a newline and no carriage return (CR would need an escape and
 *   CRLF text is better shown as one "..." line);
 * - some line starts with a character other than a space: that line fixes the
 *   stripped indentation to exactly the one the renderer adds (otherwise Nix
 *   would also strip the text's own leading spaces);
 * - `s` does not end in a line made only of spaces (Nix drops such a line
 *   before the closing `''`).
 * Everything else is written as "...", which can express any string.
 */
export function fitsIndentedString(s: string): boolean {
  if (!s.includes("\n") || s.includes("\r")) return false;
  const endsWithNewline = s.endsWith("\n");
  const lines = (endsWithNewline ? s.slice(0, -1) : s).split("\n");
  const last = lines[lines.length - 1]!;
  if (!endsWithNewline && /^ +$/.test(last)) return false;
  return lines.some((line) => line !== "" && line[0] !== " ");
}

/**
 * `s` as an indented string whose opening `''` is on a line indented by
 * `indent`; content lines get `indent` plus two spaces, which Nix strips.
 * Only valid when `fitsIndentedString(s)`.
 *
 * Escapes inside `''…''` (Nix 2.8): `'''` is `''`, `''$` is `$`, `''\X` is
 * the "..." escape `\X`. So: every `''` is written `'''`; the `$` of every
 * `${` is written `''$`; a single `'` that would touch a following `'` in the
 * output (before `''$` or before the closing `''`) is written `''\'`.
 */
export function nixIndentedString(s: string, indent = ""): string {
  assertWritable(s, "string");
  if (!fitsIndentedString(s)) throw new Error(`string ${JSON.stringify(s)} cannot be written as an indented string`);
  const endsWithNewline = s.endsWith("\n");
  const lines = (endsWithNewline ? s.slice(0, -1) : s).split("\n");
  const contentIndent = indent + "  ";
  const body = lines
    .map((line, i) => {
      if (line === "") return "";
      const closesHere = !endsWithNewline && i === lines.length - 1;
      return contentIndent + escapeIndentedLine(line, closesHere);
    })
    .join("\n");
  return endsWithNewline ? `''\n${body}\n${indent}''` : `''\n${body}''`;
}

function escapeIndentedLine(line: string, closesHere: boolean): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      if (line[i + 1] === "'") {
        out += "'''";
        i++;
        continue;
      }
      const atEnd = i + 1 === line.length;
      const beforeDollarCurly = line[i + 1] === "$" && line[i + 2] === "{";
      out += (atEnd && closesHere) || beforeDollarCurly ? "''\\'" : "'";
    } else if (c === "$" && line[i + 1] === "{") {
      out += "''$";
    } else {
      out += c;
    }
  }
  return out;
}
