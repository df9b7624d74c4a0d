/**
 * What a NixosContainer reports after create, update and refresh, besides
 * echoing its inputs (the dynamic-provider convention).
 */
import { z } from "zod";
import "./meta";

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
  })
  .strict();

export type NixosContainerOutputs = z.output<typeof NixosContainerOutputsSchema>;
