/**
 * Fleet: every host of a YAML inventory (provider/inventory) and its containers, under one
 * component resource. By default one NixosFleet holds them all: one Pulumi step converges
 * every changed host at once, each with one SSH connection and one nixos-rebuild, whatever
 * Pulumi's --parallel is. `mode: "per-host"` makes one NixosHost per host instead (see
 * FleetArgs.mode for when that is the better choice).
 */
import * as pulumi from "@pulumi/pulumi";
import { NixosHost, type HostContainerArgs, type NixosHostArgs } from "./nixos-host";
import { NixosFleet } from "./nixos-fleet";
import type { NixosContainerArgs } from "./args";
import { readSourceFile } from "../provider/inventory/source";
import { readInventory, secretConfigKey } from "../provider/inventory/inventory";
import { inventoryHosts, type InventoryHost } from "../provider/inventory/hosts";

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
  /**
   * "fleet" (default): one NixosFleet resource for every host. "per-host": one NixosHost per
   * host, for when each host must be a Pulumi resource of its own: `pulumi up --target` of a
   * host's URN, resource options per host (`protect`, `dependsOn` another resource), or a
   * failing host marked on its own row. Pulumi then runs at most --parallel hosts at once
   * (4 × CPUs by default): with more hosts than that they converge in waves, and the preview
   * says so.
   */
  mode?: "fleet" | "per-host";
  /** At most this many hosts converge at once (mode "fleet"); unset: all of them. */
  maxParallelHosts?: pulumi.Input<number>;
  /**
   * Converge only these inventory hosts in this run (mode "fleet"); unset:
   * PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS (comma-separated), else every host.
   */
  onlyHosts?: pulumi.Input<string[]>;
}

/** One container of the fleet, as its host reports it. */
export interface FleetContainer {
  host: pulumi.Output<string>;
  status: pulumi.Output<string | undefined>;
  ipAddress: pulumi.Output<string | null | undefined>;
  systemPath: pulumi.Output<string | null | undefined>;
}

type ContainerOutput = "status" | "ipAddress" | "systemPath";

export class Fleet extends pulumi.ComponentResource {
  /** The one resource holding every host (mode "fleet"). */
  readonly fleet?: NixosFleet;
  /** One NixosHost per inventory host, by host name (mode "per-host"). */
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
    const grouped = inventoryHosts(inventory);
    const errors = [...inventory.errors, ...grouped.errors];
    if (errors.length > 0) {
      throw new Error(`inventory ${args.inventory} has ${errors.length} problem(s):\n${errors.map((e) => `  ${e}`).join("\n")}`);
    }
    if (args.mode === "per-host") {
      for (const h of grouped.hosts) {
        const host = new NixosHost(h.name, hostArgs(h), { parent: this });
        this.hosts[h.name] = host;
        this.expose(h, host.host, (c, k) => host.containers.apply((m) => m?.[c]?.[k]));
      }
      warnOfWaves(this, name, grouped.hosts.length);
    } else {
      const hosts = Object.fromEntries(grouped.hosts.map((h) => [h.name, hostArgs(h)]));
      const fleet = new NixosFleet(name, { hosts, maxParallelHosts: args.maxParallelHosts, onlyHosts: args.onlyHosts }, { parent: this });
      this.fleet = fleet;
      for (const h of grouped.hosts) {
        const of = fleet.hosts.apply((m) => m?.[h.name]);
        this.expose(h, of.apply((x) => x?.host as string), (c, k) => of.apply((x) => x?.containers?.[c]?.[k]));
      }
    }
    this.registerOutputs({});
  }

  private expose(h: InventoryHost, host: pulumi.Output<string>, output: <K extends ContainerOutput>(container: string, key: K) => pulumi.Output<unknown>): void {
    for (const c of Object.keys(h.containers)) {
      this.containers[`${h.name}/${c}`] = {
        host: computedInPreview(host),
        status: computedInPreview(output(c, "status")) as FleetContainer["status"],
        ipAddress: computedInPreview(output(c, "ipAddress")) as FleetContainer["ipAddress"],
        systemPath: computedInPreview(output(c, "systemPath")) as FleetContainer["systemPath"],
      };
    }
  }
}

/**
 * A dynamic resource that will change shows its inputs as its outputs in a preview (reference
 * pulumi.md 1.5): its hosts' and containers' outputs are missing there, which the preview would
 * print as removed (`- status: "up"`). They are computed by the update: say so (`output<string>`).
 * Outside a preview, and for a resource without changes, the values are the real ones.
 */
function computedInPreview<T>(value: pulumi.Output<T>): pulumi.Output<T> {
  if (!pulumi.runtime.isDryRun()) return value;
  return value.apply((v) => (v === undefined ? (pulumi.unknown as unknown as T) : v));
}

function hostArgs(h: InventoryHost): NixosHostArgs {
  const containers = Object.fromEntries(Object.entries(h.containers).map(([key, c]) => [key, withSecretsFromConfig(c as Record<string, unknown>)]));
  return { connection: h.connection as NixosContainerArgs["connection"], containers, ...h.settings };
}

/** A container's inventory entry with each secret's value from the stack config secret it names (`config: KEY` or `NAMESPACE:KEY`). */
function withSecretsFromConfig(entry: Record<string, unknown>): HostContainerArgs {
  const secrets = entry.secrets as Record<string, Record<string, unknown>> | undefined;
  if (secrets === undefined) return entry as HostContainerArgs;
  const fromConfig = Object.fromEntries(
    Object.entries(secrets).map(([file, { config, ...rest }]) => {
      const { namespace, key } = secretConfigKey(String(config));
      return [file, { ...rest, value: new pulumi.Config(namespace).requireSecret(key) }];
    }),
  );
  return { ...entry, secrets: fromConfig } as HostContainerArgs;
}

/**
 * Per-host mode under Pulumi's parallelism: at most --parallel steps run at once and each
 * host's step holds its slot for its whole round, so more hosts than that converge in waves.
 * The program learns --parallel from the engine (the language host passes it on as
 * PULUMI_NODEJS_PARALLEL); said once, at preview.
 */
function warnOfWaves(fleet: Fleet, name: string, hosts: number): void {
  const parallel = Number(process.env.PULUMI_NODEJS_PARALLEL);
  if (!pulumi.runtime.isDryRun() || !(parallel > 0) || hosts <= parallel) return;
  const waves = Math.ceil(hosts / parallel);
  pulumi.log.warn(
    `Fleet "${name}": ${hosts} hosts, one NixosHost each (mode "per-host"), but Pulumi runs at most ${parallel} steps at once (--parallel), ` +
      `so the hosts converge in ${waves} waves, each as long as a host's round. Leave out mode "per-host" (one NixosFleet converges every host at once), ` +
      `or run with --parallel ${hosts} (or PULUMI_PARALLEL=${hosts}).`,
    fleet,
  );
}
