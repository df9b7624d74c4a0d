/**
 * The real Pulumi CLI, two stacks of one program in a project of this test's
 * own (a temp dir; examples/ is not touched), both on the same host:
 * - two `pulumi up` at once: both succeed, the host's rebuilds never overlap;
 * - a failed `pulumi up` (evaluation error), then one that converges;
 * - refresh, destroy (container data kept);
 * - then the exported state of both stacks, every CLI output, every file and
 *   log on the hosts: no private key, passphrase or password anywhere.
 * alpha logs in as root with a passphrase-protected key; beta as the deploy
 * user with its password, which host1's sudo also asks for.
 */
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { makeProjectDir } from "../support/dynamic-harness";
import { PulumiStack, type CliResult } from "../support/pulumi-cli";
import { keyLines, rebuildCount, secretHits, snapshot, expectWhole, writeMarkers, expectMarkers } from "./support";

let fleet: Fleet;
let project: string;
let alpha: PulumiStack;
let beta: PulumiStack;
const outputs: string[] = [];

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");
const cfg = new pulumi.Config();
const connection = {
  host: cfg.require("host"),
  hostKey: cfg.require("hostKey"),
  user: cfg.get("user") || "root",
  privateKey: cfg.getSecret("privateKey"),
  privateKeyPassphrase: cfg.getSecret("passphrase"),
  password: cfg.getSecret("password"),
  sudoPassword: cfg.getSecret("sudoPassword"),
};
for (const k of Object.keys(connection)) if (connection[k] === undefined) delete connection[k];
const version = cfg.get("version") || "v1";
exports.status = {};
for (const name of cfg.requireObject("containers")) {
  const c = new nixos.NixosContainer(name, {
    connection,
    autoStart: true,
    rebuildTimeoutSeconds: 60,
    config: { environment: { etc: { v: { text: name + ":" + version } } } },
  });
  exports.status[name] = c.status;
}
`;

beforeAll(() => {
  fleet = startFleet(134, 1);
  project = makeProjectDir();
  writeFileSync(join(project, "Pulumi.yaml"), "name: reliability-stacks\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
  writeFileSync(join(project, "index.js"), PROGRAM);
  const h = fleet.host(1);
  alpha = new PulumiStack(project, "alpha");
  beta = new PulumiStack(project, "beta");
  alpha.init();
  beta.init();
  const set = (stack: PulumiStack, key: string, value: string, secret = false) => stack.setConfig(key, value, secret);
  for (const stack of [alpha, beta]) {
    set(stack, "host", h.address);
    set(stack, "hostKey", h.hostKey);
  }
  set(alpha, "privateKey", readFileSync(h.users.root.passphraseKeyPath!, "utf8"), true);
  set(alpha, "passphrase", h.users.root.passphrase!, true);
  set(alpha, "containers", '["alpha-a","alpha-b"]');
  set(beta, "user", "deploy");
  set(beta, "password", h.users.deploy.password!, true);
  set(beta, "sudoPassword", h.users.deploy.password!, true);
  set(beta, "containers", '["beta-a"]');
}, 120_000);

afterAll(() => {
  alpha?.remove();
  beta?.remove();
  if (project) rmSync(project, { recursive: true, force: true });
  fleet?.down();
});

/** `pulumi up` in the background, its output kept for the credential check. */
async function upAsync(stack: PulumiStack): Promise<CliResult> {
  const r = await stack.upAsync();
  outputs.push(r.stdout, r.stderr);
  return r;
}
const record = (r: CliResult) => (outputs.push(r.all), r);
const NAMES = ["alpha-a", "alpha-b", "beta-a"];

it("two `pulumi up` from two stacks on one host at once: both succeed, their rebuilds never overlap", async () => {
  // Each rebuild takes 3 s: longer than the CLI's start-up varies, so one run finds the other's lock.
  fleet.must("fault", "1", "rebuild-sleep", "3");
  const first = rebuildCount(fleet, 1);
  const [a, b] = await Promise.all([upAsync(alpha), upAsync(beta)]);
  fleet.must("fault", "1", "clear");
  expect({ code: a.code, out: a.code === 0 ? "" : a.all }).toEqual({ code: 0, out: "" });
  expect({ code: b.code, out: b.code === 0 ? "" : b.all }).toEqual({ code: 0, out: "" });
  expect(a.all + b.all).toMatch(/waiting for the deployment lock held by pulumi-nixos-containers@/);
  const runs = fleet.events(1).filter((e) => e.event === "rebuild").slice(first);
  expect(runs.map((r) => r.result)).toEqual(["ok", "ok"]);
  const [x, y] = runs.map((r) => ({ end: Date.parse(r.ts), start: Date.parse(r.ts) - r.seconds * 1000 }));
  expect(y.start).toBeGreaterThanOrEqual(x.end - 50);
  const s = snapshot(fleet, 1);
  expect(expectWhole(s, NAMES)).toBe("files");
  expect(s.modules).toMatchObject({ "alpha-a": "v1", "alpha-b": "v1", "beta-a": "v1" });
  writeMarkers(fleet, 1, NAMES);
}, 120_000);

it("a failed `pulumi up` (evaluation error) leaves the host as it was; the next one converges", async () => {
  alpha.must(["config", "set", "--stack", "alpha", "version", "v2"]);
  fleet.must("fault", "1", "eval-fail", "99");
  const failed = record(alpha.up());
  fleet.must("fault", "1", "clear");
  expect(failed.code).not.toBe(0);
  expect(failed.all).toMatch(/nixos-rebuild switch failed at evaluation/);
  let s = snapshot(fleet, 1);
  expect(expectWhole(s, NAMES)).toBe("files");
  expect(s.modules).toMatchObject({ "alpha-a": "v1", "alpha-b": "v1" });
  const again = record(alpha.up());
  expect(again.code).toBe(0);
  s = snapshot(fleet, 1);
  expect(expectWhole(s, NAMES)).toBe("files");
  expect(s.modules).toMatchObject({ "alpha-a": "v2", "alpha-b": "v2", "beta-a": "v1" });
  expect(record(beta.run(["refresh", "--yes", "--stack", "beta"])).code).toBe(0);
  expectMarkers(fleet, 1, NAMES);
}, 120_000);

it("destroy removes the containers and keeps their data; nothing in either stack's exported state, the CLI's output or the host holds a credential", async () => {
  const exported = [alpha.exportState(), beta.exportState()];
  expect(exported[0]).toContain('"alpha-a"');
  expect(exported[0]).toContain("ciphertext");
  for (const stack of [alpha, beta]) expect(record(stack.run(["destroy", "--yes", "--stack", stack.stack])).code).toBe(0);
  expect(snapshot(fleet, 1).modules).toEqual({});
  expectMarkers(fleet, 1, NAMES);

  const h = fleet.host(1);
  const secrets = [...keyLines(readFileSync(h.users.root.passphraseKeyPath!, "utf8")), h.users.root.passphrase!, h.users.deploy.password!];
  const hits = secretHits(fleet, [1], secrets, { "exported state (alpha)": exported[0], "exported state (beta)": exported[1], "CLI output": outputs.join("\n") });
  expect(hits).toEqual([]);
}, 120_000);
