/**
 * One owner per container on a host, through the real Pulumi CLI: two teams run the same
 * program as stacks `teama` and `teamb` (each with a backend of its own) against one host.
 * - the second stack's `up` of a container the first manages fails before writing;
 * - a takeover whose rebuild fails puts the first stack's module and owner record back;
 * - with adopt: true it takes it over, saying so; the first stack's refresh reports it and its
 *   next `up` leaves the container alone; its `destroy` leaves the container in place;
 * - a module from an older provider version (no owner record) is adopted once;
 * - two `up` at once for the same new container: exactly one owner, no interleaved writes;
 * - NixosHost: moving a stack's NixosContainers into one keeps the containers (the old
 *   resources' deletes leave them to the NixosHost), and it is refused another stack's container.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { makeProjectDir } from "../support/dynamic-harness";
import { PulumiStack } from "../support/pulumi-cli";
import { deploy, expectWhole, rebuildCount, snapshot } from "./support";

let fleet: Fleet;
let project: string;
let teama: PulumiStack;
let teamb: PulumiStack;
const OWNERS = "/var/lib/pulumi-nixos-containers/owners";

// The version marker of each module and system is the team ("hello:teama"), as versionIn() reads it.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");
const cfg = new pulumi.Config();
const connection = { host: cfg.require("host"), hostKey: cfg.require("hostKey"), privateKey: cfg.requireSecret("privateKey") };
const names = cfg.requireObject("containers");
const spec = (name) => ({ autoStart: true, adopt: cfg.getBoolean("adopt") || false, config: { environment: { etc: { v: { text: name + ":" + pulumi.getStack() } } } } });
if (cfg.get("front") === "host") {
  new nixos.NixosHost("host", { connection, rebuildTimeoutSeconds: 60, containers: Object.fromEntries(names.map((n) => [n, spec(n)])) });
} else {
  for (const name of names) new nixos.NixosContainer(name, { connection, rebuildTimeoutSeconds: 60, ...spec(name) });
}
`;

beforeAll(() => {
  fleet = startFleet(135, 1);
  project = makeProjectDir();
  writeFileSync(join(project, "Pulumi.yaml"), "name: owners\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
  writeFileSync(join(project, "index.js"), PROGRAM);
  const h = fleet.host(1);
  teama = new PulumiStack(project, "teama");
  teamb = new PulumiStack(project, "teamb");
  for (const stack of [teama, teamb]) {
    stack.init();
    config(stack, "host", h.address);
    config(stack, "hostKey", h.hostKey);
    stack.setConfig("privateKey", readFileSync(h.users.root.privateKeyPath, "utf8"), true);
  }
}, 120_000);

afterAll(() => {
  teama?.remove();
  teamb?.remove();
  if (project) rmSync(project, { recursive: true, force: true });
  fleet?.down();
});

const config = (stack: PulumiStack, key: string, value: string) => stack.setConfig(key, value);

const ownerOnHost = (name: string) => JSON.parse(fleet.ok(1, `cat ${OWNERS}/${name}.json`));
const urn = (stack: string, name: string) => `urn:pulumi:${stack}::owners::pulumi-nodejs:dynamic/nixos:NixosContainer::${name}`;
const owner = (stack: string, name: string) => ({ organization: "organization", project: "owners", stack, urn: urn(stack, name) });
const named = (stack: string, name: string) => `stack organization/owners/${stack} (${urn(stack, name)})`;
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The container as the host has it: its module's marker, the system it runs, and its unit state. */
function onHost(name: string) {
  const s = snapshot(fleet, 1);
  return { module: s.modules[name], declared: s.declared[name], running: s.running[name] };
}

it("two stacks, same container name, same host: the second `up` fails before writing, naming both owners and the two ways out", () => {
  config(teama, "containers", '["hello"]');
  config(teamb, "containers", '["hello"]');
  const a = teama.up();
  expect({ code: a.code, out: a.code === 0 ? "" : a.all }).toEqual({ code: 0, out: "" });
  expect(ownerOnHost("hello")).toEqual(owner("teama", "hello"));
  const before = snapshot(fleet, 1);
  const rebuilds = rebuildCount(fleet, 1);

  const b = teamb.up();
  expect(b.code).not.toBe(0);
  expect(b.all).toMatch(
    new RegExp(
      `container "hello" is managed by another stack: ${escaped(named("teama", "hello"))} \\(recorded in ${escaped(OWNERS)}/hello\\.json\\); this create comes from ${escaped(named("teamb", "hello"))}\\. Nothing was changed\\. Give this container another name \\(name\\), or take it over on purpose with adopt: true`,
    ),
  );
  expect(rebuildCount(fleet, 1)).toBe(rebuilds);
  const after = snapshot(fleet, 1);
  expect(after.moduleText.hello).toBe(before.moduleText.hello);
  expect(after.moduleText.hello).toContain('"hello:teama"');
  expect(onHost("hello")).toEqual({ module: "teama", declared: "teama", running: { version: "teama", state: "active" } });
  expect(after.journal).toEqual([]);
  expect(ownerOnHost("hello")).toEqual(owner("teama", "hello"));
}, 180_000);

it("a takeover whose rebuild fails puts back the first stack's module and its owner record", () => {
  config(teamb, "adopt", "true");
  const before = snapshot(fleet, 1).moduleText.hello;
  fleet.must("fault", "1", "eval-fail", "1");
  const b = teamb.up();
  fleet.must("fault", "1", "clear");
  expect(b.code).not.toBe(0);
  expect(b.all).toMatch(/nixos-rebuild switch failed at evaluation/);
  const s = snapshot(fleet, 1);
  expect(s.moduleText.hello).toBe(before);
  expect(s.journal).toEqual([]);
  expect(ownerOnHost("hello")).toEqual(owner("teama", "hello"));
  expect(onHost("hello")).toEqual({ module: "teama", declared: "teama", running: { version: "teama", state: "active" } });
}, 180_000);

it("the second stack with adopt: true takes it over and says so; the first stack's refresh reports it, and its next `up` leaves it alone", () => {
  config(teamb, "adopt", "true");
  const b = teamb.up();
  expect({ code: b.code, out: b.code === 0 ? "" : b.all }).toEqual({ code: 0, out: "" });
  expect(b.all).toMatch(new RegExp(`hello: taking it over from ${escaped(named("teama", "hello"))} \\(adopt: true\\); it is now managed by ${escaped(named("teamb", "hello"))}`));
  expect(ownerOnHost("hello")).toEqual(owner("teamb", "hello"));
  expect(onHost("hello")).toEqual({ module: "teamb", declared: "teamb", running: { version: "teamb", state: "active" } });

  const refreshed = teama.run(["refresh", "--yes", "--stack", "teama"]);
  expect(refreshed.code).toBe(0);
  expect(refreshed.all).toMatch(new RegExp(`container "hello" is now managed by ${escaped(named("teamb", "hello"))}, which took it over \\(adopt: true\\)`));
  const state = JSON.parse(teama.exportState());
  const hello = state.deployment.resources.find((r: { urn: string }) => r.urn === urn("teama", "hello"));
  expect(hello.outputs.managedBy).toBe("organization/owners/teamb");
  // Not drift: the state keeps teama's module, so the next up has nothing to change.
  expect(hello.outputs.nixConfig).toContain('"hello:teama"');

  const rebuilds = rebuildCount(fleet, 1);
  const again = teama.up();
  expect({ code: again.code, out: again.code === 0 ? "" : again.all }).toEqual({ code: 0, out: "" });
  expect(again.all).toMatch(/2 unchanged/);
  expect(rebuildCount(fleet, 1)).toBe(rebuilds);
  expect(onHost("hello")).toEqual({ module: "teamb", declared: "teamb", running: { version: "teamb", state: "active" } });
  expect(ownerOnHost("hello")).toEqual(owner("teamb", "hello"));
}, 240_000);

it("`destroy` of the stack that lost it leaves the container in place, and says so", () => {
  const rebuilds = rebuildCount(fleet, 1);
  const before = snapshot(fleet, 1).moduleText.hello;
  const d = teama.run(["destroy", "--yes", "--stack", "teama"]);
  expect({ code: d.code, out: d.code === 0 ? "" : d.all }).toEqual({ code: 0, out: "" });
  expect(d.all).toMatch(new RegExp(`hello: not removed from the host: it is managed by ${escaped(named("teamb", "hello"))}`));
  expect(d.all).toMatch(/\d+ deleted/);
  expect(rebuildCount(fleet, 1)).toBe(rebuilds);
  expect(snapshot(fleet, 1).moduleText.hello).toBe(before);
  expect(onHost("hello")).toEqual({ module: "teamb", declared: "teamb", running: { version: "teamb", state: "active" } });
  expect(ownerOnHost("hello")).toEqual(owner("teamb", "hello"));
}, 180_000);

it("a module without an owner (written by an older provider version) is adopted silently by the first stack, once", async () => {
  // An older provider: the same module layout, no owner record.
  const old = await deploy(fleet, 1, ["legacy"], "old", "create");
  expect(old.settled.map((s) => s.status)).toEqual(["fulfilled"]);
  expect(fleet.ssh(1, `test -e ${OWNERS}/legacy.json`).code).not.toBe(0);

  config(teama, "containers", '["legacy"]');
  const a = teama.up();
  expect({ code: a.code, out: a.code === 0 ? "" : a.all }).toEqual({ code: 0, out: "" });
  expect(a.all).not.toMatch(/taking it over/);
  expect(ownerOnHost("legacy")).toEqual(owner("teama", "legacy"));
  expect(onHost("legacy")).toEqual({ module: "teama", declared: "teama", running: { version: "teama", state: "active" } });

  // Once: the next stack finds teama's record.
  config(teamb, "adopt", "false");
  config(teamb, "containers", '["hello","legacy"]');
  const b = teamb.up();
  expect(b.code).not.toBe(0);
  expect(b.all).toMatch(new RegExp(`container "legacy" is managed by another stack: ${escaped(named("teama", "legacy"))}`));
  expect(onHost("legacy")).toEqual({ module: "teama", declared: "teama", running: { version: "teama", state: "active" } });
  expect(onHost("hello").module).toBe("teamb");
}, 240_000);

it("concurrent `up` of both stacks declaring the same new container: exactly one owner, no interleaved writes", async () => {
  config(teama, "containers", '["legacy","race"]');
  config(teamb, "containers", '["hello","race"]');
  // Each rebuild takes 3 s, so the slower run finds the other's lock and waits for it.
  fleet.must("fault", "1", "rebuild-sleep", "3");
  const first = rebuildCount(fleet, 1);
  const results = await Promise.all([teama.upAsync(), teamb.upAsync()]);
  fleet.must("fault", "1", "clear");

  const won = results.map((r) => r.code === 0);
  expect(won.filter(Boolean)).toHaveLength(1);
  const [winner, loser] = won[0] ? ["teama", "teamb"] : ["teamb", "teama"];
  const lost = results[won[0] ? 1 : 0];
  expect(lost.all).toMatch(new RegExp(`container "race" is managed by another stack: ${escaped(named(winner, "race"))}.*this create comes from ${escaped(named(loser, "race"))}`));
  expect(ownerOnHost("race")).toEqual(owner(winner, "race"));
  expect(onHost("race")).toEqual({ module: winner, declared: winner, running: { version: winner, state: "active" } });
  // Only the winner rebuilt: the loser's round was refused before it wrote anything.
  expect(fleet.events(1).filter((e) => e.event === "rebuild").slice(first).map((r) => r.result)).toEqual(["ok"]);
  const s = snapshot(fleet, 1);
  expect(expectWhole(s, ["hello", "legacy", "race"])).toBe("files");
  expect(s.journal).toEqual([]);
}, 240_000);

const HOST_URN = (stack: string) => `urn:pulumi:${stack}::owners::pulumi-nodejs:dynamic/nixos:NixosHost::host`;

it("moving a stack's NixosContainer into a NixosHost: the NixosHost records itself as the owner, the old resource's delete leaves the container in place", () => {
  config(teama, "containers", '["legacy"]');
  teama.must(["up", "--yes", "--skip-preview", "--stack", "teama"]); // drop race, whichever stack has it
  const before = snapshot(fleet, 1).moduleText.legacy;
  config(teama, "front", "host");
  const moved = teama.up();
  expect({ code: moved.code, out: moved.code === 0 ? "" : moved.all }).toEqual({ code: 0, out: "" });
  expect(moved.all).toMatch(new RegExp(`legacy: left in place: another resource of this stack manages it now \\(${escaped(HOST_URN("teama"))}; a rename, or a move into a NixosHost or NixosFleet\\)\\. Only ${escaped(urn("teama", "legacy"))} leaves the state`));
  expect(moved.all).not.toMatch(/taking it over/);
  expect(ownerOnHost("legacy")).toEqual({ organization: "organization", project: "owners", stack: "teama", urn: HOST_URN("teama") });
  expect(snapshot(fleet, 1).moduleText.legacy).toBe(before);
  expect(onHost("legacy")).toEqual({ module: "teama", declared: "teama", running: { version: "teama", state: "active" } });
}, 240_000);

it("a NixosHost is refused another stack's container, per container: the others land", () => {
  const hello = snapshot(fleet, 1).moduleText.hello;
  config(teama, "containers", '["legacy","hello","fresh"]');
  const r = teama.up();
  expect(r.code).not.toBe(0);
  // Pulumi lists a partial update's reasons, quotes escaped.
  expect(r.all).toMatch(new RegExp(`\\* hello: [^\n]*container \\\\?"hello\\\\?" is managed by another stack: ${escaped(named("teamb", "hello"))}.*this create comes from stack organization/owners/teama \\(${escaped(HOST_URN("teama"))}\\)`));
  expect(snapshot(fleet, 1).moduleText.hello).toBe(hello);
  expect(ownerOnHost("hello")).toEqual(owner("teamb", "hello"));
  expect(onHost("fresh")).toEqual({ module: "teama", declared: "teama", running: { version: "teama", state: "active" } });
  expect(ownerOnHost("fresh")).toEqual({ organization: "organization", project: "owners", stack: "teama", urn: HOST_URN("teama") });
}, 240_000);

it("a container taken from a NixosHost: its refresh reports it under the container's key, and its destroy removes only its own", () => {
  config(teama, "containers", '["legacy","fresh"]');
  config(teamb, "adopt", "true");
  config(teamb, "containers", '["hello","fresh"]');
  const b = teamb.up();
  expect({ code: b.code, out: b.code === 0 ? "" : b.all }).toEqual({ code: 0, out: "" });
  expect(b.all).toMatch(new RegExp(`fresh: taking it over from stack organization/owners/teama \\(${escaped(HOST_URN("teama"))}\\) \\(adopt: true\\)`));

  const refreshed = teama.run(["refresh", "--yes", "--stack", "teama"]);
  expect(refreshed.code).toBe(0);
  expect(refreshed.all).toMatch(new RegExp(`container \\\\?"fresh\\\\?" is now managed by ${escaped(named("teamb", "fresh"))}, which took it over`));
  const state = JSON.parse(teama.exportState());
  const host = state.deployment.resources.find((r: { urn: string }) => r.urn === HOST_URN("teama"));
  expect(host.outputs.containers.fresh.managedBy).toBe("organization/owners/teamb");
  expect(host.outputs.containers.legacy.managedBy).toBeNull();
  const rebuilds = rebuildCount(fleet, 1);
  const again = teama.up();
  expect({ code: again.code, out: again.code === 0 ? "" : again.all }).toEqual({ code: 0, out: "" });
  expect(rebuildCount(fleet, 1)).toBe(rebuilds);

  const d = teama.run(["destroy", "--yes", "--stack", "teama"]);
  expect({ code: d.code, out: d.code === 0 ? "" : d.all }).toEqual({ code: 0, out: "" });
  expect(d.all).toMatch(new RegExp(`fresh: not removed from the host: it is managed by ${escaped(named("teamb", "fresh"))}`));
  const s = snapshot(fleet, 1);
  expect(Object.keys(s.modules).sort()).toEqual(["fresh", "hello"]);
  expect(onHost("fresh")).toEqual({ module: "teamb", declared: "teamb", running: { version: "teamb", state: "active" } });
  expect(fleet.ssh(1, `test -e ${OWNERS}/legacy.json`).code).not.toBe(0);
}, 300_000);
