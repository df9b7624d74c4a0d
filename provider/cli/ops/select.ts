/** The containers a command names, read from the stack (see stack.ts, resolve.ts). */
import { parseOptions, type Parsed } from "./args";
import { UsageError } from "../../errors";
import { resolveAll } from "./resolve";
import { readTargets } from "./stack";
import type { Target } from "./targets";

type Spec = Parameters<typeof parseOptions>[2];

export async function selectTargets(command: string, usage: string, args: readonly string[], spec?: Spec): Promise<{ parsed: Parsed; targets: Target[] }> {
  const parsed = parseOptions(command, args, spec);
  if (parsed.positionals.length === 0) throw new UsageError(`${command}: name at least one container (NAME or HOST/NAME)\nusage: nixos-containers ${usage}`);
  const targets = resolveAll(await readTargets(parsed.stack), parsed.positionals);
  return { parsed, targets };
}

/** Exactly one container. */
export async function selectOne(command: string, usage: string, args: readonly string[], spec?: Spec): Promise<{ parsed: Parsed; target: Target }> {
  const parsed = parseOptions(command, args, spec);
  if (parsed.positionals.length !== 1) throw new UsageError(`${command}: name one container (NAME or HOST/NAME)\nusage: nixos-containers ${usage}`);
  const [target] = resolveAll(await readTargets(parsed.stack), parsed.positionals);
  return { parsed, target };
}
