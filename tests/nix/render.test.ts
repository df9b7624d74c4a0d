/** Layout and escaping rules of the renderer, one by one (the real evaluator checks them in golden and property tests). */
import { fitsIndentedString, nixAttrName, nixIndentedString, nixString } from "../../provider/nix/escape";
import { nixBigInt, nixNumber } from "../../provider/nix/number";
import { raw } from "../../provider/nix/raw";
import { INLINE_LIST_MAX, renderNix, renderNixArgument } from "../../provider/nix/render";
import type { NixValue } from "../../provider/nix/value";

describe("nixString", () => {
  test.each<[string, string]>([
    ["", '""'],
    ["plain", '"plain"'],
    ['"', '"\\""'],
    ["\\", '"\\\\"'],
    ["${x}", '"\\${x}"'],
    ["$${x}", '"$\\${x}"'],
    ["$", '"$"'],
    ["a$b", '"a$b"'],
    ["\n\t\r", '"\\n\\t\\r"'],
    ["''", "\"''\""],
    ["\x01\x1b\x7f", '"\x01\x1b\x7f"'],
    ["é😀", '"é😀"'],
  ])("%j -> %s", (s, expected) => {
    expect(nixString(s)).toBe(expected);
  });

  test("refuses text Nix cannot hold", () => {
    expect(() => nixString("a\0")).toThrow("contains a NUL character");
    expect(() => nixString("\uD800")).toThrow("lone UTF-16 surrogate");
  });
});

describe("nixAttrName", () => {
  test.each<[string, string]>([
    ["a", "a"],
    ["a-b", "a-b"],
    ["a'", "a'"],
    ["_x1", "_x1"],
    ["true", "true"],
    ["null", "null"],
    ["__curPos", "__curPos"],
    ["if", '"if"'],
    ["or", '"or"'],
    ["inherit", '"inherit"'],
    ["", '""'],
    ["a b", '"a b"'],
    ["a.b", '"a.b"'],
    ["1a", '"1a"'],
    ["-a", '"-a"'],
    ["${x}", '"\\${x}"'],
    ["é", '"é"'],
  ])("%j -> %s", (s, expected) => {
    expect(nixAttrName(s)).toBe(expected);
  });
});

describe("numbers", () => {
  test.each<[number, string]>([
    [0, "0"],
    [-0, "0"],
    [42, "42"],
    [-7, "-7"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [0.5, "0.5"],
    [-0.25, "-0.25"],
    [1 / 3, "0.3333333333333333"],
    [1e-7, "1.0e-7"],
    [1.5e-7, "1.5e-7"],
    [1e300, "1.0e+300"],
    [-1.5e300, "-1.5e+300"],
    [2 ** 53, "9.007199254740992e+15"],
    [2 ** 60, "1.152921504606847e+18"],
    [1e21, "1.0e+21"],
    [Number.MAX_VALUE, "1.7976931348623157e+308"],
    [2.2250738585072014e-308, "2.2250738585072014e-308"],
  ])("%p -> %s", (n, expected) => {
    expect(nixNumber(n)).toBe(expected);
  });

  test("refuses what has no literal", () => {
    expect(() => nixNumber(NaN)).toThrow("NaN cannot be represented in Nix");
    expect(() => nixNumber(Infinity)).toThrow("Infinity cannot be represented in Nix");
    expect(() => nixNumber(1e-310)).toThrow("subnormal");
  });

  test("bigint", () => {
    expect(nixBigInt(0n)).toBe("0");
    expect(nixBigInt(-(2n ** 63n))).toBe("(-9223372036854775807 - 1)");
    expect(() => nixBigInt(2n ** 64n)).toThrow("outside the 64-bit signed range");
  });
});

describe("indented strings", () => {
  test.each<[string, boolean]>([
    ["one line", false],
    ["\n", false],
    ["a\nb", true],
    ["a\n", true],
    ["a\r\nb", false],
    ["  a\n  b\n", false], // every line indented: Nix would strip the text's own indentation
    ["  a\nb\n", true],
    ["\ta\n", true],
    ["a\n  ", false], // a final spaces-only line would be dropped
    ["a\n  \n", true],
  ])("%j fits: %p", (s, fits) => {
    expect(fitsIndentedString(s)).toBe(fits);
  });

  test("escapes", () => {
    expect(nixIndentedString("it''s ${x} $${y}\nend'", "  ")).toBe("''\n    it'''s ''${x} $''${y}\n    end''\\'''");
    expect(nixIndentedString("a'${b}\n")).toBe("''\n  a''\\'''${b}\n''");
    expect(() => nixIndentedString("no newline")).toThrow("cannot be written as an indented string");
  });
});

describe("renderNix layout", () => {
  test("empty containers", () => {
    expect(renderNix({})).toBe("{ }");
    expect(renderNix([])).toBe("[ ]");
    expect(renderNix({ a: {}, b: [] })).toBe("{\n  a = { };\n  b = [ ];\n}");
  });

  test("names sorted by string comparison, independent of insertion order", () => {
    const a = renderNix({ b: 1, a: 2, B: 3, "10": 4, "9": 5, é: 6, _: 7 });
    const b = renderNix({ _: 7, é: 6, "9": 5, "10": 4, B: 3, a: 2, b: 1 });
    expect(a).toBe(b);
    expect(a).toBe('{\n  "10" = 4;\n  "9" = 5;\n  B = 3;\n  _ = 7;\n  a = 2;\n  b = 1;\n  "é" = 6;\n}');
  });

  test("short scalar lists inline, up to the length limit", () => {
    const fits = ["x".repeat(INLINE_LIST_MAX - 6)]; // [ "…" ] adds 6 characters
    expect(renderNix(fits)).toBe(`[ "${fits[0]}" ]`);
    const tooLong = ["x".repeat(INLINE_LIST_MAX - 5)];
    expect(renderNix(tooLong)).toBe(`[\n  "${tooLong[0]}"\n]`);
    expect(renderNix([1, -1, null, true, "s", raw("pkgs.a")])).toBe('[ 1 (-1) null true "s" pkgs.a ]');
  });

  test("lists with sets or lists are one element per line", () => {
    expect(renderNix([[1], { a: 1 }])).toBe("[\n  [ 1 ]\n  {\n    a = 1;\n  }\n]");
    expect(renderNix([[]])).toBe("[\n  [ ]\n]");
  });

  test("indent option: later lines are indented, the first is not", () => {
    expect(renderNix({ a: [{ b: 1 }] }, { indent: 4 })).toBe("{\n      a = [\n        {\n          b = 1;\n        }\n      ];\n    }");
    expect(() => renderNix(1, { indent: -1 })).toThrow(RangeError);
    expect(() => renderNix(1, { indent: 1.5 })).toThrow(RangeError);
  });

  test("raw Nix is verbatim; parenthesised only as a list element that is not an attribute path", () => {
    const multi = "let\n  x = 1;\nin\n  x";
    expect(renderNix({ a: raw(multi) })).toBe(`{\n  a = ${multi};\n}`);
    expect(renderNix([raw("a b"), raw("a.b"), raw("a.or"), raw("-1")])).toBe("[ (a b) a.b (a.or) (-1) ]");
    expect(renderNix({ a: raw("x # c") })).toBe("{\n  a = x # c\n  ;\n}");
    expect(renderNix(raw("x # c"))).toBe("x # c\n");
  });

  test("renderNixArgument", () => {
    expect(renderNixArgument(-1)).toBe("(-1)");
    expect(renderNixArgument(raw("f x"))).toBe("(f x)");
    expect(renderNixArgument(raw("pkgs.hello"))).toBe("pkgs.hello");
    expect(renderNixArgument("s")).toBe('"s"');
  });

  test("same input, same bytes", () => {
    const v: NixValue = { z: [1, { y: "a\nb" }], a: raw("pkgs.x"), m: -0.5 };
    expect(renderNix(v)).toBe(renderNix(JSON.parse(JSON.stringify(v)) as NixValue));
  });
});
