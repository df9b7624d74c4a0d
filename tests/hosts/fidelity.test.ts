/**
 * The simulated host against nixpkgs' own nixos-containers.nix (issue 17): the
 * NAME.conf text byte for byte (C.2) and the container@NAME unit as NixOS
 * writes it and systemd reads it (C.3), row by row of the comparison that
 * found the differences.
 */
import { Fleet, startFleet, containerModule } from "./helpers";

let f: Fleet;
const CONTAINERS = {
  plain: containerModule("plain", "    config = {};"),
  binds: containerModule("binds", '    config = {}; bindMounts."/srv" = { hostPath = "/srv/auto"; };'),
  flags: containerModule("flags", '    config = {}; bindMounts."/srv" = { hostPath = "/srv/auto"; }; extraFlags = [ "--drop-capability=CAP_SYS_CHROOT" "--quiet" ];'),
  net: containerModule(
    "net",
    `    config = {}; autoStart = true; privateNetwork = true;
    hostAddress = "10.100.0.1"; localAddress = "10.100.0.2";
    forwardPorts = [ { hostPort = 8080; containerPort = 80; } ];
    bindMounts."/srv" = { hostPath = "/srv/auto"; };`,
  ),
  fl: containerModule("fl", '    flake = "github:example/containers";'),
  pn: containerModule("pn", "    config = {}; privateNetwork = true;"),
  pick: containerModule("pick", '    config = {}; privateNetwork = true; privateUsers = "pick";'),
  uid: containerModule("uid", "    config = {}; privateNetwork = true; privateUsers = 65536;"),
  uid0: containerModule("uid0", "    config = {}; privateNetwork = true; privateUsers = 0;"),
  pickhost: containerModule("pickhost", '    config = {}; privateUsers = "pick";'),
  tun: containerModule("tun", "    config = {}; enableTun = true;"),
  nic: containerModule("nic", '    config = {}; autoStart = true; interfaces = [ "enp0s3-1" "eth1" ];'),
  slow: containerModule("slow", '    config = {}; timeoutStartSec = "90s";'),
  slower: containerModule("slower", '    config = {}; timeoutStartSec = "5 min";'),
  eph: containerModule("eph", "    config = {}; ephemeral = true;"),
};

beforeAll(() => {
  f = startFleet(116, 1);
  f.ok(1, "mkdir -p /srv/auto"); // the bind mount source the autoStart container "net" needs to start
  f.setContainers(1, CONTAINERS);
  f.ok(1, "nixos-rebuild switch");
});
afterAll(() => f?.down());

const conf = (name: string) => f.ok(1, `cat /etc/nixos-containers/${name}.conf`);
const systemPath = (name: string) => f.ok(1, `sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/${name}.conf`).trim();
const show = (name: string, props: string) => f.ok(1, `systemctl show container@${name}.service -p ${props}`);
const unitFile = (name: string) => f.ok(1, `systemctl cat container@${name}.service`);

describe("NAME.conf (C.2)", () => {
  test('EXTRA_NSPAWN_FLAGS is "" without extraFlags, not " "', () => {
    expect(conf("plain")).toContain('\nEXTRA_NSPAWN_FLAGS=""\n');
  });

  test("bind mounts only: no trailing space; with extraFlags one space before them", () => {
    expect(conf("binds")).toContain('\nEXTRA_NSPAWN_FLAGS=" --bind-ro=/srv/auto:/srv"\n');
    expect(conf("flags")).toContain('\nEXTRA_NSPAWN_FLAGS=" --bind-ro=/srv/auto:/srv --drop-capability=CAP_SYS_CHROOT --quiet"\n');
  });

  test("blank lines: an empty line after each emitted optional line, one per omitted one, the privateNetwork block one when off", () => {
    expect(conf("plain")).toBe(
      [`SYSTEM_PATH=${systemPath("plain")}`, "", "", "COPY_RESOLV_CONF=1", "", "", "PRIVATE_USERS=no", 'INTERFACES=""', 'MACVLANS=""', "",
        'EXTRA_NSPAWN_FLAGS=""', ""].join("\n"),
    );
    expect(conf("net")).toBe(
      [`SYSTEM_PATH=${systemPath("net")}`, "", "", "COPY_RESOLV_CONF=1",
        "PRIVATE_NETWORK=1", "", "HOST_PORT=tcp:8080:80", "", "HOST_ADDRESS=10.100.0.1", "", "", "LOCAL_ADDRESS=10.100.0.2", "", "", "", "",
        "", "PRIVATE_USERS=no", 'INTERFACES=""', 'MACVLANS=""', "AUTO_START=1", "",
        'EXTRA_NSPAWN_FLAGS=" --bind-ro=/srv/auto:/srv"', ""].join("\n"),
    );
    expect(conf("fl")).toBe(
      ["", "FLAKE=github:example/containers", "", "COPY_RESOLV_CONF=1", "", "", "PRIVATE_USERS=no", 'INTERFACES=""', 'MACVLANS=""', "",
        'EXTRA_NSPAWN_FLAGS=""', ""].join("\n"),
    );
  });
});

describe("container@NAME.service (C.3)", () => {
  test("/dev/net/tun rwm only with enableTun, or privateNetwork with privateUsers pick or a number > 0", () => {
    const tun = (name: string) => show(name, "DeviceAllow");
    expect(tun("pn")).toBe("");
    expect(tun("uid0")).toBe("");
    expect(tun("pickhost")).toBe("");
    expect(tun("plain")).toBe("");
    expect(tun("pick")).toBe("DeviceAllow=/dev/net/tun rwm\n");
    expect(tun("uid")).toBe("DeviceAllow=/dev/net/tun rwm\n");
    expect(tun("tun")).toBe("DeviceAllow=/dev/net/tun rwm\n");
    expect(unitFile("pick")).toContain("\nDeviceAllow=/dev/net/tun rwm\nDevicePolicy=closed\n");
    expect(unitFile("pn")).not.toContain("DeviceAllow=");
  });

  test("so privateNetwork and privateUsers change the unit of a running container only where NixOS's do", () => {
    f.ok(1, "systemctl start container@pn.service container@plain.service");
    const before = f.unitState(1, "pn");
    // privateNetwork alone, or privateUsers = "identity", adds no device: the units are unchanged, nothing is reported
    f.setContainers(1, {
      ...CONTAINERS,
      pn: containerModule("pn", '    config = {}; privateNetwork = true; privateUsers = "identity";'),
      plain: containerModule("plain", "    config = {}; privateNetwork = true;"),
    });
    const same = f.ssh(1, "nixos-rebuild switch");
    expect(same.code).toBe(0);
    expect(same.stderr).not.toMatch(/container@(pn|plain)\.service/);
    // "pick" adds /dev/net/tun: a changed unit, which an autoStart = false container skips
    f.setContainers(1, { ...CONTAINERS, pn: containerModule("pn", '    config = {}; privateNetwork = true; privateUsers = "pick";') });
    const changed = f.ssh(1, "nixos-rebuild switch");
    expect(changed.code).toBe(0);
    expect(changed.stderr).toContain("NOT restarting the following changed units: container@pn.service");
    expect(f.unitState(1, "pn")).toMatchObject({ starts: before.starts, system: before.system });
    f.setContainers(1, CONTAINERS);
    f.ok(1, "nixos-rebuild switch");
    f.ok(1, "systemctl stop container@pn.service container@plain.service");
  });

  test("a change to what the start script embeds (tmpfs) is a changed unit", () => {
    f.ok(1, "systemctl start container@plain.service");
    f.setContainers(1, { ...CONTAINERS, plain: containerModule("plain", '    config = {}; tmpfs = [ "/var" ];') });
    const r = f.ssh(1, "nixos-rebuild switch");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("NOT restarting the following changed units: container@plain.service");
    f.setContainers(1, CONTAINERS);
    f.ok(1, "nixos-rebuild switch");
    f.ok(1, "systemctl stop container@plain.service");
  });

  test("After= and Wants= name interface devices with systemd path escaping", () => {
    const deps = "network.target sys-subsystem-net-devices-enp0s3\\x2d1.device sys-subsystem-net-devices-eth1.device";
    expect(show("nic", "Wants,After")).toBe(`Wants=${deps}\nAfter=${deps}\n`);
    expect(unitFile("nic")).toContain(`\nAfter=${deps}\n`);
    expect(unitFile("nic")).toContain(`\nWants=${deps}\n`);
  });

  test("systemctl cat keeps the %i specifier of EnvironmentFile=; show resolves it", () => {
    expect(unitFile("plain")).toMatch(/^# \/etc\/systemd\/system\/container@plain\.service\n\[Unit\]\n/);
    expect(unitFile("plain")).toContain("\nEnvironmentFile=-/etc/nixos-containers/%i.conf\n");
    expect(show("plain", "EnvironmentFiles")).toBe("EnvironmentFiles=/etc/nixos-containers/plain.conf (ignore_errors=yes)\n");
    // an imperative container loads the template
    f.ok(1, "nixos-container create imp");
    const template = unitFile("imp");
    expect(template).toMatch(/^# \/etc\/systemd\/system\/container@\.service\n/);
    expect(template).toContain("\nEnvironmentFile=-/etc/nixos-containers/%i.conf\n");
    expect(template).toContain("/bin/container_-start \n");
    f.ok(1, "nixos-container destroy imp");
  });

  test("TimeoutStartUSec is printed the way systemd formats time spans", () => {
    expect(show("slow", "TimeoutStartUSec")).toBe("TimeoutStartUSec=1min 30s\n");
    expect(show("slower", "TimeoutStartUSec")).toBe("TimeoutStartUSec=5min\n");
    expect(show("plain", "TimeoutStartUSec")).toBe("TimeoutStartUSec=1min\n");
    expect(unitFile("slower")).toContain("\nTimeoutStartSec=5 min\n");
  });

  test("the rest of the module's settings: exit status 133, TERM, Delegate, RuntimeDirectory, SyslogIdentifier, network.target, INSTANCE", () => {
    expect(show("eph", "RestartForceExitStatus,SuccessExitStatus,KillSignal,Delegate,RuntimeDirectory,SyslogIdentifier,Wants")).toBe(
      [
        "RestartForceExitStatus=133",
        "SuccessExitStatus=133",
        "KillSignal=15",
        "Delegate=yes",
        "RuntimeDirectory=nixos-containers/eph",
        "SyslogIdentifier=container eph",
        "Wants=",
        "",
      ].join("\n"),
    );
    expect(show("plain", "RuntimeDirectory")).toBe("RuntimeDirectory=\n");
    expect(show("net", "Wants")).toBe("Wants=network.target\n");
    expect(show("eph", "Environment")).toMatch(/^Environment=INSTANCE=eph .*root=\/run\/nixos-containers\/eph\n$/);
    const file = unitFile("eph");
    for (const line of [
      'Environment="INSTANCE=%i"',
      'Environment="root=/run/nixos-containers/%i"',
      "X-RestartIfChanged=false",
      "Delegate=true",
      "KillSignal=TERM",
      "RestartForceExitStatus=133",
      "RuntimeDirectory=nixos-containers/%i",
      "SuccessExitStatus=133",
      "SyslogIdentifier=container %i",
    ]) {
      expect(file).toContain(`\n${line}\n`);
    }
    expect(file).not.toContain("RequiresMountsFor=/var/lib/nixos-containers/%i");
    expect(unitFile("net")).toMatch(/\nX-Restart-Triggers=\/nix\/store\/[0-9a-z]{32}-X-Restart-Triggers-container-net\n/);
    expect(unitFile("net")).toMatch(/\n\[Install\]\nWantedBy=machines\.target\n$/);
  });
});
