/**
 * The simulated fleet (tests/hosts) as the benchmark uses it: bring it up
 * on its own subnet and state folder with a fixed rebuild time, read its
 * manifest, and count what happened on each host between two marks from
 * the hosts' own logs (ssh.jsonl: one line per SSH session, `conn` = client
 * ip:port, so distinct values are connections; events.jsonl: `rebuild` lines).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..", "..");
const FLEET = join(ROOT, "tests", "hosts", "fleet");

export interface FleetHost {
  name: string;
  index: number;
  address: string;
  port: number;
  hostKey: string;
  privateKeyPath: string;
  logPath: string;
  eventsPath: string;
  /** The host's sshd listener: every process of the host descends from it. */
  pid: number;
}

export interface HostActivity {
  host: string;
  sessions: number;
  connections: number;
  rebuilds: number;
  /** `seconds` of each rebuild as the simulated nixos-rebuild measured it (evaluation + R). */
  rebuildSeconds: number[];
  /** [start, end] of each rebuild, ms since the epoch. */
  rebuildSpans: [number, number][];
  /** The sessions: when (ms since the epoch), on which connection, and what kind of command. */
  sessionLog: { t: number; conn: string; kind: SessionKind }[];
}

/** What a session of the provider did, from its command text (see provider/host/scripts.ts). */
export type SessionKind = "lock" | "write" | "rebuild" | "after" | "release" | "revert" | "other";

function sessionKind(cmd: string): SessionKind {
  if (cmd.includes('echo "LOCK acquired"')) return "lock";
  if (cmd.includes("receive()")) return "write";
  if (cmd.includes("__PULUMI_NIXOS_CONTAINERS_REBUILD_EXIT__")) return "rebuild";
  if (cmd.includes('echo "LOCK released"')) return "release";
  if (cmd.includes("REVERTED")) return "revert";
  if (cmd.includes("DID ") || cmd.includes("run_step")) return "after";
  return "other";
}

export type Mark = Map<string, { ssh: number; events: number }>;

export class BenchFleet {
  constructor(
    readonly state: string,
    readonly subnet: string,
    readonly rebuildSeconds: number,
    /** Rc: each container of a host adds this to its rebuild (R(n) = R0 + n·Rc, as NixOS evaluates every container). */
    readonly secondsPerContainer = 0,
  ) {}

  private run(args: string[]): string {
    const r = spawnSync(FLEET, args, {
      encoding: "utf8",
      env: { ...process.env, FLEET_STATE: this.state, FLEET_SUBNET: this.subnet, FLEET_REBUILD_SECONDS: String(this.rebuildSeconds), FLEET_REBUILD_SECONDS_PER_CONTAINER: String(this.secondsPerContainer) },
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`fleet ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  up(n: number): void {
    this.run(["up", String(n)]);
  }

  down(): void {
    if (existsSync(join(this.state, "fleet.json")) || existsSync(join(this.state, "manifest.json"))) this.run(["down"]);
  }

  get knownHosts(): string {
    return join(this.state, "known_hosts");
  }

  hosts(): FleetHost[] {
    const manifest = JSON.parse(readFileSync(join(this.state, "manifest.json"), "utf8")) as { hosts: any[] };
    return manifest.hosts
      .filter((h) => h.running !== false)
      .map((h) => ({
        name: h.name,
        index: h.index,
        address: h.address,
        port: h.port,
        hostKey: h.hostKey,
        privateKeyPath: h.users.root.privateKeyPath,
        logPath: h.logPath,
        eventsPath: h.eventsPath,
        pid: h.pid,
      }))
      .sort((a, b) => a.index - b.index);
  }

  /**
   * CPU seconds the simulated hosts have used so far: utime + stime + cutime + cstime of
   * each host's sshd listener, which reaps every session (and so accounts its rebuilds).
   */
  cpuSeconds(): number {
    let ticks = 0;
    for (const h of this.hosts()) {
      try {
        const stat = readFileSync(`/proc/${h.pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        // host not running
      }
    }
    return ticks / 100; // USER_HZ
  }

  mark(): Mark {
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    return new Map(this.hosts().map((h) => [h.name, { ssh: size(h.logPath), events: size(h.eventsPath) }]));
  }

  /** What each host logged since `mark`. */
  activitySince(mark: Mark): HostActivity[] {
    return this.hosts().map((h) => {
      const from = mark.get(h.name) ?? { ssh: 0, events: 0 };
      const sessions = jsonLines(h.logPath, from.ssh);
      const rebuilds = jsonLines(h.eventsPath, from.events).filter((e) => e.event === "rebuild");
      return {
        host: h.name,
        sessions: sessions.length,
        connections: new Set(sessions.map((s) => s.conn)).size,
        rebuilds: rebuilds.length,
        rebuildSeconds: rebuilds.map((e) => Number(e.seconds)),
        rebuildSpans: rebuilds.map((e) => {
          const end = Date.parse(e.ts);
          return [end - Number(e.seconds) * 1000, end] as [number, number];
        }),
        sessionLog: sessions.map((s) => ({ t: Date.parse(s.ts), conn: String(s.conn), kind: sessionKind(String(s.cmd ?? "")) })),
      };
    });
  }
}

function jsonLines(path: string, offset: number): any[] {
  if (!existsSync(path)) return [];
  const size = statSync(path).size;
  if (size <= offset) return [];
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
}
