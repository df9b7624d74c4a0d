/**
 * Operating running containers (the CLI's `ls`, `status`, `start`, `logs`,
 * ...), written against Host: one command per host per operation, whatever
 * the number of containers. Reads take no lock: they only look.
 */
import type { Host, PtySize, Session } from "../host/host";
import type { ContainerState } from "./change";
import { HostError } from "../errors";
import { journal, inspectContainers, powerContainers, rootLogin, runInContainer, unitStatus, type JournalOptions, type PowerAction } from "./ops-scripts";
import { parseReport, type ContainerFacts, type ScriptReport } from "./protocol";
import { stateFrom } from "./round";

/** A container as the host has it now. */
export interface LiveContainer {
  state: ContainerState;
  /** container@NAME's ActiveState (active, inactive, failed, ...). */
  active: string;
  /** The system it runs now (null when it does not run). */
  running: string | null;
}

export interface UnitStatus extends LiveContainer {
  /** systemctl show properties (ops-scripts.ts STATUS_PROPERTIES). */
  unit: Map<string, string>;
  /** The unit's last journal lines, when it failed. */
  journal: string[];
}

async function report(host: Host, script: string, what: string): Promise<ScriptReport & { stdout: string }> {
  const result = await host.exec(script, { privileged: true });
  const parsed = parseReport(result.stdout);
  if (!parsed.complete) throw new HostError(host.id, "transport", `${host.label}: ${what} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
  return { ...parsed, stdout: result.stdout };
}

function live(name: string, facts: ContainerFacts): LiveContainer {
  return { state: stateFrom(name, facts, null), active: facts.active ?? facts.unit?.get("ActiveState") ?? "unknown", running: facts.running ?? null };
}

/** Module, conf, unit state and running system of every named container, in one command. */
export async function inspect(host: Host, names: readonly string[]): Promise<Map<string, LiveContainer>> {
  const r = await report(host, inspectContainers(names), "reading the containers");
  return new Map(names.map((n) => [n, live(n, r.containers.get(n) ?? {})]));
}

/** Unit state (and the last journal lines of failed units) of every named container, in one command. */
export async function status(host: Host, names: readonly string[], journalLines = 10): Promise<Map<string, UnitStatus>> {
  const r = await report(host, unitStatus(names, journalLines), "reading the container units");
  return new Map(
    names.map((n) => {
      const facts = r.containers.get(n) ?? {};
      return [n, { ...live(n, facts), unit: facts.unit ?? new Map(), journal: facts.journal ?? [] }];
    }),
  );
}

export interface PowerOutcome {
  name: string;
  /** Exit status of `nixos-container ACTION NAME`. */
  status: number;
  /** What it printed. */
  output: string[];
  /** The unit's state afterwards. */
  active: string;
}

/** `nixos-container start|stop|restart` of the named containers of one host, in one command. */
export async function power(host: Host, action: PowerAction, names: readonly string[]): Promise<PowerOutcome[]> {
  const r = await report(host, powerContainers(action, names), `nixos-container ${action}`);
  // The output lines of a step come right before its DID line (run_step indents them).
  const outputs = new Map<string, string[]>();
  let pending: string[] = [];
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("  | ")) pending.push(line.slice(4));
    else if (line.startsWith("DID ")) {
      outputs.set(line.split(" ")[1], pending);
      pending = [];
    }
  }
  return names.map((name) => {
    const did = r.actions.find((a) => a.name === name);
    return { name, status: did?.status ?? 1, output: outputs.get(name) ?? [], active: r.containers.get(name)?.active ?? "unknown" };
  });
}

/** A command inside the container; its output streams, its exit status is the session's. */
export function run(host: Host, name: string, argv: readonly string[]): Promise<Session> {
  return host.openSession(runInContainer(name, argv), { privileged: true });
}

/** An interactive root shell inside the container, on a PTY of the given size. */
export function login(host: Host, name: string, pty: PtySize & { term?: string }): Promise<Session> {
  return host.openSession(rootLogin(name), { privileged: true, pty });
}

/** The container's journal (see ops-scripts.ts journal); with `follow`, until the session is closed. */
export function logs(host: Host, name: string, options: JournalOptions): Promise<Session> {
  return host.openSession(journal(name, options), { privileged: true });
}
