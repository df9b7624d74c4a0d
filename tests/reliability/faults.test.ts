/**
 * Faults during a deployment round, against the simulated fleet over real
 * SSH (tests/hosts). Each fault must end with a clear error, a host that is
 * wholly at one state (as before, or fully updated; see support.ts
 * `expectWhole`), every container's data intact, and a second run (a new
 * process, as a second `pulumi up`) that converges.
 *
 * host1: connection cuts (write, rebuild, refresh read)
 * host2: rebuild failures (evaluation, build, activation, hang)
 * host3: the switch lock, two deployers, a read-only disk
 * host4: the host restarts mid-run
 */
import { Fleet, startFleet } from "../hosts/helpers";
import { newEngine } from "../support/deploy";
import { INDEX_TEXT } from "../../provider/deploy/layout";
import { renderContainerModule } from "../../provider/container/module";
import { specFor } from "../support/deploy";
import {
  change,
  deploy,
  expectMarkers,
  expectWhole,
  rebuildCount,
  reasonOf,
  snapshot,
  versionedArgs,
  waitForRebuilds,
  writeMarkers,
} from "./support";

const NAMES = ["a", "b", "c"];
let fleet: Fleet;

beforeAll(async () => {
  fleet = startFleet(130, 4);
  await Promise.all(
    [1, 2, 3, 4].map(async (i) => {
      const first = await deploy(fleet, i, NAMES, "v1", "create");
      for (const s of first.settled) expect(reasonOf(s)).toBe("");
      writeMarkers(fleet, i, NAMES);
    }),
  );
}, 120_000);
afterAll(() => fleet?.down());

/** The versions of NAMES on host I's disk, e.g. { a: "v1", b: "v1", c: "v1" }. */
const versions = (i: number) => Object.fromEntries(NAMES.map((n) => [n, snapshot(fleet, i).modules[n]]));
const all = (v: string) => Object.fromEntries(NAMES.map((n) => [n, v]));

/** The second run: a fresh process applies the same change again and everything converges. */
async function expectConverges(i: number, names: string[], version: string, expectRestored = false) {
  const second = await deploy(fleet, i, names, version);
  for (const s of second.settled) expect(reasonOf(s)).toBe("");
  if (expectRestored) expect(second.progress.join("\n")).toMatch(/restored .* from an earlier run that was interrupted/);
  const after = snapshot(fleet, i);
  expect(expectWhole(after, NAMES)).toBe("files");
  expect(after.journal).toEqual([]);
  for (const n of names) expect(after.modules[n]).toBe(version);
  expectMarkers(fleet, i, NAMES);
}

describe("connection cut", () => {
  it("while writing the modules: the round's files are put back at once, nothing is applied; the next run converges", async () => {
    const before = snapshot(fleet, 1);
    const rebuilds = rebuildCount(fleet, 1);
    // The write session carries the index, then a's module, then b's: cut it in the middle of b's,
    // after a's new module was already renamed into place.
    const aText = renderContainerModule(specFor(fleet, 1, versionedArgs("a", "v2")));
    const cutAt = Buffer.byteLength(INDEX_TEXT) + Buffer.byteLength(aText) + 200;
    const run = newEngine(fleet, 1, { quietMs: 100 });
    run.progress.onLine = (line) => {
      if (line.includes(": writing ")) fleet.must("fault", "1", "cut-after-bytes", String(cutAt));
    };
    const settled = await Promise.allSettled(["a", "b"].map((n) => run.engine.apply(change(fleet, 1, n, "v2"))));
    await run.pool.closeAll();
    fleet.must("fault", "1", "clear");
    for (const s of settled) expect(reasonOf(s)).toMatch(/connection .*lost.* writing the container modules/is);
    expect(fleet.events(1).some((e) => e.event === "cut")).toBe(true);
    expect(rebuildCount(fleet, 1)).toBe(rebuilds);

    const after = snapshot(fleet, 1);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.moduleText).toEqual(before.moduleText);
    expect(after.journal).toEqual([]);
    expect(after.current).toBe(before.current);
    expectMarkers(fleet, 1, NAMES);
    await expectConverges(1, ["a", "b"], "v2");
  });

  it("while nixos-rebuild runs: the error says so, the interrupted rebuild finishes before any later one starts, and a newer run wins", async () => {
    // The rebuild takes 3 s; the connection drops 1 s into it. The host-side rebuild keeps running
    // (as after a real drop), so the host applies v3 on its own while the provider reports the loss.
    fleet.must("fault", "1", "rebuild-sleep", "3");
    const rebuilds = rebuildCount(fleet, 1);
    const run = newEngine(fleet, 1, { quietMs: 100 });
    run.progress.onLine = (line) => {
      if (line.includes("nixos-rebuild switch (")) fleet.must("fault", "1", "cut-next", "1", "--delay", "1");
    };
    const settled = await Promise.allSettled([run.engine.apply(change(fleet, 1, "a", "v3"))]);
    await run.pool.closeAll();
    expect(reasonOf(settled[0])).toMatch(/connection .*lost.* during nixos-rebuild switch/is);
    expect(reasonOf(settled[0])).toMatch(/next run/);

    // A second `pulumi up` starts right away, with a newer version, while the orphaned rebuild
    // is still running. Its rebuild must not overtake the orphan's.
    fleet.must("fault", "1", "rebuild-sleep", "0");
    const second = await deploy(fleet, 1, ["a"], "v4");
    expect(reasonOf(second.settled[0])).toBe("");
    await waitForRebuilds(fleet, 1, rebuilds + 2);
    fleet.must("fault", "1", "clear");
    const after = snapshot(fleet, 1);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.modules.a).toBe("v4");
    expect(after.declared.a).toBe("v4");
    expect(after.journal).toEqual([]);
    expectMarkers(fleet, 1, NAMES);
  });

  it("while nixos-rebuild creates a container: the next run creates it again without adopt, though the host finished the first rebuild", async () => {
    fleet.must("fault", "1", "rebuild-sleep", "2");
    const rebuilds = rebuildCount(fleet, 1);
    const run = newEngine(fleet, 1, { quietMs: 100 });
    run.progress.onLine = (line) => {
      if (line.includes("nixos-rebuild switch (")) fleet.must("fault", "1", "cut-next", "1", "--delay", "0.5");
    };
    const settled = await Promise.allSettled([run.engine.apply(change(fleet, 1, "d", "v1", "create"))]);
    await run.pool.closeAll();
    fleet.must("fault", "1", "clear");
    expect(reasonOf(settled[0])).toMatch(/connection .*lost.* during nixos-rebuild switch/is);
    await waitForRebuilds(fleet, 1, rebuilds + 1);
    // The orphaned rebuild declared d; the journal says d.nix (and its owner record) did not exist before.
    const between = snapshot(fleet, 1);
    expect(between.journal).toEqual(["d.absent", "d.owner-absent"]);
    expect(between.declared.d).toBe("v1");
    // Pulumi recorded nothing (the create failed): the next up creates d again.
    const second = await deploy(fleet, 1, ["d"], "v1", "create");
    expect(reasonOf(second.settled[0])).toBe("");
    const after = snapshot(fleet, 1);
    expect(expectWhole(after, [...NAMES, "d"])).toBe("files");
    expect(after.modules.d).toBe("v1");
    expect(after.journal).toEqual([]);
    expectMarkers(fleet, 1, NAMES);
  });

  it("while taking the lock: the lock is given back, so the next run does not wait for its lease to expire", async () => {
    const before = snapshot(fleet, 1);
    fleet.must("fault", "1", "cut-next", "1", "--delay", "0");
    const run = await deploy(fleet, 1, ["c"], "v2");
    fleet.must("fault", "1", "clear");
    expect(reasonOf(run.settled[0])).toMatch(/connection to .* was lost/);
    const after = snapshot(fleet, 1);
    expect(after.lockHeld).toBe(false);
    expect(after.moduleText).toEqual(before.moduleText);
    const started = Date.now();
    await expectConverges(1, ["c"], "v2");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("while reading for refresh: a clear error, nothing changed, the next read works", async () => {
    const before = snapshot(fleet, 1);
    const run = newEngine(fleet, 1);
    fleet.must("fault", "1", "cut-next", "1", "--delay", "0");
    const failed = await run.engine.read("b").catch((e: Error) => e);
    fleet.must("fault", "1", "clear");
    expect(String(failed)).toMatch(/reading the state of b failed; nothing on the host was changed.*connection to .* was lost/);
    const again = await run.engine.read("b");
    expect(again.module).toBe(before.moduleText.b);
    await run.pool.closeAll();
    const after = snapshot(fleet, 1);
    expect(after.moduleText).toEqual(before.moduleText);
    expect(after.current).toBe(before.current);
    expectMarkers(fleet, 1, NAMES);
  });
});

describe("nixos-rebuild fails", () => {
  it("at evaluation: every change of the round fails with the Nix error and is rolled back; the next run converges", async () => {
    const before = snapshot(fleet, 2);
    fleet.must("fault", "2", "eval-fail", "99");
    const run = await deploy(fleet, 2, NAMES, "v2");
    fleet.must("fault", "2", "clear");
    for (const s of run.settled) expect(reasonOf(s)).toMatch(/nixos-rebuild switch failed at evaluation.*simulated evaluation failure/s);
    const after = snapshot(fleet, 2);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(versions(2)).toEqual(all("v1"));
    expect(after.current).toBe(before.current);
    expect(after.journal).toEqual([]);
    expectMarkers(fleet, 2, NAMES);
    await expectConverges(2, NAMES, "v2");
  });

  it("at build (exit 100): rolled back, nothing activated; the next run converges", async () => {
    const before = snapshot(fleet, 2);
    fleet.must("fault", "2", "build-fail", "99");
    const run = await deploy(fleet, 2, ["a"], "v3");
    fleet.must("fault", "2", "clear");
    expect(reasonOf(run.settled[0])).toMatch(/nixos-rebuild switch failed at build.*builder for/s);
    const after = snapshot(fleet, 2);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.modules.a).toBe("v2");
    expect(after.current).toBe(before.current);
    expect(after.profile).toBe(before.profile);
    expectMarkers(fleet, 2, NAMES);
    await expectConverges(2, ["a"], "v3");
  });

  it("at activation (exit 4): the new configuration is active and said so; the failed container's error names its unit; the next run converges", async () => {
    fleet.must("fault", "2", "activate-fail", "1", "container@a.service");
    const run = await deploy(fleet, 2, ["a", "b"], "v4");
    fleet.must("fault", "2", "clear");
    const [a, b] = run.settled;
    expect(reasonOf(a)).toMatch(/the new configuration is active, but container@a\.service failed/);
    expect(reasonOf(b)).toBe("");
    const after = snapshot(fleet, 2);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.modules).toMatchObject({ a: "v4", b: "v4", c: "v2" });
    expect(after.running.a.state).toBe("failed");
    expect(after.journal).toEqual([]);
    expectMarkers(fleet, 2, NAMES);
    await expectConverges(2, ["a", "b"], "v4");
    expect(snapshot(fleet, 2).running.a).toEqual({ version: "v4", state: "active" });
  });

  it("hangs past rebuildTimeoutSeconds: stopped on the host, rolled back, reported as a timeout; the next run converges", async () => {
    const before = snapshot(fleet, 2);
    fleet.must("fault", "2", "hang");
    const started = Date.now();
    const run = newEngine(fleet, 2, { quietMs: 100 });
    const settled = await Promise.allSettled([run.engine.apply({ ...change(fleet, 2, "c", "v5"), rebuildTimeoutSeconds: 10 })]);
    await run.pool.closeAll();
    const seconds = (Date.now() - started) / 1000;
    fleet.must("fault", "2", "clear");
    expect(reasonOf(settled[0])).toMatch(/nixos-rebuild switch did not finish within 10 s \(rebuildTimeoutSeconds\)/);
    expect(seconds).toBeLessThan(25);
    // No nixos-rebuild left in this host (the hosts share the machine's process table: compare mount namespaces).
    const own = "for p in $(pgrep -f '[n]ixos-rebuild switch'); do [ \"$(readlink /proc/$p/ns/mnt)\" = \"$(readlink /proc/self/ns/mnt)\" ] && echo $p; done; true";
    expect(fleet.ssh(2, own).stdout.trim()).toBe("");
    const after = snapshot(fleet, 2);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.modules.c).toBe("v2");
    expect(after.current).toBe(before.current);
    expect(after.journal).toEqual([]);
    expectMarkers(fleet, 2, NAMES);
    await expectConverges(2, ["c"], "v5");
  }, 60_000);
});

describe("locks and concurrency", () => {
  it("another process holds the host's switch lock: retried, then a clear error; the host, boot default included, is as before", async () => {
    const before = snapshot(fleet, 3);
    fleet.must("fault", "3", "hold-lock", "600");
    const run = await deploy(fleet, 3, ["a"], "v2", "update", { switchLockRetries: 1 });
    fleet.must("fault", "3", "clear");
    expect(reasonOf(run.settled[0])).toMatch(/another process holds the switch lock of the host.*Could not acquire lock/s);
    expect(run.progress.join("\n")).toMatch(/retrying in 2 s/);
    const after = snapshot(fleet, 3);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.modules.a).toBe("v1");
    expect(after.current).toBe(before.current);
    expect(after.profile).toBe(before.profile);
    expectMarkers(fleet, 3, NAMES);
    await expectConverges(3, ["a"], "v2");
  });

  it("a switch lock held only briefly is waited out by the retries", async () => {
    fleet.must("fault", "3", "hold-lock", "3");
    const run = await deploy(fleet, 3, ["b"], "v2", "update", { switchLockRetries: 3 });
    fleet.must("fault", "3", "clear");
    expect(reasonOf(run.settled[0])).toBe("");
    expect(run.progress.join("\n")).toMatch(/another nixos-rebuild holds the switch lock; retrying/);
    expect(expectWhole(snapshot(fleet, 3), NAMES)).toBe("files");
  });

  it("two deployers on one host at once (two processes): both land, their rebuilds never overlap", async () => {
    // Each rebuild takes 2 s, so the second deployer finds the first one's lock held.
    fleet.must("fault", "3", "rebuild-sleep", "2");
    const first = rebuildCount(fleet, 3);
    const [one, two] = await Promise.all([deploy(fleet, 3, ["a"], "v3"), deploy(fleet, 3, ["c"], "v3")]);
    fleet.must("fault", "3", "clear");
    expect(reasonOf(one.settled[0])).toBe("");
    expect(reasonOf(two.settled[0])).toBe("");
    expect([...one.progress, ...two.progress].filter((l) => l.includes("waiting for the deployment lock")).length).toBe(1);
    const runs = fleet.events(3).filter((e) => e.event === "rebuild").slice(first);
    expect(runs.map((r) => r.result)).toEqual(["ok", "ok"]);
    const [x, y] = runs.map((r) => ({ end: Date.parse(r.ts), start: Date.parse(r.ts) - r.seconds * 1000 }));
    expect(y.start).toBeGreaterThanOrEqual(x.end - 50);
    const after = snapshot(fleet, 3);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.modules).toMatchObject({ a: "v3", b: "v2", c: "v3" });
    expectMarkers(fleet, 3, NAMES);
  });

  it("a lock directory without a lease (an older provider's, between its mkdir and its lease) is waited for, then taken over once a minute old", async () => {
    // The provider now renames the lock into place with its lease inside; older versions made the
    // directory first and wrote the lease after, and a run cut off in between left it lease-less.
    fleet.ok(3, "mkdir -p /run/lock/pulumi-nixos-containers");
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        fleet.ok(3, "rm -rf /run/lock/pulumi-nixos-containers");
        resolve();
      }, 3000),
    );
    const started = Date.now();
    const run = await deploy(fleet, 3, ["b"], "v3");
    await released;
    expect(reasonOf(run.settled[0])).toBe("");
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(run.progress.join("\n")).toMatch(/waiting for the deployment lock held by another deployment \(taking the lock\)/);
    expect(run.progress.join("\n")).not.toMatch(/took over/);
    // A lease-less lock directory from more than a minute ago was abandoned by a run that died.
    fleet.ok(3, "mkdir -p /run/lock/pulumi-nixos-containers && touch -d '2 minutes ago' /run/lock/pulumi-nixos-containers");
    const again = await deploy(fleet, 3, ["b"], "v4");
    expect(reasonOf(again.settled[0])).toBe("");
    expect(again.progress.join("\n")).toMatch(/took over an expired lock/);
    expect(expectWhole(snapshot(fleet, 3), NAMES)).toBe("files");
  });

  it("the disk refuses writes: refused before anything is written, with the reason; the next run converges", async () => {
    const before = snapshot(fleet, 3);
    fleet.must("fault", "3", "disk-full");
    const run = await deploy(fleet, 3, ["b"], "v5");
    fleet.must("fault", "3", "clear");
    expect(reasonOf(run.settled[0])).toMatch(/\/etc\/nixos\/pulumi-containers is not writable/);
    const after = snapshot(fleet, 3);
    expect(expectWhole(after, NAMES)).toBe("files");
    expect(after.moduleText).toEqual(before.moduleText);
    expect(after.journal).toEqual([]);
    expectMarkers(fleet, 3, NAMES);
    await expectConverges(3, ["b"], "v5");
  });
});

describe("the host restarts in the middle of a run", () => {
  it("sshd goes down during nixos-rebuild and comes back: a clear error, the host boots whole, the next run restores the journal and converges", async () => {
    fleet.must("fault", "4", "rebuild-sleep", "3");
    const run = newEngine(fleet, 4, { quietMs: 100 });
    let rebooted: Promise<void> | undefined;
    run.progress.onLine = (line) => {
      if (line.includes("nixos-rebuild switch (")) {
        rebooted = new Promise((resolve) =>
          setTimeout(() => {
            fleet.must("stop-host", "4");
            fleet.must("start-host", "4");
            resolve();
          }, 1000),
        );
      }
    };
    const settled = await Promise.allSettled(["a", "b"].map((n) => run.engine.apply(change(fleet, 4, n, "v2"))));
    await rebooted;
    await run.pool.closeAll();
    fleet.must("fault", "4", "clear");
    for (const s of settled) expect(reasonOf(s)).toMatch(/connection .*(lost|closed|refused)/is);

    const after = snapshot(fleet, 4);
    // The rebuild was killed before it set the boot default: the host booted the old system,
    // and the journal tells the next run which files to put back first.
    expect(expectWhole(after, NAMES)).toBe("journal");
    expect(after.declared).toMatchObject(all("v1"));
    expect(fleet.events(4).filter((e) => e.event === "boot").length).toBeGreaterThanOrEqual(2);
    expectMarkers(fleet, 4, NAMES);
    await expectConverges(4, ["a", "b"], "v2", true);
  }, 60_000);
});
