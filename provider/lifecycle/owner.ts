/**
 * Another stack's takeover of a container, as refresh finds it. The owner itself is the
 * hidden `__owner` input the SDK adds to every resource (sdk/owner.ts, codec.ts): which
 * organization, project, stack and resource manage its containers.
 */
import type { ContainerState, Owner } from "../deploy/change";
import { describeOwner, sameStack } from "../deploy/ownership";

/**
 * The stack that has taken the container over on the host, if it is not the one whose state
 * this is. A state without an owner (an older SDK) cannot tell, and reads as before.
 */
export function takenOverBy(mine: Owner | undefined, state: ContainerState): Owner | undefined {
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
