/**
 * Simulated nixos-container (D.1-D.3) and systemctl for container@NAME.service,
 * over real SSH.
 */
import { Fleet, startFleet, containerModule } from "./helpers";

let f: Fleet;
const NC = "/run/current-system/sw/bin/nixos-container";
beforeAll(() => {
  f = startFleet(112, 1);
  f.setContainers(1, {
    web: containerModule("web", `    autoStart = true; privateNetwork = true; hostAddress = "10.5.0.1"; localAddress = "10.5.0.2/24";
    config = { services.openssh.enable = true; };`),
    db: containerModule("db", "    config = {};"),
    fl: containerModule("fl", '    flake = "/etc/nixos/fl-flake";'),
  });
  f.writeFile(1, "/etc/nixos/fl-flake/flake.nix", "{ outputs = { self, nixpkgs }: { nixosConfigurations.container = {}; }; }\n");
  f.ok(1, "nixos-rebuild switch");
});
afterAll(() => f?.down());

describe("nixos-container", () => {
  test("list prints every conf, declarative and imperative", () => {
    expect(f.ok(1, "nixos-container list")).toBe("db\nfl\nweb\n");
  });

  test("status: up / down / gone (gone exits non-zero)", () => {
    expect(f.ok(1, "nixos-container status web")).toBe("up\n");
    expect(f.ok(1, "nixos-container status db")).toBe("down\n");
    const g = f.ssh(1, "nixos-container status nope");
    expect(g.stdout).toBe("gone\n");
    expect(g.code).not.toBe(0);
    expect(g.stderr).toBe(`${NC}: container ‘nope’ does not exist\n`);
  });

  test("invalid name, unknown action, no action", () => {
    expect(f.ssh(1, "nixos-container status 'a.b'").stderr).toBe(`${NC}: invalid container name\n`);
    expect(f.ssh(1, "nixos-container frobnicate web").stderr).toBe(`${NC}: unknown action ‘frobnicate’\n`);
    expect(f.ssh(1, "nixos-container").stderr).toBe(`${NC}: no action specified\n`);
    expect(f.ssh(1, "nixos-container start").stderr).toBe(`${NC}: no container name specified\n`);
  });

  test("start / stop / restart / terminate drive container@NAME.service", () => {
    f.ok(1, "nixos-container start db");
    expect(f.ok(1, "systemctl is-active container@db.service")).toBe("active\n");
    const s1 = f.unitState(1, "db");
    expect(s1.system).toBe(f.ok(1, "sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/db.conf").trim());
    f.ok(1, "nixos-container restart db");
    expect(f.unitState(1, "db").starts).toBe(s1.starts + 1);
    f.ok(1, "nixos-container stop db");
    expect(f.ssh(1, "systemctl is-active container@db.service")).toMatchObject({ code: 3, stdout: "inactive\n" });
    f.ok(1, "nixos-container start db");
    f.ok(1, "nixos-container terminate db");
    expect(f.ok(1, "nixos-container status db")).toBe("down\n");
    expect(f.ssh(1, "nixos-container terminate db").stderr).toBe(`${NC}: unable to get container's main PID\n`);
  });

  test("start creates the state dirs of C.4/C.5", () => {
    f.ok(1, "nixos-container start db");
    const out = f.ok(1, "cd /var/lib/nixos-containers/db && stat -c '%n %a' usr/bin etc var/lib var/lib/private root && ls /nix/var/nix/profiles/per-container /nix/var/nix/gcroots/per-container && test -L etc/os-release && test -e etc/machine-id && cmp etc/resolv.conf /etc/resolv.conf && echo ok");
    expect(out).toContain("var/lib/private 700");
    expect(out).toContain("root 700");
    expect(out).toContain("etc 755");
    expect(out).toMatch(/db/);
    expect(out).toContain("ok");
  });

  test("update on an ordinary declarative container fails (D.3)", () => {
    const r = f.ssh(1, "nixos-container update web");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("error: getting status of '/var/lib/nixos-containers/web/etc/nixos/configuration.nix': No such file or directory");
    expect(r.stderr).toContain(`${NC}: failed to build container configuration\n`);
  });

  test("destroy refuses a declarative container", () => {
    const r = f.ssh(1, "nixos-container destroy web");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`${NC}: cannot destroy declarative container (remove it from your configuration.nix instead)\n`);
    expect(f.ok(1, "nixos-container status web")).toBe("up\n");
  });

  test("destroy without a conf exits 0 silently", () => {
    expect(f.ssh(1, "nixos-container destroy nosuch")).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  test("show-ip strips the prefix; show-host-key reads the container's key", () => {
    expect(f.ok(1, "nixos-container show-ip web")).toBe("10.5.0.2\n");
    expect(f.ssh(1, "nixos-container show-ip db").stderr).toBe(`${NC}: cannot get IP address\n`);
    expect(f.ok(1, "nixos-container show-host-key web")).toMatch(/^ssh-ed25519 AAAA\S+ root@web\n$/);
    expect(f.ssh(1, "nixos-container show-host-key db").code).toBe(1);
  });

  test("run executes inside the container as its root (su root -l: root's home, its hostname, its /etc) and returns the exit code", () => {
    const r = f.ssh(1, "nixos-container run web -- sh -c 'pwd; hostname; id -un; cat /etc/hostname; test -e /var/lib/nixos-containers && echo host-visible; exit 7'");
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("/root\nweb\nroot\nweb\n");
  });

  test("flake container: first start runs update (G.13); update rebuilds into the per-container profile and reloads", () => {
    expect(f.ok(1, "cat /etc/nixos-containers/fl.conf")).toMatch(/^\nFLAKE=\/etc\/nixos\/fl-flake\n/);
    expect(f.ssh(1, "test -e /nix/var/nix/profiles/per-container/fl/system").code).toBe(1);
    f.ok(1, "systemctl start container@fl.service");
    const st = f.unitState(1, "fl");
    expect(st.system).toBe(f.ok(1, "readlink -f /nix/var/nix/profiles/per-container/fl/system").trim());
    f.ok(1, "echo '# change' >> /etc/nixos/fl-flake/flake.nix");
    const r = f.ssh(1, "nixos-container update fl");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("reloading container...\n");
    const st2 = f.unitState(1, "fl");
    expect(st2.reloads).toBe(1);
    expect(st2.system).not.toBe(st.system);
    expect(f.ok(1, "readlink /nix/var/nix/profiles/per-container/fl/system")).toBe("system-2-link\n");
    // nixos-rebuild switch does not rebuild a flake container
    f.ok(1, "nixos-rebuild switch");
    expect(f.unitState(1, "fl").system).toBe(st2.system);
  });

  test("create: imperative containers (lock, IPs, conf, not started, too long, exists, unique name)", () => {
    const r = f.ssh(1, "nixos-container create imp --config 'services.nginx.enable = true;'");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("host IP is 10.233.1.1, container IP is 10.233.1.2\n");
    expect(f.ok(1, "cat /etc/nixos-containers/imp.conf")).toBe(
      "PRIVATE_NETWORK=1\nHOST_ADDRESS=10.233.1.1\nLOCAL_ADDRESS=10.233.1.2\nHOST_BRIDGE=\nHOST_PORT=\nAUTO_START=0\n");
    expect(f.ok(1, "nixos-container status imp")).toBe("down\n");
    expect(f.ok(1, "grep -c nginx /var/lib/nixos-containers/imp/etc/nixos/configuration.nix")).toBe("1\n");
    const u = f.ssh(1, "nixos-container create imp --ensure-unique-name");
    expect(u).toMatchObject({ code: 0, stdout: "imp-0\n" });
    expect(u.stderr).toBe("host IP is 10.233.2.1, container IP is 10.233.2.2\n");
    expect(f.ssh(1, "nixos-container create imp").stderr).toBe(`${NC}: container ‘imp’ already exists\n`);
    expect(f.ssh(1, "nixos-container create abcdefghijkl").stderr).toBe(`${NC}: container name ‘abcdefghijkl’ is too long\n`);
    const bad = f.ssh(1, "nixos-container create bork --config 'services.x = undefinedVar;'");
    expect(bad.stderr).toContain(`${NC}: failed to build initial container configuration\n`);
    expect(f.ssh(1, "test -e /var/lib/nixos-containers/bork || test -e /etc/nixos-containers/bork.conf").code).toBe(1);
  });

  test("imperative update works and reloads a running container; destroy removes it", () => {
    f.ok(1, "nixos-container start imp");
    const before = f.unitState(1, "imp").system;
    const r = f.ssh(1, "nixos-container update imp --config 'services.redis.enable = true;'");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("reloading container...\n");
    const after = f.unitState(1, "imp");
    expect(after.system).not.toBe(before);
    expect(after.reloads).toBe(1);
    f.ok(1, "nixos-container destroy imp");
    expect(f.ssh(1, "test -e /var/lib/nixos-containers/imp || test -e /etc/nixos-containers/imp.conf || test -e /nix/var/nix/profiles/per-container/imp").code).toBe(1);
    expect(f.ok(1, "nixos-container status imp-0; true")).toBe("down\n");
  });
});

describe("systemctl", () => {
  test("show reports ActiveState / SubState / MainPID", () => {
    const out = f.ok(1, "systemctl show container@web.service -p ActiveState,SubState,MainPID");
    expect(out).toMatch(/^ActiveState=active\nSubState=running\nMainPID=[1-9]\d*\n$/);
    const off = f.ok(1, "systemctl show container@db -p ActiveState --value; nixos-container stop db; systemctl show container@db -p ActiveState,MainPID");
    expect(off).toMatch(/ActiveState=inactive\nMainPID=0\n$/);
  });

  test("status and is-active exit codes", () => {
    expect(f.ssh(1, "systemctl status container@web.service").code).toBe(0);
    expect(f.ssh(1, "systemctl status container@db.service").code).toBe(3);
    expect(f.ssh(1, "systemctl is-active -q container@db.service").code).toBe(3);
  });

  test("restart = stop + start; reload of an inactive unit fails", () => {
    const s = f.unitState(1, "web");
    f.ok(1, "systemctl restart container@web.service");
    expect(f.unitState(1, "web").starts).toBe(s.starts + 1);
    expect(f.events(1).filter((e) => e.event === "unit" && e.op === "restart").pop().unit).toBe("container@web.service");
    const r = f.ssh(1, "systemctl reload container@db.service");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("container@db.service is not active, cannot reload.");
  });

  test("other units: known ones are active, unknown ones not found (exit 5)", () => {
    expect(f.ok(1, "systemctl is-active sshd.service")).toBe("active\n");
    const r = f.ssh(1, "systemctl start nosuch.service");
    expect(r.code).toBe(5);
    expect(r.stderr).toBe("Failed to start nosuch.service: Unit nosuch.service not found.\n");
  });
});
