/** The validator: every value that cannot be rendered is refused with its path and the reason. */
import { checkNixValue, assertNixValue, isNixValue, MAX_NIX_DEPTH, NixValueError } from "../../provider/nix/check";
import { renderNix } from "../../provider/nix/render";
import type { NixValue } from "../../provider/nix/value";

const at = (v: unknown): string[] => checkNixValue({ services: { nginx: { port: v } } }, "config");

describe("checkNixValue refuses what Nix cannot represent", () => {
  test.each<[string, unknown, string]>([
    ["NaN", NaN, "config.services.nginx.port: NaN cannot be represented in Nix"],
    ["Infinity", Infinity, "config.services.nginx.port: Infinity cannot be represented in Nix"],
    ["-Infinity", -Infinity, "config.services.nginx.port: -Infinity cannot be represented in Nix"],
    ["a subnormal float", 5e-324, "config.services.nginx.port: 5e-324 is a subnormal float, which Nix 2.8 cannot parse as a literal (use 0, or a magnitude of at least 2.2250738585072014e-308)"],
    ["a function", () => 80, "config.services.nginx.port: a function cannot be represented in Nix (write Nix functions as raw Nix, e.g. nix`x: x`)"],
    ["a symbol", Symbol("p"), "config.services.nginx.port: a symbol cannot be represented in Nix"],
    ["a bigint", 80n, "config.services.nginx.port: a bigint cannot be a Nix value here (Pulumi cannot serialize it); use a number within ±(2^53-1), or raw Nix: nix`${80n}`"],
    ["a Date", new Date(0), "config.services.nginx.port: an instance of Date cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can (convert it, e.g. to an ISO string)"],
    ["a Map", new Map(), "config.services.nginx.port: an instance of Map cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can (use a plain object)"],
    ["a Set", new Set(), "config.services.nginx.port: an instance of Set cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can (use an array)"],
    ["a Buffer", Buffer.from("x"), "config.services.nginx.port: an instance of Buffer cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can"],
    ["a RegExp", /x/, "config.services.nginx.port: an instance of RegExp cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can"],
    ["a class instance", new (class Port { n = 80; })(), "config.services.nginx.port: an instance of Port cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can"],
    ["a Promise", Promise.resolve(80), "config.services.nginx.port: an instance of Promise cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can (await it first)"],
    ["a Pulumi Output", Object.assign(Object.create({ constructor: { name: "OutputImpl" } }), { __pulumiOutput: true }), "config.services.nginx.port: a Pulumi Output cannot be rendered directly; render inside .apply() (or pulumi.all(...).apply())"],
    ["a string with NUL", "a\0b", "config.services.nginx.port: string contains a NUL character (at index 1), which Nix strings cannot hold"],
    ["a lone high surrogate", "ab\uD800", "config.services.nginx.port: string contains a lone UTF-16 surrogate (U+D800 at index 2), which has no UTF-8 encoding"],
    ["a lone low surrogate", "\uDC00x", "config.services.nginx.port: string contains a lone UTF-16 surrogate (U+DC00 at index 0), which has no UTF-8 encoding"],
    ["a reversed surrogate pair", "\uDE00\uD83D", "config.services.nginx.port: string contains a lone UTF-16 surrogate (U+DE00 at index 0), which has no UTF-8 encoding"],
  ])("%s", (_what, value, message) => {
    expect(at(value)).toEqual([message]);
  });

  test("a real Pulumi Output", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    expect(at(pulumi.output(80))).toEqual([
      "config.services.nginx.port: a Pulumi Output cannot be rendered directly; render inside .apply() (or pulumi.all(...).apply())",
    ]);
  });

  test("undefined in a list, and a hole", () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(checkNixValue({ list: [1, undefined, , 4] }, "config")).toEqual([
      "config.list[1]: undefined cannot be represented in a Nix list (use null, or leave it out)",
      "config.list[2]: an empty array slot cannot be represented in a Nix list (use null, or leave it out)",
    ]);
  });

  test("undefined at the top", () => {
    expect(checkNixValue(undefined, "config")).toEqual([
      "config: undefined cannot be represented in Nix (use null; object members that are undefined are omitted)",
    ]);
  });

  test("undefined members are omitted and null is fine", () => {
    expect(checkNixValue({ a: undefined, b: null, c: { d: undefined } })).toEqual([]);
    expect(renderNix({ a: undefined, b: null } as unknown as NixValue)).toBe("{\n  b = null;\n}");
  });

  test("a cycle through an object and through a list", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { again: a };
    const list: unknown[] = [1];
    list.push({ back: list });
    expect(checkNixValue({ a, list }, "config")).toEqual([
      "config.a.self.again: cyclic structure: this is the same object as its ancestor config.a",
      "config.list[1].back: cyclic structure: this is the same object as its ancestor config.list",
    ]);
  });

  test("a shared (non-cyclic) object is fine and rendered twice", () => {
    const shared = { port: 80 };
    expect(checkNixValue({ a: shared, b: [shared, shared] })).toEqual([]);
    expect(renderNix({ a: shared, b: shared })).toBe("{\n  a = {\n    port = 80;\n  };\n  b = {\n    port = 80;\n  };\n}");
  });

  test("raw Nix: other keys, a non-string, empty text, NUL", () => {
    expect(checkNixValue({ a: { $nix: "pkgs.hello", extra: 1 } }, "config")).toEqual([
      'config.a: an object with "$nix" is raw Nix and must have no other keys (found: "extra")',
    ]);
    expect(checkNixValue({ a: { $nix: 1 } }, "config")).toEqual([
      'config.a."$nix": raw Nix must be a string, got number (an attribute named "$nix" can only be written in raw Nix)',
    ]);
    expect(checkNixValue({ a: { $nix: null } }, "config")).toEqual([
      'config.a."$nix": raw Nix must be a string, got null (an attribute named "$nix" can only be written in raw Nix)',
    ]);
    expect(checkNixValue({ a: { $nix: "  \n" } }, "config")).toEqual(["config.a: raw Nix expression is empty"]);
    expect(checkNixValue({ a: { $nix: "x\0" } }, "config")).toEqual([
      "config.a: raw Nix contains a NUL character (at index 1), which Nix strings cannot hold",
    ]);
    // An undefined member does not count (it disappears in JSON / Pulumi serialization).
    expect(checkNixValue({ a: { $nix: "pkgs.hello", extra: undefined } })).toEqual([]);
  });

  test("attribute names: NUL, lone surrogate, symbol keys; paths quote odd names", () => {
    expect(checkNixValue({ "a b": { "x\0": 1, ok: NaN } }, "config")).toEqual([
      'config."a b"."x\\u0000": attribute name contains a NUL character (at index 1), which Nix strings cannot hold',
      'config."a b".ok: NaN cannot be represented in Nix',
    ]);
    expect(checkNixValue({ ["\uD800"]: 1 }, "config")).toEqual([
      'config."\\ud800": attribute name contains a lone UTF-16 surrogate (U+D800 at index 0), which has no UTF-8 encoding',
    ]);
    expect(checkNixValue({ [Symbol("s")]: 1 }, "config")).toEqual([
      "config: the property keyed by Symbol(s) cannot be represented in Nix (attribute names are strings)",
    ]);
  });

  test("every problem is reported, not just the first", () => {
    expect(checkNixValue([NaN, () => 1, { a: Infinity }], "xs")).toEqual([
      "xs[0]: NaN cannot be represented in Nix",
      "xs[1]: a function cannot be represented in Nix (write Nix functions as raw Nix, e.g. nix`x: x`)",
      "xs[2].a: Infinity cannot be represented in Nix",
    ]);
  });

  test("nesting deeper than the limit", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_NIX_DEPTH + 5; i++) deep = [deep];
    const problems = checkNixValue(deep, "v");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^v(\\[0\\]){${MAX_NIX_DEPTH}}: nesting deeper than ${MAX_NIX_DEPTH} levels cannot be rendered$`));
  });

  test("objects without a prototype are plain", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.a = 1;
    expect(checkNixValue(o)).toEqual([]);
    expect(renderNix(o as NixValue)).toBe("{\n  a = 1;\n}");
  });

  test("the default path is `value`", () => {
    expect(checkNixValue(NaN)).toEqual(["value: NaN cannot be represented in Nix"]);
  });

  test("valid values of every kind pass", () => {
    const ok = { a: [null, true, 1, -1.5, "s", { $nix: "pkgs.hello" }, [], {}], "": 2 ** 60, big: Number.MAX_VALUE };
    expect(checkNixValue(ok)).toEqual([]);
    expect(isNixValue(ok)).toBe(true);
    expect(isNixValue({ a: NaN })).toBe(false);
  });

  test("assertNixValue and renderNix throw NixValueError listing every problem", () => {
    expect(() => assertNixValue({ a: NaN, b: [undefined] }, "cfg")).toThrow(NixValueError);
    try {
      renderNix({ a: NaN, b: [undefined] } as unknown as NixValue, { path: "cfg" });
      throw new Error("renderNix should have thrown");
    } catch (e) {
      expect(e).toBeInstanceOf(NixValueError);
      expect((e as NixValueError).problems).toEqual([
        "cfg.a: NaN cannot be represented in Nix",
        "cfg.b[0]: undefined cannot be represented in a Nix list (use null, or leave it out)",
      ]);
      expect((e as Error).message).toBe((e as NixValueError).problems.join("\n"));
    }
  });
});
