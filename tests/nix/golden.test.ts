/**
 * Golden files for the value renderer (`golden/value-*.nix`), compared byte
 * for byte (UPDATE_GOLDEN=1 rewrites them), and a parse check of EVERY `.nix`
 * file under golden/ (other layers add theirs) with the real
 * `nix-instantiate --parse`. Cases without raw Nix are also evaluated and
 * compared with their input.
 */
import * as path from "node:path";
import { raw } from "../../provider/nix/raw";
import { renderNix } from "../../provider/nix/render";
import { nix } from "../../provider/nix/template";
import type { NixValue } from "../../provider/nix/value";
import { jsonDifference } from "./helpers/compare";
import { expectGolden, GOLDEN_DIR, goldenNixFiles } from "./helpers/golden";
import { nixEvalJson, nixParse } from "./helpers/nix-cli";

interface GoldenCase {
  name: string;
  value: NixValue;
  indent?: number;
  /** Text before the rendering, e.g. a function header binding the free variables of raw Nix. */
  header?: string;
  /** Evaluate the file and compare with the value (only for values without raw Nix). */
  evaluate?: boolean;
}

const text = 'a"${b}';

/**
 * `nix-instantiate --parse` (Nix 2.8) also rejects undefined variables, so
 * golden files with raw Nix bind its free variables the way a NixOS module
 * would.
 */
const RAW_HEADER = "# Binds the free variables of the raw Nix below, as a NixOS module would.\n{ lib, pkgs, ... }:\n";

const CASES: GoldenCase[] = [
  {
    name: "scalars",
    evaluate: true,
    value: {
      null: null,
      true: true,
      false: false,
      zero: 0,
      negativeZero: -0,
      int: 42,
      negative: -7,
      maxSafe: Number.MAX_SAFE_INTEGER,
      minSafe: -Number.MAX_SAFE_INTEGER,
      half: 0.5,
      negativeQuarter: -0.25,
      third: 1 / 3,
      tiny: 1e-7,
      smallestNormal: 2.2250738585072014e-308,
      huge: 1.5e300,
      largest: Number.MAX_VALUE,
      twoPow53: 2 ** 53,
      twoPow60: 2 ** 60,
      oneE21: 1e21,
      emptyString: "",
      string: "hello",
    },
  },
  {
    name: "strings",
    evaluate: true,
    value: {
      quote: 'say "hi"',
      backslash: "C:\\Windows\\",
      dollarBrace: "${not.interpolated}",
      dollarDollarBrace: "$${x}",
      loneDollar: "cost: $5 $",
      twoSingleQuotes: "it''s",
      tab: "a\tb",
      carriageReturn: "a\r\nb",
      newlineOnly: "\n",
      indentedLines: "  a\n  b\n",
      controlChars: "bell\x07 esc\x1b del\x7f",
      unicode: "é 中文 😀 e\u0301",
      lineSeparator: "a\u2028b",
      allEscapes: '\\ " ${ \n \t \r',
    },
  },
  {
    name: "multiline-strings",
    evaluate: true,
    value: {
      config: "server {\n  listen 80;\n  root /var/www;\n}\n",
      noFinalNewline: "line one\nline two",
      specials: "a ''quoted'' part\n${HOME} and $${x} and ''${y}\nends with a quote'",
      blankLines: "first\n\n   \nlast\n",
      tabs: "\tindented with a tab\nplain\n",
      trailingQuote: "x\n'",
      dollarQuote: "x\n'${y}",
      nested: { list: ["one\ntwo\n", "short"] },
    },
  },
  {
    name: "attribute-names",
    evaluate: true,
    value: {
      plain: 1,
      "with-dash": 2,
      "it's": 3,
      _under: 4,
      "": 5,
      " ": 6,
      "a b": 7,
      "a.b": 8,
      "${x}": 9,
      $: 10,
      "1st": 11,
      "-lead": 12,
      if: 13,
      then: 14,
      else: 15,
      assert: 16,
      with: 17,
      let: 18,
      in: 19,
      rec: 20,
      inherit: 21,
      or: 22,
      true: 23,
      false: 24,
      null: 25,
      __curPos: 26,
      "é": 27,
      "quote\"d": 28,
      "new\nline": 29,
      outPath_: 30,
    },
  },
  {
    name: "lists",
    evaluate: true,
    value: {
      empty: [],
      short: ["a", "b", "c"],
      numbers: [1, -1, 0, -2.5, 1e300, -1e-300],
      mixed: [null, true, false, "x", 3],
      long: ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"],
      nested: [[], [1], [[2, -3]], {}],
      sets: [{ a: 1 }, { b: [{ c: null }] }],
      multilineString: ["one\ntwo\n"],
    },
  },
  {
    name: "empty-set",
    evaluate: true,
    value: {},
  },
  {
    name: "empty-list",
    evaluate: true,
    value: [],
  },
  {
    name: "undefined-members-omitted",
    evaluate: true,
    value: { kept: 1, omitted: undefined, nested: { alsoOmitted: undefined } } as unknown as NixValue,
  },
  {
    name: "nested-config",
    evaluate: true,
    value: {
      services: {
        nginx: {
          enable: true,
          virtualHosts: {
            "example.org": {
              forceSSL: true,
              locations: { "/": { root: "/var/www", extraConfig: "autoindex on;\n" } },
            },
          },
        },
        openssh: { enable: true, ports: [22, 2222], settings: { PasswordAuthentication: false } },
      },
      networking: { firewall: { allowedTCPPorts: [80, 443] } },
      system: { stateVersion: "24.05" },
    },
  },
  {
    name: "raw",
    header: RAW_HEADER,
    value: {
      package: raw("pkgs.hello"),
      packages: raw("with pkgs; [ vim curl ]"),
      list: [raw("pkgs.vim"), raw("pkgs.python3.withPackages (ps: [ ps.requests ])"), raw("-1")],
      commented: raw("pkgs.git # the trailing comment cannot eat the semicolon"),
      commentedInList: [raw("pkgs.git # in a list")],
      multiLine: raw("let\n  port = 8080;\nin\n  toString port"),
      template: nix`pkgs.writeText "motd" ${text}`,
      templateNested: nix`lib.mkForce ${{ a: [1, -2], b: raw("pkgs.hello") }}`,
      templateNegative: nix`lib.mkDefault ${-5}`,
      templateBigInt: nix`${9223372036854775807n}`,
    },
  },
  {
    name: "raw-top-level",
    header: RAW_HEADER,
    value: raw("{ config, pkgs, ... }: {\n  services.nginx.enable = true;\n}"),
  },
  {
    name: "indent-4",
    indent: 4,
    evaluate: true,
    value: { a: [1, { b: "multi\nline\n" }], c: {} },
  },
];

describe("golden renderings of Nix values", () => {
  test.each(CASES.map((c) => [c.name, c] as const))("%s", async (name, c) => {
    const rendered = renderNix(c.value, { indent: c.indent ?? 0 });
    expectGolden(`value-${name}.nix`, (c.header ?? "") + " ".repeat(c.indent ?? 0) + rendered + "\n");
    // Also here, so a file written by UPDATE_GOLDEN=1 is parsed in the same run.
    await nixParse(path.join(GOLDEN_DIR, `value-${name}.nix`));
  });

  test.each(CASES.filter((c) => c.evaluate).map((c) => [c.name, c] as const))(
    "%s evaluates back to its input",
    async (name, c) => {
      const result = await nixEvalJson(path.join(GOLDEN_DIR, `value-${name}.nix`));
      expect(jsonDifference(result, c.value)).toBeUndefined();
    },
  );
});

describe("every golden .nix file parses with nix-instantiate --parse", () => {
  const files = goldenNixFiles();
  test("there are golden files", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  test.each(files)("%s", async (file) => {
    await nixParse(path.join(GOLDEN_DIR, file));
  });
});
