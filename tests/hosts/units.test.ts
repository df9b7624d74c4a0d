/**
 * The systemd units of a simulated container (README "Inside a container"):
 * systemd.services of its config, started at boot and at activation by really
 * running their commands inside it; systemctl and switch-to-configuration
 * inside the container; the reload of container@NAME that runs the latter.
 */
import { Fleet, startFleet, containerModule } from "./helpers";

let f: Fleet;
const IN = (cmd: string) => f.ssh(1, `nixos-container run svc -- sh -c ${JSON.stringify(cmd).replace(/\$/g, "\\$")}`);
/** The values of `systemctl show UNIT -p PROPS` inside the container, in the order PROPS names them. */
const show = (unit: string, props: string) => {
  const got = Object.fromEntries(IN(`systemctl show ${unit} -p ${props}`).stdout.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return props.split(",").map((p) => got[p]);
};

/** The container's services; `v` changes the ones an update changes. */
function svc(v: number, extra = ""): string {
  return containerModule(
    "svc",
    `    privateNetwork = true;
    config = { pkgs, ... }: {
      users.users.app = { isSystemUser = true; group = "app"; };
      users.groups.app = { };
      systemd.services = {
        long = { wantedBy = [ "multi-user.target" ]; script = "echo long-v${v}; exec sleep 1000"; };
        keep = { wantedBy = [ "multi-user.target" ]; restartIfChanged = false; script = "echo keep-v${v}; exec sleep 1000"; };
        rel = { wantedBy = [ "multi-user.target" ]; reloadIfChanged = true; script = "echo rel-v${v}; exec sleep 1000"; reload = "echo reloaded-v${v}"; };
        once = { wantedBy = [ "multi-user.target" ]; serviceConfig = { Type = "oneshot"; RemainAfterExit = true; }; script = "echo once"; };
        manual = { script = "exec sleep 1000"; };
        whoami = { wantedBy = [ "multi-user.target" ]; serviceConfig = { Type = "oneshot"; RemainAfterExit = true; User = "app"; }; script = "id -un > /tmp/whoami"; };
        withpath = { wantedBy = [ "multi-user.target" ]; path = [ pkgs.curl ]; serviceConfig = { Type = "oneshot"; RemainAfterExit = true; }; script = "curl --version"; };
        flaky = { serviceConfig = { Restart = "on-failure"; RestartSec = "20ms"; }; script = "exit 1"; };
${extra}
      };
    };`,
  );
}
const FAILING = `        nopath = { wantedBy = [ "multi-user.target" ]; serviceConfig.Type = "oneshot"; script = "curl --version"; };
        dep = { serviceConfig.Type = "oneshot"; script = "exit 1"; };
        needs-dep = { wantedBy = [ "multi-user.target" ]; requires = [ "dep.service" ]; after = [ "dep.service" ]; script = "exec sleep 1000"; };`;

beforeAll(() => {
  f = startFleet(119, 1);
  f.setContainers(1, {
    svc: svc(1, FAILING),
    clean: containerModule("clean", '    config = { systemd.services.up = { wantedBy = [ "multi-user.target" ]; script = "exec sleep 1000"; }; };'),
  });
  f.ok(1, "nixos-rebuild switch && nixos-container start svc && nixos-container start clean");
});
afterAll(() => f?.down());

describe("at boot", () => {
  test("services wanted by a target are started by running their commands; their state follows the command", () => {
    expect(show("long", "ActiveState,SubState")).toEqual(["active", "running"]);
    expect(show("once", "ActiveState,SubState")).toEqual(["active", "exited"]);
    expect(show("withpath", "ActiveState,SubState")).toEqual(["active", "exited"]);
    expect(show("manual", "ActiveState,SubState")).toEqual(["inactive", "dead"]);
    expect(show("nopath", "ActiveState,Result,ExecMainStatus")).toEqual(["failed", "exit-code", "127"]);
    expect(show("dep", "ActiveState")).toEqual(["failed"]);
    expect(show("needs-dep", "ActiveState")).toEqual(["inactive"]);
    // a unit's PATH is its `path` and systemd's few packages, not the system path (curl is in the latter)
    const journal = IN("journalctl -u nopath.service -o cat").stdout;
    expect(journal).toMatch(/curl: command not found\n/);
    expect(IN("journalctl -u needs-dep -o cat").stdout).toContain("Dependency failed for needs-dep.service.\n");
    expect(IN("cat /tmp/whoami").stdout).toBe("app\n");
    expect(f.ok(1, "journalctl -M svc -o cat")).toContain("long-v1\n");
  });

  test("is-system-running says running or degraded (exit 0 only for running), --failed lists the failed units", () => {
    expect(f.ssh(1, "nixos-container run clean -- systemctl is-system-running --wait")).toMatchObject({ code: 0, stdout: "running\n" });
    expect(IN("systemctl is-system-running --wait")).toMatchObject({ code: 1, stdout: "degraded\n" });
    expect(IN("systemctl --failed --plain --no-legend").stdout).toBe(
      "dep.service    loaded failed failed dep.service\nnopath.service loaded failed failed nopath.service\n",
    );
    expect(f.ssh(1, "nixos-container run clean -- systemctl --failed --no-legend").stdout).toBe("");
  });
});

describe("systemctl inside the container", () => {
  test("is-active, status (with the unit's journal), exit codes of systemctl(1)", () => {
    expect(IN("systemctl is-active long once manual nopath")).toMatchObject({ code: 0, stdout: "active\nactive\ninactive\nfailed\n" });
    expect(IN("systemctl is-active manual").code).toBe(3);
    const st = IN("systemctl status long");
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/^● long\.service - long\.service\n {5}Loaded: loaded \(\/etc\/systemd\/system\/long\.service; enabled; preset: ignored\)\n {5}Active: active \(running\) since /);
    expect(st.stdout).toMatch(/ long-start\[\d+\]: long-v1\n/);
    expect(IN("systemctl status nopath").code).toBe(3);
    expect(IN("systemctl status nosuch")).toMatchObject({ code: 4, stderr: "Unit nosuch.service could not be found.\n" });
    expect(IN("systemctl start nosuch")).toMatchObject({ code: 5, stderr: "Failed to start nosuch.service: Unit nosuch.service not found.\n" });
  });

  test("restart runs the command again; reload runs ExecReload, or says there is none", () => {
    const pid = show("long", "MainPID")[0];
    expect(IN("systemctl restart long").code).toBe(0);
    expect(show("long", "MainPID")[0]).not.toBe(pid);
    expect(IN("systemctl reload rel").code).toBe(0);
    expect(IN("journalctl -u rel -o cat").stdout).toContain("reloaded-v1\n");
    expect(IN("systemctl reload long")).toMatchObject({ code: 1, stderr: "Failed to reload long.service: Job type reload is not applicable for unit long.service.\n" });
    expect(IN("systemctl reload manual")).toMatchObject({ code: 1, stderr: "manual.service is not active, cannot reload.\n" });
    const failed = IN("systemctl start dep");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("Job for dep.service failed because the control process exited with error code.");
  });

  test("Restart=on-failure restarts a failing command until systemd's start limit", () => {
    IN("systemctl start flaky");
    let state: string[] = [];
    for (let i = 0; i < 50 && state[0] !== "failed"; i++) state = show("flaky", "ActiveState,Result,NRestarts");
    expect(state).toEqual(["failed", "start-limit-hit", "5"]);
  });
});

describe("activation inside the container (the reload of container@svc)", () => {
  test("a changed unit is restarted, restartIfChanged=false skipped, reloadIfChanged reloaded, a new one started, a gone one stopped", () => {
    const before = Object.fromEntries(["long", "keep", "rel", "once"].map((u) => [u, show(u, "MainPID")[0]]));
    f.setContainers(1, {
      svc: svc(2, '        added = { wantedBy = [ "multi-user.target" ]; script = "exec sleep 1000"; };'),
      clean: containerModule("clean", "    config = { };"),
    });
    f.ok(1, "nixos-rebuild switch");
    const r = f.ssh(1, "systemctl reload container@svc.service");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const log = f.ok(1, "journalctl -u container@svc.service -o cat");
    expect(log).toContain(
      [
        "stopping the following units: long.service",
        "NOT restarting the following changed units: keep.service",
        "activating the configuration...",
        "setting up /etc...",
        "restarting sysinit-reactivation.target",
        "reloading the following units: rel.service",
        "starting the following units: long.service",
        "the following new units were started: added.service",
        "Reloaded Container 'svc'.",
      ].join("\n"),
    );
    expect(show("long", "MainPID")[0]).not.toBe(before.long);
    expect(show("keep", "MainPID")[0]).toBe(before.keep);
    expect(show("rel", "MainPID")[0]).toBe(before.rel);
    expect(IN("journalctl -u rel -o cat").stdout).toContain("reloaded-v2\n");
    expect(IN("journalctl -u long -o cat").stdout).toContain("long-v2\n");
    expect(IN("systemctl is-active added needs-dep nopath").stdout).toBe("active\ninactive\ninactive\n");
    expect(IN("systemctl is-system-running")).toMatchObject({ code: 0, stdout: "running\n" });
    expect(IN("readlink /run/current-system").stdout.trim()).toBe(f.ok(1, "sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/svc.conf").trim());
  });

  test("a unit that fails at activation makes switch-to-configuration exit 4, and so the container's reload fail", () => {
    f.setContainers(1, { svc: svc(3, '        added = { wantedBy = [ "multi-user.target" ]; serviceConfig.Type = "oneshot"; script = "echo broken; exit 2"; };') });
    f.ok(1, "nixos-rebuild switch");
    const r = f.ssh(1, "systemctl reload container@svc.service");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Job for container@svc.service failed because the control process exited with error code.\nSee "systemctl status container@svc.service" and "journalctl -xeu container@svc.service" for details.\n',
    );
    const log = f.ok(1, "journalctl -u container@svc.service -o cat");
    expect(log).toContain("warning: the following units failed: added.service\n× added.service - added.service\n");
    expect(log).toMatch(/container@svc\.service: Control process exited, code=exited, status=4\/NOPERMISSION\nReload failed for Container 'svc'\.\n$/);
    // the container keeps running, on the system it activated
    expect(f.ok(1, "systemctl is-active container@svc.service")).toBe("active\n");
    expect(IN("readlink /run/current-system").stdout.trim()).toBe(f.ok(1, "sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/svc.conf").trim());
    expect(IN("systemctl is-system-running")).toMatchObject({ code: 1, stdout: "degraded\n" });
    const again = IN("/run/current-system/bin/switch-to-configuration test");
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("warning: the following units failed: added.service\n");
    expect(IN("/run/current-system/bin/switch-to-configuration dry-activate")).toMatchObject({ code: 0, stderr: "would activate the configuration...\n" });
  });

  test("the container's journal records the switch; poweroff stops the units", () => {
    const journal = f.ok(1, "journalctl -M svc -o cat");
    expect(journal).toMatch(/finished switching to system configuration \/nix\/store\/\S+-nixos-system-svc-/);
    expect(journal).toMatch(/switching to system configuration \/nix\/store\/\S+ failed \(status 4\)/);
    f.ok(1, "nixos-container stop svc");
    expect(f.ok(1, "tail -n 3 /var/lib/nixos-containers/svc/var/log/sim-journal.jsonl")).toContain("Reached target System Power Off.");
    expect(f.ok(1, "grep -c '\"Stopped long.service.\"' /var/lib/nixos-containers/svc/var/log/sim-journal.jsonl").trim()).not.toBe("0");
  });
});
