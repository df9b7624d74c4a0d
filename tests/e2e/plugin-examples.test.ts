/**
 * The provider plugin serving programs in other languages, through the real Pulumi CLI on a
 * simulated fleet: examples/yaml-basic (Pulumi YAML) and examples/python-fleet (Python), with
 * the commands of their READMEs. The plugin runs from this checkout (plugins.providers[].path,
 * bin/pulumi-resource-nixos); tests/e2e/plugin-install.test.ts installs the released tarball.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack, type CliResult } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
const STACK = "e2e";
jest.setTimeout(300_000);

let fleet: Fleet;
beforeAll(() => {
  fleet = startFleet(160, 2);
});
afterAll(() => fleet?.down());

const rebuilds = (i: number) => fleet.events(i).filter((e) => e.event === "rebuild").length;
const connections = (i: number) => new Set(fleet.sshLog(i).map((s) => s.conn)).size;
const moduleOn = (i: number, name: string) => fleet.ssh(i, `cat /etc/nixos/pulumi-containers/${name}.nix`);
/** A line of the root key that is in no other text: what must never be seen. */
const keyLine = () => readFileSync(fleet.host(1).users.root.privateKeyPath, "utf8").split("\n")[1];

/** `pulumi config set --secret KEY < file`, as the READMEs write it. */
function secretFromFile(stack: PulumiStack, key: string, file: string): void {
  const r = spawnSync(join(ROOT, ".tools", "bin", "pulumi"), ["config", "set", "--secret", key, "--stack", STACK, "--non-interactive"], {
    cwd: stack.projectDir,
    env: stack.env,
    input: readFileSync(file),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`pulumi config set --secret ${key} failed: ${r.stderr}`);
}

/** A stack of the project pointed at the fleet as the README does: its hosts, and the SSH key as a secret. */
function readmeStack(dir: string, keyConfig: string): PulumiStack {
  const stack = new PulumiStack(dir, STACK);
  rmSync(join(dir, `Pulumi.${STACK}.yaml`), { force: true });
  stack.init();
  const r = spawnSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, STACK, join(fleet.state, "manifest.json")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  secretFromFile(stack, keyConfig, fleet.host(1).users.root.privateKeyPath);
  return stack;
}

/** The added and removed lines a preview shows for the resources (the stack's outputs after them aside), spaces collapsed. */
function changedLines(output: string): string[] {
  const resources = output.split(/\n\s+--outputs:--\n/)[0];
  return resources
    .split("\n")
    .filter((l) => /^\s+[-+] /.test(l))
    .map((l) => l.trim().replace(/\s+/g, " "));
}

/** Everything a run printed and the stack's state hold no private key in clear. */
function expectNoKey(stack: PulumiStack, ...runs: CliResult[]): void {
  const line = keyLine();
  for (const r of runs) expect(r.all).not.toContain(line);
  expect(stack.exportState()).not.toContain(line);
}

describe("examples/yaml-basic (Pulumi YAML)", () => {
  const dir = join(ROOT, "examples", "yaml-basic");
  let stack: PulumiStack;
  beforeAll(() => {
    stack = readmeStack(dir, "nixos:privateKey");
  });
  afterAll(() => {
    stack?.run(["destroy", "--yes", "--stack", STACK]);
    stack?.remove();
    rmSync(join(dir, `Pulumi.${STACK}.yaml`), { force: true });
  });

  it("pulumi up creates both containers with one rebuild of the host, the key from nixos:privateKey", () => {
    const before = rebuilds(1);
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).toMatch(/\+ 2 created/);
    expect(up.all).toMatch(/nixos:index:NixosHost host1 created .*1 rebuild \(switch\) in [\d.]+ s, 2 containers: 2 created/);
    expect(stack.outputs()).toEqual({ host: fleet.host(1).address, helloStatus: "up", webAddress: "10.233.1.2" });
    expect(rebuilds(1) - before).toBe(1);
    expect(moduleOn(1, "hello").stdout).toContain('text = "Hello from Pulumi YAML";');
    expectNoKey(stack, up);
  });

  it("pulumi preview --diff after a one-line change shows only that line of that container's module, and contacts no host", () => {
    stack.must(["config", "set", "--stack", STACK, "motd", "Hello again"]);
    const sessions = fleet.sshLog(1).length;
    const preview = stack.preview("--diff");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/~ 1 to update/);
    expect(changedLines(preview.stdout)).toEqual(['- text = "Hello from Pulumi YAML";', '+ text = "Hello again";']);
    expect(preview.stdout).toMatch(/~ hello: \{/);
    expect(preview.stdout).not.toMatch(/~ web: \{/);
    expect(fleet.sshLog(1).length).toBe(sessions);
  });

  it("pulumi destroy removes both containers", () => {
    const r = stack.run(["destroy", "--yes", "--stack", STACK]);
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/- 2 deleted/);
    expect(fleet.ok(1, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
    expect(fleet.ok(1, "nixos-container list").trim()).toBe("");
  });
});

describe("examples/python-fleet (Python)", () => {
  // A copy, edited as a user edits the program; the plugin from this checkout.
  const dir = join(mkdtempSync(join(tmpdir(), "e2e-python-fleet-")), "python-fleet");
  const program = join(dir, "__main__.py");
  const edit = (from: string, to: string) => {
    const text = readFileSync(program, "utf8");
    if (!text.includes(from)) throw new Error(`__main__.py has no ${JSON.stringify(from)}`);
    writeFileSync(program, text.replace(from, to));
  };
  let stack: PulumiStack;
  beforeAll(() => {
    cpSync(join(ROOT, "examples", "python-fleet"), dir, { recursive: true });
    const project = join(dir, "Pulumi.yaml");
    writeFileSync(project, readFileSync(project, "utf8").replace("path: ../../bin", `path: ${join(ROOT, "bin")}`));
    stack = readmeStack(dir, "sshKey");
  });
  afterAll(() => {
    stack?.run(["destroy", "--yes", "--stack", STACK]);
    stack?.remove();
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("pulumi up creates the containers of both hosts: one SSH connection and one nixos-rebuild per host", () => {
    const before = [1, 2].map((i) => ({ rebuilds: rebuilds(i), connections: connections(i) }));
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).toMatch(/\+ 3 created/);
    expect([1, 2].map((i) => ({ rebuilds: rebuilds(i) - before[i - 1].rebuilds, connections: connections(i) - before[i - 1].connections }))).toEqual([
      { rebuilds: 1, connections: 1 },
      { rebuilds: 1, connections: 1 },
    ]);
    expect(stack.outputs().status).toEqual({ "host1/api": "up", "host1/web": "up", "host2/cache": "up", "host2/db": "up" });
    expect(fleet.ok(1, "nixos-container list").trim().split("\n").sort()).toEqual(["api", "web"]);
    expectNoKey(stack, up);
  });

  it("pulumi preview --diff after a one-line change shows only that container's line diff", () => {
    edit('"port": 6379', '"port": 6380');
    const preview = stack.preview("--diff");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/~ 1 to update/);
    expect(changedLines(preview.stdout)).toEqual(["- port = 6379;", "+ port = 6380;"]);
    expect(preview.stdout).toMatch(/NixosHost::host2\]\n(\s+\[provider=.*\]\n)?\s+~ containers: \{\n\s+~ cache: \{/);
    expect(preview.stdout).not.toMatch(/~ (db|web|api): \{/);
    expectNoKey(stack, preview);
  });

  it("a bad input is refused before any host is touched, naming its property path", () => {
    edit("host_port=8080", "host_port=99999");
    const sessions = [1, 2].map((i) => fleet.sshLog(i).length);
    const preview = stack.preview();
    expect(preview.code).not.toBe(0);
    expect(preview.all).toMatch(/containers\.web\.forwardPorts\[0\]\.hostPort/);
    expect([1, 2].map((i) => fleet.sshLog(i).length)).toEqual(sessions);
    edit("host_port=99999", "host_port=8080");
  });

  it("pulumi up applies the change on its host only, the SSH key never in the state or the output", () => {
    const before = [1, 2].map(rebuilds);
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).toMatch(/~ 1 updated/);
    expect([1, 2].map((i) => rebuilds(i) - before[i - 1])).toEqual([0, 1]);
    expect(moduleOn(2, "cache").stdout).toContain("port = 6380;");
    expectNoKey(stack, up);
    const state = JSON.parse(stack.exportState());
    const host2 = state.deployment.resources.find((r: { urn: string }) => r.urn.endsWith("NixosHost::host2"));
    expect(host2.outputs.connection).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: expect.any(String) });
  });

  it("pulumi refresh reports a module edited by hand on its host", () => {
    fleet.ok(2, "sed -i 's/port = 6380;/port = 6390;/' /etc/nixos/pulumi-containers/cache.nix");
    const refresh = stack.run(["refresh", "--yes", "--diff", "--stack", STACK]);
    expect(refresh.code).toBe(0);
    expect(refresh.all).toMatch(/~ 1 updated/);
    expect(refresh.stdout).toMatch(/NixosHost::host2\]\n(\s+\[provider=.*\]\n)?\s+~ containers: \{\n\s+~ cache: \{/);
    expect(changedLines(refresh.stdout.split("Refreshing (")[0])).toEqual(["- port = 6380;", "+ port = 6390;"]);
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(moduleOn(2, "cache").stdout).toContain("port = 6380;");
  });

  it("pulumi destroy removes every container from both hosts", () => {
    const r = stack.run(["destroy", "--yes", "--stack", STACK]);
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/- 3 deleted/);
    for (const i of [1, 2]) expect(fleet.ok(i, "nixos-container list").trim()).toBe("");
    expectNoKey(stack, r);
  });
});
