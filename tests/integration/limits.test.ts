/**
 * What a changed resource limit does to a running container, through the engine over real SSH
 * (reference E.3; systemd re-applies a reloaded unit's cgroup settings): applied in place by the
 * switch, restarted only where NixOS restarts a changed unit or updateStrategy says "restart",
 * and left for the next boot by nixos-rebuild boot.
 */
import { Fleet, startFleet } from "../hosts/helpers";
import { newEngine, specFor, changeFor, unitOps } from "../support/deploy";

let fleet: Fleet;
beforeAll(() => {
  fleet = startFleet(125, 1);
});
afterAll(() => fleet?.down());

const memoryMax = (name: string) => fleet.ok(1, `systemctl show container@${name}.service -p MemoryMax --value`).trim();

/** Deploy with memoryMax = first (activated, and started), then with second (and `then`'s arguments). */
async function deployTwice(name: string, args: Record<string, unknown>, first: string, second: string, startFirst = true, then: Record<string, unknown> = {}) {
  const { engine, pool, progress } = newEngine(fleet, 1);
  await engine.apply(changeFor(specFor(fleet, 1, { name, config: {}, ...args, resources: { memoryMax: first } })));
  if (startFirst) fleet.ok(1, `systemctl start container@${name}.service`);
  const before = fleet.unitState(1, name);
  const opsBefore = unitOps(fleet, 1, name).length;
  const result = await engine.apply(changeFor(specFor(fleet, 1, { name, config: {}, ...args, ...then, resources: { memoryMax: second } }), "update"));
  await pool.closeAll();
  return { result, before, after: fleet.unitState(1, name), ops: unitOps(fleet, 1, name).slice(opsBefore), progress: progress.lines };
}

it('updateStrategy "reload": a changed limit reaches the running container in place, no restart and no reload', async () => {
  const r = await deployTwice("inplace", {}, "1G", "2G");
  expect(memoryMax("inplace")).toBe("2147483648");
  expect(r.after).toMatchObject({ pid: r.before.pid, starts: r.before.starts, reloads: r.before.reloads, state: "active" });
  expect(r.ops).toEqual(["cgroup-applied"]);
  expect(r.result.postAction).toBe("none");
  expect(r.progress).toContain("host1: inplace: MemoryMax applied to the running container by the switch's daemon-reload, no restart");
});

it("the same with autoStart: the provider's restartIfChanged = false keeps NixOS from restarting it", async () => {
  const r = await deployTwice("autoin", { autoStart: true }, "1G", "512M", false);
  expect(memoryMax("autoin")).toBe("536870912");
  expect(r.after).toMatchObject({ pid: r.before.pid, starts: r.before.starts });
  expect(r.ops).toEqual(["cgroup-applied"]);
});

it('updateStrategy "restart": a changed limit restarts the container', async () => {
  const r = await deployTwice("restarted", { updateStrategy: "restart" }, "1G", "2G");
  expect(memoryMax("restarted")).toBe("2147483648");
  expect(r.after.starts).toBe(r.before.starts + 1);
  expect(r.result.postAction).toBe("restart");
});

it("autoStart with restartIfChanged: NixOS's switch restarts the changed unit itself", async () => {
  const r = await deployTwice("nixosrs", { autoStart: true, restartIfChanged: true, updateStrategy: "none" }, "1G", "2G", false);
  expect(memoryMax("nixosrs")).toBe("2147483648");
  expect(r.after.starts).toBe(r.before.starts + 1);
  expect(r.result.postAction).toBe("started-by-switch");
});

it("rebuildAction boot: the running container keeps its limit until the next boot", async () => {
  const r = await deployTwice("atboot", {}, "1G", "2G", true, { rebuildAction: "boot" });
  expect(memoryMax("atboot")).toBe("1073741824");
  expect(r.after).toMatchObject({ pid: r.before.pid, starts: r.before.starts });
});
