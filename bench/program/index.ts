/**
 * The benchmark's Pulumi program: `containersPerHost` containers on every
 * host of the `hosts` stack config (written from the fleet manifest), in
 * host-major order as the Fleet component declares an inventory. The
 * `revisions` config ("host3/c01": 1) changes single containers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as nixos from "pulumi-nixos-containers";
import { containerArgs, containerName, healthChecksFor, revisionOf, type HealthPlan } from "../spec";

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);
const perHost = config.requireNumber("containersPerHost");
const revisions = config.getObject<Record<string, number>>("revisions") ?? {};
/** Health checks of single containers ("host1/c01": "pass"), bench/health.ts. */
const health = config.getObject<HealthPlan>("health") ?? {};
const healthTimeoutSeconds = config.getNumber("healthTimeoutSeconds") ?? 10;
/**
 * "container": one NixosContainer per container; "host": one NixosHost per host holding them;
 * "fleet": one NixosFleet holding every host (at most `maxParallelHosts` at once, when set).
 */
const frontend = config.get("frontend") ?? "container";

let count = 0;
const fleet: Record<string, nixos.NixosHostArgs> = {};
for (const [hostName, connection] of Object.entries(hosts)) {
  const h = Number(hostName.replace(/^host/, ""));
  const containers: Record<string, nixos.HostContainerArgs> = {};
  for (let k = 1; k <= perHost; k++) {
    const checks = health[`${hostName}/${containerName(k)}`];
    const args = { ...containerArgs(k, revisionOf(revisions, h, k)), ...(checks && { healthChecks: healthChecksFor(checks, healthTimeoutSeconds) }) } as unknown as nixos.NixosContainerArgs;
    if (frontend === "container") new nixos.NixosContainer(`${hostName}/${containerName(k)}`, { ...args, connection });
    else containers[containerName(k)] = args;
    count++;
  }
  if (frontend === "host") new nixos.NixosHost(hostName, { connection, containers });
  if (frontend === "fleet") fleet[hostName] = { connection, containers };
}
if (frontend === "fleet") new nixos.NixosFleet("fleet", { hosts: fleet, maxParallelHosts: config.getNumber("maxParallelHosts") });

export const containers = count;
