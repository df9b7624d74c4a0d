/**
 * Resource limits through the real Pulumi CLI on a simulated host: set, read back from the
 * host with `systemctl show` over SSH, changed in place on the running container; a flag
 * systemd-nspawn does not have is refused before any host is touched, and one that a raw
 * config string sneaks past the checks fails on the host with nspawn's own message.
 */
import { useProjectOnFleet } from "../support/e2e-project";

const { fleet, stack } = useProjectOnFleet("limits", 147);

function show(): Record<string, string> {
  const out = fleet().ok(1, "systemctl show container@limited.service -p MemoryMax,CPUQuotaPerSecUSec,TasksMax,ActiveState,MainPID");
  return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}
const hostState = () => fleet().ok(1, "sha256sum /etc/nixos/pulumi-containers/limited.nix; readlink /nix/var/nix/profiles/system");
const configSet = (key: string, value: string) => stack().must(["config", "set", "--stack", "e2e", key, value]);

test("limits are set on the host's unit, and a changed one reaches the running container without a restart", () => {
  const created = stack().up();
  expect(created.code).toBe(0);
  const first = show();
  expect(first).toMatchObject({ ActiveState: "active", MemoryMax: "1073741824", CPUQuotaPerSecUSec: "500ms", TasksMax: "512" });

  configSet("memoryMax", "2G");
  const preview = stack().preview("--diff");
  expect(preview.code).toBe(0);
  expect(preview.all).toMatch(/-\s+MemoryMax = "1G";/);
  expect(preview.all).toMatch(/\+\s+MemoryMax = "2G";/);

  const updated = stack().up();
  expect(updated.code).toBe(0);
  expect(updated.all).toContain("limited: MemoryMax applied to the running container by the switch's daemon-reload, no restart");
  const second = show();
  expect(second).toMatchObject({ ActiveState: "active", MemoryMax: "2147483648", CPUQuotaPerSecUSec: "500ms", TasksMax: "512" });
  expect(second.MainPID).toBe(first.MainPID); // the same container process: not restarted
  expect(fleet().unitState(1, "limited").starts).toBe(1);
});

test("a flag systemd-nspawn does not have is refused before any host is touched", () => {
  const before = hostState();
  configSet("extraFlags", '["--memory-limit=1G"]');
  const r = stack().up();
  expect(r.code).not.toBe(0);
  // (Pulumi prints a check failure as "property extraFlags[0] value {<nil>} has a problem: …".)
  expect(r.all).toMatch(/extraFlags\[0\].* has a problem: systemd-nspawn has no option --memory-limit: it would fail to start the container\. Limits of the whole container are settings of its host unit; use resources\.memoryMax/);
  expect(hostState()).toBe(before);
  expect(show()).toMatchObject({ ActiveState: "active", MemoryMax: "2147483648" });
  stack().must(["config", "rm", "--stack", "e2e", "extraFlags"]);
});

test("a flag a raw config string sneaks in fails the container's start on the host, with nspawn's message", () => {
  configSet("configString", '{ ... }: { }; extraFlags = [ "--memory-limit=1G" ]');
  const r = stack().up();
  expect(r.code).not.toBe(0);
  expect(r.all).toContain("restart of limited failed");
  expect(r.all).toContain("systemd-nspawn: unrecognized option '--memory-limit=1G'");
  expect(show().ActiveState).toBe("failed");

  stack().must(["config", "rm", "--stack", "e2e", "configString"]);
  expect(stack().up().code).toBe(0);
  expect(show()).toMatchObject({ ActiveState: "active", MemoryMax: "2147483648" });
  expect(stack().run(["destroy", "--yes", "--stack", "e2e"]).code).toBe(0);
});
