/**
 * Inside a running simulated container (README "Inside a container"): its bind
 * mounts really mounted, a missing source stopping the start, user namespaces
 * with privateUsers, a network namespace per privateNetwork container, the
 * programs of its system path, its /etc, and `nixos-container run` entering it.
 */
import { Fleet, startFleet, containerModule } from "./helpers";

let f: Fleet;
// sleep durations unique to this run, to find the units' processes among the machine's
const S1 = 70000 + (process.pid % 10000) * 2;
const S2 = S1 + 1;
const RUN = (name: string, cmd: string) => f.ssh(1, `nixos-container run ${name} -- sh -c ${JSON.stringify(cmd).replace(/\$/g, "\\$")}`);

/** A web server on port 80 serving /etc/www, whose index.html says WHO. */
const web = (who: string) => `
      environment.etc."www/index.html".text = "${who}\\n";
      systemd.services.web = {
        wantedBy = [ "multi-user.target" ];
        serviceConfig.ExecStart = "\${pkgs.python3}/bin/python3 -m http.server 80";
        serviceConfig.WorkingDirectory = "/etc/www";
      };`;

beforeAll(() => {
  f = startFleet(118, 1);
  f.ok(1, "mkdir -p /srv/sec /srv/rw /srv/pu && echo v1 > /srv/sec/token && echo single-v1 > /srv/single.txt");
  f.setContainers(1, {
    alpha: containerModule(
      "alpha",
      `    privateNetwork = true; hostAddress = "10.9.0.1"; localAddress = "10.9.0.2";
    bindMounts."/run/secrets" = { hostPath = "/srv/sec"; };
    bindMounts."/mnt/rw" = { hostPath = "/srv/rw"; isReadOnly = false; };
    bindMounts."/mnt/file" = { hostPath = "/srv/single.txt"; };
    config = { pkgs, ... }: {${web("alpha")}
      users.users.app = { isSystemUser = true; group = "app"; };
      users.groups.app = { };
      environment.etc."app.conf" = { text = "mode and owner\\n"; mode = "0440"; user = "app"; group = "app"; };
      systemd.services.script-value = { wantedBy = [ "multi-user.target" ]; serviceConfig.ExecStart = pkgs.writeShellScript "value" "echo from a script; exec sleep ${S1}"; };
      systemd.services.script-interp = { wantedBy = [ "multi-user.target" ]; serviceConfig.ExecStart = "\${pkgs.writeShellScript "interp" "exec sleep ${S2}"} --flag"; };
    };`,
    ),
    beta: containerModule("beta", `    privateNetwork = true;\n    config = { pkgs, ... }: {${web("beta")}\n    };`),
    gamma: containerModule("gamma", "    config = { };"),
    pu: containerModule(
      "pu",
      `    privateNetwork = true; privateUsers = "pick";
    bindMounts."/run/secrets" = { hostPath = "/srv/pu"; };
    config = { };`,
    ),
    missing: containerModule("missing", '    bindMounts."/data" = { hostPath = "/srv/nope"; };\n    config = { };'),
  });
  f.ok(1, "nixos-rebuild switch");
  for (const n of ["alpha", "beta", "gamma"]) f.ok(1, `nixos-container start ${n}`);
});
afterAll(() => f?.down());

describe("bind mounts", () => {
  test("are mounted in the container: a host file is read through them, read-only where asked, writable where not", () => {
    expect(RUN("alpha", "cat /run/secrets/token")).toMatchObject({ code: 0, stdout: "v1\n" });
    const ro = RUN("alpha", "echo x > /run/secrets/new");
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toContain("Read-only file system");
    expect(f.ssh(1, "test -e /srv/sec/new").code).toBe(1);
    expect(RUN("alpha", "echo from-inside > /mnt/rw/out").code).toBe(0);
    expect(f.ok(1, "cat /srv/rw/out")).toBe("from-inside\n");
    // The mounts live in the container's mount namespace: the host's view of the root has none.
    expect(f.ssh(1, "test -e /var/lib/nixos-containers/alpha/run/secrets/token").code).toBe(1);
  });

  test("a directory bind shows a file the host replaced by write-temp-then-rename; a single-file bind keeps the old inode", () => {
    f.ok(1, "echo v2 > /srv/sec/.token.tmp && mv /srv/sec/.token.tmp /srv/sec/token");
    expect(RUN("alpha", "cat /run/secrets/token").stdout).toBe("v2\n");
    f.ok(1, "echo single-v2 > /srv/single.tmp && mv /srv/single.tmp /srv/single.txt");
    expect(RUN("alpha", "cat /mnt/file").stdout).toBe("single-v1\n");
  });

  test("a missing bind source stops the container from starting, as systemd-nspawn does", () => {
    const r = f.ssh(1, "systemctl start container@missing.service");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Job for container@missing.service failed because the control process exited with error code.");
    expect(f.ssh(1, "systemctl is-active container@missing.service")).toMatchObject({ code: 3, stdout: "failed\n" });
    expect(f.ok(1, "journalctl -u container@missing.service -o cat")).toContain(
      "Failed to stat /srv/nope: No such file or directory\ncontainer@missing.service: Main process exited, code=exited, status=1/FAILURE\n",
    );
    expect(f.ssh(1, "machinectl show missing").code).toBe(1);
    f.ok(1, "mkdir /srv/nope && systemctl start container@missing.service");
    expect(f.ok(1, "systemctl is-active container@missing.service")).toBe("active\n");
  });
});

describe("privateUsers", () => {
  test('"pick": the container root is owned by its uid range; a host file shows as nobody unless its owner falls in the range', () => {
    f.ok(1, "nixos-container start pu");
    const base = Number(f.ok(1, "stat -c %u /var/lib/nixos-containers/pu"));
    expect(base % 65536).toBe(0);
    expect(base).toBeGreaterThanOrEqual(0x80000);
    expect(f.ok(1, "cat /proc/$(machinectl show pu -p Leader --value)/uid_map").trim().split(/\s+/)).toEqual(["0", String(base), "65536"]);
    f.ok(1, `cd /srv/pu && echo root-only > root-only && chmod 0400 root-only && echo shifted > shifted && chown ${base + 999}:${base + 999} shifted && chmod 0400 shifted`);
    expect(RUN("pu", "stat -c '%u %g' /run/secrets/root-only /run/secrets/shifted").stdout).toBe("65534 65534\n999 999\n");
    const denied = RUN("pu", "cat /run/secrets/root-only");
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("Permission denied");
    expect(RUN("pu", "setpriv --reuid=999 --regid=999 --clear-groups cat /run/secrets/shifted")).toMatchObject({ code: 0, stdout: "shifted\n" });
    expect(RUN("pu", "id -u; stat -c %u /etc/passwd").stdout).toBe("0\n0\n");
  });
});

describe("network", () => {
  test("each privateNetwork container has its own network namespace: two of them listen on port 80, each check reaches its own", () => {
    expect(RUN("alpha", "curl -sS http://127.0.0.1:80/index.html")).toMatchObject({ code: 0, stdout: "alpha\n" });
    expect(RUN("beta", "curl -sS http://127.0.0.1:80/index.html")).toMatchObject({ code: 0, stdout: "beta\n" });
    expect(RUN("alpha", "curl -sS http://10.9.0.2/index.html").stdout).toBe("alpha\n");
    const host = f.ok(1, "readlink /proc/self/ns/net");
    const alpha = RUN("alpha", "readlink /proc/self/ns/net").stdout;
    expect(alpha).not.toBe(host);
    expect(RUN("beta", "readlink /proc/self/ns/net").stdout).not.toBe(alpha);
    // without privateNetwork a container shares the host's network namespace, as on NixOS
    expect(RUN("gamma", "readlink /proc/self/ns/net").stdout).toBe(host);
  });

  test("a port is probed with what every NixOS system has (curl, netcat, bash's /dev/tcp); python3 only with the package", () => {
    expect(RUN("alpha", "nc -z 127.0.0.1 80").code).toBe(0);
    expect(RUN("alpha", "nc -z 127.0.0.1 81").code).toBe(1);
    expect(RUN("alpha", "bash -c 'exec 3<>/dev/tcp/127.0.0.1/80'").code).toBe(0);
    expect(RUN("alpha", "bash -c 'exec 3<>/dev/tcp/127.0.0.1/81'").code).not.toBe(0);
    expect(RUN("alpha", "curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1/nope").stdout).toBe("404");
    expect(RUN("alpha", "curl -sS http://127.0.0.1:81/").code).toBe(7);
    expect(RUN("alpha", "command -v python3").code).not.toBe(0);
  });
});

describe("the container's system", () => {
  test("nixos-container run: root's login shell in root's home, the system path first, the container's hostname and users", () => {
    const r = RUN("alpha", "pwd; hostname; id -un; echo $PATH; readlink /run/current-system; getent passwd app");
    const [pwd, host, user, path, system, app] = r.stdout.split("\n");
    expect([pwd, host, user]).toEqual(["/root", "alpha", "root"]);
    expect(path.split(":").pop()).toBe("/run/current-system/sw/bin");
    expect(system).toBe(f.ok(1, "sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/alpha.conf").trim());
    expect(app).toMatch(/^app:x:999:999::\/var\/empty:/);
  });

  test("environment.etc is in /etc: symlinks through /etc/static, or a copy with its mode and owner", () => {
    expect(RUN("alpha", "readlink /etc/www/index.html; readlink -f /etc/static | grep -c -- '-etc/etc$'").stdout).toBe("/etc/static/www/index.html\n1\n");
    expect(RUN("alpha", "stat -c '%a %U %G' /etc/app.conf; cat /etc/app.conf").stdout).toBe("440 app app\nmode and owner\n");
  });

  test("a writer's script (pkgs.writeShellScript) runs, used as a value or interpolated into a string", () => {
    expect(RUN("alpha", "systemctl is-active script-value script-interp").stdout).toBe("active\nactive\n");
    expect(f.ok(1, "journalctl -M alpha -o cat")).toContain("from a script\n");
  });

  test("the container keeps nothing of the command that started it (a lock a deploy script holds stays its own)", () => {
    f.ok(1, "nixos-container stop gamma");
    f.ok(1, "exec 9>/run/deploy.lock && flock 9 && nixos-container start gamma");
    expect(f.ssh(1, "flock -n /run/deploy.lock true").code).toBe(0);
    expect(f.ok(1, "ls -l /proc/$(machinectl show gamma -p Leader --value)/fd | grep -c deploy.lock || true").trim()).toBe("0");
  });

  test("stopping the container ends all its processes and its mounts", () => {
    const marker = () => f.ok(1, `ps -eo args | grep -c '^sleep \\(${S1}\\|${S2}\\)$' || true`).trim();
    expect(marker()).toBe("2");
    f.ok(1, "nixos-container stop alpha");
    expect(marker()).toBe("0");
    expect(f.ssh(1, "nixos-container run alpha -- true").stderr).toContain("unable to get container's main PID");
  });
});
