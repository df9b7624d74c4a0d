/**
 * The resource kinds: what differs between a NixosContainer, a NixosHost and a NixosFleet, and
 * nothing more. All are a set of hosts to the core; a NixosContainer is one host with one
 * container, a NixosFleet many hosts in one Pulumi step.
 */
import { validateContainer, type Problem } from "../container/validate";
import { validateHost, type HostSpec } from "../container/host-validate";
import { validateFleet } from "../container/fleet-validate";
import { hostSettingsOf } from "../container/host-schema";
import type { Owner } from "../deploy/change";
import type { Shape } from "./codec";
import { hostLabel, resourceId } from "./identity";
import type { DeclaredHost, StepSettings } from "./model";

export interface Validated {
  /** The hosts, each with its key in the resource ("" for a resource of one host). */
  hosts?: (HostSpec & { key: string })[];
  /** The settings of the step (a NixosFleet's). */
  step?: StepSettings;
  errors: Problem[];
  warnings: Problem[];
}

export interface ResourceKind {
  /** The Pulumi type name. */
  name: "NixosContainer" | "NixosHost" | "NixosFleet";
  /** Where things sit in its properties (codec.ts). */
  shape: Shape;
  /** Every problem at its property path; the hosts when there is none. */
  validate(raw: Record<string, unknown>): Validated;
  /** Properties whose change replaces the resource, deleting first (the same name cannot exist twice on one host). */
  identity: string[];
  /**
   * A NixosContainer is one of several resources that change a host in the same run: its change
   * waits for the others (the engine coalesces them into one round). A NixosHost brings all of
   * its host's changes at once: its round starts now.
   */
  joinsBurst: boolean;
  /**
   * What diff answers when something changed: undefined (DIFF_UNKNOWN) lets the engine print only
   * the changed containers of a NixosHost; a NixosContainer answers true (DIFF_SOME).
   */
  changedAnswer: true | undefined;
  /**
   * When a failed step hands Pulumi the resource's state (a partial failure, whose reasons
   * Pulumi lists one per container): always for a NixosHost or NixosFleet, whose other
   * containers may have changed; for a NixosContainer only when its host now runs something
   * else than before.
   */
  partialState: "always" | "when changed";
  /**
   * A refresh that cannot read some hosts: "fail" (a resource of one host), or "keep" their
   * last record with a warning and refresh the others (a NixosFleet; it fails when no host
   * could be read).
   */
  unreadHosts: "fail" | "keep";
  /** The resource's id, from what create is given. */
  id(hosts: DeclaredHost[], owner: Owner | undefined): string;
}

export const NixosContainer: ResourceKind = {
  name: "NixosContainer",
  shape: "container",
  validate(raw) {
    const { spec, errors, warnings } = validateContainer(raw);
    return { errors, warnings, hosts: spec && [{ ...hostSettingsOf(spec), key: "", entries: [{ key: "", spec }] }] };
  },
  identity: ["name", "connection.host", "connection.port"],
  joinsBurst: true,
  changedAnswer: true,
  partialState: "when changed",
  unreadHosts: "fail",
  id: ([host]) => resourceId(host.connection, host.entries[0].spec.name),
};

export const NixosHost: ResourceKind = {
  name: "NixosHost",
  shape: "host",
  validate(raw) {
    const { spec, errors, warnings } = validateHost(raw);
    return { errors, warnings, hosts: spec && [{ ...spec, key: "" }] };
  },
  identity: ["connection.host", "connection.port"],
  joinsBurst: false,
  changedAnswer: undefined,
  partialState: "always",
  unreadHosts: "fail",
  id: ([host]) => hostLabel(host.connection),
};

/**
 * Many hosts in one Pulumi step: its hosts converge at once inside it (up to
 * maxParallelHosts), whatever Pulumi's --parallel is. A host whose address changes is another
 * host: the plan removes the containers from the old one and creates them on the new one, in
 * the same step, so nothing replaces the resource.
 */
export const NixosFleet: ResourceKind = {
  name: "NixosFleet",
  shape: "fleet",
  validate(raw) {
    const { spec, errors, warnings } = validateFleet(raw);
    return { errors, warnings, hosts: spec?.hosts, step: spec && { maxParallelHosts: spec.maxParallelHosts, onlyHosts: spec.onlyHosts } };
  },
  identity: [],
  joinsBurst: false,
  changedAnswer: undefined,
  partialState: "always",
  unreadHosts: "keep",
  // The resource's own name (the last part of its URN): a fleet has no single host to name it by.
  id: (_hosts, owner) => owner?.urn.slice(owner.urn.lastIndexOf("::") + 2) || "fleet",
};

export const KINDS = { NixosContainer, NixosHost, NixosFleet } as const;
export type KindName = keyof typeof KINDS;

/** The type token Pulumi gives a kind's dynamic resources (`pulumi-nodejs:dynamic/<module>:<type>`). */
export function dynamicType(kind: KindName): string {
  return `pulumi-nodejs:dynamic/nixos:${kind}`;
}

/** The kind of a resource in a stack, by its type token. */
export function kindOfType(type: string): ResourceKind | undefined {
  return Object.values(KINDS).find((k) => dynamicType(k.name) === type);
}
