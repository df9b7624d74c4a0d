/**
 * Golden files under tests/nix/golden: compared byte for byte;
 * `UPDATE_GOLDEN=1` rewrites them instead. Every `.nix` file in that
 * directory is also parse-checked by tests/nix/golden.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const GOLDEN_DIR = path.join(__dirname, "..", "golden");
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";

/** Compares `text` with golden file `name` (or writes it under UPDATE_GOLDEN=1). */
export function expectGolden(name: string, text: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return;
  }
  if (!fs.existsSync(file)) {
    throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
  }
  expect(text).toBe(fs.readFileSync(file, "utf8"));
}

/** All `.nix` files under the golden directory (recursively), relative names, sorted. */
export function goldenNixFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".nix")) out.push(path.relative(GOLDEN_DIR, full));
    }
  };
  walk(GOLDEN_DIR);
  return out.sort();
}
