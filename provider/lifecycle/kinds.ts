/**
 * The resource kinds: what differs between a NixosContainer and a NixosHost, and nothing more.
 * Both are a set of hosts to the core; a NixosContainer is one host with one container.
 */
import { validateContainer, type Problem } from "../container/validate";
import { validateHost, type HostSpec } from "../container/host-validate";
import { hostSettingsOf } from "../container/host-schema";
import type { Connection } from "../inputs/connection";
import type { Shape } from "./codec";
import { hostLabel, resourceId } from "./identity";

export interface ResourceKind {
  /** The Pulumi type name. */
  name: "NixosContainer" | "NixosHost";
  /** Where things sit in its properties (codec.ts). */
  shape: Shape;
  /** Every problem at its property path; the hosts when there is none. */
  validate(raw: Record<string, unknown>): { hosts?: HostSpec[]; errors: Problem[]; warnings: Problem[] };
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
   * Pulumi lists one per container): always for a NixosHost, whose other containers may have
   * changed; for a NixosContainer only when its host now runs something else than before.
   */
  partialState: "always" | "when changed";
  id(connection: Connection, names: string[]): string;
}

export const NixosContainer: ResourceKind = {
  name: "NixosContainer",
  shape: "container",
  validate(raw) {
    const { spec, errors, warnings } = validateContainer(raw);
    return { errors, warnings, hosts: spec && [{ ...hostSettingsOf(spec), entries: [{ key: "", spec }] }] };
  },
  identity: ["name", "connection.host", "connection.port"],
  joinsBurst: true,
  changedAnswer: true,
  partialState: "when changed",
  id: (connection, [name]) => resourceId(connection, name),
};

export const NixosHost: ResourceKind = {
  name: "NixosHost",
  shape: "host",
  validate(raw) {
    const { spec, errors, warnings } = validateHost(raw);
    return { errors, warnings, hosts: spec && [spec] };
  },
  identity: ["connection.host", "connection.port"],
  joinsBurst: false,
  changedAnswer: undefined,
  partialState: "always",
  id: (connection) => hostLabel(connection),
};

export const KINDS = { NixosContainer, NixosHost } as const;
export type KindName = keyof typeof KINDS;

/** The type token Pulumi gives a kind's dynamic resources (`pulumi-nodejs:dynamic/<module>:<type>`). */
export function dynamicType(kind: KindName): string {
  return `pulumi-nodejs:dynamic/nixos:${kind}`;
}

/** The kind of a resource in a stack, by its type token. */
export function kindOfType(type: string): ResourceKind | undefined {
  return Object.values(KINDS).find((k) => dynamicType(k.name) === type);
}
