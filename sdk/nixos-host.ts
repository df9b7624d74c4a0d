/**
 * NixosHost: one NixOS host and every container it runs, as one resource. Pulumi
 * schedules the host, not each container, so a fleet converges with one connection and
 * one nixos-rebuild per host under plain `pulumi up`, whatever `--parallel` is. The
 * preview still shows each changed container's module as a line diff (each entry's
 * `nixConfig` is rendered here, in the program).
 */
import * as pulumi from "@pulumi/pulumi";
import type { NixosContainerArgs } from "./args";
import { dynamicResourceArgs, renderInProgram } from "./program-side";
import type { HostLevelKey } from "../provider/container/host-schema";
import { dynamicType } from "../provider/lifecycle/kinds";

/** A container of a NixosHost: the NixosContainer arguments without what the host sets once. */
export type HostContainerArgs = Omit<NixosContainerArgs, HostLevelKey>;

export interface NixosHostArgs {
  /** How to reach the host (as for NixosContainer). */
  connection: NixosContainerArgs["connection"];
  /** The host's containers by name (the key is the container name unless an entry sets `name`). */
  containers: Record<string, HostContainerArgs>;
  /** The nixos-rebuild action for the host's one rebuild: "switch" (default), "test" or "boot". */
  rebuildAction?: NixosContainerArgs["rebuildAction"];
  /** Longest time the rebuild may take before it is reported as hung (default 1800). */
  rebuildTimeoutSeconds?: NixosContainerArgs["rebuildTimeoutSeconds"];
}

/** What each container of a NixosHost reports, by container key. */
export interface HostContainerOutputs {
  name: string;
  nixConfig: string;
  configHash: string;
  status: "up" | "down";
  ipAddress: string | null;
  systemPath: string | null;
  modulePath: string;
  /** null, or the stack (organization/project/stack) that took the container over on the host, as the last refresh found. */
  managedBy: string | null;
  [input: string]: unknown;
}

export const NIXOS_HOST_TYPE = dynamicType("NixosHost");

export class NixosHost extends pulumi.dynamic.Resource {
  /** The host (`host` or `host:port`). */
  declare readonly host: pulumi.Output<string>;
  /** Every container of the host with its state: `host.containers["web"].status`. */
  declare readonly containers: pulumi.Output<Record<string, HostContainerOutputs>>;

  constructor(name: string, args: NixosHostArgs, opts?: pulumi.CustomResourceOptions) {
    const entries: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(args.containers ?? {})) {
      entries[key] = { ...entry, nixConfig: renderInProgram(`NixosHost "${name}": containers.${key}`, { ...entry, name: entry.name ?? key }) };
    }
    super(...dynamicResourceArgs("NixosHost", name, { ...args, containers: entries, host: undefined }, opts));
  }
}
