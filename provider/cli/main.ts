#!/usr/bin/env node
/**
 * `nixos-containers`: the command-line front of the provider's pure parts
 * (render, validate, preview-md) and of the operations on running containers
 * (ops/). Each subcommand lives in its own file; this one only dispatches.
 */
import { renderCommand, validateCommand } from "./spec-commands";
import { previewMdCommand } from "./preview-md-command";
import { OPS_USAGE, opsCommands } from "./ops";
import { UsageError } from "../errors";

const USAGE = `usage: nixos-containers <command> [arguments]

commands:
  render SPEC       print the Nix module that would be written for the container in SPEC
  validate SPEC     check SPEC; exit 0 when valid, 1 with one "path: message" line per problem
  preview-md [FILE] Markdown for a PR comment from \`pulumi preview --json\` (FILE or stdin)
  --version         the version of the installed package

SPEC is a YAML or JSON file with the NixosContainer arguments, including name.

${OPS_USAGE}`;

type Command = (args: string[]) => Promise<number> | number;

const commands: Record<string, Command> = {
  render: renderCommand,
  validate: validateCommand,
  "preview-md": previewMdCommand,
  ...opsCommands,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    // By the package's own name (its "exports" lists package.json): the same from dist/ and when installed.
    process.stdout.write(`${(require("pulumi-nixos-containers/package.json") as { version: string }).version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`nixos-containers: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nixos-containers: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
