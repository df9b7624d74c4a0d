/**
 * Moving a TypeScript stack from the dynamic provider to the provider plugin (README, "Moving to
 * the provider plugin"): the program's one import line changes (here the config `front`), and
 * `pulumi up` updates each resource in place through its alias: same id, no replace, and on the
 * host nothing is written, rebuilt or restarted. The plugin then refreshes and destroys it.
 */
import { useProjectOnFleet } from "../support/e2e-project";

const project = useProjectOnFleet("plugin-migrate", 163);
const STACK = "e2e";
jest.setTimeout(300_000);

it("moves a NixosContainer and a NixosHost to the plugin with an update in place: no replace, nothing done on the host", () => {
  const [fleet, stack] = [project.fleet(), project.stack()];
  const resources = () =>
    (JSON.parse(stack.exportState()).deployment.resources as { type: string; id?: string }[])
      .filter((r) => r.type.includes("Nixos"))
      .map((r) => [r.type, r.id])
      .sort(([a], [b]) => (a! < b! ? -1 : 1));
  const starts = (name: string) => fleet.events(1).filter((e) => e.event === "unit" && e.unit === `container@${name}.service` && ["start", "restart", "reload"].includes(e.op)).length;
  // Each round that writes or removes a module sends the script that defines write_module.
  const writes = () => fleet.sshLog(1).filter((s) => /write_module/.test(s.cmd)).length;
  const rebuilds = () => fleet.events(1).filter((e) => e.event === "rebuild").length;

  expect(stack.up().code).toBe(0);
  expect(resources()).toEqual([
    ["pulumi-nodejs:dynamic/nixos:NixosContainer", `${fleet.host(1).address}/web`],
    ["pulumi-nodejs:dynamic/nixos:NixosHost", fleet.host(1).address],
  ]);
  const systems = stack.outputs().systems;
  const modules = fleet.ok(1, "cat /etc/nixos/pulumi-containers/web.nix /etc/nixos/pulumi-containers/db.nix");
  const before = { rebuilds: rebuilds(), writes: writes(), web: starts("web"), db: starts("db") };

  stack.must(["config", "set", "front", "plugin", "--stack", STACK]);
  const preview = stack.preview("--diff");
  expect(preview.code).toBe(0);
  expect(preview.all).not.toMatch(/replace|to create|to delete/);
  const up = stack.up();
  expect(up.code).toBe(0);
  expect(up.all).not.toMatch(/replaced|created|deleted/);
  expect(resources()).toEqual([
    ["nixos:index:NixosContainer", `${fleet.host(1).address}/web`],
    ["nixos:index:NixosHost", fleet.host(1).address],
  ]);
  expect(stack.outputs().systems).toEqual(systems);
  expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/web.nix /etc/nixos/pulumi-containers/db.nix")).toBe(modules);
  expect({ rebuilds: rebuilds(), writes: writes(), web: starts("web"), db: starts("db") }).toEqual(before);
  // No key in clear in the state the plugin wrote.
  expect(stack.exportState()).not.toContain("PRIVATE KEY");

  // The plugin has the stack now: nothing to refresh, nothing to change, and destroy removes it all.
  const refresh = stack.run(["refresh", "--yes", "--stack", STACK]);
  expect(refresh.code).toBe(0);
  expect(refresh.all).not.toMatch(/~ \d+ updated/);
  const again = stack.preview();
  expect(again.all).not.toMatch(/to update|to replace|to create|to delete/);
  const down = stack.run(["destroy", "--yes", "--stack", STACK]);
  expect(down.code).toBe(0);
  expect(fleet.ok(1, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
});
