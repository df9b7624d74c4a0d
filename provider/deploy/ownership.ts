/**
 * One owner per container on a host. Every module the provider writes gets an owner record
 * beside it (layout.ownerPath): the Pulumi organization, project, stack and resource that
 * manage it. A change from another stack is refused before anything is written, unless it
 * takes the container over on purpose (adopt); a delete from another stack leaves the module.
 * Identity is the stack: another resource of the same stack (a rename, a move into a
 * NixosHost) simply records its URN. Pure: the round reads and writes the records.
 */
import { z } from "zod";
import type { ContainerChange, Owner } from "./change";
import { ownerPath } from "./layout";

/** An owner, as the SDK's `__owner` input and the host's record hold it. */
export const OwnerSchema = z.object({ organization: z.string(), project: z.string(), stack: z.string(), urn: z.string() });

/** The record's text (one line of JSON; not a secret, never a credential). */
export function ownerRecord(owner: Owner): string {
  return JSON.stringify({ organization: owner.organization, project: owner.project, stack: owner.stack, urn: owner.urn });
}

/** The owner a record names; null when there is none, or it is not one the provider wrote (it then counts as none). */
export function parseOwnerRecord(text: string | null | undefined): Owner | null {
  if (!text) return null;
  try {
    const parsed = OwnerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function sameStack(a: Owner, b: Owner): boolean {
  return a.organization === b.organization && a.project === b.project && a.stack === b.stack;
}

/** `stack org/project/stack (urn)`, as the messages name an owner. */
export function describeOwner(owner: Owner): string {
  return `stack ${owner.organization}/${owner.project}/${owner.stack} (${owner.urn})`;
}

/**
 * What the recorded owner allows this change to do:
 * - `write`: go ahead (no module, no record, or this stack's own); `takeover` names the stack
 *   it takes the container from (adopt: true);
 * - `refuse`: a create or update of another stack's container;
 * - `leave`: a delete of a container another resource manages now: another stack's, or another
 *   resource of this stack (a rename, a move into a NixosHost, which created it first). It
 *   leaves this resource's state only.
 * A change without an owner (a resource of an SDK older than the record) cannot prove the
 * container is its own, so it counts as another stack's wherever a record exists.
 */
export type OwnerVerdict = { kind: "write"; takeover?: Owner } | { kind: "refuse" | "leave"; other: Owner };

export function ownerVerdict(change: ContainerChange, recorded: Owner | null, moduleExists: boolean): OwnerVerdict {
  // A record without its module is left over (the module was removed by hand): nobody's any more.
  if (!moduleExists || recorded === null) return { kind: "write" };
  const ours = change.owner !== undefined && sameStack(change.owner, recorded);
  if (change.kind === "delete") return ours && change.owner!.urn === recorded.urn ? { kind: "write" } : { kind: "leave", other: recorded };
  if (ours) return { kind: "write" };
  if (change.adopt) return { kind: "write", takeover: recorded };
  return { kind: "refuse", other: recorded };
}

export function refusalMessage(change: ContainerChange, other: Owner): string {
  const self = change.owner ? describeOwner(change.owner) : "a resource that does not say which stack it belongs to (an older SDK)";
  return (
    `container "${change.name}" is managed by another stack: ${describeOwner(other)} (recorded in ${ownerPath(change.name)}); ` +
    `this ${change.kind} comes from ${self}. Nothing was changed. Give this container another name (name), ` +
    `or take it over on purpose with adopt: true (the other stack's next refresh then reports it as taken over).`
  );
}

export function takeoverMessage(name: string, from: Owner, to: Owner | undefined): string {
  return `${name}: taking it over from ${describeOwner(from)} (adopt: true); it is now managed by ${to ? describeOwner(to) : "this stack"}`;
}

export function leaveMessage(change: ContainerChange, other: Owner): string {
  if (change.owner && sameStack(change.owner, other)) {
    return `${change.name}: left in place: another resource of this stack manages it now (${other.urn}; a rename, or a move into a NixosHost or NixosFleet). Only ${change.owner.urn} leaves the state.`;
  }
  return `${change.name}: not removed from the host: it is managed by ${describeOwner(other)}, which took it over. It leaves this stack's state; the other stack's container keeps running.`;
}
