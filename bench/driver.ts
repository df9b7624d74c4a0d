/**
 * `make bench` (issue 7): this provider against coalescing off and against
 * the shell loop users write today, on the simulated fleet with a fixed
 * rebuild time R. A benchmark, not a test: it reports the targets, it does
 * not fail on them. Writes .bench/results.json, .bench/results.md,
 * .bench/chart.png and one timestamped log per Pulumi command in .bench/logs/.
 *
 * Environment:
 *   BENCH_SIZES=10x10,20x10,40x5  host×containers sizes of the create scenario (at most 200 hosts)
 *   BENCH_REBUILD_SECONDS=3        R0, every simulated nixos-rebuild takes this long (plus evaluation)
 *   BENCH_SECONDS_PER_CONTAINER=0.3
 *                                  Rc: and this much more per container of the host (R(n) = R0 + n·Rc, as
 *                                  NixOS evaluates every container at every rebuild)
 *   BENCH_VARIANTS=h,f,c           f: NixosFleet (one resource for every host, hosts at once inside its step), Pulumi's
 *                                  defaults; f10: the same with maxParallelHosts 10;
 *                                  h: NixosHost (one resource per host), Pulumi's defaults;
 *                                  a: NixosContainer as designed, Pulumi's default --parallel; a-par: --parallel raised
 *                                  to the number of containers; a-fast: that and PULUMI_SKIP_CHECKPOINTS=true
 *                                  (the engine then stops writing the whole state file before and after
 *                                  every step); b: coalescing off (with the raised --parallel); c: ssh +
 *                                  nixos-rebuild per container. b-default: b with Pulumi's default
 *                                  --parallel (not in the default set: slow).
 *   BENCH_QUICK=1                  sizes 2x2,3x3, R=1: a try-out in about two minutes
 *   BENCH_SUBNET=127.0.150         the fleet's addresses (hosts .11 and up)
 *   BENCH_OUT=<repo>/.bench        where results go
 *   BENCH_CODE=head                the committed provider (compiled into .bench/pkg by scripts/bench.sh);
 *                                  worktree: the current dist/
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { cpus, totalmem, release, hostname } from "node:os";
import { join } from "node:path";
import { BenchFleet, ROOT, type FleetHost, type HostActivity } from "./lib/fleet";
import { BenchProject, BenchStack, type CliRun } from "./lib/pulumi";
import { loadAverage, machineCpu } from "./lib/procs";
import * as baseline from "./baseline";
import { chartFromResults, markdownFromResults, type Results, type RunRecord, type Stat, type Variant } from "./report";

const quick = process.env.BENCH_QUICK === "1";
const R = Number(process.env.BENCH_REBUILD_SECONDS ?? (quick ? 1 : 3));
const RC = Number(process.env.BENCH_SECONDS_PER_CONTAINER ?? (quick ? 0.1 : 0.3));
const SIZES = (process.env.BENCH_SIZES ?? (quick ? "2x2,3x3" : "10x10,20x10,40x5"))
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean)
  .map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s);
    if (!m) throw new Error(`BENCH_SIZES: "${s}" is not HxC`);
    return { hosts: Number(m[1]), perHost: Number(m[2]) };
  })
  .sort((a, b) => a.hosts * a.perHost - b.hosts * b.perHost);
const VARIANTS = (process.env.BENCH_VARIANTS ?? "h,f,c").split(",").map((v) => v.trim()) as Variant[];
const SUBNET = process.env.BENCH_SUBNET ?? "127.0.150";
const OUT = process.env.BENCH_OUT ?? join(ROOT, ".bench");
const BUILD = __dirname; // the compiled bench (.bench/build), wherever the results go
const LOGS = join(OUT, "logs");
/** Pulumi's default --parallel as this CLI states it (v3.248: 4 × GOMAXPROCS, or PULUMI_PARALLEL). */
const DEFAULT_PARALLEL = (() => {
  const help = spawnSync(join(ROOT, ".tools", "bin", "pulumi"), ["up", "--help"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  const m = /--parallel int32\s.*\(default (\d+)\)/.exec(help.stdout ?? "");
  return m ? Number(m[1]) : 4 * cpus().length;
})();

const maxHosts = Math.max(...SIZES.map((s) => s.hosts));
if (maxHosts > 200) throw new Error("at most 200 hosts (tests/hosts/fleet up N: the addresses .11-.210 of the subnet)");

const fleet = new BenchFleet(join(OUT, "fleet"), SUBNET, R, RC);
const project = new BenchProject(join(OUT, "work"), BUILD);

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const stat = (values: number[]): Stat => ({
  max: values.length ? Math.max(...values) : 0,
  mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0,
});
const median = (v: number[]) => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per-round phases from the hosts' session logs: lock → rebuild start, rebuild, rebuild end → release. */
function roundPhases(activity: HostActivity[]) {
  const pre: number[] = [];
  const post: number[] = [];
  for (const a of activity) {
    const locks = a.sessionLog.filter((s) => s.kind === "lock").map((s) => s.t);
    const releases = a.sessionLog.filter((s) => s.kind === "release").map((s) => s.t);
    const rebuildStarts = a.sessionLog.filter((s) => s.kind === "rebuild").map((s) => s.t);
    rebuildStarts.forEach((t, i) => {
      const lock = locks.filter((l) => l <= t).pop();
      if (lock !== undefined) pre.push(t - lock);
      const end = a.rebuildSpans[i]?.[1];
      const rel = releases.find((r) => end !== undefined && r >= end);
      if (end !== undefined && rel !== undefined) post.push(rel - end);
    });
  }
  return { preMs: median(pre), postMs: median(post) };
}

function record(
  base: Pick<RunRecord, "variant" | "scenario" | "hosts" | "perHost"> & { parallel?: number },
  wallMs: number,
  startedAt: number,
  activity: HostActivity[],
  targets: string[],
  connectMs: number,
  extra: Partial<RunRecord> = {},
): RunRecord {
  const touched = activity.filter((a) => targets.includes(a.host));
  const others = activity.filter((a) => !targets.includes(a.host));
  const firstSession = Math.min(...activity.flatMap((a) => a.sessionLog.map((s) => s.t)));
  const lastRebuildEnd = Math.max(...activity.flatMap((a) => a.rebuildSpans.map((s) => s[1])));
  const phases = roundPhases(touched);
  const touchedTimes = touched.flatMap((a) => [...a.sessionLog.map((x) => x.t), ...a.rebuildSpans.map((x) => x[1])]);
  const hostSpanMs = touchedTimes.length ? Math.max(...touchedTimes) - Math.min(...touchedTimes) : undefined;
  return {
    ...base,
    containers: base.hosts * base.perHost,
    ok: true,
    wallS: wallMs / 1000,
    // One round per host, hosts in parallel: R(n) of a full host, plus connecting.
    lowerBoundS: R + RC * base.perHost + connectMs / 1000,
    targetHosts: touched.length,
    sessions: stat(touched.map((a) => a.sessions)),
    connections: stat(touched.map((a) => a.connections)),
    rebuilds: stat(touched.map((a) => a.rebuilds)),
    otherHostsSessions: others.reduce((n, a) => n + a.sessions, 0),
    hostsWithSeveralRebuilds: touched.filter((a) => a.rebuilds > 1).length,
    simRebuildS: stat(touched.flatMap((a) => a.rebuildSeconds)),
    profile: {
      firstSessionS: Number.isFinite(firstSession) ? (firstSession - startedAt) / 1000 : undefined,
      lastRebuildEndS: Number.isFinite(lastRebuildEnd) ? (lastRebuildEnd - startedAt) / 1000 : undefined,
      roundPreS: Number.isNaN(phases.preMs) ? undefined : phases.preMs / 1000,
      roundPostS: Number.isNaN(phases.postMs) ? undefined : phases.postMs / 1000,
      hostSpanS: hostSpanMs !== undefined ? hostSpanMs / 1000 : undefined,
    },
    ...extra,
  };
}

/**
 * The provider's rounds ("<host>: create c01, c02: locking", the live status a round starts
 * with) and their times, from the CLI output. The non-interactive display prints that status
 * on the row of every resource of the round: one round's copies arrive together.
 */
function roundsFromOutput(run: CliRun) {
  const rounds: { t: number; host: string; size: number }[] = [];
  const seen = new Map<string, number>();
  const end = run.lines.findIndex((l) => /^(Diagnostics|Outputs|Resources):/.test(l.text));
  for (const l of end < 0 ? run.lines : run.lines.slice(0, end)) {
    const m = / (\S+): ((?:create|update|delete) [^;:]+(?:; (?:create|update|delete) [^;:]+)*): locking\s*$/.exec(l.text);
    if (!m) continue;
    const key = `${m[1]} ${m[2]}`;
    const last = seen.get(key);
    seen.set(key, l.t);
    if (last !== undefined && l.t - last < 1000) continue;
    const size = m[2].split(";").reduce((n, part) => n + part.trim().split(/\s+/).slice(1).join(" ").split(",").length, 0);
    rounds.push({ t: l.t, host: m[1], size });
  }
  return rounds;
}

function saveLog(name: string, run: CliRun): string {
  mkdirSync(LOGS, { recursive: true });
  const file = join(LOGS, `${name}.log`);
  writeFileSync(file, run.lines.map((l) => `${(l.t / 1000).toFixed(3).padStart(8)} ${l.text}`).join("\n") + "\n");
  return file;
}

function revisionsFor(scenario: string, hosts: FleetHost[]): Record<string, number> {
  const r: Record<string, number> = {};
  if (scenario === "change-one" || scenario === "change-all") r["host1/c01"] = 1;
  if (scenario === "change-all") for (const h of hosts) r[`${h.name}/c02`] = 1;
  return r;
}

/** The fleet variants: one NixosFleet, and its maxParallelHosts. */
const FLEET_LIMITS: Partial<Record<Variant, number | undefined>> = { f: undefined, f10: 10 };
const isFleet = (v: Variant) => v in FLEET_LIMITS;

async function pulumiVariant(variant: Variant, hosts: FleetHost[], perHost: number, connectMs: number, withPreview: boolean): Promise<RunRecord[]> {
  const coalesce = variant === "h" || isFleet(variant) || variant === "a" || variant === "a-par" || variant === "a-fast";
  const parallel = variant === "h" || isFleet(variant) || variant === "a" || variant === "b-default" ? undefined : hosts.length * perHost;
  const frontend = isFleet(variant) ? "fleet" : variant === "h" ? "host" : "container";
  const size = `${hosts.length}x${perHost}`;
  const stack = new BenchStack(project, `${variant}-${size}`, {
    ...(coalesce ? {} : { PULUMI_NIXOS_CONTAINERS_COALESCE: "0" }),
    ...(variant === "a-fast" ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
  });
  const records: RunRecord[] = [];
  const base = { variant, hosts: hosts.length, perHost, parallel: parallel ?? DEFAULT_PARALLEL };
  await stack.init();
  try {
    const steps: { scenario: RunRecord["scenario"]; args: string[]; targets: string[] }[] = [
      { scenario: "create", args: ["up", "--yes", "--skip-preview"], targets: hosts.map((h) => h.name) },
      ...(withPreview ? [{ scenario: "preview" as const, args: ["preview"], targets: [] }] : []),
      // Pulumi's own fixed cost for this stack: an up with nothing to change.
      ...(coalesce ? [{ scenario: "noop-up" as const, args: ["up", "--yes", "--skip-preview"], targets: [] }] : []),
      { scenario: "change-one", args: ["up", "--yes", "--skip-preview"], targets: ["host1"] },
      { scenario: "change-all", args: ["up", "--yes", "--skip-preview"], targets: hosts.map((h) => h.name) },
      { scenario: "destroy", args: ["destroy", "--yes", "--skip-preview"], targets: hosts.map((h) => h.name) },
    ];
    for (const step of steps) {
      const revisions = revisionsFor(step.scenario === "preview" || step.scenario === "noop-up" ? "create" : step.scenario, hosts);
      stack.configure(hosts, perHost, revisions, frontend, FLEET_LIMITS[variant] === undefined ? {} : { maxParallelHosts: FLEET_LIMITS[variant] });
      const args = [...step.args, ...(parallel !== undefined ? ["--parallel", String(parallel)] : [])];
      const mark = fleet.mark();
      const load = loadAverage();
      const hostsCpu0 = fleet.cpuSeconds();
      log(`${variant} ${size} ${step.scenario}: pulumi ${args.join(" ")}`);
      const run = await stack.run(args);
      await new Promise((r) => setTimeout(r, 800)); // let the hosts' loggers flush and sshd reap the sessions
      const activity = fleet.activitySince(mark);
      const logFile = saveLog(`${variant}-${size}-${step.scenario}`, run);
      const rounds = roundsFromOutput(run);
      const rec = record({ ...base, scenario: step.scenario }, run.wallMs, run.startedAt, activity, step.targets, connectMs, {
        providerPeakMb: run.provider ? run.provider.hwmKb / 1024 : undefined,
        providerRssMaxMb: run.provider ? run.provider.rssMaxKb / 1024 : undefined,
        cliCpuS: run.cpuUserS !== undefined ? run.cpuUserS + (run.cpuSysS ?? 0) : undefined,
        hostsCpuS: fleet.cpuSeconds() - hostsCpu0,
        machineBusy: run.machineBusy,
        loadBefore: load,
        log: logFile.replace(`${ROOT}/`, ""),
        roundsSeen: rounds.length,
        roundSpreadS: rounds.length ? (Math.max(...rounds.map((r) => r.t)) - Math.min(...rounds.map((r) => r.t))) / 1000 : undefined,
        firstRoundSpreadS: (() => {
          const first = new Map<string, number>();
          for (const r of rounds) if (!first.has(r.host)) first.set(r.host, r.t);
          const t = [...first.values()];
          return t.length ? (Math.max(...t) - Math.min(...t)) / 1000 : undefined;
        })(),
        firstRoundS: rounds.length ? Math.min(...rounds.map((r) => r.t)) / 1000 : undefined,
        engineDoneS: (() => {
          const l = run.lines.find((x) => /^Resources:/.test(x.text));
          return l ? l.t / 1000 : undefined;
        })(),
      });
      if (step.scenario === "preview" || step.scenario === "noop-up") {
        rec.sessions = stat(activity.map((a) => a.sessions));
        rec.connections = stat(activity.map((a) => a.connections));
        rec.rebuilds = stat(activity.map((a) => a.rebuilds));
        rec.sshConnectionsTotal = activity.reduce((n, a) => n + a.connections, 0);
        rec.targetHosts = activity.length;
      }
      if (run.code !== 0) {
        rec.ok = false;
        rec.error = `exit ${run.code}; see ${rec.log}`;
        log(`  FAILED (${run.code}), see ${rec.log}`);
      }
      log(
        `  ${rec.wallS.toFixed(1)} s; per host: conns ${rec.connections.max}, sessions ${rec.sessions.max}, rebuilds ${rec.rebuilds.max} (mean ${rec.rebuilds.mean.toFixed(2)}); provider peak ${rec.providerPeakMb?.toFixed(0) ?? "?"} MB`,
      );
      records.push(rec);
      if (run.code !== 0 && step.scenario === "create") break;
    }
  } finally {
    await stack.remove().catch(() => undefined);
  }
  return records;
}

async function baselineVariant(hosts: FleetHost[], perHost: number, connectMs: number): Promise<RunRecord[]> {
  const size = `${hosts.length}x${perHost}`;
  const options = { knownHosts: fleet.knownHosts };
  await baseline.prepareHosts(hosts, options);
  const plans: { scenario: RunRecord["scenario"]; plan: Map<FleetHost, baseline.BaselineOp[]>; targets: string[] }[] = [
    { scenario: "create", plan: baseline.createPlan(hosts, perHost, {}), targets: hosts.map((h) => h.name) },
    { scenario: "change-one", plan: baseline.changePlan(hosts, [{ host: 1, k: 1 }], revisionsFor("change-one", hosts)), targets: ["host1"] },
    {
      scenario: "change-all",
      plan: baseline.changePlan(hosts, hosts.map((h) => ({ host: h.index, k: 2 })), revisionsFor("change-all", hosts)),
      targets: hosts.map((h) => h.name),
    },
    { scenario: "destroy", plan: baseline.destroyPlan(hosts, perHost), targets: hosts.map((h) => h.name) },
  ];
  const records: RunRecord[] = [];
  for (const p of plans) {
    const mark = fleet.mark();
    const hostsCpu0 = fleet.cpuSeconds();
    const cpu0 = machineCpu();
    log(`c ${size} ${p.scenario}: ssh + nixos-rebuild switch per container`);
    const startedAt = Date.now();
    const { failures } = await baseline.runBaseline(p.plan, options);
    const wallMs = Date.now() - startedAt;
    const cpu1 = machineCpu();
    await new Promise((r) => setTimeout(r, 800));
    const rec = record({ variant: "c", scenario: p.scenario, hosts: hosts.length, perHost }, wallMs, startedAt, fleet.activitySince(mark), p.targets, connectMs, {
      hostsCpuS: fleet.cpuSeconds() - hostsCpu0,
      machineBusy: (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total),
    });
    if (failures.length > 0) {
      rec.ok = false;
      rec.error = failures.slice(0, 3).join("; ");
      log(`  FAILED: ${rec.error}`);
    }
    log(`  ${rec.wallS.toFixed(1)} s; per host: conns ${rec.connections.max}, rebuilds ${rec.rebuilds.max}`);
    records.push(rec);
  }
  return records;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  project.prepare();
  const started = new Date();
  const results: Results = {
    date: started.toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "?",
      memoryGb: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      hostname: hostname(),
      node: process.version,
      pulumi: readFileSync(join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8").match(/"version":\s*"([^"]+)"/)?.[1] ?? "?",
    },
    code: process.env.BENCH_CODE_REV ?? "?",
    rebuildSeconds: R,
    secondsPerContainer: RC,
    quietMs: Number(process.env.PULUMI_NIXOS_CONTAINERS_QUIET_MS ?? 250),
    defaultParallel: DEFAULT_PARALLEL,
    sizes: SIZES.map((s) => `${s.hosts}x${s.perHost}`),
    variants: VARIANTS,
    connectMs: {},
    runs: [],
  };
  const save = () => {
    results.durationS = (Date.now() - started.getTime()) / 1000;
    writeFileSync(join(OUT, "results.json"), JSON.stringify(results, null, 1) + "\n");
    writeFileSync(join(OUT, "results.md"), markdownFromResults(results));
    if (results.runs.some((r) => r.scenario === "create")) writeFileSync(join(OUT, "chart.png"), chartFromResults(results));
  };
  log(`R(n) = ${R} s + n × ${RC} s, sizes ${results.sizes.join(", ")}, variants ${VARIANTS.join(", ")}, fleet ${SUBNET}.11+ in ${fleet.state}`);
  fleet.down();
  const largest = SIZES[SIZES.length - 1];
  try {
    for (const size of SIZES) {
      const label = `${size.hosts}x${size.perHost}`;
      for (const variant of VARIANTS) {
        fleet.up(size.hosts);
        const hosts = fleet.hosts().slice(0, size.hosts);
        if (results.connectMs[label] === undefined) {
          const times = await baseline.connectTime(hosts[0], { knownHosts: fleet.knownHosts });
          results.connectMs[label] = median(times);
          log(`${label}: ssh connect + trivial command: median ${median(times)} ms (${times.join(", ")})`);
        }
        const connectMs = results.connectMs[label];
        try {
          // preview: NixosContainer at the largest size only (slow); the per-host and fleet resources at every size.
          const withPreview = variant === "a" ? size === largest : variant === "h" || isFleet(variant);
          const records = variant === "c" ? await baselineVariant(hosts, size.perHost, connectMs) : await pulumiVariant(variant, hosts, size.perHost, connectMs, withPreview);
          results.runs.push(...records);
        } catch (e) {
          log(`${variant} ${label}: ${(e as Error).message}`);
          results.runs.push({
            variant, scenario: "create", hosts: size.hosts, perHost: size.perHost, containers: size.hosts * size.perHost, ok: false,
            error: (e as Error).message.slice(0, 500), wallS: NaN, lowerBoundS: R + RC * size.perHost + connectMs / 1000, targetHosts: 0,
            sessions: stat([]), connections: stat([]), rebuilds: stat([]), otherHostsSessions: 0, simRebuildS: stat([]), profile: {},
          });
        } finally {
          fleet.down();
        }
        save();
      }
    }
  } finally {
    fleet.down();
    save();
  }
  log(`done in ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min: ${join(OUT, "results.md")}, ${join(OUT, "chart.png")}, ${join(OUT, "results.json")}`);
}

main().catch((e) => {
  console.error(e);
  try {
    fleet.down();
  } catch {
    // already down
  }
  process.exit(1);
});
