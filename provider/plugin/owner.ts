/**
 * The owner the plugin records for a resource (codec.ts OWNER_KEY; the TypeScript SDK computes
 * it in the program: sdk/owner.ts). The engine gives a plugin the resource's URN, which names
 * the stack and the project, but not the organization: a state that already records one keeps
 * it (a stack moved from the dynamic provider), else it is "organization", what self-managed
 * backends call theirs and what the TypeScript SDK records when the language host sends none.
 */
import type { Owner } from "../deploy/change";

export const DEFAULT_ORGANIZATION = "organization";

/** `urn:pulumi:<stack>::<project>::<type>::<name>` as an owner. */
export function ownerFromUrn(urn: string, recorded?: Owner): Owner {
  const [head, project] = urn.split("::");
  const stack = head.startsWith("urn:pulumi:") ? head.slice("urn:pulumi:".length) : "";
  if (!stack || !project) throw new Error(`not a resource URN: ${JSON.stringify(urn)}`);
  return { organization: recorded?.organization ?? DEFAULT_ORGANIZATION, project, stack, urn };
}
