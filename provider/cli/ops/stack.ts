/**
 * Reads a stack's state through the Pulumi CLI (`pulumi stack export
 * --show-secrets`): Pulumi decrypts the secrets its own way (passphrase,
 * service, KMS), the state stays in this process's memory and is never
 * written to disk.
 */
import { spawn } from "node:child_process";
import { targetsFromState, type Target } from "./targets";
import { ProviderError } from "../../errors";

export interface StackOptions {
  stack?: string;
  cwd?: string;
  /** The Pulumi CLI; default `pulumi` on PATH (PULUMI_CLI overrides). */
  pulumi?: string;
}

/** The stack could not be read (no Pulumi CLI, no stack, not JSON). */
export class StackReadError extends ProviderError {}

function exportState(o: StackOptions): Promise<string> {
  const pulumi = o.pulumi ?? process.env.PULUMI_CLI ?? "pulumi";
  const args = ["stack", "export", "--show-secrets", "--non-interactive", ...(o.stack ? ["--stack", o.stack] : []), ...(o.cwd ? ["--cwd", o.cwd] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(pulumi, args, { stdio: ["ignore", "pipe", "pipe"], cwd: o.cwd ?? process.cwd() });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(new StackReadError(e.code === "ENOENT" ? `the Pulumi CLI (${pulumi}) is not on PATH: install it, or set PULUMI_CLI to its path` : e.message)),
    );
    child.on("close", (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      const said = Buffer.concat(err).toString("utf8").trim().split("\n").filter(Boolean).slice(-1)[0] ?? `exit ${code}`;
      reject(new StackReadError(`cannot read the stack${o.stack ? ` ${o.stack}` : ""} (pulumi stack export): ${said}. Run it in the project's directory (or pass --cwd DIR), and select the stack with --stack NAME`));
    });
  });
}

/** The containers of the stack (the current one of the project in `cwd`, unless `stack` says). */
export async function readTargets(o: StackOptions): Promise<Target[]> {
  const text = await exportState(o);
  let exported: unknown;
  try {
    exported = JSON.parse(text);
  } catch {
    throw new StackReadError("pulumi stack export printed something that is not JSON");
  }
  return targetsFromState(exported);
}
