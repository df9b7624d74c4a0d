/**
 * Round-trips values through the real evaluator, many per nix-instantiate call.
 *
 * For each case the batch file holds the rendered text, and a separate file
 * holds the expected value as JSON (written by toNixJson, independent of the
 * renderer and its escaper). Nix evaluates, per case:
 * - `value`: the rendered expression, printed as JSON and compared in
 *   JavaScript (exact, except floats: Nix 2.8 prints 6 digits);
 * - `same`: `value == builtins.fromJSON …`, an exact comparison inside Nix:
 *   Nix compares floats as doubles, and fromJSON parses the shortest
 *   round-trip digits back to the same double, so a float that is off by one
 *   ulp fails here although it prints the same;
 * - `types`: `builtins.typeOf` of every leaf, because `==` says `1 == 1.0`:
 *   a safe integer must come back an int, every other number a float.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderNix } from "../../../provider/nix/render";
import type { NixValue } from "../../../provider/nix/value";
import { expectedTypes, jsonDifference, toNixJson } from "./compare";
import { NixCliError, nixEvalJson } from "./nix-cli";

export interface Case {
  value: NixValue;
  /** What the value evaluates to, as JSON-like data (differs from `value` where raw Nix is involved). */
  expected: unknown;
  /** Column the rendering starts at (the `indent` render option). */
  indent: number;
}

const PRELUDE = `let
  typeTree = x:
    let t = builtins.typeOf x; in
    if t == "list" then map typeTree x
    else if t == "set" then builtins.mapAttrs (_: typeTree) x
    else t;
  expected = builtins.fromJSON (builtins.readFile ./expected.json);
  check = i: value: {
    inherit value;
    same = value == builtins.elemAt expected i;
    types = typeTree value;
  };
in [
`;

let batchCounter = 0;

/** The failure reason for each case, or undefined where it round-tripped. */
export async function checkCases(cases: Case[], workDir: string): Promise<(string | undefined)[]> {
  const reasons: (string | undefined)[] = new Array(cases.length).fill(undefined);
  const rendered: { index: number; text: string }[] = [];
  cases.forEach((c, index) => {
    try {
      rendered.push({ index, text: renderNix(c.value, { indent: c.indent }) });
    } catch (e) {
      reasons[index] = `renderNix threw: ${(e as Error).message}`;
    }
  });
  await evaluate(rendered, cases, reasons, workDir);
  return reasons;
}

async function evaluate(
  items: { index: number; text: string }[],
  cases: Case[],
  reasons: (string | undefined)[],
  workDir: string,
): Promise<void> {
  if (items.length === 0) return;
  const dir = path.join(workDir, `batch-${++batchCounter}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "values.nix");
  const firstLines: number[] = []; // 1-based line on which each item's text starts
  let line = PRELUDE.split("\n").length; // PRELUDE ends with a newline
  const body = items
    .map((item, i) => {
      const text = `(check ${i} (\n${" ".repeat(cases[item.index]!.indent)}${item.text}\n))`;
      firstLines.push(line);
      line += text.split("\n").length;
      return text;
    })
    .join("\n");
  fs.writeFileSync(path.join(dir, "expected.json"), `[${items.map((item) => toNixJson(cases[item.index]!.expected)).join(",\n")}]`);
  fs.writeFileSync(file, `${PRELUDE}${body}\n]\n`);
  let results: { value: unknown; same: boolean; types: unknown }[];
  try {
    results = (await nixEvalJson(file)) as typeof results;
  } catch (e) {
    if (!(e instanceof NixCliError)) throw e;
    if (items.length === 1) {
      reasons[items[0]!.index] = `nix-instantiate failed:\n${e.stderr}`;
      return;
    }
    // One bad rendering spoils the whole file. A syntax error names its line:
    // blame that item and check the others again; otherwise bisect.
    const at = new RegExp(`${escapeRegExp(file)}:(\\d+):`).exec(e.stderr);
    const culprit = at ? firstLines.filter((first) => first <= Number(at[1])).length - 1 : -1;
    const parts =
      culprit >= 0
        ? [items.slice(0, culprit), [items[culprit]!], items.slice(culprit + 1)]
        : [items.slice(0, Math.ceil(items.length / 2)), items.slice(Math.ceil(items.length / 2))];
    await Promise.all(parts.map((part) => evaluate(part, cases, reasons, workDir)));
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  items.forEach((item, i) => {
    const r = results[i]!;
    const expected = cases[item.index]!.expected;
    const difference = jsonDifference(r.value, expected);
    if (difference) reasons[item.index] = `evaluated value differs: ${difference}`;
    else if (r.same !== true) reasons[item.index] = "Nix says value != builtins.fromJSON expected (exact comparison)";
    else {
      const typeDifference = jsonDifference(r.types, expectedTypes(expected));
      if (typeDifference) reasons[item.index] = `Nix types differ: ${typeDifference}`;
    }
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
