/**
 * The `nixos-containers ls` benchmark (issue 13): H hosts x C containers
 * (default 20x10), after a real `pulumi up` of the benchmark program. It
 * measures, as medians of BENCH_LS_SAMPLES runs (default 5):
 *   - `ls --json` wall time, as a user runs it (it reads the stack, then the hosts);
 *   - the stack read alone (`pulumi stack export --show-secrets`);
 *   - one SSH round trip (`ssh host true`, connection setup + a trivial command);
 * and, from the hosts' session logs, the SSH connections and commands per host
 * of one `ls` (the target: 1 and 1). The target: ls = stack read + about one round trip.
 *
 * Run (root, after `make setup build`; compiles like scripts/bench.sh does):
 *   npx tsc -p bench/tsconfig.json && node .bench/build/ls.js
 * Knobs: BENCH_LS_SIZE (HxC, default 20x10), BENCH_LS_SAMPLES, BENCH_SUBNET (default 127.0.152),
 * BENCH_OUT (default .bench; results in <out>/ls-results.json and ls-results.md).
 * The CLI under test is the package the bench program uses (.bench/node_modules/pulumi-nixos-containers,
 * set up by scripts/bench.sh; without it, the repository's dist/).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { connectTime } from "./baseline";
import { BenchFleet, ROOT } from "./lib/fleet";
import { BenchProject, BenchStack } from "./lib/pulumi";

const OUT = process.env.BENCH_OUT ?? join(ROOT, ".bench");
const BUILD = __dirname;
const [HOSTS, PER_HOST] = (process.env.BENCH_LS_SIZE ?? "20x10").split("x").map(Number);
const SAMPLES = Number(process.env.BENCH_LS_SAMPLES ?? 5);
const SUBNET = process.env.BENCH_SUBNET ?? "127.0.152";

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function log(message: string): void {
  process.stdout.write(`[bench-ls ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The CLI of the package the program runs against. */
function cliPath(): string {
  const pkg = join(BUILD, "..", "node_modules", "pulumi-nixos-containers");
  const root = existsSync(join(pkg, "dist")) ? realpathSync(pkg) : ROOT;
  return join(root, "dist", "provider", "cli", "main.js");
}

function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ ms: Date.now() - started, code: code ?? -1, stdout, stderr }));
  });
}

const lines = (path: string): any[] =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  rmSync(join(OUT, "ls-work"), { recursive: true, force: true }); // the stack of an earlier run
  const fleet = new BenchFleet(join(OUT, "ls-fleet"), SUBNET, 0);
  const project = new BenchProject(join(OUT, "ls-work"), BUILD);
  project.prepare();
  const stack = new BenchStack(project, "ls");
  try {
    log(`fleet: ${HOSTS} hosts on ${SUBNET}`);
    fleet.up(HOSTS);
    const hosts = fleet.hosts().slice(0, HOSTS);
    await stack.init();
    stack.configure(hosts, PER_HOST, {});
    log(`pulumi up: ${HOSTS * PER_HOST} containers`);
    await stack.mustRun(["up", "--yes", "--skip-preview", "--parallel", String(HOSTS * PER_HOST)]);

    const env = project.env({ PULUMI_CLI: join(ROOT, ".tools", "bin", "pulumi") });
    const cwd = project.projectDir;
    const exportMs: number[] = [];
    const lsMs: number[] = [];
    const hostCpuS: number[] = [];
    const cliCpuS: number[] = [];
    let perHost: { connections: number; sessions: number }[] = [];
    let listed = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const e = await timed(join(ROOT, ".tools", "bin", "pulumi"), ["stack", "export", "--show-secrets", "--stack", "ls"], cwd, env);
      if (e.code !== 0) throw new Error(`pulumi stack export failed: ${e.stderr}`);
      exportMs.push(e.ms);
      const before = hosts.map((h) => lines(h.logPath).length);
      const hostCpu0 = fleet.cpuSeconds();
      const timeFile = join(OUT, "ls-time.txt");
      const r = await timed("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, process.execPath, cliPath(), "ls", "--json", "--stack", "ls"], cwd, env);
      if (r.code !== 0) throw new Error(`nixos-containers ls failed (${r.code}): ${r.stderr}`);
      lsMs.push(r.ms);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the hosts' sshd reap the closed sessions
      hostCpuS.push(fleet.cpuSeconds() - hostCpu0);
      // The CLI's own CPU (with its child `pulumi stack export`).
      cliCpuS.push(readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number).reduce((a, b) => a + b, 0));
      listed = JSON.parse(r.stdout).filter((row: { status: string }) => row.status === "up").length;
      perHost = hosts.map((h, k) => {
        const sessions = lines(h.logPath).slice(before[k]);
        return { connections: new Set(sessions.map((s) => s.conn)).size, sessions: sessions.length };
      });
    }
    const rtt = await connectTime(hosts[0], { knownHosts: fleet.knownHosts });
    const results = {
      size: `${HOSTS}x${PER_HOST}`,
      containersUp: listed,
      lsMs: median(lsMs),
      stackExportMs: median(exportMs),
      sshRoundTripMs: median(rtt),
      overheadMs: median(lsMs) - median(exportMs),
      maxConnectionsPerHost: Math.max(...perHost.map((p) => p.connections)),
      maxSessionsPerHost: Math.max(...perHost.map((p) => p.sessions)),
      hostsCpuS: median(hostCpuS),
      cliCpuS: median(cliCpuS),
      cpus: cpus().length,
      samples: { lsMs, exportMs, rttMs: rtt, hostCpuS, cliCpuS },
    };
    writeFileSync(join(OUT, "ls-results.json"), JSON.stringify(results, null, 2) + "\n");
    const md = [
      `## nixos-containers ls, ${results.size} (${listed} containers up)`,
      "",
      "| | median ms |",
      "| --- | --- |",
      `| \`ls --json\` (stack read + hosts) | ${results.lsMs} |`,
      `| stack read alone (\`pulumi stack export --show-secrets\`) | ${results.stackExportMs} |`,
      `| ls minus the stack read | ${results.overheadMs} |`,
      `| one SSH round trip (\`ssh host true\`) | ${results.sshRoundTripMs} |`,
      "",
      `CPU per ls: ${results.hostsCpuS.toFixed(2)} s on the simulated hosts (sshd, the session, the script and the Python stand-ins of systemctl and machinectl), ` +
        `${results.cliCpuS.toFixed(2)} s in the CLI and its \`pulumi stack export\`; on ${results.cpus} CPUs that alone is at least ` +
        `${((results.hostsCpuS + results.cliCpuS) / results.cpus).toFixed(2)} s of wall time.`,
      "",
      `Per host and ls: at most ${results.maxConnectionsPerHost} SSH connection(s) and ${results.maxSessionsPerHost} command(s) (target: 1 and 1).`,
      "",
    ].join("\n");
    writeFileSync(join(OUT, "ls-results.md"), md);
    process.stdout.write("\n" + md);
  } finally {
    await stack.run(["destroy", "--yes"], { sample: false }).catch(() => undefined);
    fleet.down();
  }
}

main().catch((e) => {
  process.stderr.write(`bench-ls: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
