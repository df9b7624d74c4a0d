/**
 * Test helpers for the simulated NixOS fleet (tests/hosts). Each test file
 * brings up its own fleet in its own FLEET_STATE temp dir and loopback subnet,
 * so files can run in parallel and never touch a developer's fleet.
 */
import { spawnSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const FLEET = path.join(__dirname, "fleet");

export interface HostUser {
  privateKeyPath: string;
  passphraseKeyPath?: string;
  passphrase?: string;
  password?: string;
  sudo?: "nopasswd" | "password";
}
export interface ManifestHost {
  name: string;
  index: number;
  address: string;
  port: number;
  hostKey: string;
  hostKeyFingerprint: string;
  knownHostsLine: string;
  users: { root: HostUser; deploy: HostUser };
  stateDir: string;
  logPath: string;
  eventsPath: string;
  pid: number;
  flake: boolean;
}
export interface Manifest {
  hosts: ManifestHost[];
}
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Fleet {
  constructor(
    readonly state: string,
    readonly subnet: string,
  ) {}

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, FLEET_STATE: this.state, FLEET_SUBNET: this.subnet };
  }

  fleet(...args: string[]): RunResult {
    const r = spawnSync(FLEET, args, { env: this.env, encoding: "utf8", timeout: 60000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  must(...args: string[]): string {
    const r = this.fleet(...args);
    if (r.code !== 0) throw new Error(`fleet ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  manifest(): Manifest {
    return JSON.parse(fs.readFileSync(path.join(this.state, "manifest.json"), "utf8"));
  }

  host(i: number): ManifestHost {
    const h = this.manifest().hosts.find((x) => x.index === i);
    if (!h) throw new Error(`no host${i}`);
    return h;
  }

  sshArgs(i: number, user = "root", extra: string[] = []): string[] {
    const h = this.host(i);
    const key = user === "root" ? h.users.root.privateKeyPath : h.users.deploy.privateKeyPath;
    return [
      "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
      "-o", `UserKnownHostsFile=${path.join(this.state, "known_hosts")}`, "-o", "StrictHostKeyChecking=yes",
      "-o", "ConnectTimeout=10", ...extra, `${user}@${h.address}`,
    ];
  }

  /** Run a command on host I over a real SSH connection (OpenSSH client). */
  ssh(i: number, cmd: string, opts: { user?: string; input?: string; timeout?: number } = {}): RunResult {
    const r = spawnSync("ssh", [...this.sshArgs(i, opts.user ?? "root"), cmd], {
      input: opts.input ?? "",
      encoding: "utf8",
      timeout: opts.timeout ?? 60000,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  sshAsync(i: number, cmd: string, opts: { user?: string } = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const p = spawn("ssh", [...this.sshArgs(i, opts.user ?? "root"), cmd], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Run and require exit 0. */
  ok(i: number, cmd: string, opts: { user?: string; input?: string } = {}): string {
    const r = this.ssh(i, cmd, opts);
    if (r.code !== 0) throw new Error(`host${i}: \`${cmd}\` exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  writeFile(i: number, file: string, content: string): void {
    this.ok(i, `mkdir -p "$(dirname '${file}')" && cat > '${file}'`, { input: content });
  }

  /** Write /etc/nixos/pulumi-containers/<name>.nix files and the index importing them. */
  setContainers(i: number, files: Record<string, string>): void {
    const names = Object.keys(files);
    let script = "set -e; d=/etc/nixos/pulumi-containers; mkdir -p $d; rm -f $d/*.nix; ";
    for (const n of names) {
      script += `echo ${Buffer.from(files[n]).toString("base64")} | base64 -d > $d/${n}.nix; `;
    }
    script += `echo '{ imports = [ ${names.map((n) => `./${n}.nix`).join(" ")} ]; }' > $d/default.nix`;
    this.ok(i, script);
  }

  events(i: number): any[] {
    return readJsonl(this.host(i).eventsPath);
  }

  sshLog(i: number): any[] {
    return readJsonl(this.host(i).logPath);
  }

  unitState(i: number, name: string): any {
    const r = this.ssh(i, `cat /run/nixos-containers-sim/${name}.json`);
    return r.code === 0 ? JSON.parse(r.stdout) : null;
  }

  down(): void {
    this.fleet("down");
    fs.rmSync(this.state, { recursive: true, force: true });
  }
}

export function readJsonl(p: string): any[] {
  if (!fs.existsSync(p)) return [];
  return fs
    .readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/**
 * The loopback subnet of a test file's fleet: 127.0.<octet>, or <TEST_SUBNET_BASE>.<octet>, so two
 * checkouts can run their tests side by side (each test file has its own octet).
 */
export function testSubnet(octet: number): string {
  return `${process.env.TEST_SUBNET_BASE ?? "127.0"}.${octet}`;
}

/** Bring up N hosts in a fresh state dir on subnet testSubnet(octet). */
export function startFleet(octet: number, n: number, args: string[] = []): Fleet {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-test-${octet}-`));
  const f = new Fleet(state, testSubnet(octet));
  f.must("up", String(n), ...args);
  return f;
}

/** A container module as the provider would write it. */
export function containerModule(name: string, body: string): string {
  return `{ config, lib, pkgs, ... }:\n{\n  containers."${name}" = {\n${body}\n  };\n}\n`;
}
