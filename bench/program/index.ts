/**
 * The benchmark's Pulumi program: `containersPerHost` containers on every
 * host of the `hosts` stack config (written from the fleet manifest), in
 * host-major order as the Fleet component declares an inventory. The
 * `revisions` config ("host3/c01": 1) changes single containers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as nixos from "pulumi-nixos-containers";
import { containerArgs, containerName, revisionOf } from "../spec";

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);
const perHost = config.requireNumber("containersPerHost");
const revisions = config.getObject<Record<string, number>>("revisions") ?? {};

let count = 0;
for (const [hostName, connection] of Object.entries(hosts)) {
  const h = Number(hostName.replace(/^host/, ""));
  for (let k = 1; k <= perHost; k++) {
    const args = containerArgs(k, revisionOf(revisions, h, k)) as unknown as nixos.NixosContainerArgs;
    new nixos.NixosContainer(`${hostName}/${containerName(k)}`, { ...args, connection });
    count++;
  }
}

export const containers = count;
