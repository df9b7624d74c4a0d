/**
 * Variant (c): what users do today without this provider. Per container,
 * one `ssh host` (OpenSSH client, the fleet's key, verified known_hosts)
 * that writes the container's module file and runs `nixos-rebuild switch`;
 * the containers of a host one after another, the hosts in parallel. The
 * module text is the provider's own rendering (renderContainerModule), so
 * the hosts evaluate exactly what variants (a) and (b) give them.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import * as sdk from "pulumi-nixos-containers";
import { containerArgs, containerName, revisionOf } from "./spec";
import type { FleetHost } from "./lib/fleet";

// The same package build the Pulumi program and the provider use (.bench/pkg, see scripts/bench.sh).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const layout = require(join(dirname(require.resolve("pulumi-nixos-containers/package.json")), "dist", "provider", "deploy", "layout.js")) as {
  INDEX_TEXT: string;
  MODULE_DIR: string;
};

export function renderModule(k: number, rev: number): string {
  const result = sdk.validateContainer({ ...containerArgs(k, rev), connection: { host: "placeholder.invalid" } });
  if (!result.spec) throw new Error(`container ${containerName(k)}: invalid benchmark spec: ${JSON.stringify(result)}`);
  return sdk.renderContainerModule(result.spec);
}

export interface SshOptions {
  knownHosts: string;
}

/** One `ssh host 'command'` with `stdin`; resolves with its exit status and output. */
export function ssh(host: FleetHost, options: SshOptions, command: string, stdin = ""): Promise<{ code: number; output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(
    "ssh",
    [
      "-i", host.privateKeyPath,
      "-o", `UserKnownHostsFile=${options.knownHosts}`,
      "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes",
      "-o", "ControlMaster=no",
      "-o", "ControlPath=none",
      "-p", String(host.port),
      `root@${host.address}`,
      command,
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, output, ms: Date.now() - started })));
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Once per host, before timing: the index the provider would write (a user's host imports its modules already). */
export async function prepareHosts(hosts: FleetHost[], options: SshOptions): Promise<void> {
  await Promise.all(
    hosts.map(async (h) => {
      const r = await ssh(h, options, `mkdir -p ${layout.MODULE_DIR} && cat > ${layout.MODULE_DIR}/default.nix`, layout.INDEX_TEXT);
      if (r.code !== 0) throw new Error(`${h.name}: writing the index failed: ${r.output}`);
    }),
  );
}

export type BaselineOp = { kind: "write"; k: number; rev: number } | { kind: "remove"; k: number };

/** Runs each host's operations one after another (one ssh + one nixos-rebuild each), all hosts in parallel. */
export async function runBaseline(plan: Map<FleetHost, BaselineOp[]>, options: SshOptions): Promise<{ failures: string[] }> {
  const failures: string[] = [];
  await Promise.all(
    [...plan.entries()].map(async ([host, ops]) => {
      for (const op of ops) {
        const file = `${layout.MODULE_DIR}/${containerName(op.k)}.nix`;
        const r =
          op.kind === "write"
            ? await ssh(host, options, `cat > ${q(file)} && nixos-rebuild switch`, renderModule(op.k, op.rev))
            : await ssh(host, options, `rm -f ${q(file)} && nixos-rebuild switch`);
        if (r.code !== 0) failures.push(`${host.name}/${containerName(op.k)}: exit ${r.code}: ${r.output.trim().split("\n").slice(-3).join(" | ")}`);
      }
    }),
  );
  return { failures };
}

/** Plans of the four scenarios, with the same revisions as the Pulumi variants use. */
export function createPlan(hosts: FleetHost[], perHost: number, revisions: Record<string, number>): Map<FleetHost, BaselineOp[]> {
  return new Map(hosts.map((h) => [h, Array.from({ length: perHost }, (_, i) => ({ kind: "write" as const, k: i + 1, rev: revisionOf(revisions, h.index, i + 1) }))]));
}

export function changePlan(hosts: FleetHost[], changed: { host: number; k: number }[], revisions: Record<string, number>): Map<FleetHost, BaselineOp[]> {
  const plan = new Map<FleetHost, BaselineOp[]>();
  for (const c of changed) {
    const h = hosts.find((x) => x.index === c.host)!;
    plan.set(h, [...(plan.get(h) ?? []), { kind: "write", k: c.k, rev: revisionOf(revisions, c.host, c.k) }]);
  }
  return plan;
}

export function destroyPlan(hosts: FleetHost[], perHost: number): Map<FleetHost, BaselineOp[]> {
  return new Map(hosts.map((h) => [h, Array.from({ length: perHost }, (_, i) => ({ kind: "remove" as const, k: i + 1 }))]));
}

/** Median time of `ssh host true` (connection setup + a trivial command). */
export async function connectTime(host: FleetHost, options: SshOptions, samples = 7): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const r = await ssh(host, options, "true");
    if (r.code !== 0) throw new Error(`ssh ${host.name} true failed: ${r.output}`);
    times.push(r.ms);
  }
  return times;
}
