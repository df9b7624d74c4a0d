/**
 * Runs the real Pulumi CLI (built into .tools/bin by `make tools`) on a
 * project, offline, with a local file backend of its own.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const TOOLS = join(ROOT, ".tools");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions on what a user sees. */
  all: string;
}

export class PulumiStack {
  readonly backend = mkdtempSync(join(tmpdir(), "pulumi-backend-"));

  constructor(
    readonly projectDir: string,
    readonly stack: string,
    private readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {
    if (!existsSync(join(TOOLS, "bin", "pulumi"))) throw new Error("the Pulumi CLI is missing: run `make tools`");
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      // The Python virtualenv too (tools/pulumi/env.sh): the Python language host runs the first python3 on PATH.
      PATH: `${join(TOOLS, "bin")}:${join(TOOLS, "python-venv", "bin")}:${process.env.PATH}`,
      PULUMI_HOME: join(TOOLS, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_NIXOS_CONTAINERS_QUIET_MS: "150",
      NO_COLOR: "1",
      ...this.extraEnv,
    };
  }

  run(args: string[], options: { timeoutMs?: number } = {}): CliResult {
    const r = spawnSync(join(TOOLS, "bin", "pulumi"), [...args, "--non-interactive", "--color", "never"], {
      cwd: this.projectDir,
      env: this.env,
      encoding: "utf8",
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "", all: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  }

  /** `pulumi up` without blocking the event loop, so two can run at once. */
  upAsync(...extra: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      const p = spawn(join(TOOLS, "bin", "pulumi"), ["up", "--yes", "--skip-preview", "--stack", this.stack, "--non-interactive", "--color", "never", ...extra], {
        cwd: this.projectDir,
        env: this.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, all: stdout + stderr }));
    });
  }

  /** `pulumi config set`, the value through stdin (a private key starts with "-" and spans lines). */
  setConfig(key: string, value: string, secret = false): void {
    const r = spawnSync(join(TOOLS, "bin", "pulumi"), ["config", "set", "--stack", this.stack, "--raw", ...(secret ? ["--secret"] : []), key, "--non-interactive"], {
      cwd: this.projectDir,
      env: this.env,
      input: value,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`pulumi config set ${key} failed: ${r.stderr}`);
  }

  must(args: string[]): CliResult {
    const r = this.run(args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.all}`);
    return r;
  }

  init(): void {
    this.must(["stack", "init", this.stack]);
  }

  up(...extra: string[]): CliResult {
    return this.run(["up", "--yes", "--skip-preview", "--stack", this.stack, ...extra]);
  }

  preview(...extra: string[]): CliResult {
    return this.run(["preview", "--stack", this.stack, ...extra]);
  }

  outputs(): Record<string, any> {
    return JSON.parse(this.must(["stack", "output", "--json", "--stack", this.stack]).stdout);
  }

  exportState(): string {
    return this.must(["stack", "export", "--stack", this.stack]).stdout;
  }

  /** Destroys the stack, removes it and its backend, and the project's Pulumi.<stack>.yaml. */
  dispose(): void {
    this.run(["destroy", "--yes", "--stack", this.stack]);
    this.remove();
    rmSync(join(this.projectDir, `Pulumi.${this.stack}.yaml`), { force: true });
  }

  remove(): void {
    this.run(["stack", "rm", "--yes", "--force", "--stack", this.stack]);
    rmSync(this.backend, { recursive: true, force: true });
  }
}

/** The `Diagnostics:` block of a run: each resource header with the lines under it. */
export function diagnostics(output: string): Map<string, string[]> {
  const block = /\nDiagnostics:\n([\s\S]*?)\n(?:Outputs:|Resources:)/.exec(output)?.[1] ?? "";
  const byResource = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of block.split("\n")) {
    const header = /^  (\S.*):$/.exec(line);
    if (header) byResource.set(header[1], (current = []));
    else if (line.trim() !== "") current?.push(line.trim());
  }
  return byResource;
}
