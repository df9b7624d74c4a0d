/**
 * Simulated nixos-rebuild over real SSH: evaluation errors, conf files (C.2),
 * unit rules (E.3), generations (E.1), exit codes (E.4), G.5, G.7, lock.
 */
import { Fleet, startFleet, containerModule } from "./helpers";

let f: Fleet;
beforeAll(() => {
  f = startFleet(111, 2);
  // WEB's bind mount source: without it the autoStart container could not start (nspawn needs it)
  for (const i of [1, 2]) f.ok(i, "mkdir -p /srv/web");
});
afterAll(() => f?.down());

const WEB = containerModule(
  "web",
  `    autoStart = true;
    privateNetwork = true;
    hostAddress = "10.100.0.1";
    localAddress = "10.100.0.2";
    forwardPorts = [ { hostPort = 8080; containerPort = 80; } ];
    bindMounts."/data" = { hostPath = "/srv/web"; isReadOnly = false; };
    config = { pkgs, ... }: { services.nginx.enable = true; environment.systemPackages = [ pkgs.curl ]; };`,
);

function snapshot(i: number): string {
  return f.ok(i, "readlink /run/current-system; readlink /nix/var/nix/profiles/system; ls -l /etc/nixos-containers/ 2>/dev/null | sort");
}

describe("evaluation", () => {
  test("a fresh host evaluates: generation 1, /run/current-system, the fleet's empty index", () => {
    const out = f.ok(1, "readlink /nix/var/nix/profiles/system; readlink /run/current-system; cat /etc/nixos/pulumi-containers/default.nix; grep -c pulumi-containers /etc/nixos/configuration.nix");
    expect(out).toMatch(/^system-1-link\n\/nix\/store\/[0-9a-z]{32}-nixos-system-host1-25\.11/);
    expect(out).toContain("{ ... }: { }");
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("building the system configuration...");
    expect(r.stderr).toContain("activating the configuration...");
  });

  const cases: [string, string, RegExp][] = [
    ["unknown option", containerModule("web", "    foo = 1;"),
      /error: The option `containers\.web\.foo' does not exist\. Definition values:\n\s*- In `\/etc\/nixos\/pulumi-containers\/web\.nix': 1/],
    ["wrong type", containerModule("web", '    autoStart = "yes";'),
      /A definition for option `containers\.web\.autoStart' is not of type `boolean'\. Definition values:\n\s*- In `\/etc\/nixos\/pulumi-containers\/web\.nix': "yes"/],
    ["wrong type in a list of submodules", containerModule("web", "    config = {}; forwardPorts = [ { hostPort = 99999; } ];"),
      /A definition for option `containers\.web\.forwardPorts\.\[definition 1-entry 1\]\.hostPort' is not of type `16 bit unsigned integer; between 0 and 65535 \(both inclusive\)'.*\n\s*- In `\/etc\/nixos\/pulumi-containers\/web\.nix': 99999/],
    ["syntax error", "{ containers.web = { autoStart = ; }; }",
      /error: syntax error, unexpected ';'[\s\S]*at \/etc\/nixos\/pulumi-containers\/web\.nix:1:34/],
    ["undefined variable", "{ containers.web.config = { services.x = undefinedThing; }; }",
      /error: undefined variable 'undefinedThing'[\s\S]*at \/etc\/nixos\/pulumi-containers\/web\.nix:1:/],
    ["underscore assertion (B.2)", containerModule("my_web", "    config = {};"),
      /Failed assertions:\n\s*- Names containing underscores are not allowed in nixos-containers\. Please rename the container 'my_web'/],
    ["config plus flake (B.4)", containerModule("web", '    config = {}; flake = "github:a/b";'),
      /The options 'containers\.web\.path' and 'containers\.web\.flake' cannot both be set\./],
    ["removed pkgs option (B.5)", containerModule("web", "    config = {}; pkgs = 1;"),
      /The option definition `containers\.web\.pkgs' in `\/etc\/nixos\/pulumi-containers\/web\.nix' no longer has any effect; please remove it\./],
    ["networkNamespace exclusivity (B.3)", containerModule("web", '    config = {}; privateNetwork = true; networkNamespace = "/run/netns/x";'),
      /Failed assertions:\n\s*- containers\.web\.networkNamespace is mutally exclusive to containers\.web\.privateNetwork and containers\.web\.interfaces\./],
    ["hostname type (B.9)", containerModule("web", '    config = { networking.hostName = "a.b"; };'),
      /A definition for option `containers\.web\.networking\.hostName' is not of type `string matching the pattern/],
    ["no config, no path, no flake", containerModule("web", "    autoStart = false;"),
      /The option `containers\.web\.path' was accessed but has no value defined\. Try setting the option\./],
  ];
  test.each(cases)("%s: exit 1, error names the file, nothing changes", (_n, mod, re) => {
    const before = snapshot(1);
    f.setContainers(1, { web: mod });
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("building the system configuration...");
    expect(r.stderr).toMatch(re);
    expect(r.stderr).not.toContain("activating the configuration");
    expect(snapshot(1)).toBe(before);
    const ev = f.events(1).filter((e) => e.event === "rebuild").pop();
    expect(ev).toMatchObject({ action: "switch", result: "eval-error", exitCode: 1 });
  });

  test("conflicting definitions name both files", () => {
    f.setContainers(1, {
      a: containerModule("web", "    autoStart = true; config = {};"),
      b: containerModule("web", "    autoStart = false;"),
    });
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The option `containers\.web\.autoStart' has conflicting definition values:\n\s*- In `\/etc\/nixos\/pulumi-containers\/a\.nix': true\n\s*- In `\/etc\/nixos\/pulumi-containers\/b\.nix': false/,
    );
  });

  test("mkForce / mkDefault / mkIf / mkMerge resolve like NixOS", () => {
    f.setContainers(1, {
      a: containerModule("web", "    autoStart = true; config = {};"),
      b: "{ lib, ... }: { containers.web.autoStart = lib.mkForce false; containers.web.timeoutStartSec = lib.mkDefault \"5min\"; }",
      c: "{ config, lib, ... }: { options.my.on = lib.mkEnableOption \"x\"; config = lib.mkMerge [ (lib.mkIf config.my.on { containers.web.timeoutStartSec = \"9min\"; }) { my.on = true; } ]; }",
    });
    f.ok(1, "nixos-rebuild switch");
    const conf = f.ok(1, "cat /etc/nixos-containers/web.conf");
    expect(conf).not.toContain("AUTO_START=1");
    expect(f.ok(1, "systemctl show container@web -p TimeoutStartUSec --value").trim()).toBe("9min");
  });
});

describe("switch: files, generations, units", () => {
  beforeAll(() => {
    f.setContainers(1, { web: WEB });
    f.ok(1, "nixos-rebuild switch");
  });

  test("conf file: exact variables and order of C.2, a symlink into the read-only store", () => {
    const conf = f.ok(1, "cat /etc/nixos-containers/web.conf");
    const vars = conf.split("\n").filter((l) => l).map((l) => l.split("=")[0]);
    expect(vars).toEqual(["SYSTEM_PATH", "COPY_RESOLV_CONF", "PRIVATE_NETWORK", "HOST_PORT", "HOST_ADDRESS", "LOCAL_ADDRESS",
      "PRIVATE_USERS", "INTERFACES", "MACVLANS", "AUTO_START", "EXTRA_NSPAWN_FLAGS"]);
    expect(conf).toMatch(/^SYSTEM_PATH=\/nix\/store\/[0-9a-z]{32}-nixos-system-web-25\.11\.\S+\n/);
    expect(conf).toContain("HOST_PORT=tcp:8080:80\n");
    expect(conf).toContain('EXTRA_NSPAWN_FLAGS=" --bind=/srv/web:/data"\n');
    expect(conf).toContain("PRIVATE_USERS=no\n");
    const link = f.ok(1, "readlink /etc/nixos-containers/web.conf; readlink -f /etc/nixos-containers/web.conf; touch /nix/store/x 2>&1 || true");
    expect(link).toMatch(/^\/etc\/static\/nixos-containers\/web\.conf\n\/nix\/store\/[0-9a-z]{32}-etc\/etc\/nixos-containers\/web\.conf\n/);
    expect(link).toContain("Read-only file system");
  });

  test("same config gives the same toplevel, any change a new one", () => {
    const p1 = f.ok(1, "grep SYSTEM_PATH /etc/nixos-containers/web.conf");
    f.ok(1, "nixos-rebuild switch");
    expect(f.ok(1, "grep SYSTEM_PATH /etc/nixos-containers/web.conf")).toBe(p1);
    f.setContainers(1, { web: WEB.replace("pkgs.curl", "pkgs.vim") });
    f.ok(1, "nixos-rebuild switch");
    expect(f.ok(1, "grep SYSTEM_PATH /etc/nixos-containers/web.conf")).not.toBe(p1);
  });

  test("network options without privateNetwork are silently dropped (B.11, G.7)", () => {
    f.setContainers(1, { db: containerModule("db", '    config = {}; hostAddress = "10.1.1.1"; localAddress = "10.1.1.2"; forwardPorts = [ { hostPort = 5432; } ]; hostBridge = "br0"; interfaces = [ "eth9" ];') });
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning|error/i);
    const conf = f.ok(1, "cat /etc/nixos-containers/db.conf");
    expect(conf).not.toMatch(/HOST_ADDRESS|LOCAL_ADDRESS|HOST_PORT|HOST_BRIDGE|PRIVATE_NETWORK/);
    expect(conf).toContain('INTERFACES="eth9"');
  });

  test("profile is set before activation; activate-fail exits 4 and the new generation is the boot default (E.1, G.10)", () => {
    f.setContainers(1, { web: WEB });
    f.ok(1, "nixos-rebuild switch");
    const gen = Number(f.ok(1, "readlink /nix/var/nix/profiles/system").match(/system-(\d+)-link/)![1]);
    f.must("fault", "1", "activate-fail", "1", "container@web.service");
    f.setContainers(1, { web: WEB.replace("pkgs.curl", "pkgs.jq") });
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("warning: the following units failed: container@web.service");
    expect(f.ok(1, "readlink /nix/var/nix/profiles/system").trim()).toBe(`system-${gen + 1}-link`);
    expect(f.events(1).filter((e) => e.event === "rebuild").pop()).toMatchObject({ result: "activation-error", exitCode: 4 });
    expect(f.ok(1, "systemctl is-active container@web.service || true").trim()).toBe("failed");
    f.ok(1, "systemctl start container@web.service");
  });

  test("build-fail exits 100 and changes nothing", () => {
    const before = snapshot(1);
    f.must("fault", "1", "build-fail");
    f.setContainers(1, { web: WEB.replace("pkgs.curl", "pkgs.htop") });
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(100);
    expect(r.stderr).toMatch(/error: builder for '\/nix\/store\/\S+-nixos-system-host1-\S+\.drv' failed with exit code 1/);
    expect(snapshot(1)).toBe(before);
    expect(f.events(1).filter((e) => e.event === "rebuild").pop()).toMatchObject({ result: "build-error", exitCode: 100 });
  });

  test("eval-fail knob: next rebuild fails at evaluation with exit 1", () => {
    f.must("fault", "1", "eval-fail", "1");
    expect(f.ssh(1, "nixos-rebuild switch").code).toBe(1);
    expect(f.ssh(1, "nixos-rebuild switch").code).toBe(0);
  });
});

describe("E.3 unit rules", () => {
  const mod = (name: string, auto: boolean, rif: boolean, pkg: string) =>
    containerModule(name, `    autoStart = ${auto}; restartIfChanged = ${rif}; config = { pkgs, ... }: { environment.systemPackages = [ pkgs.${pkg} ]; };`);

  test("new autoStart containers start; autoStart=false are not started", () => {
    f.setContainers(2, { a: mod("a", true, true, "vim"), m: mod("m", false, true, "vim"), k: mod("k", true, false, "vim") });
    const r = f.ssh(2, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("the following new units were started: container@a.service, container@k.service");
    expect(f.ok(2, "nixos-container status a; nixos-container status m; nixos-container status k")).toBe("up\ndown\nup\n");
    f.ok(2, "nixos-container start m");
  });

  test("a change restarts autoStart+restartIfChanged, skips restartIfChanged=false (NOT restarting), never touches autoStart=false", () => {
    const sysBefore = { a: f.unitState(2, "a").system, m: f.unitState(2, "m").system, k: f.unitState(2, "k").system };
    f.setContainers(2, { a: mod("a", true, true, "git"), m: mod("m", false, true, "git"), k: mod("k", true, false, "git") });
    const r = f.ssh(2, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("stopping the following units: container@a.service");
    expect(r.stderr).toContain("NOT restarting the following changed units: container@k.service");
    expect(r.stderr).toContain("starting the following units: container@a.service");
    expect(r.stderr).not.toMatch(/container@m\.service/);
    const a = f.unitState(2, "a");
    const m = f.unitState(2, "m");
    const k = f.unitState(2, "k");
    expect(a.starts).toBe(2);
    expect(a.system).not.toBe(sysBefore.a);
    expect(a.system).toBe(f.ok(2, "sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/a.conf").trim());
    expect(m.system).toBe(sysBefore.m); // keeps its old system
    expect(k.system).toBe(sysBefore.k);
    expect(m.starts).toBe(1);
    const restarts = f.events(2).filter((e) => e.event === "unit" && e.op === "restart");
    expect(restarts.map((e) => e.unit)).toEqual(["container@a.service"]);
  });

  test("systemctl reload activates the conf's current SYSTEM_PATH in place (no restart)", () => {
    f.ok(2, "systemctl reload container@m.service");
    const m = f.unitState(2, "m");
    expect(m.system).toBe(f.ok(2, "sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/m.conf").trim());
    expect(m.reloads).toBe(1);
    expect(m.starts).toBe(1);
  });

  test("dry-activate prints would-lines and changes nothing", () => {
    const before = snapshot(2);
    f.setContainers(2, { a: mod("a", true, true, "curl"), m: mod("m", false, true, "vim"), k: mod("k", true, false, "curl") });
    const r = f.ssh(2, "nixos-rebuild dry-activate");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("would stop the following units: container@a.service");
    expect(r.stderr).toContain("would NOT stop the following changed units: container@k.service");
    expect(r.stderr).toContain("would activate the configuration...");
    expect(snapshot(2)).toBe(before);
  });

  test("removing a running container stops it and keeps its state dir (C.5, G.3); destroy is then silent", () => {
    f.ok(2, "echo keep > /var/lib/nixos-containers/a/root/data");
    f.setContainers(2, { m: mod("m", false, true, "vim"), k: mod("k", true, false, "vim") });
    const r = f.ssh(2, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("stopping the following units: container@a.service");
    expect(f.ok(2, "cat /var/lib/nixos-containers/a/root/data")).toBe("keep\n");
    expect(f.ssh(2, "test -e /etc/nixos-containers/a.conf").code).toBe(1);
    const d = f.ssh(2, "nixos-container destroy a");
    expect(d).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(f.ok(2, "cat /var/lib/nixos-containers/a/root/data")).toBe("keep\n");
  });

  test("test and boot: test activates without a generation; boot sets the profile only", () => {
    const gen = f.ok(2, "readlink /nix/var/nix/profiles/system");
    f.setContainers(2, { m: mod("m", false, true, "vim"), k: mod("k", true, false, "vim"), n: mod("n", true, true, "vim") });
    f.ok(2, "nixos-rebuild test");
    expect(f.ok(2, "readlink /nix/var/nix/profiles/system")).toBe(gen);
    expect(f.ok(2, "nixos-container status n")).toBe("up\n");
    f.setContainers(2, { m: mod("m", false, true, "vim"), k: mod("k", true, false, "vim"), n: mod("n", true, true, "vim"), o: mod("o", true, true, "vim") });
    const cur = f.ok(2, "readlink /run/current-system");
    f.ok(2, "nixos-rebuild boot");
    expect(f.ok(2, "readlink /nix/var/nix/profiles/system")).not.toBe(gen);
    expect(f.ok(2, "readlink /run/current-system")).toBe(cur);
    expect(f.ssh(2, "test -e /etc/nixos-containers/o.conf").code).toBe(1);
  });

  test("build leaves ./result; dry-build lists derivations; nothing activated", () => {
    const cur = f.ok(2, "readlink /run/current-system");
    f.ok(2, "cd /root && nixos-rebuild build");
    expect(f.ok(2, "readlink /root/result")).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nixos-system-host2-/);
    f.setContainers(2, { m: mod("m", false, true, "hello") });
    const r = f.ssh(2, "nixos-rebuild dry-build");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/these \d+ derivations will be built:\n\s+\/nix\/store\/\S+\.drv/);
    expect(f.ok(2, "readlink /run/current-system")).toBe(cur);
  });

  test("--rollback switches to the previous generation; -I nixos-config selects another file", () => {
    f.setContainers(2, { m: mod("m", false, true, "vim") });
    f.ok(2, "nixos-rebuild switch");
    const g = Number(f.ok(2, "readlink /nix/var/nix/profiles/system").match(/(\d+)/)![1]);
    f.ok(2, "nixos-rebuild switch --rollback");
    expect(f.ok(2, "readlink /nix/var/nix/profiles/system").trim()).toBe(`system-${g - 1}-link`);
    expect(f.ok(2, "readlink /run/current-system")).toBe(f.ok(2, `readlink /nix/var/nix/profiles/system-${g - 1}-link`));
    expect(f.ssh(2, "nixos-rebuild dry-build --rollback").stderr).toContain("error: --rollback is incompatible with 'dry-build'");
    f.writeFile(2, "/root/other.nix", '{ networking.hostName = "host2"; boot.enableContainers = true; containers.other.config = {}; system.stateVersion = "25.11"; }');
    f.ok(2, "nixos-rebuild switch -I nixos-config=/root/other.nix");
    expect(f.ok(2, "nixos-container list")).toBe("other\n");
  });
});

describe("G.5: boot.enableContainers defaults to containers != {}", () => {
  test("removing the last container without enableContainers removes nixos-container", () => {
    f.ok(2, "sed -i 's/boot.enableContainers = true;//' /etc/nixos/configuration.nix");
    f.setContainers(2, { m: containerModule("m", "    autoStart = true; config = {};") });
    f.ok(2, "nixos-rebuild switch");
    expect(f.ok(2, "nixos-container status m")).toBe("up\n");
    f.setContainers(2, {});
    const r = f.ssh(2, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("stopping the following units: container@m.service");
    const nc = f.ssh(2, "nixos-container list");
    expect(nc.code).toBe(127);
    expect(nc.stderr).toContain("nixos-container: command not found");
    expect(f.ssh(2, "systemctl start container@m.service").code).toBe(5);
    f.ok(2, "sed -i 's/networking.hostName/boot.enableContainers = true;\\n  networking.hostName/' /etc/nixos/configuration.nix");
    f.ok(2, "nixos-rebuild switch");
    expect(f.ssh(2, "nixos-container list").code).toBe(0);
  });
});

describe("concurrency and timing", () => {
  test("a held switch lock: Could not acquire lock, exit 1, lock-error event", () => {
    f.must("fault", "1", "hold-lock", "30");
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Could not acquire lock");
    expect(f.events(1).filter((e) => e.event === "rebuild").pop()).toMatchObject({ result: "lock-error" });
    f.must("fault", "1", "clear");
    expect(f.ssh(1, "nixos-rebuild switch").code).toBe(0);
  });

  test("two concurrent switches: the second fails on the lock", async () => {
    f.must("fault", "1", "rebuild-sleep", "1.5", "activate");
    const [a, b] = await Promise.all([f.sshAsync(1, "nixos-rebuild switch"), f.sshAsync(1, "sleep 0.5; nixos-rebuild switch")]);
    f.must("fault", "1", "clear");
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect(a.stderr + b.stderr).toContain("Could not acquire lock");
  });

  test("rebuild-sleep makes every rebuild take that long", () => {
    f.must("fault", "1", "rebuild-sleep", "1");
    const t0 = Date.now();
    f.ok(1, "nixos-rebuild switch");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    f.must("fault", "1", "clear");
    const ev = f.events(1).filter((e) => e.event === "rebuild").pop();
    expect(ev.seconds).toBeGreaterThanOrEqual(1);
  });

  test("hang: the next rebuild hangs until killed", () => {
    f.must("fault", "1", "hang");
    const r = f.ssh(1, "timeout 2 nixos-rebuild switch", { timeout: 20000 });
    expect(r.code).toBe(124);
    expect(f.ssh(1, "nixos-rebuild switch").code).toBe(0);
  });
});
