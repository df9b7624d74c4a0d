/**
 * The NixosHost inputs: one host's connection, every container it runs, and the settings
 * of the host's one rebuild. Each container takes the NixosContainer arguments except
 * those that belong to the host (HOST_LEVEL_KEYS: the connection, and how the host is
 * rebuilt). This list is the only place that names them.
 */
import { z } from "zod";
import "../inputs/meta";
import { NixosContainerInputsSchema } from "./schema";

/** NixosContainer arguments that a NixosHost sets once for all of its containers. */
export const HOST_LEVEL_KEYS = ["connection", "rebuildAction", "rebuildTimeoutSeconds"] as const;
export type HostLevelKey = (typeof HOST_LEVEL_KEYS)[number];

const HOST_LEVEL = Object.fromEntries(HOST_LEVEL_KEYS.map((k) => [k, true])) as { [K in HostLevelKey]: true };

export const HostContainerSchema = NixosContainerInputsSchema.omit(HOST_LEVEL).meta({
  description: `A container of the host: the NixosContainer arguments without ${HOST_LEVEL_KEYS.slice(0, -1).join(", ")} and ${HOST_LEVEL_KEYS.at(-1)}, which the NixosHost sets for all of them.`,
});

/** The host-level settings alone, with their defaults. */
export const HostSettingsSchema = NixosContainerInputsSchema.pick(HOST_LEVEL).strict();

export const NixosHostInputsSchema = HostSettingsSchema.extend({
    containers: z.record(z.string(), HostContainerSchema).meta({
      description:
        "The host's containers, by name (the key is the container name unless the entry sets name). Adding, changing, renaming and removing containers are one update of the host: one nixos-rebuild.",
    }),
}).strict();

export type NixosHostInputs = z.input<typeof NixosHostInputsSchema>;
export type HostContainerInputs = z.input<typeof HostContainerSchema>;

/** The host-level settings of a container's or a host's properties. */
export function hostSettingsOf<T extends Partial<Record<HostLevelKey, unknown>>>(props: T): Pick<T, HostLevelKey> {
  return Object.fromEntries(HOST_LEVEL_KEYS.filter((k) => k in props).map((k) => [k, props[k]])) as Pick<T, HostLevelKey>;
}

/** A container's properties without the settings its NixosHost holds once for all of them. */
export function withoutHostSettings<T extends object>(props: T): Omit<T, HostLevelKey> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => !(HOST_LEVEL_KEYS as readonly string[]).includes(k))) as Omit<T, HostLevelKey>;
}
