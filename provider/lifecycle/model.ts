/**
 * The typed values the lifecycle core works on. Every resource kind is a set of hosts: a
 * NixosContainer is one host with one container, a NixosHost one host with all of its
 * containers, a NixosFleet many hosts. The codec (codec.ts) turns Pulumi's property bags
 * into these and back.
 *
 *   Declared  what the program asks for: per host its settings and its containers, each
 *             validated and its module rendered once (check)
 *   Recorded  what the state says each host runs: per container its inputs and what the host
 *             reported (the outputs)
 */
import { configHash } from "../container/module";
import type { ContainerSpec } from "../container/validate";
import type { HostSettings } from "../container/host-validate";
import type { NixosContainerOutputs } from "../container/outputs";
import type { ContainerState } from "../deploy/change";
import { modulePath } from "../deploy/layout";
import { hostLabel } from "./identity";

export type { HostSettings } from "../container/host-validate";

/** A container as the program declares it. `key` is its key in the resource (its name for a NixosContainer). */
export interface Entry {
  key: string;
  spec: ContainerSpec;
  /** The module rendered from spec: the file the host gets. */
  module: string;
}

export interface DeclaredHost extends HostSettings {
  /** The host's name in its resource (a NixosFleet's `hosts`); "" for a resource of one host. */
  key: string;
  entries: Entry[];
}

/** A container as the state records it: its inputs, and what its host last reported. */
export interface Recorded {
  key: string;
  spec: ContainerSpec;
  outputs: NixosContainerOutputs;
}

export interface RecordedHost extends HostSettings {
  /** As DeclaredHost.key. */
  key: string;
  containers: Recorded[];
}

/**
 * How a resource's step runs, set on the resource as a whole (a NixosFleet's): never what a
 * host runs. `onlyHosts` is for one run only, so the state does not record it.
 */
export interface StepSettings {
  /** At most this many hosts at once; undefined: all. */
  maxParallelHosts?: number;
  /** Converge only the hosts of these names; undefined: every host. */
  onlyHosts?: string[];
}

/** The record of a container whose host reported `state` after `module` was declared for it. */
export function recordOf(key: string, spec: ContainerSpec, module: string, state: Partial<ContainerState>): Recorded {
  const onHost = state.module ?? module;
  return {
    key,
    spec,
    outputs: {
      name: spec.name,
      host: hostLabel(spec.connection),
      nixConfig: onHost,
      configHash: configHash(onHost),
      status: state.status === "up" ? "up" : "down",
      modulePath: modulePath(spec.name),
      // Always present (null when there is none), so a preview never shows them as unknown.
      ipAddress: state.ipAddress ?? null,
      systemPath: state.systemPath ?? null,
      managedBy: null,
    },
  };
}
