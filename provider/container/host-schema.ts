/**
 * The NixosHost inputs: one host's connection, every container it runs, and the settings
 * of the host's one rebuild. Each container takes the NixosContainer arguments except
 * those that belong to the host (the connection, and how the host is rebuilt).
 */
import { z } from "zod";
import "./meta";
import { ConnectionSchema } from "../host/connection";
import { NixosContainerInputsSchema } from "./schema";

/** NixosContainer arguments that a NixosHost sets once for all of its containers. */
export const HOST_LEVEL_KEYS = ["connection", "rebuildAction", "rebuildTimeoutSeconds"] as const;

const containerShape = NixosContainerInputsSchema.shape;

export const HostContainerSchema = NixosContainerInputsSchema.omit({ connection: true, rebuildAction: true, rebuildTimeoutSeconds: true }).meta({
  description: "A container of the host: the NixosContainer arguments without connection, rebuildAction and rebuildTimeoutSeconds, which the NixosHost sets for all of them.",
});

export const NixosHostInputsSchema = z
  .object({
    connection: ConnectionSchema,
    containers: z.record(z.string(), HostContainerSchema).meta({
      description:
        "The host's containers, by name (the key is the container name unless the entry sets name). Adding, changing, renaming and removing containers are one update of the host: one nixos-rebuild.",
    }),
    rebuildAction: containerShape.rebuildAction,
    rebuildTimeoutSeconds: containerShape.rebuildTimeoutSeconds,
  })
  .strict();

export type NixosHostInputs = z.input<typeof NixosHostInputsSchema>;
export type HostContainerInputs = z.input<typeof HostContainerSchema>;
