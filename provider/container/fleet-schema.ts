/**
 * The NixosFleet inputs: many hosts, each exactly the NixosHost inputs, converged in one
 * Pulumi step (so Pulumi's --parallel does not split a fleet into waves), and the two
 * settings of that step: how many hosts at once, and which hosts this run may touch.
 */
import { z } from "zod";
import "../inputs/meta";
import { NixosHostInputsSchema } from "./host-schema";

export const FleetHostSchema = NixosHostInputsSchema.meta({
  description: "A host of the fleet: the NixosHost arguments (its connection, its containers by name, the settings of its one rebuild).",
});

export const NixosFleetInputsSchema = z
  .object({
    hosts: z.record(z.string(), FleetHostSchema).meta({
      description:
        "The fleet's hosts by name, each with its connection and containers (the NixosHost arguments). A run converges every changed host at once, each with one SSH connection and one nixos-rebuild; unchanged hosts are not contacted. A host whose address changes, or that leaves the map, has its containers removed.",
    }),
    maxParallelHosts: z.number().int().min(1).optional().meta({
      description:
        "At most this many hosts are converged (or refreshed) at the same time; unset: all of them. The hosts do the building, so all at once is fastest; set it when many connections at once would be refused (an sshd MaxStartups limit, on a jump host for instance).",
    }),
    onlyHosts: z.array(z.string().min(1)).optional().meta({
      description:
        "Converge only these hosts (by name) in this run: the others are not contacted, and their changes, additions and removals wait for a run without onlyHosts (the preview shows only the named hosts' changes). The SDK fills it from PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS (comma-separated) when the program does not set it.",
    }),
  })
  .strict();

export type NixosFleetInputs = z.input<typeof NixosFleetInputsSchema>;

/** The fleet settings that say how a step runs, not what a host runs. */
export const FLEET_STEP_KEYS = ["maxParallelHosts", "onlyHosts"] as const;
