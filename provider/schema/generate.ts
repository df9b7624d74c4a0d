/**
 * Writes the artefacts derived from the zod schemas: schema.json, the option
 * reference in docs/options.md and the README's option section.
 * `node dist/provider/schema/generate.js` writes them; with `--check` it only
 * reports which are out of date (tests run the same comparison).
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildPackageSchema, type PackageSchema } from "./package-schema";
import { renderOptionsMarkdown } from "./docs";

export const README_START = "<!-- options:start (generated from schema.json by `make generate`; do not edit) -->";
export const README_END = "<!-- options:end -->";

export interface Artefact {
  path: string;
  content: string;
}

export function generatedArtefacts(root: string): Artefact[] {
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const schema = buildPackageSchema({ version });
  const schemaText = JSON.stringify(schema, null, 2) + "\n";
  // The docs are rendered from the schema text as a reader would load it.
  const published = JSON.parse(schemaText) as PackageSchema;
  const optionsDoc =
    "# NixosContainer reference\n\n_Generated from schema.json by `make generate`; do not edit._\n\n" + renderOptionsMarkdown(published, 2);
  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  return [
    { path: join(root, "schema.json"), content: schemaText },
    { path: join(root, "docs", "options.md"), content: optionsDoc },
    { path: readmePath, content: spliceReadme(readme, renderOptionsMarkdown(published, 3)) },
  ];
}

function spliceReadme(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md must contain the markers ${README_START} and ${README_END}`);
  return readme.slice(0, start + README_START.length) + "\n\n" + section + "\n" + readme.slice(end);
}

function main(): void {
  const root = join(__dirname, "..", "..", "..");
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const artefact of generatedArtefacts(root)) {
    let current: string | undefined;
    try {
      current = readFileSync(artefact.path, "utf8");
    } catch {
      current = undefined;
    }
    if (current === artefact.content) continue;
    if (check) {
      process.stderr.write(`out of date: ${artefact.path} (run make generate)\n`);
      stale++;
    } else {
      mkdirSync(dirname(artefact.path), { recursive: true });
      writeFileSync(artefact.path, artefact.content);
      process.stdout.write(`wrote ${artefact.path}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (require.main === module) main();
