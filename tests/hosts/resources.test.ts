/**
 * Simulated resource control of container@NAME.service and systemd-nspawn's option check,
 * over real SSH: `systemctl show` reports what the host configuration set, in systemd's
 * formats; a changed limit reaches a running container at the switch's daemon-reload, with a
 * restart only where NixOS restarts a changed unit (reference E.3); a flag nspawn does not know
 * fails the start with nspawn's own message.
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
