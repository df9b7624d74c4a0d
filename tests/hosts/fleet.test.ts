/**
 * The fleet itself: manifest, logins (keys, passphrase, password, sudo), ssh2
 * exec + sftp through the logging ForceCommand, jump host, reboots, knobs that
 * act on connections and disks, flake hosts (G.1), and isolation from the machine.
 */
import * as fs from "fs";
import * as path from "path";
import { Client, ClientChannel, SFTPWrapper } from "ssh2";
import { Fleet, startFleet, containerModule, FLEET } from "./helpers";

let f: Fleet;
beforeAll(() => {
  f = startFleet(113, 3, ["--flake-hosts", "3"]);
});
afterAll(() => f?.down());

function connect(i: number, opts: Record<string, unknown>, sock?: any): Promise<Client> {
  const h = f.host(i);
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on("ready", () => resolve(c)).on("error", reject);
    c.connect({
      host: h.address, port: 22, readyTimeout: 10000, sock,
      hostVerifier: (key: Buffer) => key.toString("base64") === h.hostKey.split(" ")[1],
      ...opts,
    });
  });
}

function exec(c: Client, cmd: string, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    c.exec(cmd, (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(err);
      let stdout = "";
      let stderr = "";
      let code: number | null = null;
      ch.on("data", (d: Buffer) => (stdout += d)).stderr.on("data", (d: Buffer) => (stderr += d));
      ch.on("exit", (c2: number | null) => (code = c2));
      ch.on("close", () => resolve({ code, stdout, stderr }));
      if (input !== undefined) ch.end(input);
    });
  });
}

const rootKey = () => fs.readFileSync(f.host(1).users.root.privateKeyPath);

describe("fleet up / manifest", () => {
  test("manifest lists every host with keys, users, logs; known_hosts is ready", () => {
    const m = f.manifest();
    expect(m.hosts.map((h) => [h.name, h.address, h.port])).toEqual([
      ["host1", `${f.subnet}.11`, 22], ["host2", `${f.subnet}.12`, 22], ["host3", `${f.subnet}.13`, 22]]);
    for (const h of m.hosts) {
      expect(h.hostKey).toMatch(/^ssh-ed25519 AAAA/);
      expect(h.hostKeyFingerprint).toMatch(/^SHA256:/);
      expect(h.knownHostsLine).toBe(`${h.address} ${h.hostKey}`);
      expect(fs.existsSync(h.users.root.privateKeyPath)).toBe(true);
      expect(h.users.root.passphrase).toBeTruthy();
      expect(h.users.deploy.password).toBeTruthy();
      expect(h.pid).toBeGreaterThan(1);
    }
    expect(m.hosts.map((h) => h.users.deploy.sudo)).toEqual(["nopasswd", "password", "nopasswd"]);
    expect(new Set(m.hosts.map((h) => h.hostKey)).size).toBe(3);
    const kh = fs.readFileSync(path.join(f.state, "known_hosts"), "utf8");
    for (const h of m.hosts) expect(kh).toContain(h.knownHostsLine);
  });

  test("up is idempotent: running hosts are left alone", () => {
    const pids = f.manifest().hosts.map((h) => h.pid);
    const out = f.must("up", "3");
    expect(out).toContain("ssh -i");
    expect(f.manifest().hosts.map((h) => h.pid)).toEqual(pids);
    expect(f.must("status")).toMatch(new RegExp(`host3\\s+${f.subnet.replaceAll(".", "\\.")}\\.13\\s+up .* flake`));
  });

  test("each host has its own hostname, /etc and NixOS layout; the machine's own /etc is untouched", () => {
    expect(f.ok(1, "hostname")).toBe("host1\n");
    expect(f.ok(2, "hostname")).toBe("host2\n");
    expect(f.ok(2, "grep -c deploy /etc/passwd; test -d /etc/nixos && echo nixos")).toBe("1\nnixos\n");
    expect(fs.existsSync("/etc/nixos")).toBe(false);
    expect(fs.readFileSync("/etc/passwd", "utf8")).not.toMatch(/^deploy:/m);
    expect(fs.existsSync("/var/lib/nixos-containers")).toBe(false);
    expect(fs.existsSync("/run/current-system")).toBe(false);
    f.ok(1, "echo one > /etc/nixos/marker");
    expect(f.ssh(2, "test -e /etc/nixos/marker").code).toBe(1);
  });

  test("PATH has /run/current-system/sw/bin first; the standard tools work", () => {
    expect(f.ok(1, "echo $PATH").startsWith("/run/current-system/sw/bin:")).toBe(true);
    expect(f.ok(1, "command -v nixos-rebuild nixos-container systemctl")).toBe(
      "/run/current-system/sw/bin/nixos-rebuild\n/run/current-system/sw/bin/nixos-container\n/run/current-system/sw/bin/systemctl\n");
    expect(f.ok(1, "for t in sh cat mv sync sha256sum flock git nix-instantiate base64; do command -v $t >/dev/null || echo missing $t; done; echo done")).toBe("done\n");
    expect(f.ok(1, "sudo sh -c 'echo $PATH'", { user: "deploy" }).startsWith("/run/current-system/sw/bin:")).toBe(true);
  });
});

describe("logins", () => {
  test("deploy with NOPASSWD sudo on host1, password sudo on host2", () => {
    expect(f.ok(1, "id -un; sudo -n id -un", { user: "deploy" })).toBe("deploy\nroot\n");
    const r = f.ssh(2, "sudo -n true", { user: "deploy" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("a password is required");
    const pw = f.host(2).users.deploy.password!;
    expect(f.ok(2, "sudo -S -p '' id -un", { user: "deploy", input: pw + "\n" })).toBe("root\n");
  });

  test("ssh2: passphrase key for root, password for deploy", async () => {
    const h = f.host(1);
    const c1 = await connect(1, {
      username: "root", privateKey: fs.readFileSync(h.users.root.passphraseKeyPath!), passphrase: h.users.root.passphrase,
    });
    expect((await exec(c1, "id -un")).stdout).toBe("root\n");
    c1.end();
    const c2 = await connect(2, { username: "deploy", password: h.users.deploy.password });
    expect((await exec(c2, "id -un")).stdout).toBe("deploy\n");
    c2.end();
    await expect(connect(1, { username: "root", password: "wrong" })).rejects.toThrow();
  });

  test("ssh2 exec and sftp over one connection are both logged (one conn, two sessions)", async () => {
    const before = f.sshLog(1).length;
    const c = await connect(1, { username: "root", privateKey: rootKey() });
    const r = await exec(c, "echo hi; echo err >&2; exit 3");
    expect(r).toEqual({ code: 3, stdout: "hi\n", stderr: "err\n" });
    const sftp: SFTPWrapper = await new Promise((res, rej) => c.sftp((e, s) => (e ? rej(e) : res(s))));
    await new Promise<void>((res, rej) => sftp.writeFile("/root/sftp.txt", "via sftp", (e: any) => (e ? rej(e) : res())));
    c.end();
    expect(f.ok(1, "cat /root/sftp.txt")).toBe("via sftp");
    const lines = f.sshLog(1).slice(before, before + 2);
    expect(lines.map((l) => l.cmd)).toEqual(["echo hi; echo err >&2; exit 3", "sftp"]);
    expect(lines[0].conn).toBe(lines[1].conn);
    expect(lines[0].conn).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lines[0].user).toBe("root");
    expect(Date.parse(lines[0].ts)).not.toBeNaN();
  });

  test("jump host: host1 forwards a TCP connection to host2", async () => {
    const bastion = await connect(1, { username: "root", privateKey: rootKey() });
    const h2 = f.host(2);
    const stream = await new Promise((res, rej) =>
      bastion.forwardOut("127.0.0.1", 0, h2.address, 22, (e, s) => (e ? rej(e) : res(s))));
    const c = await connect(2, { username: "root", privateKey: rootKey() }, stream);
    expect((await exec(c, "hostname")).stdout).toBe("host2\n");
    c.end();
    bastion.end();
  });

  test("a wrong host key is refused by a strict client", () => {
    const h = f.host(1);
    const bad = path.join(f.state, "bad_known_hosts");
    fs.writeFileSync(bad, `${h.address} ${f.host(2).hostKey}\n`);
    const { spawnSync } = require("child_process");
    const r = spawnSync("ssh", ["-i", h.users.root.privateKeyPath, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${bad}`,
      "-o", "StrictHostKeyChecking=yes", `root@${h.address}`, "true"], { encoding: "utf8" });
    expect(r.status).toBe(255);
    expect(r.stderr).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
  });
});

describe("knobs on connections and disks", () => {
  test("cut-next: the connection drops while the command runs (ssh exits 255), once", () => {
    f.must("fault", "1", "cut-next");
    const r = f.ssh(1, "echo started; sleep 5; echo never");
    expect(r.code).toBe(255);
    expect(r.stdout).not.toContain("never");
    expect(f.events(1).filter((e) => e.event === "cut").length).toBe(1);
    expect(f.ok(1, "echo back")).toBe("back\n");
  });

  test("cut-next with ssh2: the client sees close without an exit status", async () => {
    f.must("fault", "1", "cut-next");
    const c = await connect(1, { username: "root", privateKey: rootKey() });
    const closed = new Promise<void>((res) => c.on("close", () => res()));
    const r = await exec(c, "sleep 5");
    expect(r.code).toBeNull();
    await closed;
  });

  test("cut-after-bytes: a write is cut mid-stream; the command sees EOF", () => {
    f.must("fault", "1", "cut-after-bytes", "1000");
    const data = "x".repeat(5000);
    const r = f.ssh(1, "cat > /root/partial.txt; sync; echo done", { input: data });
    expect(r.code).toBe(255);
    expect(r.stdout).not.toContain("done");
    // the remote shell carries on after the drop, as a real one would (no pty, no SIGHUP)
    let size = "";
    for (let k = 0; k < 20 && size !== "1000\n"; k++) size = f.ok(1, "stat -c %s /root/partial.txt");
    expect(size).toBe("1000\n");
  });

  test("disk-full: writes under /etc/nixos fail with EROFS until cleared", () => {
    f.must("fault", "1", "disk-full");
    const r = f.ssh(1, "echo x > /etc/nixos/pulumi-containers/x.nix");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Read-only file system");
    expect(f.ok(1, "echo ok > /root/elsewhere && cat /root/elsewhere")).toBe("ok\n");
    f.must("fault", "1", "clear");
    f.ok(1, "echo x > /etc/nixos/x.txt && rm /etc/nixos/x.txt");
  });

  test("fault kinds are validated", () => {
    const r = f.fleet("fault", "1", "nonsense");
    expect(r.code).toBe(2);
    expect(spawnFleetStatus()).toContain("host1");
  });
});

function spawnFleetStatus(): string {
  return f.must("status");
}

describe("reboot: stop-host / start-host", () => {
  test("sshd goes down and comes back; /run is cleared; persistent state is kept; autoStart containers start at boot", () => {
    f.setContainers(2, {
      auto: containerModule("auto", "    autoStart = true; config = {};"),
      manual: containerModule("manual", "    config = {};"),
    });
    f.ok(2, "nixos-rebuild switch && nixos-container start manual && echo data > /var/lib/nixos-containers/manual/root/f && touch /run/volatile");
    const autoStarts = f.unitState(2, "auto").starts;
    f.must("stop-host", "2");
    expect(f.ssh(2, "true", { timeout: 5000 }).code).toBe(255);
    expect(f.must("status")).toMatch(/host2\s+\S+\s+down/);
    f.must("start-host", "2");
    expect(f.ssh(2, "test -e /run/volatile").code).toBe(1);
    expect(f.ok(2, "nixos-container status auto; nixos-container status manual; cat /var/lib/nixos-containers/manual/root/f")).toBe("up\ndown\ndata\n");
    expect(f.unitState(2, "auto").starts).toBe(1); // /run state is new after the reboot
    expect(autoStarts).toBe(1);
    expect(f.events(2).filter((e) => e.event === "unit" && e.by === "boot").map((e) => e.unit)).toContain("container@auto.service");
  });

  test("a boot-only generation becomes current at the next boot", () => {
    f.setContainers(2, { later: containerModule("later", "    autoStart = true; config = {};") });
    f.ok(2, "nixos-rebuild boot");
    expect(f.ok(2, "nixos-container list")).not.toContain("later");
    f.must("stop-host", "2");
    f.must("start-host", "2");
    expect(f.ok(2, "nixos-container list; nixos-container status later")).toBe("later\nup\n");
    expect(f.ok(2, "readlink -f /run/current-system")).toBe(f.ok(2, "readlink -f /nix/var/nix/profiles/system"));
  });
});

describe("flake host (G.1)", () => {
  test("host3 is a flake host; the rebuild only sees git-tracked files", () => {
    expect(f.ok(3, "test -f /etc/nixos/flake.nix && git -C /etc/nixos ls-files | sort")).toBe(
      "configuration.nix\nflake.nix\nhardware-configuration.nix\npulumi-containers/default.nix\n");
    f.writeFile(3, "/etc/nixos/pulumi-containers/web.nix", containerModule("web", "    config = {};"));
    f.writeFile(3, "/etc/nixos/pulumi-containers/default.nix", "{ imports = [ ./web.nix ]; }\n");
    const r = f.ssh(3, "nixos-rebuild switch");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/warning: Git tree '\/etc\/nixos' is dirty/);
    expect(r.stderr).toMatch(/\/nix\/store\/[0-9a-z]{32}-source\/pulumi-containers\/web\.nix/);
    f.ok(3, "git -C /etc/nixos add pulumi-containers/web.nix");
    const r2 = f.ssh(3, "nixos-rebuild switch");
    expect(r2.code).toBe(0);
    expect(f.ok(3, "nixos-container list")).toBe("web\n");
  });
});

describe("fleet down", () => {
  test("a second fleet on another subnet can be stopped and its state removed", () => {
    const g = startFleet(114, 1, ["--no-index-import"]);
    expect(g.ok(1, "grep -c pulumi-containers /etc/nixos/configuration.nix || true")).toBe("0\n");
    expect(g.ok(1, "test -e /etc/nixos/pulumi-containers || echo absent")).toBe("absent\n");
    const pid = g.host(1).pid;
    g.must("down");
    expect(fs.existsSync(g.state)).toBe(false);
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, "utf8") : "";
    expect(stat === "" || / Z /.test(stat)).toBe(true); // gone (or an unreaped zombie)
    expect(FLEET).toContain("tests/hosts/fleet");
  });
});
