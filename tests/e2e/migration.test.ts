/**
 * Moving NixosContainer resources into a NixosHost (README "Moving NixosContainer resources
 * into a NixosHost"): the same program with the containers as one NixosHost, one `pulumi up`,
 * and the containers on the host are neither recreated nor restarted.
 */
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "../support/pulumi-cli";

const PROJECT = join(__dirname, "programs", "migrate");
const STACK = "migrate";
let fleet: Fleet;
let stack: PulumiStack;

const moduleOn = (name: string) => fleet.ok(1, `cat /etc/nixos/pulumi-containers/${name}.nix`);
const starts = (name: string) => fleet.events(1).filter((e) => e.event === "unit" && e.unit === `container@${name}.service` && ["start", "restart"].includes(e.op)).length;

beforeAll(() => {
  fleet = startFleet(142, 1);
  stack = new PulumiStack(PROJECT, STACK);
  stack.init();
  const h = fleet.host(1);
  stack.must(["config", "set", "host", h.address, "--stack", STACK]);
  stack.must(["config", "set", "hostKey", h.hostKey, "--stack", STACK]);
  stack.must(["config", "set", "privateKeyFile", h.users.root.privateKeyPath, "--stack", STACK]);
});

afterAll(() => {
  if (stack) {
    stack.run(["destroy", "--yes", "--stack", STACK]);
    stack.remove();
  }
  fleet?.down();
});

describe("from NixosContainer resources to a NixosHost", () => {
  it("moves the containers without recreating or restarting them, and the host owns them afterwards", () => {
    expect(stack.up().code).toBe(0);
    const before = { web: moduleOn("web"), db: moduleOn("db") };
    const systems = stack.outputs().systems;
    const startsBefore = { web: starts("web"), db: starts("db") };

    stack.must(["config", "set", "shape", "host", "--stack", STACK]);
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/\+ 1 created/);
    expect(r.all).toMatch(/- 2 deleted/);
    // The old resources let go of the containers the NixosHost of the same stack now owns.
    expect(r.all).toMatch(/web: left in place: another resource of this stack manages it now/);
    expect({ web: moduleOn("web"), db: moduleOn("db") }).toEqual(before);
    expect(stack.outputs().systems).toEqual(systems);
    expect({ web: starts("web"), db: starts("db") }).toEqual(startsBefore);
    expect(fleet.ok(1, "nixos-container list").trim().split("\n").sort()).toEqual(["db", "web"]);

    // The NixosHost now manages them: a refresh finds nothing to change, a destroy removes them.
    const refresh = stack.run(["refresh", "--yes", "--stack", STACK]);
    expect(refresh.code).toBe(0);
    expect(refresh.all).not.toMatch(/~ \d+ updated/);
    expect(stack.run(["destroy", "--yes", "--stack", STACK]).code).toBe(0);
    expect(fleet.ok(1, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
  });
});
