/** `preview-md [FILE]`: `pulumi preview --json` (FILE, or stdin) in, Markdown for a pull-request comment out. */
import { readFileSync } from "node:fs";
import { PreviewJsonError, renderPreviewMarkdown } from "./preview-md";

const USAGE = `usage: nixos-containers preview-md [FILE]

Reads the output of \`pulumi preview --json\` from FILE (or stdin when FILE is
omitted or "-") and prints Markdown for a pull-request comment: per host and
container what changes, with a unified diff of each changed Nix module.
Secret values are never printed.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

export async function previewMdCommand(args: string[]): Promise<number> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.length > 1 || (args.length === 1 && args[0].startsWith("-") && args[0] !== "-")) {
    process.stderr.write(USAGE);
    return 2;
  }
  const source = args.length === 0 || args[0] === "-" ? "stdin" : args[0];
  let text: string;
  if (source === "stdin") {
    if (process.stdin.isTTY) {
      process.stderr.write(`preview-md: no input; pipe \`pulumi preview --json\` into it or give a FILE\n\n${USAGE}`);
      return 2;
    }
    text = await readStdin();
  } else {
    try {
      text = readFileSync(source, "utf8");
    } catch (e) {
      process.stderr.write(`preview-md: cannot read ${source}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return 1;
    }
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the input, which may hold anything: not repeated here.
    const what = text.trim() === "" ? "it is empty" : "it is not JSON (was `--json` given to `pulumi preview`?)";
    process.stderr.write(`preview-md: ${source} is not \`pulumi preview --json\` output: ${what}\n`);
    return 1;
  }
  try {
    process.stdout.write(renderPreviewMarkdown(json));
    return 0;
  } catch (e) {
    if (e instanceof PreviewJsonError) {
      process.stderr.write(`preview-md: ${source}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
