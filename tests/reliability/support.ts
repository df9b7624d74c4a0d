/**
 * Shared checks of the reliability suite: what a host looks like (module
 * files, journal, active and boot system, what each container's conf and
 * running system hold), the "as before or fully updated, never in between"
 * invariant, and the container data markers that must survive every fault.
 */
import { rmSync } from "node:fs";
import { Fleet, startFleet } from "../hosts/helpers";
import { DynamicProviderHarness, makeProjectDir } from "../support/dynamic-harness";
import { newEngine, specFor, changeFor } from "../support/deploy";
import type { ContainerChange } from "../../provider/deploy/change";
import type { EngineOptions } from "../../provider/deploy/engine";

export const MODULE_DIR = "/etc/nixos/pulumi-containers";
export const JOURNAL_DIR = "/var/lib/pulumi-nixos-containers/journal";

/** The version marker each test container carries: environment.etc.v.text = "<name>:<version>". */
export function versionedArgs(name: string, version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, autoStart: true, rebuildTimeoutSeconds: 60, config: { environment: { etc: { v: { text: `${name}:${version}` } } } }, ...extra };
}

export function change(fleet: Fleet, i: number, name: string, version: string, kind: ContainerChange["kind"] = "update", extra: Record<string, unknown> = {}): ContainerChange {
  return changeFor(specFor(fleet, i, versionedArgs(name, version, extra)), kind);
}

export interface HostSnapshot {
  /** Module file name (without .nix) -> version marker found in it ("" when the file has none). */
  modules: Record<string, string>;
  /** Raw module texts, for byte comparisons. */
  moduleText: Record<string, string>;
  /** Everything else in the module directory (temporary files, the index). */
  otherFiles: string[];
  journal: string[];
  /** Container -> version marker of its journalled previous module (what the next run restores). */
  journalPrev: Record<string, string>;
  /** realpath of /run/current-system and of the boot default (the `system` profile). */
  current: string;
  profile: string;
  /** Container -> version marker of the system its conf names (SYSTEM_PATH). */
  declared: Record<string, string>;
  /** Container -> version marker of the system the container runs now, and its unit state. */
  running: Record<string, { version: string; state: string }>;
  /** Container -> version marker of the system the boot default would start. */
  atBoot: Record<string, string>;
  lockHeld: boolean;
}

const SNAPSHOT_SCRIPT = `
cd ${MODULE_DIR} 2>/dev/null && for f in * .[!.]*; do [ -e "$f" ] || continue; echo "FILE $f $(base64 -w0 < "$f")"; done
echo "JOURNAL $(ls -A ${JOURNAL_DIR} 2>/dev/null | tr '\\n' ' ')"
for j in ${JOURNAL_DIR}/*.prev; do [ -e "$j" ] || continue; n=\${j##*/}; echo "PREV \${n%.prev} $(base64 -w0 < "$j")"; done
echo "CURRENT $(readlink -f /run/current-system)"
echo "PROFILE $(readlink -f /nix/var/nix/profiles/system)"
for c in /etc/nixos-containers/*.conf; do [ -e "$c" ] || continue; n=\${c##*/}; n=\${n%.conf}; p=$(sed -n 's/^SYSTEM_PATH=//p' "$c"); echo "DECLARED $n $(base64 -w0 < "$p/sim-container.json" 2>/dev/null || echo -)"; done
for s in /run/nixos-containers-sim/*.json; do [ -e "$s" ] || continue; echo "RUNNING $(base64 -w0 < "$s")"; done
boot=$(readlink -f /nix/var/nix/profiles/system)
for c in "$boot"/etc/nixos-containers/*.conf; do [ -e "$c" ] || continue; n=\${c##*/}; n=\${n%.conf}; p=$(sed -n 's/^SYSTEM_PATH=//p' "$c"); echo "BOOT $n $(base64 -w0 < "$p/sim-container.json" 2>/dev/null || echo -)"; done
[ -d /run/lock/pulumi-nixos-containers ] && echo "LOCKED"
true
`;

function versionIn(text: string): string {
  return /"([a-z0-9-]+:[a-z0-9-]+)"/.exec(text)?.[1]?.split(":")[1] ?? "";
}

function versionOfSystem(b64: string): string {
  if (b64 === "-" || b64 === "") return "";
  try {
    const json = JSON.parse(Buffer.from(b64, "base64").toString("utf8"));
    return String(json?.config?.environment?.etc?.v?.text ?? "").split(":")[1] ?? "";
  } catch {
    return "";
  }
}

export function snapshot(fleet: Fleet, i: number): HostSnapshot {
  const out = fleet.ok(i, SNAPSHOT_SCRIPT);
  const snap: HostSnapshot = { modules: {}, moduleText: {}, otherFiles: [], journal: [], journalPrev: {}, current: "", profile: "", declared: {}, running: {}, atBoot: {}, lockHeld: false };
  const runningFiles: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const [kw, a = "", b = ""] = line.split(" ");
    if (kw === "FILE") {
      const text = Buffer.from(b, "base64").toString("utf8");
      if (/^[A-Za-z0-9][A-Za-z0-9-]*\.nix$/.test(a) && a !== "default.nix") {
        snap.modules[a.slice(0, -4)] = versionIn(text);
        snap.moduleText[a.slice(0, -4)] = text;
      } else snap.otherFiles.push(a);
    } else if (kw === "JOURNAL") snap.journal = line.slice("JOURNAL ".length).split(" ").filter(Boolean);
    else if (kw === "PREV") snap.journalPrev[a] = versionIn(Buffer.from(b, "base64").toString("utf8"));
    else if (kw === "CURRENT") snap.current = a;
    else if (kw === "PROFILE") snap.profile = a;
    else if (kw === "DECLARED") snap.declared[a] = versionOfSystem(b);
    else if (kw === "BOOT") snap.atBoot[a] = versionOfSystem(b);
    else if (kw === "RUNNING") {
      const rec = JSON.parse(Buffer.from(a, "base64").toString("utf8"));
      runningFiles[rec.name] = rec.system;
      snap.running[rec.name] = { version: "", state: rec.state };
    } else if (kw === "LOCKED") snap.lockHeld = true;
  }
  // The version a container runs is the one of the system it booted or last activated.
  const systems = Object.entries(runningFiles);
  if (systems.length > 0) {
    const reads = fleet.ok(i, systems.map(([n, s]) => `echo "$(base64 -w0 < '${s}/sim-container.json' 2>/dev/null || echo -) ${n}"`).join("; "));
    for (const line of reads.split("\n").filter(Boolean)) {
      const [b64, name] = line.split(" ");
      snap.running[name].version = versionOfSystem(b64);
    }
  }
  return snap;
}

/**
 * The invariant of every fault: the host is wholly at one state. What NixOS
 * declares (the confs of /run/current-system), what the boot default would
 * start and what the running containers run all agree, for every container
 * the test manages, with either
 * - the module files as they are ("files" view), or
 * - the module files as the next run will restore them from the journal of an
 *   interrupted run ("journal" view: a run that could not reach the host again
 *   after a fault leaves its journal, and the next run's first step puts it back).
 * No temporary file is left and the provider's lock is free.
 */
export function expectWhole(s: HostSnapshot, names: readonly string[]): "files" | "journal" {
  const applied = (name: string) => {
    const run = s.running[name];
    return { declared: s.declared[name] ?? "", atBoot: s.atBoot[name] ?? "", running: run && run.state === "active" ? run.version : (s.declared[name] ?? "") };
  };
  const agrees = (modules: Record<string, string>) =>
    names.every((n) => {
      const a = applied(n);
      const m = modules[n] ?? "";
      return a.declared === m && a.atBoot === m && a.running === m;
    });
  const restored: Record<string, string> = { ...s.modules };
  for (const entry of s.journal) {
    if (entry.endsWith(".absent")) delete restored[entry.slice(0, -".absent".length)];
  }
  Object.assign(restored, s.journalPrev);
  expect(s.otherFiles.filter((f) => f !== "default.nix")).toEqual([]);
  expect(s.lockHeld).toBe(false);
  expect(s.profile).toBe(s.current);
  if (agrees(s.modules)) return "files";
  if (s.journal.length > 0 && agrees(restored)) return "journal";
  // Neither: show the whole picture.
  expect({ modules: s.modules, journal: s.journalPrev, applied: Object.fromEntries(names.map((n) => [n, applied(n)])) }).toEqual("a host wholly at one state");
  return "files";
}

/** Either every named container is at its `before` version or every one is at `after`. */
export function expectBeforeOrAfter(s: HostSnapshot, before: Record<string, string>, after: Record<string, string>): "before" | "after" {
  const now = Object.fromEntries(Object.keys(before).map((n) => [n, s.modules[n] ?? ""]));
  if (JSON.stringify(now) === JSON.stringify(before)) return "before";
  expect(now).toEqual(after);
  return "after";
}

/** Write a marker file into the data directory of each container. */
export function writeMarkers(fleet: Fleet, i: number, names: readonly string[]): void {
  fleet.ok(i, names.map((n) => `mkdir -p /var/lib/nixos-containers/${n} && echo 'precious ${n}' > /var/lib/nixos-containers/${n}/pulumi-test-marker`).join(" && "));
}

export function expectMarkers(fleet: Fleet, i: number, names: readonly string[]): void {
  const out = fleet.ssh(i, names.map((n) => `cat /var/lib/nixos-containers/${n}/pulumi-test-marker`).join("; ")).stdout;
  expect(out).toBe(names.map((n) => `precious ${n}\n`).join(""));
}

/** Deploy `names` at `version` through a fresh engine (a new `pulumi up` process), then close it. */
export async function deploy(fleet: Fleet, i: number, names: readonly string[], version: string, kind: ContainerChange["kind"] = "update", options: Partial<EngineOptions> = {}) {
  const run = newEngine(fleet, i, { quietMs: 100, ...options });
  try {
    const settled = await Promise.allSettled(names.map((n) => run.engine.apply(change(fleet, i, n, version, kind))));
    return { settled, progress: run.progress.lines };
  } finally {
    await run.pool.closeAll();
  }
}

export function rebuildCount(fleet: Fleet, i: number): number {
  return fleet.events(i).filter((e) => e.event === "rebuild").length;
}

/** Wait until host I has logged `count` rebuild events (an orphaned rebuild finishing). */
export async function waitForRebuilds(fleet: Fleet, i: number, count: number, timeoutMs = 30000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (rebuildCount(fleet, i) < count) {
    if (Date.now() > end) throw new Error(`host${i}: still ${rebuildCount(fleet, i)} rebuilds, expected ${count}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function sessions(fleet: Fleet, i: number): number {
  return fleet.sshLog(i).length;
}

export const reasonOf = (r: PromiseSettledResult<unknown>): string => (r.status === "rejected" ? String((r.reason as Error)?.message ?? r.reason) : "");

/**
 * Where any of `secrets` occurs: in `texts` (labelled), or in any file of the
 * hosts' state directories (their /etc, /var, /nix/store, /run, profiles and
 * homes, and their logs ssh.jsonl, events.jsonl, sshd.log, boot.log).
 */
export function secretHits(fleet: Fleet, hosts: number[], secrets: string[], texts: Record<string, string>): string[] {
  const { readdirSync, lstatSync, readFileSync } = require("node:fs") as typeof import("node:fs");
  const { join, relative } = require("node:path") as typeof import("node:path");
  const hits: string[] = [];
  for (const [label, text] of Object.entries(texts)) for (const s of secrets) if (text.includes(s)) hits.push(`${label}: ${s.slice(0, 6)}…`);
  for (const i of hosts) {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        const st = lstatSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && !p.endsWith("/mntns")) files.push(p);
      }
    };
    walk(fleet.host(i).stateDir);
    if (!files.some((f) => f.endsWith("ssh.jsonl"))) throw new Error(`host${i}: no ssh.jsonl found`);
    for (const f of files) {
      const text = readFileSync(f).toString("latin1");
      for (const s of secrets) if (text.includes(s)) hits.push(`${relative(fleet.state, f)}: ${s.slice(0, 6)}…`);
    }
  }
  return hits;
}

/** The lines of a private key worth looking for (the base64 body), plus the whole text. */
export function keyLines(key: string): string[] {
  return key.split("\n").map((l) => l.trim()).filter((l) => l.length > 20 && !l.startsWith("-----"));
}

/**
 * For a test file: its own fleet of `hosts` hosts on subnet 127.0.<octet>, and the real
 * dynamic-provider plugin in a project directory of its own; both stopped after the file.
 */
export function useFleetAndProvider(octet: number, hosts: number, ready: (fleet: Fleet, provider: DynamicProviderHarness) => void): void {
  let fleet: Fleet | undefined;
  let provider: DynamicProviderHarness | undefined;
  let projectDir: string | undefined;
  beforeAll(async () => {
    fleet = startFleet(octet, hosts);
    projectDir = makeProjectDir();
    // The debug switch: every progress line, each line of the remote commands included, reaches
    // the provider's stderr (there is no engine to send them to), where the secrets tests look.
    provider = await DynamicProviderHarness.start({ cwd: projectDir, env: { PULUMI_NIXOS_CONTAINERS_QUIET_MS: "100", PULUMI_NIXOS_CONTAINERS_LOG: "debug" } });
    ready(fleet, provider);
  });
  afterAll(async () => {
    await provider?.stop();
    if (projectDir) rmSync(projectDir, { recursive: true, force: true });
    fleet?.down();
  });
}
