/**
 * A Fleet stack made one NixosHost per host (mode "per-host", what Fleet built before
 * NixosFleet) moved to one NixosFleet (README "Moving a per-host Fleet to the NixosFleet"):
 * one `pulumi up`, and every container stays in place, running what it ran, with nothing
 * restarted. Before the move, the preview of the per-host stack warns when its hosts outnumber
 * Pulumi's --parallel.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack, diagnostics } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
const PROJECT = join(__dirname, "programs", "fleet-migrate");
const STACK = "fleetmigrate";
const HOSTS = [1, 2, 3];
const NAMES: Record<number, string[]> = { 1: ["web", "api"], 2: ["db", "cache"], 3: ["monitor", "batch"] };

let fleet: Fleet;
let stack: PulumiStack;
let work: string;

const INVENTORY = `defaults:
  autoStart: true
hosts:
${HOSTS.map((i) => `  host${i}:\n    containers:\n${NAMES[i].map((n) => `      ${n}:\n        config: { environment: { etc: { role: { text: "${n}" } } } }\n`).join("")}`).join("")}`;

const modules = () => HOSTS.map((i) => fleet.ok(i, "cat /etc/nixos/pulumi-containers/*.nix"));
const rebuilds = () => HOSTS.map((i) => fleet.events(i).filter((e) => e.event === "rebuild").length);
/** Every start or restart of a container unit, on every host. */
const starts = () => HOSTS.map((i) => fleet.events(i).filter((e) => e.event === "unit" && /^container@/.test(e.unit) && ["start", "restart"].includes(e.op)).length);
/** The stack's resources by type name (Pulumi's provider resource aside). */
const types = () =>
  (JSON.parse(stack.exportState()).deployment.resources as { type: string }[])
    .filter((r) => !r.type.startsWith("pulumi:providers:"))
    .map((r) => r.type.split(":").pop())
    .sort();

beforeAll(() => {
  fleet = startFleet(143, 3);
  work = mkdtempSync(join(tmpdir(), "e2e-fleet-migrate-"));
  const inventory = join(work, "inventory.yaml");
  writeFileSync(inventory, INVENTORY);
  stack = new PulumiStack(PROJECT, STACK);
  rmSync(join(PROJECT, `Pulumi.${STACK}.yaml`), { force: true });
  stack.init();
  execFileSync(join(ROOT, "scripts", "fleet-stack-config.js"), [PROJECT, STACK, join(fleet.state, "manifest.json")]);
  stack.must(["config", "set", "inventory", inventory, "--stack", STACK]);
  stack.must(["config", "set", "mode", "per-host", "--stack", STACK]);
});

afterAll(() => {
  stack?.dispose();
  fleet?.down();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a Fleet in per-host mode", () => {
  it("warns at preview when its hosts outnumber the steps Pulumi runs at once, and says what to set", () => {
    const narrow = stack.preview("--parallel", "2");
    expect(narrow.code).toBe(0);
    expect(diagnostics(narrow.stdout).get("nixos:index:Fleet (fleet)")).toEqual([
      'warning: Fleet "fleet": 3 hosts, one NixosHost each (mode "per-host"), but Pulumi runs at most 2 steps at once (--parallel), so the hosts converge in 2 waves, each as long as a host\'s round. Leave out mode "per-host" (one NixosFleet converges every host at once), or run with --parallel 3 (or PULUMI_PARALLEL=3).',
    ]);
    // Pulumi's default here (4 × CPUs) is at least 3: nothing to say.
    const wide = stack.preview("--parallel", "3");
    expect(wide.code).toBe(0);
    expect(diagnostics(wide.stdout).size).toBe(0);
  });

  it("deploys one NixosHost per host", () => {
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/\+ 5 created/);
    expect(types()).toEqual(["Fleet", "NixosHost", "NixosHost", "NixosHost", "Stack"]);
  });
});

describe("moving it to the NixosFleet", () => {
  it("leaves every container in place: the same modules, the same systems, nothing restarted", () => {
    const before = { modules: modules(), systems: stack.outputs().systems, starts: starts(), rebuilds: rebuilds() };
    stack.must(["config", "rm", "mode", "--stack", STACK]);
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/\+ 1 created/);
    expect(r.all).toMatch(/- 3 deleted/);
    expect(types()).toEqual(["Fleet", "NixosFleet", "Stack"]);
    // The NixosFleet rewrote each module byte for byte (one rebuild per host, which restarts
    // nothing); each NixosHost then let go of its containers without touching the host.
    expect(modules()).toEqual(before.modules);
    expect(stack.outputs().systems).toEqual(before.systems);
    expect(starts()).toEqual(before.starts);
    expect(rebuilds()).toEqual(before.rebuilds.map((n) => n + 1));
    for (const i of HOSTS) {
      expect(fleet.ok(i, "nixos-container list").trim().split("\n").sort()).toEqual([...NAMES[i]].sort());
      expect(diagnostics(r.stdout).get(`pulumi-nodejs:dynamic/nixos:NixosHost (host${i})`)).toEqual([
        ...[...NAMES[i]].sort().map((n) => expect.stringMatching(new RegExp(`^warning: .*: ${n}: left in place: another resource of this stack manages it now \\(.*NixosFleet::fleet;`))),
        expect.stringMatching(/: no rebuild, 2 containers: 2 left in place$/),
      ]);
    }
  });

  it("the NixosFleet manages them now: a refresh finds nothing to change, a change reaches its host only, destroy removes them", () => {
    const refresh = stack.run(["refresh", "--yes", "--skip-preview", "--stack", STACK]);
    expect(refresh.code).toBe(0);
    expect(refresh.all).not.toMatch(/~ \d+ updated/);
    const quiet = stack.up();
    expect(quiet.all).toMatch(/3 unchanged/);

    stack.must(["config", "set", "inventory", join(work, "changed.yaml"), "--stack", STACK]);
    writeFileSync(join(work, "changed.yaml"), INVENTORY.replace('text: "db"', 'text: "db, changed"'));
    const before = rebuilds();
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(rebuilds()).toEqual([before[0], before[1] + 1, before[2]]);
    expect(fleet.ok(2, "cat /etc/nixos/pulumi-containers/db.nix")).toContain("db, changed");

    expect(stack.run(["destroy", "--yes", "--stack", STACK]).code).toBe(0);
    for (const i of HOSTS) expect(fleet.ok(i, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
  });
});
