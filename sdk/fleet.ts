/**
 * Fleet: every container of a YAML inventory (provider/inventory) as a
 * NixosContainer, under one component resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { NixosContainer } from "./nixos-container";
import type { NixosContainerArgs } from "./args";
import { readSourceFile } from "../provider/inventory/source";
import { readInventory } from "../provider/inventory/inventory";

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

export class Fleet extends pulumi.ComponentResource {
  /** The containers, by `host/name` as in the inventory. */
  readonly containers: Record<string, NixosContainer> = {};

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixos:index:Fleet", name, {}, opts);
    const inventory = readInventory(
      readSourceFile(args.inventory),
      (args.connection ?? {}) as Record<string, unknown>,
      (args.hosts ?? {}) as Record<string, Record<string, unknown>>,
    );
    if (inventory.errors.length > 0) {
      throw new Error(`inventory ${args.inventory} has ${inventory.errors.length} problem(s):\n${inventory.errors.map((e) => `  ${e}`).join("\n")}`);
    }
    for (const c of inventory.containers) {
      const key = `${c.host}/${c.name}`;
      this.containers[key] = new NixosContainer(key, c.args as NixosContainerArgs, { parent: this });
    }
    this.registerOutputs({});
  }
}
