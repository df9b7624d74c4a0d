/**
 * The NixosFleet inputs: many hosts, each the NixosHost inputs, converged in one Pulumi step
 * (so Pulumi's --parallel does not split a fleet into waves), and the two settings of that
 * step: how many hosts at once, and which hosts this run may touch. The hosts' connections sit
 * beside them, in `connections` by host name: a property that holds a secret is secret as a
 * whole in a Pulumi program, and the containers' outputs under `hosts` must stay readable.
 */
import { z } from "zod";
import "../inputs/meta";
import { ConnectionSchema } from "../inputs/connection";
import { NixosHostInputsSchema } from "./host-schema";

export const FleetHostSchema = NixosHostInputsSchema.omit({ connection: true }).meta({
  description: "A host of the fleet: the NixosHost arguments but its connection (in connections): its containers by name and the settings of its one rebuild.",
});

export const NixosFleetInputsSchema = z
  .object({
    hosts: z.record(z.string(), FleetHostSchema).meta({
      description:
        "The fleet's hosts by name, each with its containers (the NixosHost arguments but the connection). A run converges every changed host at once, each with one SSH connection and one nixos-rebuild; unchanged hosts are not contacted. A host whose address changes, or that leaves the map, has its containers removed.",
    }),
    connections: z.record(z.string(), ConnectionSchema).meta({
      description: "How to reach each host of hosts, by the same name (as a NixosHost's connection).",
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
