/**
 * The real Nix evaluator, for tests. Spawned with execFile (no shell).
 * `--readonly-mode` keeps evaluation away from the Nix store database, so
 * parallel jest workers do not contend for its lock.
 */
import { execFile } from "node:child_process";
import * as os from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);
/**
 * The environment for Nix on the test machine. The tests only parse and evaluate; on a machine
 * where Nix was installed from Debian's nix-bin and never set up for builds, root has no
 * nixbld group and Nix would warn about build-users-group on every call (on stderr, which the
 * tests read).
 */
export const MACHINE_NIX_ENV: NodeJS.ProcessEnv = { ...process.env, NIX_CONFIG: "build-users-group =" };

const OPTIONS = { maxBuffer: 512 * 1024 * 1024, timeout: 120_000, env: MACHINE_NIX_ENV };

export class NixCliError extends Error {
  constructor(readonly file: string, readonly stderr: string) {
    super(`nix-instantiate failed on ${file}:\n${stderr}`);
  }
}

/** At most one nix-instantiate per CPU at a time (callers may fire many at once). */
const MAX_RUNNING = Math.max(2, os.cpus().length);
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

async function nixInstantiate(args: string[], file: string): Promise<string> {
  return slot(() => nixInstantiateNow(args, file));
}

async function nixInstantiateNow(args: string[], file: string): Promise<string> {
  try {
    const { stdout } = await run("nix-instantiate", ["--readonly-mode", ...args, file], OPTIONS);
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new NixCliError(file, err.stderr || err.message);
  }
}

/** Parses `file` (syntax only); throws NixCliError with Nix's message on a syntax error. */
export async function nixParse(file: string): Promise<void> {
  await nixInstantiate(["--parse"], file);
}

/** Evaluates `file` strictly and returns its JSON value. */
export async function nixEvalJson(file: string): Promise<unknown> {
  return JSON.parse(await nixInstantiate(["--eval", "--strict", "--json"], file));
}
