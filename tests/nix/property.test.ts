/**
 * Property test against the real evaluator: generated values (adversarial
 * strings and attribute names, deep nesting, big/negative/float numbers, raw
 * Nix and `nix` templates with known results) are rendered, evaluated with
 * `nix-instantiate --eval --strict --json`, and compared with what went in
 * (see helpers/nix-batch.ts for why the comparison is exact, floats included).
 *
 * NIX_PROP_SEED=<n> replays a run; NIX_PROP_COUNT=<n> changes the count.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { checkNixValue } from "../../provider/nix/check";
import { isRaw } from "../../provider/nix/raw";
import { renderNix } from "../../provider/nix/render";
import type { NixValue } from "../../provider/nix/value";
import { define } from "./helpers/compare";
import { ValueGenerator, type Generated } from "./helpers/generate";
import { checkCases, type Case } from "./helpers/nix-batch";
import { Prng, seedFrom } from "./helpers/prng";

const SEED = seedFrom("NIX_PROP_SEED");
const COUNT = Number(process.env.NIX_PROP_COUNT ?? 5000);
const BATCH = 250;

function generateCases(seed: number, count: number): Case[] {
  const rng = new Prng(seed);
  const gen = new ValueGenerator(rng);
  return Array.from({ length: count }, (_, i) => {
    const g: Generated = i % 20 === 0 ? gen.deep(20) : gen.value(rng.range(1, 6));
    return { ...g, indent: rng.pick([0, 0, 2, 4, 7]) };
  });
}

/** The same value with every set's members inserted in reverse order. */
function reordered(v: NixValue): NixValue {
  if (v === null || typeof v !== "object" || isRaw(v)) return v;
  if (Array.isArray(v)) return v.map(reordered);
  const out: Record<string, NixValue> = {};
  for (const k of Object.keys(v).reverse()) define(out, k, v[k] === undefined ? v[k]! : reordered(v[k]!));
  return out;
}

function size(v: unknown): number {
  return JSON.stringify(v, (_k, x) => (x === undefined ? null : x))?.length ?? 0;
}

/** Smaller variants of a failing case (plain data only: raw Nix is not shrunk). */
function shrinkCandidates(c: Case): Case[] {
  const out: Case[] = [];
  const { value, expected, indent } = c;
  if (indent !== 0) out.push({ value, expected, indent: 0 });
  if (typeof value === "string") {
    for (let len = 1; len < value.length; len *= 2) {
      for (let start = 0; start + len <= value.length; start += len) {
        const s = value.slice(0, start) + value.slice(start + len);
        if (checkNixValue(s).length === 0) out.push({ value: s, expected: s, indent });
      }
    }
  } else if (Array.isArray(value)) {
    const e = expected as unknown[];
    value.forEach((item, i) => {
      out.push({ value: item, expected: e[i], indent });
      out.push({ value: value.filter((_, j) => j !== i), expected: e.filter((_, j) => j !== i), indent });
    });
  } else if (value !== null && typeof value === "object" && !isRaw(value)) {
    const e = expected as Record<string, unknown>;
    for (const k of Object.keys(value)) {
      if (value[k] === undefined) continue;
      out.push({ value: value[k]!, expected: e[k], indent });
      const v2: Record<string, NixValue> = {};
      const e2: Record<string, unknown> = {};
      for (const k2 of Object.keys(value)) {
        if (k2 !== k && value[k2] !== undefined) {
          define(v2, k2, value[k2]!);
          define(e2, k2, e[k2]);
        }
      }
      out.push({ value: v2, expected: e2, indent });
    }
  }
  return out.sort((a, b) => size(a.value) - size(b.value));
}

async function shrink(c: Case, reason: string, workDir: string): Promise<{ c: Case; reason: string }> {
  for (let round = 0; round < 100; round++) {
    const candidates = shrinkCandidates(c).slice(0, 200);
    if (candidates.length === 0) break;
    const reasons = await checkCases(candidates, workDir);
    const i = reasons.findIndex((r) => r !== undefined);
    if (i < 0) break;
    c = candidates[i]!;
    reason = reasons[i]!;
  }
  return { c, reason };
}

describe("rendered values evaluate back to themselves (real nix-instantiate)", () => {
  let workDir: string;
  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "nix-prop-"));
  });
  afterAll(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  test("the oracle itself: fromJSON gives exact doubles with the right type, and == sees one ulp", async () => {
    const cases: Case[] = [
      { value: 0.1 + 0.2, expected: 0.30000000000000004, indent: 0 },
      { value: 2 ** 60, expected: 2 ** 60, indent: 0 },
      { value: Number.MAX_VALUE, expected: Number.MAX_VALUE, indent: 0 },
    ];
    expect(await checkCases(cases, workDir)).toEqual([undefined, undefined, undefined]);
    // Off by one ulp: prints the same 6 digits, must still fail.
    const [offByOneUlp, intForFloat] = await checkCases(
      [
        { value: 0.3, expected: 0.30000000000000004, indent: 0 },
        { value: { $nix: "1152921504606846976" }, expected: 2 ** 60, indent: 0 },
      ],
      workDir,
    );
    expect(offByOneUlp).toBe("Nix says value != builtins.fromJSON expected (exact comparison)");
    expect(intForFloat).toBe('Nix types differ: $: "int" != "float"');
  });

  test(`${COUNT} generated values`, async () => {
    console.log(`seed=${SEED} (replay with NIX_PROP_SEED=${SEED})`);
    const started = Date.now();
    const cases = generateCases(SEED, COUNT);

    // Pure checks first: every generated value is valid, rendering is
    // deterministic and does not depend on the insertion order of names.
    for (const [i, c] of cases.entries()) {
      expect({ i, problems: checkNixValue(c.value) }).toEqual({ i, problems: [] });
      const text = renderNix(c.value, { indent: c.indent });
      if (renderNix(reordered(c.value), { indent: c.indent }) !== text) {
        throw new Error(`seed=${SEED} case ${i}: rendering depends on key insertion order`);
      }
    }

    const batches: Case[][] = [];
    for (let i = 0; i < cases.length; i += BATCH) batches.push(cases.slice(i, i + BATCH));
    // nix-cli.ts limits how many nix-instantiate processes run at once.
    const reasons = (await Promise.all(batches.map((b) => checkCases(b, workDir)))).flat();
    const maxDepth = Math.max(...cases.map((c) => depth(c.value)));
    console.log(`checked ${cases.length} values in ${batches.length} nix-instantiate calls, max depth ${maxDepth}, ${Date.now() - started} ms`);

    const failures = reasons.flatMap((reason, i) => (reason === undefined ? [] : [{ i, reason, c: cases[i]! }]));
    if (failures.length > 0) {
      failures.sort((a, b) => size(a.c.value) - size(b.c.value));
      const first = failures[0]!;
      const small = await shrink(first.c, first.reason, workDir);
      const rendered = (() => {
        try {
          return renderNix(small.c.value, { indent: small.c.indent });
        } catch (e) {
          return `(renderNix threw: ${(e as Error).message})`;
        }
      })();
      throw new Error(
        [
          `${failures.length} of ${cases.length} values failed; seed=${SEED} (replay with NIX_PROP_SEED=${SEED}).`,
          `First failing case: #${first.i}. Smallest failing value after shrinking:`,
          inspect(small.c.value, { depth: null, breakLength: 100 }),
          `indent: ${small.c.indent}`,
          `rendered:\n${rendered}`,
          `reason: ${small.reason}`,
        ].join("\n"),
      );
    }
    expect(maxDepth).toBeGreaterThanOrEqual(20);
  });
});

function depth(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depth));
}
