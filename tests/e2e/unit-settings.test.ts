/**
 * Every declared setting reaches a running container, through the real Pulumi CLI on a simulated
 * host. A setting that lives in the container's unit rather than its conf is not applied by a
 * switch to a container NixOS does not restart itself (here: not autoStart). The ones systemd
 * reads when it starts the container (the systemd-nspawn flags of the start script: tmpfs,
 * additionalCapabilities, enableTun, ephemeral, extraVeths) make the provider restart it, so its
 * nspawn start line (as the simulator records it for the running container) carries the new flag;
 * with updateStrategy "none" it keeps running with the old line and the run says so. DeviceAllow=
 * (allowedDevices) is applied by the switch's daemon-reload and TimeoutStartSec= governs only
 * the next start: neither restarts it (provider/deploy/unit-change.ts).
 */
import { useProjectOnFleet } from "../support/e2e-project";
import type { CliResult } from "../support/pulumi-cli";

const { fleet, stack } = useProjectOnFleet("unit-settings", 149);

interface Running {
  state: string;
  starts: number;
  root: string;
  /** The systemd-nspawn words the running container was started with. */
  nspawn: string[];
  cgroup: { DeviceAllow: string[] };
}
const running = (): Running => fleet().unitState(1, "unitset");
const configure = (unit: Record<string, unknown>, updateStrategy?: "none") => {
  stack().must(["config", "set", "--stack", "e2e", "unit", JSON.stringify(unit)]);
  if (updateStrategy) stack().must(["config", "set", "--stack", "e2e", "updateStrategy", updateStrategy]);
  else stack().run(["config", "rm", "--stack", "e2e", "updateStrategy"]);
};
const up = (): CliResult => {
  const r = stack().up();
  if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.all}`);
  return r;
};

test("created, then started by hand: it runs with the flags its unit declares", () => {
  configure({});
  up();
  fleet().ok(1, "systemctl start container@unitset.service");
  expect(running()).toMatchObject({ state: "active", starts: 1, root: "/var/lib/nixos-containers/unitset" });
  expect(running().nspawn).toEqual(expect.arrayContaining(["--keep-unit", "-M", "unitset", "--link-journal=try-guest"]));
  expect(running().nspawn.filter((w) => /^--(tmpfs|capability|ephemeral|network-veth-extra)/.test(w))).toEqual([]);
});

/**
 * Each option that only a restart applies: its value, the flag the running start line then carries
 * (also after it is removed again under updateStrategy "none"), and what the restart or the
 * switch's daemon-reload gave the running container besides.
 */
const RESTARTING: [string, Record<string, unknown>, (nspawn: string[]) => void, (r: Running, declared: boolean) => void][] = [
  ["tmpfs", { tmpfs: ["/var/cache"] }, (n) => expect(n).toContain("--tmpfs=/var/cache"), () => undefined],
  ["additionalCapabilities", { additionalCapabilities: ["CAP_SYS_TIME"] }, (n) => expect(n).toContain("--capability=CAP_SYS_TIME"), () => undefined],
  // The capability is a flag of the start line; the device, DeviceAllow=, follows the loaded unit.
  ["enableTun", { enableTun: true }, (n) => expect(n).toContain("--capability=CAP_NET_ADMIN"), (r, declared) => expect(r.cgroup.DeviceAllow).toEqual(declared ? ["/dev/net/tun rwm"] : [])],
  [
    "ephemeral",
    { ephemeral: true },
    (n) => {
      expect(n).toContain("--ephemeral");
      expect(n).not.toContain("--link-journal=try-guest");
    },
    (r) => expect(r.root).toBe("/run/nixos-containers/unitset"),
  ],
  ["extraVeths", { extraVeths: { vu1: { hostAddress: "10.77.0.1", localAddress: "10.77.0.2" } } }, (n) => expect(n).toContain("--network-veth-extra=vu1"), () => undefined],
];

describe.each(RESTARTING)("%s", (_option, value, carries, besides) => {
  test("changed on the running container: the provider restarts it, and its start line carries the new flag", () => {
    const before = running();
    configure(value);
    const r = up();
    const after = running();
    expect(after).toMatchObject({ state: "active", starts: before.starts + 1 });
    carries(after.nspawn);
    besides(after, true);
    expect(r.all).toMatch(/unitset: its start settings \([A-Za-z, ]+ of container@unitset\.service\) changed; restarting it/);
    expect(fleet().ok(1, "systemctl is-active container@unitset.service").trim()).toBe("active");
  });

  test('with updateStrategy "none" it is not restarted: it keeps the old start line, and the run says so', () => {
    const before = running();
    configure({}, "none");
    const r = up();
    const after = running();
    expect(after).toMatchObject({ state: "active", starts: before.starts });
    expect(after.nspawn).toEqual(before.nspawn);
    carries(after.nspawn); // still the flag of the setting just removed
    besides(after, false);
    expect(r.all).toMatch(/warning: .*unitset keeps running with the old start settings \([A-Za-z, ]+ of container@unitset\.service\): updateStrategy is "none"; restart it to apply/);
  });
});

test("allowedDevices: the switch's daemon-reload applies DeviceAllow= to the running container, no restart", () => {
  configure({});
  up(); // the default strategy again; the unit is the one it runs under already, so nothing changes
  fleet().ok(1, "systemctl restart container@unitset.service"); // the start line of the unit as declared
  const before = running();
  expect(before.nspawn.filter((w) => /^--(tmpfs|capability|ephemeral|network-veth-extra)/.test(w))).toEqual([]);
  expect(before.cgroup.DeviceAllow).toEqual([]);
  configure({ allowedDevices: [{ node: "/dev/fuse", modifier: "rwm" }] });
  const r = up();
  const after = running();
  expect(after).toMatchObject({ state: "active", starts: before.starts });
  expect(after.nspawn).toEqual(before.nspawn);
  expect(after.cgroup.DeviceAllow).toEqual(["/dev/fuse rwm"]);
  expect(fleet().ok(1, "systemctl show container@unitset.service -p DeviceAllow")).toBe("DeviceAllow=/dev/fuse rwm\n");
  expect(r.all).toContain("unitset: DeviceAllow applied to the running container by the switch's daemon-reload, no restart");
});

test("timeoutStartSec: it governs only the next start, no restart", () => {
  const before = running();
  configure({ allowedDevices: [{ node: "/dev/fuse", modifier: "rwm" }], timeoutStartSec: "3min" });
  const r = up();
  expect(running()).toMatchObject({ state: "active", starts: before.starts });
  expect(fleet().ok(1, "systemctl show container@unitset.service -p TimeoutStartUSec")).toBe("TimeoutStartUSec=3min\n");
  expect(r.all).toContain("unitset: TimeoutStartSec takes effect at its next start or stop, no restart");
});
