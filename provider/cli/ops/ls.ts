/**
 * `nixos-containers ls [--json]`: every container of the stack with its live
 * state, one SSH command per host, hosts in parallel. A host that cannot be
 * reached is a row saying so; the others are still listed, and the exit
 * status is then 1.
 */
import { configHash } from "../../container/module";
import { inspect, type LiveContainer } from "../../deploy/operate";
import { parseOptions } from "./args";
import { HostSet, groupByHost } from "./hosts";
import { resolveAll } from "./resolve";
import { readTargets } from "./stack";
import { shortStorePath, table } from "./table";
import type { Target } from "./targets";

export interface LsRow {
  host: string;
  name: string;
  /** up, down, failed, missing (no such container on the host), or unreachable. */
  status: string;
  address: string | null;
  /** The system it runs now (null when not running or unknown). */
  system: string | null;
  /** What differs from what the stack last deployed: `system`, `module`. Empty when in sync. */
  drift: string[];
  deployed: Target["deployed"];
  /** Why the host could not be read. */
  error?: string;
}

function liveStatus(c: LiveContainer): string {
  if (c.state.status === "gone") return "missing";
  if (c.active === "failed") return "failed";
  return c.state.status;
}

function driftOf(t: Target, c: LiveContainer): string[] {
  const drift: string[] = [];
  const system = c.running ?? c.state.systemPath ?? null;
  if (system !== t.deployed.systemPath) drift.push("system");
  const hash = c.state.module === null ? null : configHash(c.state.module);
  if (hash !== t.deployed.configHash) drift.push("module");
  return drift;
}

export function rowFor(t: Target, c: LiveContainer): LsRow {
  return {
    host: t.host,
    name: t.name,
    status: liveStatus(c),
    address: c.state.ipAddress ?? null,
    system: c.running,
    drift: driftOf(t, c),
    deployed: t.deployed,
  };
}

export async function listRows(targets: readonly Target[], hosts: HostSet): Promise<LsRow[]> {
  const outcomes = await hosts.forEach(groupByHost(targets), (host, g) => inspect(host, g.targets.map((t) => t.name)));
  const rows: LsRow[] = [];
  for (const o of outcomes) {
    for (const t of o.group.targets) {
      if (o.error) rows.push({ host: t.host, name: t.name, status: "unreachable", address: t.deployed.ipAddress, system: null, drift: [], deployed: t.deployed, error: o.error.message });
      else rows.push(rowFor(t, o.value.get(t.name)!));
    }
  }
  return rows.sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
}

export async function lsCommand(args: string[]): Promise<number> {
  const p = parseOptions("ls", args, { json: { type: "boolean" } });
  const all = await readTargets(p.stack);
  const targets = p.positionals.length > 0 ? resolveAll(all, p.positionals) : all;
  const hosts = new HostSet();
  let rows: LsRow[];
  try {
    rows = await listRows(targets, hosts);
  } finally {
    await hosts.close();
  }
  if (p.values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  } else {
    const cells = rows.map((r) => [r.host, r.name, r.status, r.address ?? "-", shortStorePath(r.system), r.status === "unreachable" ? "?" : r.drift.length ? r.drift.join(", ") : "no"]);
    process.stdout.write(table(["HOST", "NAME", "STATUS", "ADDRESS", "SYSTEM", "DRIFT"], cells));
  }
  const failedHosts = new Map(rows.filter((r) => r.error).map((r) => [r.host, r.error!]));
  for (const [host, error] of failedHosts) process.stderr.write(`nixos-containers: ${host}: ${error}\n`);
  return failedHosts.size > 0 ? 1 : 0;
}
