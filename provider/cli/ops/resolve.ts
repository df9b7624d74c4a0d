/** `NAME` or `HOST/NAME` to the container it means, or an error listing the candidates. */
import type { Target } from "./targets";
import { ProviderError } from "../../errors";

/** A container name the stack does not have, or has on several hosts. */
export class NameError extends ProviderError {}

export const targetKey = (t: Target): string => `${t.host}/${t.name}`;

export function resolveOne(targets: readonly Target[], arg: string): Target {
  const slash = arg.lastIndexOf("/");
  const host = slash >= 0 ? arg.slice(0, slash) : undefined;
  const name = slash >= 0 ? arg.slice(slash + 1) : arg;
  const matches = targets.filter((t) => t.name === name && (host === undefined || t.host === host || t.hostLabel === host));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new NameError(`"${arg}" is on several hosts: ${matches.map(targetKey).join(", ")}. Name one as HOST/NAME`);
  }
  const all = targets.map(targetKey);
  const sameName = targets.filter((t) => t.name === name).map(targetKey);
  const hint = sameName.length > 0 ? `; ${name} is on ${sameName.join(", ")}` : all.length > 0 ? `; the stack has ${all.join(", ")}` : "; the stack manages no containers";
  throw new NameError(`no container "${arg}" in the stack${hint}`);
}

/** Every argument resolved; all unknown or ambiguous names are reported together. */
export function resolveAll(targets: readonly Target[], args: readonly string[]): Target[] {
  const found: Target[] = [];
  const problems: string[] = [];
  for (const arg of args) {
    try {
      const t = resolveOne(targets, arg);
      if (!found.includes(t)) found.push(t);
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length > 0) throw new NameError(problems.join("\n"));
  return found;
}
