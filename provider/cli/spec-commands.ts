/** `render` and `validate`: one container spec file in, a module or problems out. */
import { readSourceFile, SourceError, type SourceDocument } from "../inventory/source";
import { validateContainer, formatProblems, type ValidationResult } from "../container/validate";
import { renderContainerModule } from "../container/module";
import type { Problem } from "../inputs/problems";

function loadAndValidate(args: string[]): { doc: SourceDocument; result: ValidationResult } | number {
  if (args.length !== 1) {
    process.stderr.write("expected exactly one SPEC file (YAML or JSON)\n");
    return 2;
  }
  try {
    const doc = readSourceFile(args[0]);
    return { doc, result: validateContainer(doc.value) };
  } catch (e) {
    if (e instanceof SourceError) {
      process.stderr.write(e.message + "\n");
      return 1;
    }
    throw e;
  }
}

function withLocation(doc: SourceDocument, problems: Problem[]): string[] {
  const lines = formatProblems(problems);
  return problems.map((p, i) => {
    const at = doc.locate(p.path);
    return `${lines[i]} (${at.file}:${at.line})`;
  });
}

export function validateCommand(args: string[]): number {
  const loaded = loadAndValidate(args);
  if (typeof loaded === "number") return loaded;
  const { doc, result } = loaded;
  for (const line of withLocation(doc, result.warnings)) process.stderr.write(`warning: ${line}\n`);
  if (result.errors.length > 0) {
    for (const line of withLocation(doc, result.errors)) process.stdout.write(line + "\n");
    return 1;
  }
  process.stdout.write(`${doc.file}: container "${result.spec!.name}" is valid\n`);
  return 0;
}

export function renderCommand(args: string[]): number {
  const loaded = loadAndValidate(args);
  if (typeof loaded === "number") return loaded;
  const { doc, result } = loaded;
  if (result.errors.length > 0) {
    for (const line of withLocation(doc, result.errors)) process.stderr.write(line + "\n");
    return 1;
  }
  for (const line of withLocation(doc, result.warnings)) process.stderr.write(`warning: ${line}\n`);
  process.stdout.write(renderContainerModule(result.spec!));
  return 0;
}
