/**
 * The hidden `__owner` input the SDK adds to every resource (sdk/owner.ts): which
 * organization, project, stack and resource manage its containers. It travels through
 * check into the state and reaches the engine with each change.
 */
import type { ContainerState, Owner } from "../deploy/change";
import { OwnerSchema, describeOwner, sameStack } from "../deploy/ownership";

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

/**
 * The stack that has taken the container over on the host, if it is not the one whose state
 * this is. A state without an owner (an older SDK) cannot tell, and reads as before.
 */
export function takenOverBy(props: Record<string, unknown>, state: ContainerState): Owner | undefined {
  const mine = ownerOf(props);
  return mine && state.module !== null && state.owner && !sameStack(mine, state.owner) ? state.owner : undefined;
}

/** `organization/project/stack`: the managedBy output of a container another stack took over. */
export function stackOf(owner: Owner): string {
  return `${owner.organization}/${owner.project}/${owner.stack}`;
}

/** What refresh says about a container another stack took over: who, what the state keeps, the ways out. */
export function takenOverWarning(where: string, name: string, other: Owner): string {
  return (
    `${where}: container "${name}" is now managed by ${describeOwner(other)}, which took it over (adopt: true). ` +
    `This stack keeps its last configuration in the state (managedBy: ${stackOf(other)}) and the next pulumi up leaves the container alone. ` +
    `To take it back, set adopt: true; to let it go, remove it from this program (its delete leaves the other stack's container in place).`
  );
}

/**
 * Whether an update must reach the host although the module is unchanged: it adopts a
 * container another stack took over (managedBy), or turns adopt on. Without adopt, a container
 * another stack manages is left alone (its state keeps managedBy).
 */
export function mustReachHost(olds: Record<string, unknown>, adopt: boolean): boolean {
  return adopt && (Boolean(olds.managedBy) || !olds.adopt);
}
