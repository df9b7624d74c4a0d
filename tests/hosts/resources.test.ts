/**
 * Simulated resource control of container@NAME.service and systemd-nspawn's option check,
 * over real SSH: `systemctl show` reports what the host configuration set, in systemd's
 * formats; a changed limit reaches a running container at the switch's daemon-reload, with a
 * restart only where NixOS restarts a changed unit (reference E.3); a flag nspawn does not know
 * fails the start with nspawn's own message; a running container's record holds the
 * systemd-nspawn words it was started with, which only a restart renews.
 */
import { Fleet, startFleet, containerModule } from "./helpers";

const PROPS = "MemoryMax,MemoryHigh,MemorySwapMax,CPUQuotaPerSecUSec,CPUWeight,AllowedCPUs,TasksMax,IOWeight";
let f: Fleet;

function limited(name: string, containerBody: string, serviceConfig: string): string {
  return containerModule(name, containerBody).replace(/}\n$/, `  systemd.services."container@${name}".serviceConfig = { ${serviceConfig} };\n}\n`);
}
function show(name: string): Record<string, string> {
  const out = f.ok(1, `systemctl show container@${name}.service -p ${PROPS}`);
  return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

beforeAll(() => {
  f = startFleet(117, 1);
});
afterAll(() => f?.down());

test("systemctl show reports the unit's limits in systemd's formats, and systemd's defaults when unset", () => {
  f.setContainers(1, {
    lim: limited("lim", "    config = {};", 'MemoryMax = "1.5G"; MemoryHigh = "512M"; MemorySwapMax = "0"; CPUQuota = "150%"; CPUWeight = 200; AllowedCPUs = "0-2,5"; TasksMax = 512; IOWeight = 50;'),
    free: containerModule("free", "    config = {};"),
  });
  f.ok(1, "nixos-rebuild switch");
  expect(show("lim")).toEqual({
    MemoryMax: "1610612736",
    MemoryHigh: "536870912",
    MemorySwapMax: "0",
    CPUQuotaPerSecUSec: "1.500000s",
    CPUWeight: "200",
    AllowedCPUs: "0-2 5",
    TasksMax: "512",
    IOWeight: "50",
  });
  const free = show("free");
  expect(free).toMatchObject({ MemoryMax: "infinity", MemoryHigh: "infinity", CPUQuotaPerSecUSec: "infinity", CPUWeight: "[not set]", IOWeight: "[not set]", AllowedCPUs: "" });
  expect(Number(free.TasksMax)).toBeGreaterThan(0); // DefaultTasksMax=15% of the kernel's limit
});

test("a changed limit of a running container that NixOS does not restart is applied in place", () => {
  f.setContainers(1, { lim: limited("lim", "    config = {};", 'MemoryMax = "1G"; CPUQuota = "50%";') });
  f.ok(1, "nixos-rebuild switch");
  f.ok(1, "systemctl start container@lim.service");
  const before = f.unitState(1, "lim");
  expect(show("lim")).toMatchObject({ MemoryMax: "1073741824", CPUQuotaPerSecUSec: "500ms" });

  f.setContainers(1, { lim: limited("lim", "    config = {};", 'MemoryMax = "2G"; CPUQuota = "50%";') });
  const out = f.ok(1, "nixos-rebuild switch 2>&1");
  expect(out).toContain("NOT restarting the following changed units: container@lim.service");
  expect(show("lim")).toMatchObject({ MemoryMax: "2147483648", CPUQuotaPerSecUSec: "500ms" });
  const after = f.unitState(1, "lim");
  expect(after.pid).toBe(before.pid);
  expect(after.starts).toBe(before.starts);
});

test("with autoStart and restartIfChanged, a changed limit restarts the container, which comes back limited", () => {
  f.setContainers(1, { auto: limited("auto", "    autoStart = true; config = {};", "TasksMax = 100;") });
  f.ok(1, "nixos-rebuild switch");
  const before = f.unitState(1, "auto");
  f.setContainers(1, { auto: limited("auto", "    autoStart = true; config = {};", "TasksMax = 200;") });
  expect(f.ok(1, "nixos-rebuild switch 2>&1")).toContain("stopping the following units: container@auto.service");
  expect(f.unitState(1, "auto").starts).toBe(before.starts + 1);
  expect(show("auto").TasksMax).toBe("200");
});

test("nixos-rebuild boot leaves the running container's limits alone until the next activation", () => {
  f.setContainers(1, { lim: limited("lim", "    config = {};", 'MemoryMax = "2G";') });
  f.ok(1, "nixos-rebuild switch");
  f.ok(1, "systemctl start container@lim.service");
  f.setContainers(1, { lim: limited("lim", "    config = {};", 'MemoryMax = "3G";') });
  f.ok(1, "nixos-rebuild boot");
  expect(show("lim").MemoryMax).toBe("2147483648");
  f.ok(1, "nixos-rebuild switch");
  expect(show("lim").MemoryMax).toBe("3221225472");
});

test("an option systemd-nspawn does not know fails the start with nspawn's own message", () => {
  f.setContainers(1, {
    bad: containerModule("bad", '    autoStart = true; config = {}; extraFlags = [ "--memory-limit=1G" ];'),
    noval: containerModule("noval", '    config = {}; extraFlags = [ "--keep-unit=yes" ];'),
    good: containerModule("good", '    config = {}; extraFlags = [ "--drop-capability=CAP_SYS_CHROOT" "-E" "FOO=bar" ];'),
  });
  const r = f.ssh(1, "nixos-rebuild switch 2>&1");
  expect(r.code).not.toBe(0);
  expect(r.stdout).toContain("warning: the following units failed: container@bad.service");
  expect(r.stdout).toContain("systemd-nspawn: unrecognized option '--memory-limit=1G'");
  expect(f.ssh(1, "systemctl is-active container@bad.service").stdout).toBe("failed\n");
  expect(f.ssh(1, "systemctl status container@bad.service").stdout).toContain("systemd-nspawn: unrecognized option '--memory-limit=1G'");

  const s = f.ssh(1, "systemctl start container@noval.service");
  expect(s.code).not.toBe(0);
  expect(s.stderr).toContain("Job for container@noval.service failed");
  expect(f.ssh(1, "systemctl status container@noval.service").stdout).toContain("systemd-nspawn: option '--keep-unit' doesn't allow an argument");

  f.ok(1, "systemctl start container@good.service");
  expect(f.ok(1, "systemctl is-active container@good.service")).toBe("active\n");
});

describe("the systemd-nspawn start line of a running container", () => {
  const nspawn = (name: string): string[] => f.unitState(1, name).nspawn;
  const unitPath = () => /^PATH=(\/nix\/store\/[a-z0-9]{32}-[^/:]+\/s?bin:?)+$/;

  test("is the start script's, word for word, in its order (nixpkgs' startScript)", () => {
    f.setContainers(1, {
      full: containerModule(
        "full",
        `    config = {}; privateNetwork = true; hostAddress = "10.6.0.1"; localAddress = "10.6.0.2"; privateUsers = "pick";
    forwardPorts = [ { hostPort = 8080; containerPort = 80; } { protocol = "udp"; hostPort = 53; } ];
    interfaces = [ "eth7" ]; macvlans = [ "eth8" ]; tmpfs = [ "/var" "/tmp:mode=1777" ];
    additionalCapabilities = [ "CAP_SYS_TIME" ]; enableTun = true;
    extraVeths = { vz2 = { }; vz1 = { hostAddress = "10.7.0.1"; }; };
    bindMounts = { "/srv" = { hostPath = "/srv/full"; isReadOnly = false; }; };
    extraFlags = [ "--drop-capability=CAP_SYS_CHROOT" ];`,
      ),
      eph: containerModule("eph", "    config = {}; ephemeral = true;"),
    });
    f.ok(1, "nixos-rebuild switch");
    // nspawn refuses to start a container whose bind source is missing.
    f.ok(1, "mkdir -p /srv/full");
    f.ok(1, "systemctl start container@full.service container@eph.service");
    const system = (n: string) => f.ok(1, `sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/${n}.conf`).trim();
    const setenv = (vars: Record<string, string>) =>
      ["PRIVATE_NETWORK", "PRIVATE_USERS", "HOST_BRIDGE", "HOST_ADDRESS", "LOCAL_ADDRESS", "HOST_ADDRESS6", "LOCAL_ADDRESS6", "LOCAL_MAC_ADDRESS", "HOST_PORT"].flatMap((v) => ["--setenv", `${v}=${vars[v] ?? ""}`]);
    const nixBinds = (name: string, idmap: string) => [
      `--bind-ro=/nix/store:/nix/store${idmap}`,
      `--bind-ro=/nix/var/nix/db:/nix/var/nix/db${idmap}`,
      `--bind-ro=/nix/var/nix/daemon-socket:/nix/var/nix/daemon-socket${idmap}`,
      `--bind=/nix/var/nix/profiles/per-container/${name}:/nix/var/nix/profiles${idmap}`,
      `--bind=/nix/var/nix/gcroots/per-container/${name}:/nix/var/nix/gcroots${idmap}`,
    ];
    expect(nspawn("full")).toEqual([
      "--keep-unit", "-M", "full", "-D", "/var/lib/nixos-containers/full",
      "--private-network", "--private-users=pick", "--network-veth", "--port=tcp:8080:80", "--port=udp:53:53",
      "--network-veth-extra=vz1", "--network-veth-extra=vz2", "--network-interface=eth7", "--network-macvlan=eth8",
      "--notify-ready=yes", "--kill-signal=SIGRTMIN+3", ...nixBinds("full", ":idmap"), "--link-journal=try-guest",
      ...setenv({ PRIVATE_NETWORK: "1", PRIVATE_USERS: "pick", HOST_ADDRESS: "10.6.0.1", LOCAL_ADDRESS: "10.6.0.2", HOST_PORT: "tcp:8080:80,udp:53:53" }),
      "--setenv", expect.stringMatching(unitPath()),
      "--capability=CAP_SYS_TIME,CAP_NET_ADMIN", "--tmpfs=/var", "--tmpfs=/tmp:mode=1777",
      "--bind=/srv/full:/srv", "--drop-capability=CAP_SYS_CHROOT",
      expect.stringMatching(/^\/nix\/store\/[a-z0-9]{32}-container-init$/), `${system("full")}/init`,
    ]);
    expect(nspawn("eph")).toEqual([
      "--keep-unit", "-M", "eph", "-D", "/run/nixos-containers/eph", "--private-users=no",
      "--notify-ready=yes", "--kill-signal=SIGRTMIN+3", ...nixBinds("eph", ""),
      ...setenv({ PRIVATE_USERS: "no" }), "--setenv", expect.stringMatching(unitPath()), "--ephemeral",
      expect.stringMatching(/^\/nix\/store\/[a-z0-9]{32}-container-init$/), `${system("eph")}/init`,
    ]);
    f.ok(1, "systemctl stop container@full.service container@eph.service");
  });

  test("a switch that does not restart the container keeps its start line, and applies DeviceAllow; a restart takes the new one", () => {
    f.setContainers(1, { line: containerModule("line", '    config = {}; tmpfs = [ "/var" ];') });
    f.ok(1, "nixos-rebuild switch");
    f.ok(1, "systemctl start container@line.service");
    const before = f.unitState(1, "line");
    expect(before.cgroup.DeviceAllow).toEqual([]);

    f.setContainers(1, { line: containerModule("line", '    config = {}; tmpfs = [ "/srv" ]; allowedDevices = [ { node = "/dev/fuse"; modifier = "rw"; } ];') });
    expect(f.ok(1, "nixos-rebuild switch 2>&1")).toContain("NOT restarting the following changed units: container@line.service");
    const after = f.unitState(1, "line");
    expect(after).toMatchObject({ starts: before.starts, nspawn: before.nspawn });
    expect(after.nspawn).toContain("--tmpfs=/var");
    expect(after.cgroup.DeviceAllow).toEqual(["/dev/fuse rw"]);
    expect(f.ok(1, "systemctl show container@line.service -p DeviceAllow")).toBe("DeviceAllow=/dev/fuse rw\n");

    f.ok(1, "systemctl restart container@line.service");
    const restarted = f.unitState(1, "line");
    expect(restarted.starts).toBe(before.starts + 1);
    expect(restarted.nspawn).toContain("--tmpfs=/srv");
    expect(restarted.nspawn).not.toContain("--tmpfs=/var");
  });
});
