/**
 * Health checks and rollback in the engine (provider/deploy/health-gate.ts), over real SSH on the
 * simulated fleet, whose containers really run their units (tests/hosts/README.md, "Inside a
 * container"): each kind of check against a real process inside the container, a failing one
 * against a unit that really fails, the rollback onto the previous store path, and what it
 * leaves to the other containers of the round. The same through the Pulumi CLI: tests/e2e/health.test.ts.
 */
import { Fleet, startFleet } from "../hosts/helpers";
import { newEngine, specFor, changeFor, rebuilds } from "../support/deploy";

let fleet: Fleet;
beforeAll(() => {
  fleet = startFleet(171, 2);
});
afterAll(() => fleet?.down());

const moduleOn = (i: number, name: string) => fleet.ssh(i, `cat /etc/nixos/pulumi-containers/${name}.nix`).stdout;
const confOf = (i: number, name: string) => fleet.ssh(i, `cat /etc/nixos-containers/${name}.conf`).stdout;
const systemPath = (i: number, name: string) => /^SYSTEM_PATH=(.*)$/m.exec(confOf(i, name))?.[1];

/** A container serving HTTP on port 80 of its own network (a real process, python's http.server). */
function web(name: string, octet: number, extra: Record<string, unknown> = {}, services: Record<string, unknown> = {}) {
  return {
    name,
    autoStart: true,
    privateNetwork: true,
    hostAddress: `10.171.${octet}.1`,
    localAddress: `10.171.${octet}.2`,
    config: {
      environment: { etc: { "index.html": { text: `${name}\n` } } },
      systemd: {
        services: {
          web: { wantedBy: ["multi-user.target"], script: { $nix: '"cd /etc && exec ${pkgs.python3}/bin/python3 -m http.server 80"' } },
          ...services,
        },
      },
    },
    ...extra,
  };
}

const HOSTILE = `a'b "c" $(touch /tmp/pwned) ;x \\ \`id\` *`;

const failing = { broken: { wantedBy: ["multi-user.target"], serviceConfig: { Type: "oneshot" }, script: "echo 'cannot open /var/lib/app/db: no such file' >&2; exit 3" } };

describe("passing checks", () => {
  it("a command, a unit, a port and an HTTP answer inside the container let the change succeed, with progress per container", async () => {
    const { engine, pool, progress } = newEngine(fleet, 1);
    const healthChecks = {
      units: ["web.service"],
      // An argument with quotes, $( ), ; and a backslash reaches the command as it is (three shells on the way).
      commands: [{ argv: ["test", "-e", "/etc/index.html"] }, { argv: ["sh", "-c", 'test "$1" = "$2"', "sh", HOSTILE, HOSTILE] }],
      tcp: [{ port: 80 }],
      http: [{ port: 80, path: "/index.html", expectStatus: [200] }],
      timeoutSeconds: 30,
      intervalSeconds: 1,
    };
    const result = await engine.apply(changeFor(specFor(fleet, 1, web("ok", 1, { healthChecks }))));
    expect(result.state.status).toBe("up");
    expect(progress.lines).toContain("host1: ok: health 6/6 ok");
    // What a check runs (it may carry a credential) is on no command line the host logs.
    expect(JSON.stringify(fleet.sshLog(1))).not.toContain("pwned");
    expect(fleet.ssh(1, "nixos-container run ok -- test -e /tmp/pwned").code).not.toBe(0);
    expect(fleet.ssh(1, "test -e /tmp/pwned").code).not.toBe(0);
    await pool.closeAll();
  });
});

describe("a change whose unit fails inside the container", () => {
  it("is rolled back to the previous store path and module, the neighbour keeps its change, and the error names the unit", async () => {
    const { engine, pool, progress } = newEngine(fleet, 2);
    const healthChecks = { timeoutSeconds: 8, intervalSeconds: 1 };
    await Promise.all([engine.apply(changeFor(specFor(fleet, 2, web("app", 2, { healthChecks })))), engine.apply(changeFor(specFor(fleet, 2, web("nb", 3))))]);
    const previous = { module: moduleOn(2, "app"), system: systemPath(2, "app"), conf: confOf(2, "app") };
    expect(fleet.unitState(2, "app").system).toBe(previous.system);
    const before = rebuilds(fleet, 2).length;

    const bad = changeFor(specFor(fleet, 2, web("app", 2, { healthChecks }, failing)), "update");
    const neighbour = changeFor(specFor(fleet, 2, web("nb", 3, {}, { extra: { wantedBy: ["multi-user.target"], script: "sleep 1000" } })), "update");
    const [app, nb] = await Promise.allSettled([engine.apply(bad), engine.apply(neighbour)]);

    expect(app.status).toBe("rejected");
    const message = (app as PromiseRejectedResult).reason.message as string;
    // Its reload (switch-to-configuration inside) failed: that is a failed check, and the unit is named.
    expect(message).toMatch(/app failed its health checks: activation failed: system degraded \(failed units: broken\.service\)/);
    expect(message).toContain("cannot open /var/lib/app/db: no such file");
    expect(message).toContain(`rolled back to ${previous.system}`);
    expect(nb.status).toBe("fulfilled");

    // The previous module byte for byte, its conf, and the container runs its previous system again.
    expect(moduleOn(2, "app")).toBe(previous.module);
    expect(confOf(2, "app")).toBe(previous.conf);
    expect(fleet.unitState(2, "app")).toMatchObject({ state: "active", system: previous.system });
    expect(fleet.ok(2, "nixos-container run app -- systemctl is-system-running").trim()).toBe("running");
    // The neighbour's change stays: its new unit runs.
    expect(fleet.ok(2, "nixos-container run nb -- systemctl is-active extra.service").trim()).toBe("active");
    // One rebuild for the round, one more for the rollback.
    expect(rebuilds(fleet, 2).slice(before).map((r) => r.result)).toEqual(["ok", "ok"]);
    expect(progress.lines.find((l) => l.startsWith("host2: 2 rebuilds"))).toMatch(
      /2 containers: 1 updated, 1 rolled back \(app: health: activation failed: system degraded \(failed units: broken\.service\)\); health checks: 1 failed$/,
    );
    await pool.closeAll();
  });
});

describe("checks that fail after the container came up", () => {
  it("restarted onto a system with a failing unit: degraded after the timeout, restarted back onto the previous system", async () => {
    const { engine, pool, progress } = newEngine(fleet, 1);
    const healthChecks = { timeoutSeconds: 4, intervalSeconds: 1 };
    await engine.apply(changeFor(specFor(fleet, 1, web("rs", 4, { healthChecks, updateStrategy: "restart" }))));
    const previous = systemPath(1, "rs");
    const starts = fleet.unitState(1, "rs").starts;

    const bad = changeFor(specFor(fleet, 1, web("rs", 4, { healthChecks, updateStrategy: "restart" }, failing)), "update");
    const error = await engine.apply(bad).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/rs failed its health checks: system degraded \(failed units: broken\.service\) after [4-9] s:\n/);
    expect(error?.message).toMatch(/\n  \| .* broken-start\[\d+\]: cannot open \/var\/lib\/app\/db: no such file\n/);
    expect(error?.message).toContain(`rolled back to ${previous}`);
    // Restarted onto the new system, then onto the previous one.
    expect(fleet.unitState(1, "rs")).toMatchObject({ state: "active", system: previous, starts: starts + 2 });
    expect(progress.lines).toContain("host1: rs: health 0/1 ok");
    await pool.closeAll();
  });

  it("a port nothing listens on: 'tcp 81 refused', rolled back", async () => {
    const { engine, pool } = newEngine(fleet, 1);
    await engine.apply(changeFor(specFor(fleet, 1, web("port", 5, { healthChecks: { tcp: [{ port: 80 }], timeoutSeconds: 10 } }))));
    const previous = moduleOn(1, "port");
    const error = await engine.apply(changeFor(specFor(fleet, 1, web("port", 5, { healthChecks: { tcp: [{ port: 81 }], timeoutSeconds: 3, intervalSeconds: 1 } }, { other: { script: "true" } })), "update")).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/port failed its health checks: tcp 81 refused after [3-9] s:\n  \| .*Connection refused/);
    expect(moduleOn(1, "port")).toBe(previous);
    await pool.closeAll();
  });
});

describe("what a failure leaves when there is no rollback", () => {
  it("rollback: false keeps the new configuration and fails", async () => {
    const { engine, pool } = newEngine(fleet, 2);
    const healthChecks = { commands: [{ argv: ["test", "-e", "/etc/ready"] }], timeoutSeconds: 3, intervalSeconds: 1 };
    await engine.apply(changeFor(specFor(fleet, 2, web("keep", 6, { healthChecks: { timeoutSeconds: 10 }, rollback: false }))));
    const before = rebuilds(fleet, 2).length;
    const next = specFor(fleet, 2, web("keep", 6, { healthChecks, rollback: false }, { other: { wantedBy: ["multi-user.target"], script: "sleep 1000" } }));
    const error = await engine.apply(changeFor(next, "update")).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/keep failed its health checks: command test -e \/etc\/ready exited 1 after [3-9] s/);
    expect(error?.message).toContain("rollback is off (rollback: false): keep keeps the new configuration");
    expect(moduleOn(2, "keep")).toContain("sleep 1000");
    expect(fleet.ok(2, "nixos-container run keep -- systemctl is-active other.service").trim()).toBe("active");
    expect(rebuilds(fleet, 2).length - before).toBe(1);
    await pool.closeAll();
  });

  it("a container created in the run that fails is left stopped, not deleted, and says so", async () => {
    const { engine, pool } = newEngine(fleet, 2);
    const error = await engine.apply(changeFor(specFor(fleet, 2, web("fresh", 7, { healthChecks: { timeoutSeconds: 3, intervalSeconds: 1 } }, failing)))).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/fresh failed its health checks: /);
    expect(error?.message).toContain("fresh was created in this run, so there is no previous system to go back to: it is left stopped, not deleted");
    expect(fleet.ssh(2, "systemctl is-active container@fresh.service").stdout.trim()).toBe("inactive");
    expect(moduleOn(2, "fresh")).toContain("broken");
    await pool.closeAll();
  });

  it("a container that does not run is not checked", async () => {
    const { engine, pool, progress } = newEngine(fleet, 2);
    const result = await engine.apply(changeFor(specFor(fleet, 2, { ...web("idle", 8, { healthChecks: {} }), autoStart: false })));
    expect(result.state.status).toBe("down");
    expect(progress.lines).toContain("host2: idle: not running, no health checks");
    await pool.closeAll();
  });
});
