/**
 * The `nix` tagged template: Nix source with values spliced in safely.
 *
 *   nix`pkgs.writeText "motd" ${text}`   // text = 'a"${b}'
 *   // -> { $nix: 'pkgs.writeText "motd" "a\"\${b}"' }
 *
 * - The literal parts are Nix source, after JavaScript's usual template
 *   escapes (`\n` is a newline). So a Nix interpolation is written `\${…}`:
 *   nix`"\${pkgs.hello}/bin/hello"` is the Nix `"${pkgs.hello}/bin/hello"`.
 *   (Keeping the template's raw text instead would make Nix interpolation
 *   impossible to write, since `\${` is the only way to get `${` into a
 *   JavaScript template.)
 * - Each interpolated value is rendered as a Nix value (strings escaped, so a
 *   value can never become code), in argument position: negative numbers are
 *   parenthesised, so `nix\`f ${-1}\`` is `f (-1)`, not `f - 1`.
 * - An interpolated raw value (`{ $nix }`, or another `nix` template) is
 *   spliced verbatim inside parentheses, so it stays one expression.
 * - A bigint is written as a Nix integer (64-bit range, else an error).
 * - If a rendered value would glue onto the neighbouring source into one token
 *   (`x${1}` would read as the identifier `x1`), it is parenthesised.
 * - Multi-line renderings are indented like the line they start on.
 * - Values that cannot be rendered throw a NixValueError naming the
 *   interpolation (`nix template value #2: ...`).
 *
 * - Interpolations are expressions, not string fragments. One inside a Nix
 *   string literal or comment of the template is refused (template-scan.ts):
 *   there the rendered value would end the string and be read as code. Write
 *   `"hello " + ${name}`, or a Nix interpolation around it:
 *   nix`"hello \${${name}}"`.
 */
import type { NixRaw, NixValue } from "./types";
import { assertNixValue } from "./check";
import { isRaw, mayEndInLineComment, raw } from "./raw";
import { nixBigInt } from "./number";
import { renderNixArgument } from "./render";
import { TemplateScanner } from "./template-scan";

export function nix(strings: TemplateStringsArray, ...values: unknown[]): NixRaw {
  const literals = strings.map((cooked, i) => {
    if (cooked === undefined) throw new SyntaxError(`nix template: invalid escape sequence in ${JSON.stringify(strings.raw[i])}`);
    return cooked;
  });
  let out = literals[0]!;
  const scanner = new TemplateScanner();
  scanner.feed(out);
  values.forEach((value, i) => {
    const where = scanner.position;
    if (where === "string") {
      throw new SyntaxError(
        `nix template value #${i + 1} is inside a Nix string; an interpolation is a whole Nix expression, ` +
          `so write "text " + \${…} or "text \\\${\${…}}" instead of "text \${…}"`,
      );
    }
    if (where === "comment") {
      throw new SyntaxError(`nix template value #${i + 1} is inside a Nix comment, which a multi-line value would end; move it out`);
    }
    const indent = out.slice(out.lastIndexOf("\n") + 1).match(/^ */)![0].length;
    let text = renderInterpolation(value, i, indent);
    const next = literals[i + 1]!;
    if ((gluesOn(out.slice(-1)) && gluesOn(text[0])) || (gluesOn(text.slice(-1)) && gluesOn(next[0]))) {
      text = `(${text})`;
    }
    out += text + next;
    scanner.feed(next);
  });
  return raw(out);
}

/** Characters that would continue an identifier, number or path token. */
function gluesOn(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_'.\-/+]/.test(c);
}

function renderInterpolation(value: unknown, index: number, indent: number): string {
  if (typeof value === "bigint") {
    const text = nixBigInt(value);
    return value < 0n && !text.startsWith("(") ? `(${text})` : text;
  }
  const path = `nix template value #${index + 1}`;
  assertNixValue(value, path);
  if (isRaw(value)) {
    const text = value.$nix;
    return `(${text}${mayEndInLineComment(text) ? `\n${" ".repeat(indent)}` : ""})`;
  }
  return renderNixArgument(value as NixValue, { indent, path });
}
