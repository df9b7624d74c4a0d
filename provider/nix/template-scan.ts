/**
 * Where in Nix syntax a point of a `nix` template falls: in code, inside a
 * string literal, or inside a comment.
 *
 * The template renders each interpolated value as a complete Nix expression
 * (a string value becomes a quoted string token). That is only safe in code.
 * Inside a Nix string literal of the template, `"Hello ${name}"`, the
 * rendered quotes would close the template's string and the value's text
 * would be read as Nix code; after a `#`, a multi-line value would continue
 * past the comment. So the template refuses interpolations there (write
 * `"Hello " + ${name}` or `"Hello \${${name}}"`).
 *
 * This is a small scanner of the Nix 2.8 lexical structure, enough for that
 * question: "..." strings (with `\` escapes and `${…}`), ''…'' strings (with
 * `'''`, `''$`, `''\X` escapes and `${…}`), `#` and `/* *\/` comments, braces
 * (to find the end of a `${…}`), identifiers (`a''` is one identifier, not
 * the start of a string) and URIs. The interpolations themselves are opaque,
 * complete expressions that do not change the state.
 */

type Frame = { kind: "code"; depth: number } | { kind: "string" } | { kind: "indented" };

export type TemplatePosition = "code" | "string" | "comment";

const ID_START = /[a-zA-Z_]/;
const ID_CHAR = /[a-zA-Z0-9_'-]/;
const URI_SCHEME_CHAR = /[a-zA-Z0-9+\-.]/;
const URI_CHAR = /[a-zA-Z0-9%/?:@&=+$,\-_.!~*']/;

export class TemplateScanner {
  private readonly stack: Frame[] = [{ kind: "code", depth: 0 }];
  private comment: "line" | "block" | undefined;

  get position(): TemplatePosition {
    if (this.comment) return "comment";
    return this.top.kind === "code" ? "code" : "string";
  }

  private get top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  /** Advances over a literal part of the template. */
  feed(text: string): void {
    let i = 0;
    while (i < text.length) {
      if (this.comment === "line") {
        const end = text.indexOf("\n", i);
        if (end < 0) return;
        this.comment = undefined;
        i = end + 1;
        continue;
      }
      if (this.comment === "block") {
        const end = text.indexOf("*/", i);
        if (end < 0) return;
        this.comment = undefined;
        i = end + 2;
        continue;
      }
      const top = this.top;
      if (top.kind === "code") i = this.code(text, i, top);
      else if (top.kind === "string") i = this.string(text, i);
      else i = this.indented(text, i);
    }
  }

  private code(text: string, i: number, frame: { depth: number }): number {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "#") {
      this.comment = "line";
      return i + 1;
    }
    if (c === "/" && next === "*") {
      this.comment = "block";
      return i + 2;
    }
    if (c === '"') {
      this.stack.push({ kind: "string" });
      return i + 1;
    }
    if (c === "'" && next === "'") {
      this.stack.push({ kind: "indented" });
      return i + 2;
    }
    if (c === "{") {
      frame.depth++;
      return i + 1;
    }
    if (c === "}") {
      if (frame.depth === 0 && this.stack.length > 1) this.stack.pop(); // end of a ${…} inside a string
      else frame.depth = Math.max(0, frame.depth - 1);
      return i + 1;
    }
    if (ID_START.test(c)) {
      let j = i + 1;
      while (j < text.length && URI_SCHEME_CHAR.test(text[j]!)) j++;
      if (text[j] === ":" && j + 1 < text.length && URI_CHAR.test(text[j + 1]!)) {
        j++;
        while (j < text.length && URI_CHAR.test(text[j]!)) j++;
        return j;
      }
      j = i + 1;
      while (j < text.length && ID_CHAR.test(text[j]!)) j++;
      return j;
    }
    return i + 1;
  }

  private string(text: string, i: number): number {
    const c = text[i]!;
    if (c === "\\") return i + 2;
    if (c === '"') {
      this.stack.pop();
      return i + 1;
    }
    if (c === "$") return this.dollar(text, i);
    return i + 1;
  }

  private indented(text: string, i: number): number {
    const c = text[i]!;
    if (c === "'" && text[i + 1] === "'") {
      const after = text[i + 2];
      if (after === "'" || after === "$") return i + 3;
      if (after === "\\") return i + 4;
      this.stack.pop();
      return i + 2;
    }
    if (c === "$") return this.dollar(text, i);
    return i + 1;
  }

  /** `${` opens an interpolation; `$$` is two literal dollars (so `$${` is literal). */
  private dollar(text: string, i: number): number {
    const next = text[i + 1];
    if (next === "{") {
      this.stack.push({ kind: "code", depth: 0 });
      return i + 2;
    }
    return next === "$" ? i + 2 : i + 1;
  }
}
