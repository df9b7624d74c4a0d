/** The `nix` tagged template: interpolations are escaped values, raw Nix is spliced whole. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NixValueError } from "../../provider/nix/check";
import { raw } from "../../provider/nix/raw";
import { renderNix } from "../../provider/nix/render";
import { nix } from "../../provider/nix/value";
import { nixEvalJson } from "./helpers/nix-cli";

describe("nix tagged template", () => {
  test("the example: a string is escaped, never code", () => {
    const text = 'a"${b}';
    expect(nix`pkgs.writeText "motd" ${text}`).toEqual({ $nix: 'pkgs.writeText "motd" "a\\"\\${b}"' });
  });

  test("injection attempts stay strings", () => {
    const evil = '"; imports = [ /etc/evil.nix ]; x = "${builtins.readFile /etc/shadow}';
    expect(nix`{ motd = ${evil}; }`.$nix).toBe(
      '{ motd = "\\"; imports = [ /etc/evil.nix ]; x = \\"\\${builtins.readFile /etc/shadow}"; }',
    );
  });

  test("the result is a plain raw value", () => {
    const r = nix`pkgs.hello`;
    expect(r).toEqual({ $nix: "pkgs.hello" });
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(renderNix({ p: r })).toBe("{\n  p = pkgs.hello;\n}");
  });

  test("raw values are spliced verbatim, in parentheses", () => {
    expect(nix`with pkgs; ${raw("[ vim ]")}`.$nix).toBe("with pkgs; ([ vim ])");
    expect(nix`f ${{ $nix: "g x" }}`.$nix).toBe("f (g x)");
    expect(nix`lib.mkForce ${raw("pkgs.hello")}`.$nix).toBe("lib.mkForce (pkgs.hello)");
  });

  test("nesting templates", () => {
    const inner = nix`g ${"x"}`;
    expect(nix`f ${inner} ${nix`h ${[1, -2]}`}`.$nix).toBe('f (g "x") (h [ 1 (-2) ])');
  });

  test("values take argument position: negative numbers and raws in lists are parenthesised", () => {
    expect(nix`f ${-1}`.$nix).toBe("f (-1)");
    expect(nix`f ${-1.5}`.$nix).toBe("f (-1.5)");
    expect(nix`f ${[raw("a b"), raw("pkgs.c")]}`.$nix).toBe("f [ (a b) pkgs.c ]");
    expect(nix`f ${null} ${true} ${0.5} ${{}} ${[]}`.$nix).toBe("f null true 0.5 { } [ ]");
  });

  test("a value never glues onto the neighbouring token", () => {
    expect(nix`x${1}`.$nix).toBe("x(1)");
    expect(nix`${1}x`.$nix).toBe("(1)x");
    expect(nix`a-${true}`.$nix).toBe("a-(true)");
    expect(nix`f${"s"}`.$nix).toBe('f"s"');
    expect(nix`[${1}]`.$nix).toBe("[1]");
  });

  test("bigint: the full 64-bit range, and nothing beyond", () => {
    expect(nix`${9223372036854775807n}`.$nix).toBe("9223372036854775807");
    expect(nix`f ${-5n}`.$nix).toBe("f (-5)");
    expect(nix`f ${-(2n ** 63n)}`.$nix).toBe("f (-9223372036854775807 - 1)");
    expect(() => nix`${2n ** 63n}`).toThrow("9223372036854775808 is outside the 64-bit signed range of Nix integers");
    expect(() => nix`${-(2n ** 63n) - 1n}`).toThrow("-9223372036854775809 is outside the 64-bit signed range of Nix integers");
  });

  test("multi-line values are indented like their line", () => {
    const v = nix`{
  services.nginx = ${{ enable: true, extraConfig: "a\nb\n" }};
}`;
    expect(v.$nix).toBe(`{
  services.nginx = {
    enable = true;
    extraConfig = ''
      a
      b
    '';
  };
}`);
  });

  test("a raw ending in a comment gets its line break", () => {
    expect(nix`[ ${raw("a # c")} ]`.$nix).toBe("[ (a # c\n) ]");
  });

  test("JavaScript template escapes: \\${ writes a Nix interpolation", () => {
    expect(nix`"\${pkgs.hello}/bin/hello"`.$nix).toBe('"${pkgs.hello}/bin/hello"');
    expect(nix`"a\\nb"`.$nix).toBe('"a\\nb"');
  });

  test("values that cannot be rendered throw, naming the interpolation", () => {
    expect(() => nix`f ${1} ${NaN}`).toThrow(NixValueError);
    expect(() => nix`f ${1} ${{ a: [undefined] }}`).toThrow("nix template value #2.a[0]: undefined cannot be represented in a Nix list");
    expect(() => nix`f ${() => 1}`).toThrow("nix template value #1: a function cannot be represented in Nix");
    expect(() => nix`f ${undefined}`).toThrow("nix template value #1: undefined cannot be represented in Nix");
    expect(() => nix`f ${raw("")}`).toThrow("nix template value #1: raw Nix expression is empty");
  });
});

describe("nix templates evaluate as intended (real nix-instantiate)", () => {
  test("escaping, argument position, bigint limits", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nix-template-"));
    try {
      const tricky = "a\"${b}'' ''${c} \\ $ \n\t\r\x01 é 😀";
      const list = nix`[
  ${nix`builtins.stringLength ${tricky}`}
  ${nix`(x: x) ${-1}`}
  ${nix`builtins.toString ${-(2n ** 63n)}`}
  ${nix`builtins.toString ${2n ** 63n - 1n}`}
  ${nix`${{ a: { b: [1, -2, "multi\nline\n"] } }}.a.b`}
  ${nix`let x = ${tricky}; in x`}
  ${nix`builtins.elemAt [ ${-3} ${raw("1 + 1")} ] 1`}
]`;
      const file = path.join(dir, "t.nix");
      fs.writeFileSync(file, renderNix(list) + "\n");
      expect(await nixEvalJson(file)).toEqual([
        Buffer.byteLength(tricky),
        -1,
        "-9223372036854775808",
        "9223372036854775807",
        [1, -2, "multi\nline\n"],
        tricky,
        2,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("nix template refuses interpolations inside Nix strings and comments", () => {
  // There the rendered value would close the string (or end the comment) and
  // its text would be read as code.
  test.each<[string, () => unknown]>([
    ["a double-quoted string", () => nix`{ motd = "Hello ${"x"}"; }`],
    ["an indented string", () => nix`''\n  Hello ${"x"}\n''`],
    ["a string after an escaped quote", () => nix`"a\\" ${"x"}"`],
    ["a string after a Nix interpolation", () => nix`"\${a} ${"x"}"`],
  ])("%s", (_what, f) => {
    expect(f).toThrow('nix template value #1 is inside a Nix string; an interpolation is a whole Nix expression, so write "text " + ${…} or "text \\${${…}}" instead of "text ${…}"');
  });

  test.each<[string, () => unknown]>([
    ["a line comment", () => nix`# note: ${"x\ny"}\n1`],
    ["a block comment", () => nix`/* ${"x"} */ 1`],
  ])("%s", (_what, f) => {
    expect(f).toThrow("nix template value #1 is inside a Nix comment, which a multi-line value would end; move it out");
  });

  test("the injection this prevents", () => {
    const name = "x; imports = [ ./evil.nix ]; y = builtins.toString";
    expect(() => nix`{ motd = "Hello ${name}"; }`).toThrow("inside a Nix string");
    // The supported forms keep it a string.
    expect(nix`{ motd = "Hello " + ${name}; }`.$nix).toBe('{ motd = "Hello " + "x; imports = [ ./evil.nix ]; y = builtins.toString"; }');
    expect(nix`{ motd = "Hello \${${name}}"; }`.$nix).toBe('{ motd = "Hello ${"x; imports = [ ./evil.nix ]; y = builtins.toString"}"; }');
  });

  test.each<[string, () => { $nix: string }, string]>([
    ["inside a Nix interpolation in a string", () => nix`"Hello \${${"x"}}!"`, '"Hello ${"x"}!"'],
    ["after a closed string", () => nix`"a" + ${"b"}`, '"a" + "b"'],
    ["after a closed indented string with escapes", () => nix`''a ''' ''$ ''\\n '' + ${"b"}`, "''a ''' ''$ ''\\n '' + \"b\""],
    ["after a literal $${ in a string", () => nix`"$\${x}" + ${"b"}`, '"$${x}" + "b"'],
    ["after a comment", () => nix`# note\n${1}`, "# note\n1"],
    ["after a block comment", () => nix`/* note */ ${1}`, "/* note */ 1"],
    ["after an identifier with quotes", () => nix`let a'' = 1; in [ a'' ${2} ]`, "let a'' = 1; in [ a'' 2 ]"],
    ["after a URI with quotes", () => nix`[ http://x/a''b ${2} ]`, "[ http://x/a''b 2 ]"],
    ["inside a set in an interpolation", () => nix`"\${toString { a = ${1}; }.a}"`, '"${toString { a = 1; }.a}"'],
  ])("allowed %s", (_what, f, expected) => {
    expect(f().$nix).toBe(expected);
  });
});
