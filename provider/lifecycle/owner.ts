/**
 * The hidden `__owner` input the SDK adds to every resource (sdk/owner.ts): which
 * organization, project, stack and resource manage its containers. It travels through
 * check into the state and reaches the engine with each change.
 */
import type { Owner } from "../deploy/change";
import { OwnerSchema } from "../deploy/ownership";

export const OWNER_KEY = "__owner";

/** The owner in a resource's inputs or state; undefined when absent (an older SDK) or not known yet (preview). */
export function ownerOf(props: Record<string, unknown>): Owner | undefined {
  const parsed = OwnerSchema.safeParse(props[OWNER_KEY]);
  return parsed.success ? parsed.data : undefined;
}

/** `{ __owner }` to spread into inputs or outputs, or nothing. */
export function withOwner(props: Record<string, unknown>): Record<string, Owner> {
  const owner = ownerOf(props);
  return owner ? { [OWNER_KEY]: owner } : {};
}
