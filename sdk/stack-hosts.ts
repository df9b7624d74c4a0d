/**
 * Hosts from stack config, so one program points at a simulated fleet, a
 * staging fleet or production by configuration alone:
 *
 *   pulumi config set --path 'hosts.web-1.host' 10.0.0.5
 *   pulumi config set --path 'hosts.web-1.hostKey' 'ssh-ed25519 AAAA…'
 *   pulumi config set --path 'hosts.web-1.privateKeyFile' ~/.ssh/deploy_ed25519
 *    pulumi config set --secret sshKey < ~/.ssh/deploy_ed25519         # or this, for every host (stdin: a key starts with "-----")
 *
 * `privateKeyFile` is read on the machine running Pulumi and becomes a
 * secret; it is never stored in state as a path to follow later.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { NixosContainerArgs } from "./args";

type HostEntry = Record<string, unknown> & { privateKeyFile?: string };
export type HostConnection = NixosContainerArgs["connection"];

export function hostsFromConfig(config: pulumi.Config = new pulumi.Config(), key = "hosts", sharedKeySecret = "sshKey"): Record<string, HostConnection> {
  const entries = config.requireObject<Record<string, HostEntry>>(key);
  const sharedKey = config.getSecret(sharedKeySecret);
  const hosts: Record<string, HostConnection> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const { privateKeyFile, ...connection } = entry;
    const privateKey = privateKeyFile !== undefined ? pulumi.secret(readFileSync(privateKeyFile, "utf8")) : sharedKey;
    hosts[name] = { ...connection, ...(privateKey !== undefined && connection.privateKey === undefined && { privateKey }) } as HostConnection;
  }
  return hosts;
}
