/**
 * A fleet of NixOS containers described by inventory.yaml. The hosts'
 * addresses, host keys and credentials come from stack config (`hosts`), so
 * the same program points at the simulated fleet or at real hosts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as nixos from "pulumi-nixos-containers";

const config = new pulumi.Config();
const fleet = new nixos.Fleet("fleet", {
  inventory: config.get("inventory") ?? "inventory.yaml",
  hosts: nixos.hostsFromConfig(config),
});

/** Per container: where it runs, whether it is up, its address and the NixOS system it runs. */
export const containers = Object.fromEntries(
  Object.entries(fleet.containers).map(([key, c]) => [key, { host: c.host, status: c.status, ipAddress: c.ipAddress, systemPath: c.systemPath }]),
);
