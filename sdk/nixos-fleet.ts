/**
 * NixosFleet: many NixOS hosts and their containers as one resource, so one Pulumi step
 * converges them all: every changed host at once (or maxParallelHosts at a time), each with
 * one SSH connection and one nixos-rebuild, whatever Pulumi's --parallel is. The preview shows
 * each changed container's module as a line diff under its host.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostContainerOutputs, NixosHostArgs } from "./nixos-host";
import { dynamicResourceArgs, renderInProgram, secretCredentials } from "./program-side";
import { dynamicType } from "../provider/lifecycle/kinds";

/** The environment variable that limits a run to some hosts when the program sets no onlyHosts. */
export const ONLY_HOSTS_VARIABLE = "PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS";

export interface NixosFleetArgs {
  /** The hosts by name, each as a NixosHost: its connection, its containers, its rebuild settings. */
  hosts: Record<string, NixosHostArgs>;
  /** At most this many hosts converge (or refresh) at once; unset: all of them. */
  maxParallelHosts?: pulumi.Input<number>;
  /**
   * Converge only these hosts in this run; the others keep what they run, and their changes
   * wait for a run without it. Unset: PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS (comma-separated
   * names), else every host.
   */
  onlyHosts?: pulumi.Input<string[]>;
}

/** What each host of a NixosFleet reports, by host name. */
export interface FleetHostOutputs {
  /** The host (`host` or `host:port`). */
  host: string;
  /** Every container of the host with its state, by key (as NixosHost.containers). */
  containers: Record<string, HostContainerOutputs>;
  [input: string]: unknown;
}

export const NIXOS_FLEET_TYPE = dynamicType("NixosFleet");

export class NixosFleet extends pulumi.dynamic.Resource {
  /** Every host with its containers: `fleet.hosts["web1"].containers["web"].status`. */
  declare readonly hosts: pulumi.Output<Record<string, FleetHostOutputs>>;
  /** As given (recorded in the state). */
  declare readonly maxParallelHosts: pulumi.Output<number | undefined>;

  constructor(name: string, args: NixosFleetArgs, opts?: pulumi.CustomResourceOptions) {
    // Each host's connection goes beside it, in `connections` (provider/lifecycle/codec.ts): a
    // property holding a secret is secret as a whole in the program, and `hosts` must not be.
    const hosts: Record<string, unknown> = {};
    const connections: Record<string, unknown> = {};
    for (const [hostName, { connection, ...host }] of Object.entries(args.hosts ?? {})) {
      const containers: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(host.containers ?? {})) {
        containers[key] = { ...entry, nixConfig: renderInProgram(`NixosFleet "${name}": hosts.${hostName}.containers.${key}`, { ...entry, name: entry.name ?? key }) };
      }
      hosts[hostName] = { ...host, containers };
      connections[hostName] = secretCredentials(connection);
    }
    const onlyHosts = args.onlyHosts ?? onlyHostsFromEnvironment();
    super(...dynamicResourceArgs("NixosFleet", name, { hosts, connections, maxParallelHosts: args.maxParallelHosts, onlyHosts }, opts));
  }
}

/** PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS=web1,web2 pulumi up: a run limited to those hosts, without editing the program. */
export function onlyHostsFromEnvironment(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const names = (env[ONLY_HOSTS_VARIABLE] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return names.length > 0 ? names : undefined;
}
