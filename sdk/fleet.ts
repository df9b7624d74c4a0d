/**
 * Fleet: every host of a YAML inventory (provider/inventory) as one NixosHost holding
 * all of its containers, under one component resource. So a fleet converges with one
 * rebuild per host under plain `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { NixosHost, type HostContainerArgs } from "./nixos-host";
import type { NixosContainerArgs } from "./args";
import { readSourceFile } from "../provider/inventory/source";
import { readInventory, secretConfigKey, type InventoryContainer } from "../provider/inventory/inventory";

export interface FleetArgs {
  /** Path of the YAML (or JSON) inventory file. */
  inventory: string;
  /**
   * Connection fields every host gets, under its own `connection:` from the
   * inventory: credentials from stack config, e.g. `{ privateKey: cfg.requireSecret("sshKey") }`.
   */
  connection?: Partial<NixosContainerArgs["connection"]>;
  /** Per-host connections by inventory host name (e.g. from hostsFromConfig), over the inventory's own. */
  hosts?: Record<string, Partial<NixosContainerArgs["connection"]>>;
}

/** One container of the fleet, as its host reports it. */
export interface FleetContainer {
  host: pulumi.Output<string>;
  status: pulumi.Output<string | undefined>;
  ipAddress: pulumi.Output<string | null | undefined>;
  systemPath: pulumi.Output<string | null | undefined>;
}

/** Settings of a host's one rebuild: the same for all of its containers. */
const HOST_SETTINGS = ["rebuildAction", "rebuildTimeoutSeconds"] as const;
const HOST_SETTING_DEFAULTS: Record<(typeof HOST_SETTINGS)[number], unknown> = { rebuildAction: "switch", rebuildTimeoutSeconds: 1800 };

export class Fleet extends pulumi.ComponentResource {
  /** One NixosHost per inventory host, by host name. */
  readonly hosts: Record<string, NixosHost> = {};
  /** Every container, by `host/name` as in the inventory. */
  readonly containers: Record<string, FleetContainer> = {};

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixos:index:Fleet", name, {}, opts);
    const inventory = readInventory(
      readSourceFile(args.inventory),
      (args.connection ?? {}) as Record<string, unknown>,
      (args.hosts ?? {}) as Record<string, Record<string, unknown>>,
    );
    const byHost = new Map<string, InventoryContainer[]>();
    for (const c of inventory.containers) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
    const errors = [...inventory.errors, ...[...byHost].flatMap(([host, cs]) => hostSettingConflicts(host, cs))];
    if (errors.length > 0) {
      throw new Error(`inventory ${args.inventory} has ${errors.length} problem(s):\n${errors.map((e) => `  ${e}`).join("\n")}`);
    }
    for (const [hostName, cs] of byHost) {
      const first = cs[0].args;
      const settings = Object.fromEntries(HOST_SETTINGS.filter((k) => first[k] !== undefined).map((k) => [k, first[k]]));
      const containers = Object.fromEntries(cs.map((c) => [c.name, entryArgs(c.args)]));
      const host = new NixosHost(hostName, { connection: first.connection as NixosContainerArgs["connection"], containers, ...settings }, { parent: this });
      this.hosts[hostName] = host;
      for (const c of cs) {
        const of = <K extends "status" | "ipAddress" | "systemPath">(k: K) => host.containers.apply((m) => m?.[c.name]?.[k]);
        this.containers[`${hostName}/${c.name}`] = { host: host.host, status: of("status"), ipAddress: of("ipAddress"), systemPath: of("systemPath") };
      }
    }
    this.registerOutputs({});
  }
}

function entryArgs(args: Record<string, unknown>): HostContainerArgs {
  const { connection: _c, rebuildAction: _r, rebuildTimeoutSeconds: _t, ...entry } = args;
  return { ...entry, ...(entry.secrets !== undefined && { secrets: secretsFromConfig(entry.secrets as Record<string, Record<string, unknown>>) }) } as HostContainerArgs;
}

/** Each inventory secret's value from the stack config secret it names (`config: KEY` or `NAMESPACE:KEY`). */
function secretsFromConfig(secrets: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(secrets).map(([file, { config, ...rest }]) => {
      const { namespace, key } = secretConfigKey(String(config));
      return [file, { ...rest, value: new pulumi.Config(namespace).requireSecret(key) }];
    }),
  );
}

/** One rebuild applies every container of a host: they cannot ask for different ones. */
function hostSettingConflicts(host: string, containers: InventoryContainer[]): string[] {
  return HOST_SETTINGS.flatMap((key) => {
    const values = [...new Set(containers.map((c) => JSON.stringify(c.args[key] ?? HOST_SETTING_DEFAULTS[key])))];
    if (values.length <= 1) return [];
    return [`hosts.${host}: its containers ask for different ${key} (${values.join(", ")}); one nixos-rebuild applies every container of a host, so set ${key} once in hosts.${host}.defaults`];
  });
}
