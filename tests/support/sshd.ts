/**
 * A throwaway, real OpenSSH server for tests.
 *
 * `TestSshd.start()` runs `/usr/sbin/sshd -D -e -f <config>` on a loopback
 * address and a free port, with its own ed25519 host key, its own
 * authorized_keys files and its own log file. It runs in a private mount
 * namespace (`unshare -m`) where /etc/passwd, /etc/shadow, /etc/group,
 * /etc/sudoers and /etc/pam.d/sshd are bind-mounted from the test's temp dir,
 * so tests get a root password, extra users (`deploy`, ...) and sudo rules
 * without changing anything in the machine's /etc. /run is a private tmpfs
 * there (sshd needs /run/sshd; sudo keeps its timestamps in /run/sudo).
 *
 * Every process is tracked by pid; `stop()` kills the listener and all of its
 * descendants (the per-connection sshd processes and their sessions) by pid.
 * Needs root (CAP_SYS_ADMIN for the namespace), as the tests and CI run.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";

const SSHD = "/usr/sbin/sshd";

export interface SshdUser {
  /** Login name; `root` is always there (uid 0), other names get uid 2000+. */
  name: string;
  /** Sets the account password (inside the namespace only). */
  password?: string;
  /** OpenSSH public key lines accepted for this user. */
  authorizedKeys?: string[];
  /** sudo rule: `nopasswd` (NOPASSWD: ALL), `password` (ALL, asks the password), or none. */
  sudo?: "nopasswd" | "password";
}

export interface SshdOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  address?: string;
  users?: SshdUser[];
  passwordAuthentication?: boolean;
  kbdInteractiveAuthentication?: boolean;
  allowTcpForwarding?: boolean;
  maxSessions?: number;
  /** sshd LogLevel (default VERBOSE). DEBUG1 also proves that no auth request arrived, but it leaks debug lines into sessions' stderr. */
  logLevel?: string;
  /** Extra lines for sshd_config. */
  extraConfig?: string[];
  /** Prefix for the temp dir name. */
  name?: string;
  /** Host key types, the first one is `hostKeyLine` (default: ed25519 only). */
  hostKeyTypes?: Array<"ed25519" | "ecdsa" | "rsa">;
}

export interface KeyPair {
  privateKey: string;
  publicKey: string;
  privateKeyPath: string;
  publicKeyPath: string;
}

/** Generates a key with ssh-keygen. `format: "PEM"` writes the legacy PEM (PKCS#1 / SEC1) format. */
export function generateKeyPair(
  dir: string,
  name: string,
  opts: { type?: "ed25519" | "rsa" | "ecdsa"; passphrase?: string; format?: "openssh" | "PEM"; comment?: string } = {},
): KeyPair {
  const file = path.join(dir, name);
  const args = ["-q", "-t", opts.type ?? "ed25519", "-N", opts.passphrase ?? "", "-C", opts.comment ?? name, "-f", file];
  if (opts.type === "rsa") args.push("-b", "2048");
  if (opts.format === "PEM") args.push("-m", "PEM");
  run("ssh-keygen", args);
  return {
    privateKey: fs.readFileSync(file, "utf8"),
    publicKey: fs.readFileSync(file + ".pub", "utf8").trim(),
    privateKeyPath: file,
    publicKeyPath: file + ".pub",
  };
}

/** `ssh-keygen -lf` of a public key file: "256 SHA256:... comment (ED25519)". */
export function sshKeygenFingerprint(publicKeyPath: string): string {
  return run("ssh-keygen", ["-lf", publicKeyPath]).trim();
}

/** A port nobody listens on right now (bound and released). */
export async function freePort(address = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, address, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755); // non-root users' sshd children must read authorized_keys below it
  return dir;
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** All descendants of `pid`, found by scanning /proc/<n>/stat for parent pids. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(rest[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

// nodelay: wrong-password tests need not wait out pam_unix's 2 s failure delay.
const PAM_SSHD = [
  "auth required pam_unix.so nodelay",
  "account required pam_unix.so",
  "session required pam_permit.so",
  "password required pam_deny.so",
  "",
].join("\n");

export class TestSshd {
  private constructor(
    readonly dir: string,
    readonly address: string,
    readonly port: number,
    readonly pid: number,
    readonly logPath: string,
    readonly hostKeyLine: string,
    readonly hostKeyPath: string,
    /** Every host key, by type (`ed25519`, `ecdsa`, `rsa`): public key line and file. */
    readonly hostKeys: Record<string, { line: string; path: string }>,
  ) {}

  /** The presented host key's SHA256 fingerprint, as `ssh-keygen -lf` prints it. */
  get hostKeyFingerprint(): string {
    const blob = Buffer.from(this.hostKeyLine.split(/\s+/)[1], "base64");
    return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
  }

  /** A known_hosts line for this server (`[addr]:port keytype base64`). */
  get knownHostsLine(): string {
    const [type, b64] = this.hostKeyLine.split(/\s+/);
    return `[${this.address}]:${this.port} ${type} ${b64}`;
  }

  static async start(opts: SshdOptions = {}): Promise<TestSshd> {
    const address = opts.address ?? "127.0.0.1";
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort(address);
      try {
        return await TestSshd.startOn(address, port, opts);
      } catch (e) {
        lastError = e;
        if (!String(e).includes("Address already in use")) throw e;
      }
    }
    throw lastError;
  }

  private static async startOn(address: string, port: number, opts: SshdOptions): Promise<TestSshd> {
    const dir = makeTempDir(opts.name ?? "sshd");
    const etc = path.join(dir, "etc");
    const keysDir = path.join(dir, "authorized_keys");
    const homes = path.join(dir, "home");
    for (const d of [etc, keysDir, homes, path.join(dir, "lectured")]) fs.mkdirSync(d, { mode: 0o755 });

    const hostKeys: Record<string, { line: string; path: string }> = {};
    for (const type of opts.hostKeyTypes ?? ["ed25519"]) {
      const file = path.join(dir, `ssh_host_${type}_key`);
      run("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `test-sshd-${port}`, "-f", file]);
      hostKeys[type] = { line: fs.readFileSync(file + ".pub", "utf8").trim(), path: file };
    }
    const first = hostKeys[(opts.hostKeyTypes ?? ["ed25519"])[0]];
    const hostKeyPath = first.path;
    const hostKeyLine = first.line;

    // passwd/shadow/group/sudoers: the machine's own, plus the test's users.
    let passwd = fs.readFileSync("/etc/passwd", "utf8");
    let shadow = fs.readFileSync("/etc/shadow", "utf8");
    let group = fs.readFileSync("/etc/group", "utf8");
    const sudoers = [
      "Defaults env_reset",
      "Defaults use_pty",
      'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
      "root ALL=(ALL:ALL) ALL",
    ];
    const users = opts.users ?? [{ name: "root" }];
    let uid = 2000;
    for (const u of users) {
      if (u.name !== "root") {
        const home = path.join(homes, u.name);
        fs.mkdirSync(home, { mode: 0o755 });
        fs.chownSync(home, uid, uid);
        passwd = ensureNl(passwd) + `${u.name}:x:${uid}:${uid}::${home}:/bin/sh\n`;
        group = ensureNl(group) + `${u.name}:x:${uid}:\n`;
        shadow = ensureNl(shadow) + `${u.name}:*:20000:0:99999:7:::\n`;
        uid++;
      }
      if (u.password !== undefined) {
        const hash = run("openssl", ["passwd", "-6", "-stdin"], u.password + "\n").trim();
        shadow = shadow
          .split("\n")
          .map((line) => (line.startsWith(`${u.name}:`) ? [u.name, hash, ...line.split(":").slice(2)].join(":") : line))
          .join("\n");
      }
      if (u.sudo === "nopasswd") sudoers.push(`${u.name} ALL=(ALL) NOPASSWD: ALL`);
      if (u.sudo === "password") sudoers.push(`${u.name} ALL=(ALL) ALL`);
      fs.writeFileSync(path.join(keysDir, u.name), (u.authorizedKeys ?? []).join("\n") + "\n", { mode: 0o644 });
    }
    fs.writeFileSync(path.join(etc, "passwd"), passwd, { mode: 0o644 });
    fs.writeFileSync(path.join(etc, "shadow"), shadow, { mode: 0o640 });
    fs.writeFileSync(path.join(etc, "group"), group, { mode: 0o644 });
    fs.writeFileSync(path.join(etc, "sudoers"), sudoers.join("\n") + "\n", { mode: 0o440 });
    fs.writeFileSync(path.join(etc, "pam-sshd"), PAM_SSHD, { mode: 0o644 });
    fs.writeFileSync(path.join(etc, "pam-sudo"), PAM_SSHD, { mode: 0o644 });

    const yes = (b: boolean | undefined, dflt: boolean) => ((b ?? dflt) ? "yes" : "no");
    const config = [
      `ListenAddress ${address}:${port}`,
      ...Object.values(hostKeys).map((k) => `HostKey ${k.path}`),
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${keysDir}/%u`,
      "StrictModes no",
      "UsePAM yes",
      "PermitRootLogin yes",
      "PubkeyAuthentication yes",
      `PasswordAuthentication ${yes(opts.passwordAuthentication, true)}`,
      `KbdInteractiveAuthentication ${yes(opts.kbdInteractiveAuthentication, false)}`,
      `AllowTcpForwarding ${yes(opts.allowTcpForwarding, true)}`,
      `MaxSessions ${opts.maxSessions ?? 10}`,
      "MaxStartups 100:30:200",
      `LogLevel ${opts.logLevel ?? "VERBOSE"}`,
      "PrintMotd no",
      "UseDNS no",
      "Subsystem sftp internal-sftp",
      ...(opts.extraConfig ?? []),
      "",
    ].join("\n");
    const configPath = path.join(dir, "sshd_config");
    fs.writeFileSync(configPath, config);

    const mounts = [
      "mount -t tmpfs -o mode=0755 tmpfs /run",
      "mkdir -m 0755 /run/sshd",
      `mount --bind ${etc}/passwd /etc/passwd`,
      `mount --bind ${etc}/shadow /etc/shadow`,
      `mount --bind ${etc}/group /etc/group`,
      `mount --bind ${etc}/sudoers /etc/sudoers`,
      `mount --bind ${etc}/pam-sshd /etc/pam.d/sshd`,
      `mount --bind ${etc}/pam-sudo /etc/pam.d/sudo`,
      `if [ -d /var/lib/sudo/lectured ]; then mount --bind ${dir}/lectured /var/lib/sudo/lectured; fi`,
      // Sessions as root would run the machine's own ~/.bashrc (bash reads it for SSH commands):
      // on this kind of machine that runs `pyenv rehash`, which serialises on a lock file and,
      // when an earlier rehash was killed, waits 60 s per session. A plain root, as on a server.
      `if [ -f /root/.bashrc ]; then : > ${dir}/empty-bashrc && mount --bind ${dir}/empty-bashrc /root/.bashrc; fi`,
      `exec ${SSHD} -D -e -f ${configPath}`,
    ].join(" && ");

    const logPath = path.join(dir, "sshd.log");
    const logFd = fs.openSync(logPath, "a");
    const child = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", mounts], {
      stdio: ["ignore", logFd, logFd],
    });
    fs.closeSync(logFd);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error("could not spawn unshare/sshd");
    let exited = false;
    child.once("exit", () => (exited = true));

    const server = new TestSshd(dir, address, port, pid, logPath, hostKeyLine, hostKeyPath, hostKeys);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const log = server.log();
      if (log.includes(`Server listening on ${address} port ${port}`)) return server;
      if (exited) throw new Error(`sshd exited at start:\n${log}`);
      await sleep(25);
    }
    await server.stop();
    throw new Error(`sshd did not start within 10 s:\n${server.log()}`);
  }

  log(): string {
    try {
      return fs.readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  /** Lines of the log written after `mark` (a length returned by `logMark()`). */
  logSince(mark: number): string {
    return this.log().slice(mark);
  }

  logMark(): number {
    return this.log().length;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 5000, since = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.logSince(since);
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`sshd log did not match ${pattern} within ${timeoutMs} ms:\n${text}`);
      await sleep(25);
    }
  }

  /** Successful logins so far (`Accepted <method> for <user>` lines). */
  acceptedLogins(since = 0): string[] {
    return this.logSince(since)
      .split("\n")
      .filter((l) => /Accepted \S+ for /.test(l));
  }

  /** Pids of the per-connection sshd processes (direct children of the listener). */
  connectionPids(): number[] {
    const all = descendantPids(this.pid);
    return all.filter((p) => {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === this.pid;
      } catch {
        return false;
      }
    });
  }

  /** Kills one connection's sshd process tree by pid (simulates a dropped connection). */
  dropConnection(pid: number): void {
    for (const p of [...descendantPids(pid).reverse(), pid]) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }

  async stop(): Promise<void> {
    const pids = [...descendantPids(this.pid).reverse(), this.pid];
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + 5000;
    while (pids.some(pidAlive) && Date.now() < deadline) await sleep(20);
    if (process.env.KEEP_SSHD_DIRS !== "1") fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function ensureNl(s: string): string {
  return s.endsWith("\n") || s === "" ? s : s + "\n";
}

/** A real ssh-agent on its own socket; stop() kills it by pid. */
export class TestAgent {
  private constructor(
    readonly socket: string,
    readonly pid: number,
  ) {}

  static start(dir: string): TestAgent {
    const socket = path.join(dir, "agent.sock");
    // -s prints sh commands including SSH_AGENT_PID; the agent forks and the parent exits.
    const out = run("ssh-agent", ["-s", "-a", socket]);
    const m = /SSH_AGENT_PID=(\d+)/.exec(out);
    if (!m) throw new Error(`cannot read ssh-agent pid from: ${out}`);
    return new TestAgent(socket, Number(m[1]));
  }

  add(privateKeyPath: string): void {
    const r = spawnSync("ssh-add", [privateKeyPath], {
      env: { ...process.env, SSH_AUTH_SOCK: this.socket },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`ssh-add failed: ${r.stderr}`);
  }

  async stop(): Promise<void> {
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 3000;
    while (pidAlive(this.pid) && Date.now() < deadline) await sleep(20);
  }
}
