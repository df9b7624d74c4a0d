/**
 * What a NixosContainer reports after create, update and refresh, besides
 * echoing its inputs (the dynamic-provider convention).
 */
import { z } from "zod";
import "../inputs/meta";

export const NixosContainerOutputsSchema = z
  .object({
    name: z.string().meta({ description: "The container name." }),
    host: z.string().meta({ description: "The host the container runs on, as host:port." }),
    nixConfig: z.string().meta({ description: "The Nix module written to the host." }),
    configHash: z.string().meta({
      description: "sha256 of the module as last read from the host; it differs from the hash of nixConfig when the file was edited by hand.",
    }),
    status: z.enum(["up", "down"]).meta({ description: 'Whether the container is running ("up") or not ("down"), as nixos-container status reports it.' }),
    ipAddress: z.string().nullable().meta({ description: "The container's address (localAddress or localAddress6 without prefix), or null when it has none." }),
    modulePath: z.string().meta({ description: "Path of the module file on the host." }),
    systemPath: z.string().nullable().meta({
      description: "The NixOS system the container runs (SYSTEM_PATH of its conf file, or its profile for flake containers).",
    }),
    managedBy: z.string().nullable().meta({
      description:
        "null while this stack manages the container. Set by `pulumi refresh` when another stack has taken it over on the host (adopt: true): that stack, as organization/project/stack. The state then keeps this stack's last configuration and `pulumi up` leaves the host alone; set adopt: true to take it back, or remove the resource (its delete leaves the other stack's container in place).",
    }),
  })
  .strict();

export type NixosContainerOutputs = z.output<typeof NixosContainerOutputsSchema>;

/** The outputs that are not also inputs (name and nixConfig are both). */
export const OUTPUT_ONLY_KEYS: readonly string[] = Object.keys(NixosContainerOutputsSchema.shape).filter((k) => k !== "name" && k !== "nixConfig");
