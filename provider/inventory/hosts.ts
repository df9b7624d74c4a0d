/**
 * An inventory's containers grouped by host, as a NixosHost (or a host of a NixosFleet) takes
 * them: the host's connection and the settings of its one rebuild once, each container without
 * them. Containers of one host that ask for different rebuild settings are a problem: one
 * nixos-rebuild applies every container of a host.
 */
import { HOST_LEVEL_KEYS, HostSettingsSchema } from "../container/host-schema";
import type { Inventory } from "./inventory";

type Obj = Record<string, unknown>;

export interface InventoryHost {
  /** The inventory's host name. */
  name: string;
  connection: Obj;
  /** rebuildAction and rebuildTimeoutSeconds, when the containers set them. */
  settings: Obj;
  /** Each container's arguments without the host's settings, by container name. */
  containers: Record<string, Obj>;
}

const REBUILD_KEYS = HOST_LEVEL_KEYS.filter((k) => k !== "connection");
/** What a host's rebuild defaults to (from the schema): a container that sets nothing asks for this. */
const REBUILD_DEFAULTS: Obj = HostSettingsSchema.omit({ connection: true }).parse({});

export function inventoryHosts(inventory: Inventory): { hosts: InventoryHost[]; errors: string[] } {
  const byHost = new Map<string, Inventory["containers"]>();
  for (const c of inventory.containers) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
  const errors: string[] = [];
  const hosts = [...byHost].map(([name, containers]): InventoryHost => {
    for (const key of REBUILD_KEYS) {
      const values = [...new Set(containers.map((c) => JSON.stringify(c.args[key] ?? REBUILD_DEFAULTS[key])))];
      if (values.length > 1) {
        errors.push(`hosts.${name}: its containers ask for different ${key} (${values.join(", ")}); one nixos-rebuild applies every container of a host, so set ${key} once in hosts.${name}.defaults`);
      }
    }
    const first = containers[0].args;
    const settings = Object.fromEntries(REBUILD_KEYS.filter((k) => first[k] !== undefined).map((k) => [k, first[k]]));
    const entries = Object.fromEntries(
      containers.map((c) => [c.name, Object.fromEntries(Object.entries(c.args).filter(([k]) => !(HOST_LEVEL_KEYS as readonly string[]).includes(k)))]),
    );
    return { name, connection: first.connection as Obj, settings, containers: entries };
  });
  return { hosts, errors };
}
