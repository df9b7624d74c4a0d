/**
 * Health checks and rollback through the real Pulumi CLI on a simulated host, for both resource
 * kinds (one NixosContainer per container, or one NixosHost holding them). The containers really
 * run their units (tests/hosts/README.md, "Inside a container"): `app` serves HTTP on port 80 with
 * a real process; its broken version adds a unit that really fails. Each test is one step of a
 * story and needs the ones before it.
 */
import { useProjectOnFleet } from "../support/e2e-project";
import type { CliResult } from "../support/pulumi-cli";

const KINDS: [string, "container" | "host", number][] = [
  ["NixosContainer", "container", 172],
  ["NixosHost", "host", 173],
];

/** The checks of `app`: its systemd, a unit, a command and a listening port. */
const CHECKS = { units: ["web.service"], commands: [{ argv: ["test", "-e", "/etc/index.html"] }], tcp: [{ port: 80 }], timeoutSeconds: 10, intervalSeconds: 1 };

const BROKEN = { wantedBy: ["multi-user.target"], serviceConfig: { Type: "oneshot" }, script: "echo 'cannot open /var/lib/app/db: no such file' >&2; exit 3" };

function app(version: string, extra: Record<string, unknown> = {}, broken = false) {
  return {
    autoStart: true,
    privateNetwork: true,
    hostAddress: "10.172.1.1",
    localAddress: "10.172.1.2",
    healthChecks: CHECKS,
    config: {
      environment: { etc: { "index.html": { text: `app ${version}\n` } } },
      systemd: {
        services: {
          web: { wantedBy: ["multi-user.target"], script: { $nix: '"cd /etc && exec ${pkgs.python3}/bin/python3 -m http.server 80"' } },
          ...(broken ? { broken: BROKEN } : {}),
        },
      },
    },
    ...extra,
  };
}

const neighbour = (version: string) => ({ autoStart: true, config: { environment: { etc: { "nb-version": { text: `${version}\n` } } } } });

describe.each(KINDS)("%s", (_kind, kind, octet) => {
  const { fleet, stack } = useProjectOnFleet("health", octet, 1, kind);
  const configure = (containers: Record<string, unknown>) => {
    stack().must(["config", "set", "--stack", kind, "kind", kind]);
    stack().must(["config", "set", "--stack", kind, "containers", JSON.stringify(containers)]);
  };
  const up = (): CliResult => stack().up();
  const must = (r: CliResult) => {
    if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.all}`);
    return r;
  };
  const moduleOf = (name: string) => fleet().ok(1, `cat /etc/nixos/pulumi-containers/${name}.nix`);
  const systemOf = (name: string) => /^SYSTEM_PATH=(.*)$/m.exec(fleet().ok(1, `cat /etc/nixos-containers/${name}.conf`))?.[1];
  const inside = (name: string, command: string) => fleet().ssh(1, `nixos-container run ${name} -- ${command}`).stdout.trim();
  const rebuilds = () => fleet().events(1).filter((e) => e.event === "rebuild").length;

  let previous: { module: string; system: string | undefined };

  test("bad healthChecks are refused before any host is touched", () => {
    configure({ app: { ...app("1"), healthChecks: { tcp: [{ port: 70000 }], commands: [{ argv: [] }], timeoutSeconds: -5 } } });
    const sessions = fleet().sshLog(1).length;
    const r = up();
    expect(r.code).not.toBe(0);
    // Pulumi prints each as "property PATH value … has a problem: MESSAGE".
    expect(r.all).toMatch(/healthChecks\.tcp\[0\]\.port\b.*: expected a port number \(an integer from 1 to 65535\)/);
    expect(r.all).toMatch(/healthChecks\.commands\[0\]\.argv\b.*: expected the command and its arguments/);
    expect(r.all).toMatch(/healthChecks\.timeoutSeconds\b.*: expected a timeout in whole seconds, from 1 to 3600/);
    expect(fleet().sshLog(1).length).toBe(sessions);
  });

  test("passing checks (a unit, a command, a listening port, its systemd) let up succeed, with progress on the row", () => {
    configure({ app: app("1"), nb: neighbour("1") });
    const r = must(up());
    expect(r.all).toMatch(/app: health 4\/4 ok/);
    expect(r.all).toMatch(/health checks: 1 passed/);
    expect(inside("app", "systemctl is-active web.service")).toBe("active");
    previous = { module: moduleOf("app"), system: systemOf("app") };
    expect(fleet().unitState(1, "app").system).toBe(previous.system);
  });

  test("a change whose unit fails inside the container is rolled back; its neighbour keeps its change", () => {
    configure({ app: app("2", {}, true), nb: neighbour("2") });
    const before = rebuilds();
    const r = up();
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(/app failed its health checks: activation failed: system degraded \(failed units: broken\.service\)/);
    expect(r.all).toMatch(/broken-start\[\d+\]: cannot open \/var\/lib\/app\/db: no such file/);
    expect(r.all).toContain(`rolled back to ${previous.system}`);
    // Its previous module byte for byte, and it runs its previous store path again.
    expect(moduleOf("app")).toBe(previous.module);
    expect(systemOf("app")).toBe(previous.system);
    expect(fleet().unitState(1, "app")).toMatchObject({ state: "active", system: previous.system });
    expect(inside("app", "systemctl is-system-running")).toBe("running");
    // The neighbour's change of the same run stays.
    expect(inside("nb", "cat /etc/nb-version")).toBe("2");
    // One rebuild for the run, one more for the rollback; the summary says why.
    expect(rebuilds() - before).toBe(2);
    expect(r.all).toMatch(/2 rebuilds \(switch\) in [0-9.]+ s, 2 containers: 1 updated, 1 rolled back \(app: health: activation failed: system degraded \(failed units: broken\.service\)\)/);
  });

  test("the next preview shows the change again, and the next up fails again the same way", () => {
    const preview = stack().preview();
    expect(preview.code).toBe(0);
    expect(preview.all).toMatch(/~ 1 to update/);
    const before = rebuilds();
    const r = up();
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(/app failed its health checks: activation failed: system degraded \(failed units: broken\.service\)/);
    expect(r.all).toContain(`rolled back to ${previous.system}`);
    expect(moduleOf("app")).toBe(previous.module);
    expect(rebuilds() - before).toBe(2);
  });

  test("fixing it converges", () => {
    configure({ app: app("3"), nb: neighbour("2") });
    const r = must(up());
    expect(r.all).toMatch(/app: health 4\/4 ok/);
    expect(moduleOf("app")).toContain("app 3");
    expect(systemOf("app")).not.toBe(previous.system);
    expect(fleet().unitState(1, "app").system).toBe(systemOf("app"));
    expect(inside("app", "cat /etc/index.html")).toBe("app 3");
    const again = must(up());
    expect(again.all).toMatch(/unchanged/);
    expect(again.all).not.toMatch(/: health \d|health checks/);
  });

  test("rollback: false keeps the new configuration and fails; a container created in the run is left stopped; both fail again next time", () => {
    configure({ app: app("4", { rollback: false }, true), nb: neighbour("2"), fresh: { ...app("1", { hostAddress: "10.172.2.1", localAddress: "10.172.2.2" }, true) } });
    const r = up();
    expect(r.code).not.toBe(0);
    expect(r.all).toContain("rollback is off (rollback: false): app keeps the new configuration");
    expect(moduleOf("app")).toContain("cannot open /var/lib/app/db");
    expect(inside("app", "systemctl is-active broken.service")).toBe("failed");
    expect(r.all).toContain("fresh was created in this run, so there is no previous system to go back to: it is left stopped, not deleted");
    expect(fleet().ssh(1, "systemctl is-active container@fresh.service").stdout.trim()).toBe("inactive");
    expect(moduleOf("fresh")).toContain("broken");

    const again = up();
    expect(again.code).not.toBe(0);
    expect(again.all).toContain("rollback is off (rollback: false): app keeps the new configuration");
    // Left stopped last time, it did not run before this one: stopped again.
    expect(again.all).toContain("fresh did not run before this run, so there is no previous system to go back to: it is left stopped, not deleted");
    expect(fleet().ssh(1, "systemctl is-active container@fresh.service").stdout.trim()).toBe("inactive");
  });
});
