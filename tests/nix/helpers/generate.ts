/**
 * Adversarial Nix values for the property test, from a seeded PRNG. Each
 * generated value comes with what it must evaluate to (`expected`): the value
 * itself for plain data, the known result for raw Nix and `nix` templates.
 */
import { raw } from "../../../provider/nix/raw";
import { nix } from "../../../provider/nix/template";
import type { NixAttrs, NixValue } from "../../../provider/nix/value";
import { define } from "./compare";
import { Prng } from "./prng";

export interface Generated {
  value: NixValue;
  expected: unknown;
}

const CONTROL = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).concat(["\x7f", "\u0080", "\u0085", "\u009b", "\u009f"]);

/** Fragments chosen to break escaping: Nix string syntax, both quoting styles, unicode, controls. */
const STRING_PIECES = [
  "${", "$${", "$$${", "\\${", "$", "$$", "{", "}", "${x}", "''${x}", "$'",
  "'", "''", "'''", "''''", "''$", "''\\", "''\\n", "'$", "'${",
  "\\", "\\\\", "\\n", "\\\"", '"', '"${"', "`",
  "\n", "\t", "\r", "\r\n", "\n\n", " ", "  ", "\n  ", "\n\t", "  \n",
  "#", "# not a comment", "/*", "*/", ";", "=", "a = 1;", "(", ")", "[", "]",
  "é", "ß", "中文", "日本語", "Ω", "😀", "🏳️‍🌈", "\u{1F468}\u200D\u{1F469}", "e\u0301", "a\u0308\u0323",
  "\u2028", "\u2029", "\uFEFF", "\u00A0", "\u200B", "\uFFFD", "\uFFFF", "\u{10FFFF}", "\u{E0001}",
  "\x1b[31m", "abc", "x", "0", "-1", "null", "true", "a.b", "…", "http://x/y#z", "./path", "<nixpkgs>",
];

const ATTR_NAMES = [
  "a", "b", "x1", "_", "_a", "a-b", "a'", "a'b", "A", "camelCase", "snake_case",
  "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or",
  "true", "false", "null", "__curPos", "__functor", "import", "builtins", "throw", "abort", "derivation",
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__",
  "", " ", "  ", "a b", "a.b", ".", "..", "$", "${", "${x}", "\\", '"', "'", "''", "-a", "1a", "0", "123", "-1",
  "é", "日本", "😀", "e\u0301", "a\nb", "\t", "\r", "#", "/*", "=", ";", "a=b", "\x01", "\x7f", "\u2028", "\uFEFF",
];
// Not generated: `outPath` and `__toString` make Nix print (and `==`
// compare) a set as a string. That is Nix semantics, not rendering: the
// renderer writes them like any other name (see the golden files).

const SPECIAL_NUMBERS = [
  0, 1, -1, 2, -2, 7, 42, -42, 255, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, -(2 ** 32),
  Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, -0,
  0.1, 0.5, -0.25, 1 / 3, 2 / 3, -1 / 3, Math.PI, Math.E, 0.1 + 0.2, 1.5, -1.5, 100.25,
  1e-7, 5e-7, 1.2345e-7, 0.000001, 1e21, 1e22, 1.5e300, -1.5e300, 1e300, 1e-300, -1e-300,
  Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308, -2.2250738585072014e-308, Number.EPSILON,
  2 ** 53, -(2 ** 53), 2 ** 53 + 2, 2 ** 60, -(2 ** 60), 2 ** 63, -(2 ** 63), 2 ** 64, 123456789012345680000,
];

/** Raw Nix expressions with known values; several need parentheses or a line break after them. */
const RAWS: [string, unknown][] = [
  ["1 + 2", 3],
  ["-5", -5],
  ["-1.5", -1.5],
  ["0.5", 0.5],
  ["builtins.add 1 2 # a trailing comment", 3],
  ["let a = 1; in a", 1],
  ['if true then "y" else "n"', "y"],
  ["builtins.length [ 1 2 ]", 2],
  ["{ a = 1; }.a", 1],
  ['"multi\\nline" + \'\'\n  x\n\'\'', "multi\nlinex\n"],
  ["null", null],
  ["true", true],
  ["builtins.true", true],
  ["with builtins; toString 1", "1"],
  ["assert true; 1", 1],
  ["let\n  a = [ 1 ];\nin\n  a # comment", [1]],
  ["(x: x) 4", 4],
  ["rec { a = 1; b = a; }", { a: 1, b: 1 }],
  ['"#not a comment"', "#not a comment"],
  ["/* block */ 7", 7],
  ["[ 1 (-1) ]", [1, -1]],
  ['builtins.concatStringsSep "," [ "a" "b" ]', "a,b"],
  ["{ }", {}],
  ["[ ]", []],
];

export class ValueGenerator {
  constructor(private readonly rng: Prng) {}

  codePoint(): string {
    const r = this.rng;
    switch (r.int(4)) {
      case 0:
        return String.fromCodePoint(r.range(0x20, 0x7e));
      case 1:
        return r.pick(CONTROL);
      case 2: {
        let cp = r.range(0xa0, 0xfffd);
        if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800; // surrogates are not characters
        return String.fromCodePoint(cp);
      }
      default:
        return String.fromCodePoint(r.range(0x10000, 0x10ffff));
    }
  }

  string(): string {
    const r = this.rng;
    if (r.chance(0.08)) return "";
    if (r.chance(0.15)) return this.multilineString();
    let s = "";
    const n = r.range(1, 8);
    for (let i = 0; i < n; i++) s += r.chance(0.6) ? r.pick(STRING_PIECES) : this.codePoint();
    return s;
  }

  /** Text with several lines, shaped to exercise the indented-string form and its edge cases. */
  multilineString(): string {
    const r = this.rng;
    const lines: string[] = [];
    const n = r.range(1, 6);
    for (let i = 0; i < n; i++) {
      let line = r.pick(["", "", " ", "  ", "    ", "\t", " \t"]);
      const pieces = r.range(0, 4);
      for (let j = 0; j < pieces; j++) {
        const piece = r.chance(0.7) ? r.pick(STRING_PIECES) : this.codePoint();
        line += piece.replace(/[\n\r]/g, "");
      }
      if (r.chance(0.1)) line = " ".repeat(r.range(1, 4)); // spaces-only line
      lines.push(line);
    }
    return lines.join("\n") + r.pick(["", "\n", "\n\n", "'", "''", "'''", "$", " "]);
  }

  attrName(): string {
    const r = this.rng;
    if (r.chance(0.6)) return r.pick(ATTR_NAMES);
    if (r.chance(0.5)) {
      const first = r.pick([..."abcxyzAZ_"]);
      let s = first;
      const n = r.int(8);
      for (let i = 0; i < n; i++) s += r.pick([..."abz09_'-"]);
      return s;
    }
    return Array.from(this.string()).slice(0, 12).join(""); // whole code points: no lone surrogates
  }

  number(): number {
    const r = this.rng;
    switch (r.int(6)) {
      case 0:
        return r.pick(SPECIAL_NUMBERS);
      case 1:
        return r.range(-1000, 1000);
      case 2: {
        // Any safe integer, sign included.
        const n = (r.uint32() % 2 ** 21) * 2 ** 32 + r.uint32();
        return r.chance(0.5) ? -n : n;
      }
      case 3:
        return (r.next() - 0.5) * 10 ** r.range(-20, 20);
      default:
        return this.randomDouble();
    }
  }

  /** A random finite, normal double from random bits. */
  randomDouble(): number {
    const view = new DataView(new ArrayBuffer(8));
    for (;;) {
      view.setUint32(0, this.rng.uint32());
      view.setUint32(4, this.rng.uint32());
      const d = view.getFloat64(0);
      if (Number.isFinite(d) && (d === 0 || Math.abs(d) >= 2.2250738585072014e-308)) return d;
    }
  }

  scalar(): Generated {
    const r = this.rng;
    let v: NixValue;
    switch (r.int(7)) {
      case 0:
        v = null;
        break;
      case 1:
        v = r.chance(0.5);
        break;
      case 2:
      case 3:
        v = this.number();
        break;
      default:
        v = this.string();
    }
    return { value: v, expected: v };
  }

  value(depth: number): Generated {
    const r = this.rng;
    const roll = r.next();
    if (depth <= 0 || roll < 0.45) return this.scalar();
    if (roll < 0.65) return this.list(depth);
    if (roll < 0.9) return this.attrs(depth);
    if (roll < 0.95) return this.rawValue();
    return this.template(depth);
  }

  list(depth: number): Generated {
    const n = this.rng.chance(0.1) ? 0 : this.rng.range(1, 6);
    const items = Array.from({ length: n }, () => this.value(depth - 1));
    return { value: items.map((g) => g.value), expected: items.map((g) => g.expected) };
  }

  attrs(depth: number): Generated {
    const value: NixAttrs = {};
    const expected: Record<string, unknown> = {};
    const n = this.rng.chance(0.1) ? 0 : this.rng.range(1, 6);
    for (let i = 0; i < n; i++) {
      const name = this.attrName();
      if (name === "$nix") continue;
      if (this.rng.chance(0.05)) {
        // Omitted, like JSON.
        define(value as Record<string, unknown>, name, undefined);
        delete expected[name];
        continue;
      }
      const g = this.value(depth - 1);
      define(value, name, g.value);
      define(expected, name, g.expected);
    }
    return { value, expected };
  }

  rawValue(): Generated {
    const [text, expected] = this.rng.pick(RAWS);
    return { value: raw(text), expected };
  }

  /** A `nix` template whose result is known, with interpolations in several syntactic positions. */
  template(depth: number): Generated {
    const r = this.rng;
    const a = this.value(depth - 1);
    const b = this.value(depth - 1);
    switch (r.int(9)) {
      case 0:
        return { value: nix`${a.value}`, expected: a.expected };
      case 7: {
        // A value inside a Nix interpolation inside Nix strings of the template.
        const s = this.string();
        return { value: nix`"pre \${${s}} post" + ''\n  ''\${x} \${${s}}''`, expected: `pre ${s} post\${x} ${s}` };
      }
      case 1:
        return { value: nix`builtins.head [ ${a.value} ]`, expected: a.expected };
      case 2:
        return { value: nix`(x: x) ${a.value}`, expected: a.expected };
      case 3:
        return { value: nix`builtins.elemAt [ ${a.value} ${b.value} ] 1`, expected: b.expected };
      case 4:
        return { value: nix`{ a = ${a.value}; }.a`, expected: a.expected };
      case 5:
        return { value: nix`let\n    x = ${a.value};\n  in x`, expected: a.expected };
      default: {
        const big = BigInt.asIntN(64, (BigInt(r.uint32()) << 32n) | BigInt(r.uint32()));
        return { value: nix`builtins.toString ${big}`, expected: big.toString() };
      }
    }
  }

  /** A chain of at least `min` nested lists and sets around a value. */
  deep(min: number): Generated {
    let g = this.value(2);
    const levels = this.rng.range(min, min + 15);
    for (let i = 0; i < levels; i++) {
      if (this.rng.chance(0.5)) {
        g = { value: [g.value], expected: [g.expected] };
      } else {
        const name = this.attrName();
        const value: NixAttrs = {};
        const expected: Record<string, unknown> = {};
        define(value, name, g.value);
        define(expected, name, g.expected);
        g = { value, expected };
      }
    }
    return g;
  }
}
