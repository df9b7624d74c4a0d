/**
 * State written by release 0.1.0 keeps working after an upgrade to this checkout: a stack
 * deployed with that release (built from its commit) is refreshed, previewed, updated and
 * destroyed with this package, through the real Pulumi CLI, and nothing changes on the host:
 * no replace, no diff, no rebuild, no restart. The refresh runs the provider text 0.1.0
 * serialized into the state (reference pulumi.md 1.4) against this implementation.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "../support/pulumi-cli";

/** The commit of release 0.1.0 (package.json version 0.1.0, the last before the lifecycle core). */
const RELEASE_0_1_0 = "ae54d566d88e84f13e4254e57388c4b9416498b0";
const ROOT = join(__dirname, "..", "..");
const STACK = "upgrade";

let fleet: Fleet;
let stack: PulumiStack;
let work: string;
let project: string;

/** Point the project's `pulumi-nixos-containers` at a package directory (as npm links a file: dependency). */
function usePackage(dir: string): void {
  const link = join(project, "node_modules", "pulumi-nixos-containers");
  rmSync(link, { force: true });
  symlinkSync(dir, link);
}

/** Release 0.1.0 as its commit built it: the sources from git, compiled with this checkout's modules. */
function buildRelease(): string {
  const dir = join(work, "release-0.1.0");
  mkdirSync(dir);
  const archive = spawnSync("sh", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", ROOT, RELEASE_0_1_0, dir], { encoding: "utf8" });
  if (archive.status !== 0) {
    throw new Error(`cannot read release 0.1.0 (commit ${RELEASE_0_1_0}) from the git history of ${ROOT}: ${archive.stderr}. This test needs a clone with history (not --depth 1).`);
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  if (tsc.status !== 0) throw new Error(`building release 0.1.0 failed:\n${tsc.stdout}${tsc.stderr}`);
  return dir;
}

const moduleOn = (name: string) => fleet.ok(1, `cat /etc/nixos/pulumi-containers/${name}.nix`);
const modules = () => Object.fromEntries(["solo", "web", "db"].map((n) => [n, moduleOn(n)]));
const rebuilds = () => fleet.events(1).filter((e) => e.event === "rebuild").length;
const starts = () => fleet.events(1).filter((e) => e.event === "unit" && /^container@/.test(e.unit) && ["start", "restart", "reload"].includes(e.op)).length;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "nixos-upgrade-"));
  project = join(work, "project");
  cpSync(join(__dirname, "programs", "upgrade"), project, { recursive: true });
  mkdirSync(join(project, "node_modules"));
  symlinkSync(join(ROOT, "node_modules", "@pulumi"), join(project, "node_modules", "@pulumi"));
  usePackage(buildRelease());
  fleet = startFleet(150, 1);
  fleet.ok(1, "mkdir -p /var/lib/web"); // web's bind mount source: nspawn refuses a missing one
  stack = new PulumiStack(project, STACK);
  stack.init();
  const h = fleet.host(1);
  stack.must(["config", "set", "host", h.address, "--stack", STACK]);
  stack.must(["config", "set", "hostKey", h.hostKey, "--stack", STACK]);
  stack.must(["config", "set", "privateKeyFile", h.users.root.privateKeyPath, "--stack", STACK]);
}, 300_000);

afterAll(() => {
  if (stack) {
    stack.run(["destroy", "--yes", "--stack", STACK]);
    stack.remove();
  }
  fleet?.down();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("upgrading from release 0.1.0", () => {
  it("refresh, preview, up and destroy with this package leave the release's containers as they are", () => {
    const created = stack.up();
    expect(created.code).toBe(0);
    expect(created.all).toMatch(/\+ 3 created/);
    const deployed = modules();
    const systems = stack.outputs();
    const before = { rebuilds: rebuilds(), starts: starts() };

    usePackage(ROOT);

    // The state's provider text is the release's: refresh reads the hosts through it.
    const refresh = stack.run(["refresh", "--yes", "--stack", STACK]);
    expect(refresh.code).toBe(0);
    expect(refresh.all).not.toMatch(/~ \d+ updated|- \d+ deleted/);

    const preview = stack.preview("--diff");
    expect(preview.code).toBe(0);
    expect(preview.all).not.toMatch(/~ update|\+-|replace|\+ create|- delete/);
    expect(preview.all).toMatch(/3 unchanged/);

    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).not.toMatch(/updated|replaced|created|deleted/);
    expect(up.all).toMatch(/3 unchanged/);

    expect(modules()).toEqual(deployed);
    expect(stack.outputs()).toEqual(systems);
    expect({ rebuilds: rebuilds(), starts: starts() }).toEqual(before);

    const destroy = stack.run(["destroy", "--yes", "--stack", STACK]);
    expect(destroy.code).toBe(0);
    expect(fleet.ok(1, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
  });
});
