/**
 * Runs the real Pulumi CLI (.tools/bin, offline, local file backend) on the
 * benchmark program, asynchronously so that the provider process can be
 * sampled while it runs. Every output line is kept with the time it arrived
 * (for profiling), and the CLI runs under /usr/bin/time for the CPU time
 * of its whole process tree.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as YAML from "yaml";
import { ROOT, type FleetHost } from "./fleet";
import { DescendantMemorySampler, machineCpu, type ProcessPeak } from "./procs";

const TOOLS = join(ROOT, ".tools");
/** `node <…>/@pulumi/pulumi/cmd/dynamic-provider[/index.js]`, not the `node -e require.resolve(…)` before it. */
export const isDynamicProvider = (cmd: string) => /^\S*node\s+\/\S*\/cmd\/dynamic-provider(\/index\.js)?(\s|$)/.test(cmd);

export interface TimedLine {
  /** ms since the command started */
  t: number;
  text: string;
}

export interface CliRun {
  code: number;
  wallMs: number;
  startedAt: number;
  lines: TimedLine[];
  provider?: ProcessPeak;
  /** CPU seconds of the CLI's process tree (CLI, language host, program, provider). */
  cpuUserS?: number;
  cpuSysS?: number;
  /** Share of the machine's CPUs busy during the run (all processes). */
  machineBusy: number;
}

export class BenchProject {
  readonly projectDir: string;
  readonly backend: string;

  constructor(
    readonly workDir: string,
    readonly buildDir: string,
  ) {
    this.projectDir = join(buildDir, "program");
    this.backend = join(workDir, "backend");
  }

  /**
   * Pulumi.yaml next to the compiled program. The package itself is visible to the program
   * and to the provider process (whose cwd is the project) through
   * .bench/node_modules/pulumi-nixos-containers, which scripts/bench.sh points at the frozen
   * build in .bench/pkg; without it, at the repository.
   */
  prepare(): void {
    mkdirSync(this.backend, { recursive: true });
    copyFileSync(join(ROOT, "bench", "program", "Pulumi.yaml"), join(this.projectDir, "Pulumi.yaml"));
    const modules = join(this.buildDir, "..", "node_modules");
    mkdirSync(modules, { recursive: true });
    const link = join(modules, "pulumi-nixos-containers");
    if (!existsSync(link)) symlinkSync(ROOT, link);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${join(TOOLS, "bin")}:${process.env.PATH}`,
      PULUMI_HOME: join(TOOLS, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
      ...extra,
    };
  }
}

export class BenchStack {
  constructor(
    readonly project: BenchProject,
    readonly name: string,
    readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {}

  private get configFile(): string {
    return join(this.project.projectDir, `Pulumi.${this.name}.yaml`);
  }

  async init(): Promise<void> {
    rmSync(this.configFile, { force: true });
    await this.mustRun(["stack", "init"]);
  }

  /**
   * The hosts (from the fleet manifest), containers per host, per-container revisions, the
   * resources the program makes (bench/program), and more program config (`extra`: a fleet's
   * maxParallelHosts, health checks), each as nixos-bench:<key>.
   */
  configure(hosts: FleetHost[], perHost: number, revisions: Record<string, number>, frontend: "container" | "host" | "fleet" = "container", extra: Record<string, unknown> = {}): void {
    const doc = (existsSync(this.configFile) ? YAML.parse(readFileSync(this.configFile, "utf8")) : {}) ?? {};
    const entries = Object.fromEntries(
      hosts.map((h) => [h.name, { host: h.address, port: h.port, user: "root", hostKey: h.hostKey, privateKeyFile: h.privateKeyPath }]),
    );
    doc.config = {
      "nixos-bench:hosts": entries,
      "nixos-bench:containersPerHost": perHost,
      "nixos-bench:revisions": revisions,
      "nixos-bench:frontend": frontend,
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`nixos-bench:${k}`, v])),
    };
    writeFileSync(this.configFile, YAML.stringify(doc));
  }

  async mustRun(args: string[]): Promise<CliRun> {
    const r = await this.run(args, { sample: false });
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.lines.map((l) => l.text).join("\n").slice(-4000)}`);
    return r;
  }

  /** One CLI command; `sample` follows the dynamic provider's memory. */
  run(args: string[], options: { sample?: boolean; timeoutMs?: number } = {}): Promise<CliRun> {
    const timeFile = join(this.project.workDir, `time.${process.pid}.txt`);
    rmSync(timeFile, { force: true });
    const full = [...args, "--stack", this.name, "--non-interactive", "--color", "never"];
    const cpu0 = machineCpu();
    const startedAt = Date.now();
    const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, join(TOOLS, "bin", "pulumi"), ...full], {
      cwd: this.project.projectDir,
      env: this.project.env(this.extraEnv),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const sampler = options.sample === false ? undefined : new DescendantMemorySampler(child.pid!, isDynamicProvider, 100).start();
    const lines: TimedLine[] = [];
    const collect = (stream: NodeJS.ReadableStream) => {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const t = Date.now() - startedAt;
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        for (const text of parts) lines.push({ t, text });
      });
      stream.on("end", () => {
        if (rest) lines.push({ t: Date.now() - startedAt, text: rest });
      });
    };
    collect(child.stdout!);
    collect(child.stderr!);
    const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 30 * 60_000);
    return new Promise((resolve) => {
      child.on("close", (code) => {
        clearTimeout(timer);
        const wallMs = Date.now() - startedAt;
        const cpu1 = machineCpu();
        const peaks = sampler?.stop() ?? [];
        let cpuUserS: number | undefined;
        let cpuSysS: number | undefined;
        if (existsSync(timeFile)) {
          const m = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(readFileSync(timeFile, "utf8"));
          if (m) [cpuUserS, cpuSysS] = [Number(m[1]), Number(m[2])];
          rmSync(timeFile, { force: true });
        }
        resolve({
          code: code ?? -1,
          wallMs,
          startedAt,
          lines,
          provider: peaks.sort((a, b) => b.hwmKb - a.hwmKb)[0],
          cpuUserS,
          cpuSysS,
          machineBusy: (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total),
        });
      });
    });
  }

  async remove(): Promise<void> {
    await this.run(["stack", "rm", "--yes", "--force"], { sample: false });
    rmSync(this.configFile, { force: true });
  }
}
