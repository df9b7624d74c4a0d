/**
 * The host engine against the simulated fleet, over real SSH: one rebuild
 * for many changes, isolation of a broken container, atomic writes under a
 * cut connection, the host lock, and what happens to running containers
 * after a switch (reference E.3, D.3).
 */
import { Fleet, startFleet } from "../hosts/helpers";
import { newEngine, specFor, changeFor, rebuilds, unitOps } from "../support/deploy";
import { IMPORT_LINE } from "../../provider/deploy/layout";
import { renderContainerModule } from "../../provider/container/module";

let fleet: Fleet;
beforeAll(() => {
  fleet = startFleet(121, 5, ["--no-index-import=4", "--flake-hosts", "5"]);
});
afterAll(() => fleet?.down());

const moduleOnHost = (i: number, name: string) => fleet.ssh(i, `cat /etc/nixos/pulumi-containers/${name}.nix`).stdout;
const confVar = (i: number, name: string, v: string) => new RegExp(`^${v}=(.*)$`, "m").exec(fleet.ok(i, `cat /etc/nixos-containers/${name}.conf`))?.[1];

describe("coalescing", () => {
  it("applies 10 container changes on one host with exactly one nixos-rebuild", async () => {
    const { engine, pool } = newEngine(fleet, 1);
    const before = rebuilds(fleet, 1).length;
    const specs = Array.from({ length: 10 }, (_, n) => specFor(fleet, 1, { name: `c${n}`, autoStart: true, config: { environment: { etc: { id: { text: `c${n}` } } } } }));
    const results = await Promise.all(specs.map((s) => engine.apply(changeFor(s))));
    expect(rebuilds(fleet, 1).length - before).toBe(1);
    expect(engine.rounds).toBe(1);
    for (const r of results) {
      expect(r.state.status).toBe("up");
      // The container runs exactly the system its conf names.
      expect(fleet.unitState(1, r.state.name).system).toBe(r.state.systemPath);
      expect(r.state.systemPath).toBe(confVar(1, r.state.name, "SYSTEM_PATH"));
    }
    expect(pool.stats()[`root@${fleet.host(1).address}:22`].connectionsOpened).toBe(1);
    await pool.closeAll();
  });
});

describe("a broken container among good ones", () => {
  it("lands the good ones, puts the broken one's file back and names it in the error", async () => {
    const { engine, pool } = newEngine(fleet, 2);
    const good = specFor(fleet, 2, { name: "bad", config: { environment: { etc: { v: { text: "1" } } } } });
    await engine.apply(changeFor(good));
    const previous = moduleOnHost(2, "bad");
    const before = rebuilds(fleet, 2).length;

    const broken = { ...changeFor(specFor(fleet, 2, { name: "bad", config: "{ pkgs, ... }: { environment.etc.v.text = undefinedVariable; }" }), "update") };
    const others = ["ok1", "ok2", "ok3", "ok4"].map((name) => changeFor(specFor(fleet, 2, { name, autoStart: true, config: {} })));
    const settled = await Promise.allSettled([engine.apply(broken), ...others.map((c) => engine.apply(c))]);

    const [bad, ...rest] = settled;
    expect(bad.status).toBe("rejected");
    const message = (bad as PromiseRejectedResult).reason.message as string;
    expect(message).toMatch(/nixos-rebuild switch failed at evaluation/);
    expect(message).toMatch(/the error names this container; its change was rolled back/);
    expect(message).toMatch(/undefined variable 'undefinedVariable'/);
    expect(message).toMatch(/pulumi-containers\/bad\.nix/);
    for (const r of rest) expect(r.status).toBe("fulfilled");
    expect(moduleOnHost(2, "bad")).toBe(previous);
    for (const name of ["ok1", "ok2", "ok3", "ok4"]) expect(fleet.unitState(2, name).state).toBe("active");
    // One failed evaluation, then one rebuild of the other four.
    expect(rebuilds(fleet, 2).slice(before).map((r) => r.result)).toEqual(["eval-error", "ok"]);
    await pool.closeAll();
  });
});

describe("atomic writes", () => {
  it("keeps the old module when the connection is cut while the new one is written; the next run converges", async () => {
    const { engine, pool, progress } = newEngine(fleet, 3);
    const first = specFor(fleet, 3, { name: "keep", config: { environment: { etc: { v: { text: "first" } } } } });
    await engine.apply(changeFor(first));
    const old = moduleOnHost(3, "keep");

    // Cut the write session after 300 bytes of its stdin (the index and the module are ~1 KB).
    progress.onLine = (line) => {
      if (line.includes("writing")) fleet.must("fault", "3", "cut-after-bytes", "300");
    };
    const second = specFor(fleet, 3, { name: "keep", config: { environment: { etc: { v: { text: "second ".repeat(200) } } } } });
    await expect(engine.apply(changeFor(second, "update"))).rejects.toThrow(/connection|lost|closed/i);
    progress.onLine = undefined;
    expect(moduleOnHost(3, "keep")).toBe(old);
    expect(fleet.ok(3, "ls -a /etc/nixos/pulumi-containers")).not.toMatch(/keep\.nix\.tmp/);

    const retry = await newEngine(fleet, 3).engine.apply(changeFor(second, "update"));
    expect(retry.state.module).toBe(renderContainerModule(second));
    expect(moduleOnHost(3, "keep")).toBe(renderContainerModule(second));
    await pool.closeAll();
  });
});

describe("the host lock", () => {
  it("serialises two deployments to one host (two processes): their rebuilds never overlap", async () => {
    fleet.must("fault", "1", "rebuild-sleep", "1.5");
    try {
      const a = newEngine(fleet, 1);
      const b = newEngine(fleet, 1);
      const before = rebuilds(fleet, 1).length;
      await Promise.all([
        a.engine.apply(changeFor(specFor(fleet, 1, { name: "lock-a", config: {} }))),
        b.engine.apply(changeFor(specFor(fleet, 1, { name: "lock-b", config: {} }))),
      ]);
      const runs = rebuilds(fleet, 1).slice(before);
      expect(runs.map((r) => r.result)).toEqual(["ok", "ok"]);
      const [first, second] = runs.map((r) => ({ end: Date.parse(r.ts), start: Date.parse(r.ts) - (r.seconds ?? 0) * 1000 }));
      expect(second.start).toBeGreaterThanOrEqual(first.end - 50);
      const waited = [...a.progress.lines, ...b.progress.lines].filter((l) => l.includes("waiting for the deployment lock"));
      expect(waited.length).toBe(1);
      await Promise.all([a.pool.closeAll(), b.pool.closeAll()]);
    } finally {
      fleet.must("fault", "1", "clear");
    }
  });
});

describe("after the switch (reference E.3)", () => {
  it('reloads a changed autoStart container in place with updateStrategy "reload"', async () => {
    const { engine, pool } = newEngine(fleet, 2);
    const v1 = specFor(fleet, 2, { name: "inplace", autoStart: true, config: { environment: { etc: { v: { text: "1" } } } } });
    await engine.apply(changeFor(v1));
    const v2 = specFor(fleet, 2, { name: "inplace", autoStart: true, config: { environment: { etc: { v: { text: "2" } } } } });
    const r = await engine.apply(changeFor(v2, "update"));
    expect(r.postAction).toBe("reload");
    expect(unitOps(fleet, 2, "inplace")).toEqual(["start", "reload"]);
    expect(fleet.unitState(2, "inplace").system).toBe(r.state.systemPath);
    await pool.closeAll();
  });

  it('lets NixOS restart an autoStart container with updateStrategy "restart"', async () => {
    const { engine, pool } = newEngine(fleet, 2);
    await engine.apply(changeFor(specFor(fleet, 2, { name: "restarty", autoStart: true, updateStrategy: "restart", config: {} })));
    const r = await engine.apply(changeFor(specFor(fleet, 2, { name: "restarty", autoStart: true, updateStrategy: "restart", config: { environment: { etc: { v: { text: "2" } } } } }), "update"));
    expect(r.postAction).toBe("started-by-switch");
    expect(unitOps(fleet, 2, "restarty")).toEqual(["start", "restart"]);
    expect(fleet.unitState(2, "restarty").system).toBe(r.state.systemPath);
    await pool.closeAll();
  });

  it("reloads a running container without autoStart (which NixOS never touches), and restarts it when host-side settings change", async () => {
    const { engine, pool } = newEngine(fleet, 3);
    await engine.apply(changeFor(specFor(fleet, 3, { name: "manual", config: {} })));
    expect(fleet.unitState(3, "manual")).toBeNull();
    fleet.ok(3, "systemctl start container@manual.service");
    const r1 = await engine.apply(changeFor(specFor(fleet, 3, { name: "manual", config: { environment: { etc: { v: { text: "2" } } } } }), "update"));
    expect(r1.postAction).toBe("reload");
    expect(fleet.unitState(3, "manual").system).toBe(r1.state.systemPath);
    fleet.ok(3, "mkdir -p /srv/data"); // the bind mount source: nspawn refuses a missing one
    const r2 = await engine.apply(
      changeFor(specFor(fleet, 3, { name: "manual", bindMounts: { "/data": { hostPath: "/srv/data" } }, config: { environment: { etc: { v: { text: "2" } } } } }), "update"),
    );
    expect(r2.postAction).toBe("restart");
    expect(unitOps(fleet, 3, "manual")).toEqual(["start", "reload", "restart"]);
    await pool.closeAll();
  });

  it('leaves a running container on its old system with updateStrategy "none"', async () => {
    const { engine, pool } = newEngine(fleet, 3);
    await engine.apply(changeFor(specFor(fleet, 3, { name: "frozen", updateStrategy: "none", config: {} })));
    fleet.ok(3, "systemctl start container@frozen.service");
    const oldSystem = fleet.unitState(3, "frozen").system;
    const r = await engine.apply(changeFor(specFor(fleet, 3, { name: "frozen", updateStrategy: "none", config: { environment: { etc: { v: { text: "2" } } } } }), "update"));
    expect(r.postAction).toBe("none");
    expect(fleet.unitState(3, "frozen").system).toBe(oldSystem);
    expect(r.state.systemPath).not.toBe(oldSystem);
    await pool.closeAll();
  });

  it("updates a flake container with nixos-container update (and restarts it for new start settings), and never an ordinary one", async () => {
    fleet.ok(1, "mkdir -p /srv/flakes/web && printf '{ outputs = { self }: { v = 1; }; }\\n' > /srv/flakes/web/flake.nix");
    const { engine, pool } = newEngine(fleet, 1);
    const spec = specFor(fleet, 1, { name: "flaky", autoStart: true, flake: "path:/srv/flakes/web" });
    const r1 = await engine.apply(changeFor(spec));
    expect(r1.postAction).toBe("update");
    const first = fleet.unitState(1, "flaky").system;
    fleet.ok(1, "printf '{ outputs = { self }: { v = 2; }; }\\n' > /srv/flakes/web/flake.nix");
    const r2 = await engine.apply(changeFor({ ...spec, timeoutStartSec: "2min" }, "update"));
    expect(r2.postAction).toBe("update");
    expect(fleet.unitState(1, "flaky").system).not.toBe(first);
    expect(fleet.unitState(1, "flaky").system).toBe(r2.state.systemPath);
    // New start settings of its unit: updated, then restarted, so that it runs with them.
    const starts = fleet.unitState(1, "flaky").starts;
    const r3 = await engine.apply(changeFor({ ...spec, timeoutStartSec: "2min", tmpfs: ["/var/cache"] }, "update"));
    expect(r3.postAction).toBe("restart");
    expect(fleet.unitState(1, "flaky").starts).toBe(starts + 1);
    expect(fleet.unitState(1, "flaky").nspawn).toContain("--tmpfs=/var/cache");
    const updates = fleet.events(1).filter((e) => e.event === "container-update").map((e) => e.container);
    expect(updates.filter((n) => n === "flaky").length).toBeGreaterThanOrEqual(2);
    expect(updates.filter((n) => n !== "flaky")).toEqual([]);
    await pool.closeAll();
  });
});

describe("delete", () => {
  it("stops the container and keeps its data unless deleteData", async () => {
    const { engine, pool } = newEngine(fleet, 2);
    for (const name of ["gone1", "gone2"]) await engine.apply(changeFor(specFor(fleet, 2, { name, autoStart: true, config: {} })));
    fleet.ok(2, "echo precious > /var/lib/nixos-containers/gone1/root/data; echo precious > /var/lib/nixos-containers/gone2/root/data");
    const [keep, wipe] = await Promise.all([
      engine.apply(changeFor(specFor(fleet, 2, { name: "gone1", config: {} }), "delete")),
      engine.apply(changeFor(specFor(fleet, 2, { name: "gone2", deleteData: true, config: {} }), "delete")),
    ]);
    expect(keep.state.status).toBe("gone");
    expect(wipe.state.status).toBe("gone");
    expect(fleet.unitState(2, "gone1").state).toBe("inactive");
    expect(fleet.ok(2, "cat /var/lib/nixos-containers/gone1/root/data")).toBe("precious\n");
    expect(fleet.ssh(2, "test -e /var/lib/nixos-containers/gone2").code).not.toBe(0);
    expect(fleet.ssh(2, "test -e /etc/nixos/pulumi-containers/gone1.nix").code).not.toBe(0);
    await pool.closeAll();
  });
});

describe("a flake-based host", () => {
  it("stages the modules in git, so the flake sees new files and forgets removed ones", async () => {
    const { engine, pool } = newEngine(fleet, 5);
    const created = await engine.apply(changeFor(specFor(fleet, 5, { name: "inflake", autoStart: true, config: {} })));
    expect(created.state.status).toBe("up");
    expect(fleet.ok(5, "git -C /etc/nixos ls-files pulumi-containers")).toMatch(/pulumi-containers\/inflake\.nix/);
    expect(fleet.ok(5, "nixos-container list")).toContain("inflake");
    const removed = await engine.apply(changeFor(specFor(fleet, 5, { name: "inflake", config: {} }), "delete"));
    expect(removed.state.status).toBe("gone");
    expect(fleet.ok(5, "git -C /etc/nixos ls-files pulumi-containers")).not.toContain("inflake");
    await pool.closeAll();
  });
});

describe("a host whose configuration does not import the modules", () => {
  it("fails before changing anything, with the line to add", async () => {
    const { engine, pool } = newEngine(fleet, 4);
    const before = rebuilds(fleet, 4).length;
    const listing = fleet.ok(4, "ls -la /etc/nixos");
    await expect(engine.apply(changeFor(specFor(fleet, 4, { name: "web", config: {} })))).rejects.toThrow(IMPORT_LINE);
    expect(rebuilds(fleet, 4).length).toBe(before);
    expect(fleet.ok(4, "ls -la /etc/nixos")).toBe(listing);
    await pool.closeAll();
  });
});
