/**
 * `pulumi import nixos:index:NixosContainer <name> <host>/<container>` of a container that
 * already runs on a host, through the real CLI and the plugin, in a Pulumi YAML project: the
 * id carries only the address, the provider configuration (nixos:privateKey, nixos:hostKey)
 * the rest; the code Pulumi writes from the imported inputs names no credential and, as the
 * program, `pulumi up` has nothing to change; a container another stack manages is refused,
 * as today's adopt refuses it. And a preview whose inputs are not known yet (another resource's
 * output that changes) shows the module as not known yet, as the dynamic provider's does.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
jest.setTimeout(300_000);

const HEADER = `name: importing
runtime: yaml
plugins:
  providers:
    - name: nixos
      path: ${join(ROOT, "bin")}
config:
  hosts:
    type: object
`;

/** A NixosContainer as a program declares it, the connection from the stack config. */
const container = (key: string, name: string, port: number) => `
  ${key}:
    type: nixos:NixosContainer
    properties:
      name: ${name}
      connection:
        host: \${hosts.host1.host}
        hostKey: \${hosts.host1.hostKey}
      autoStart: true
      privateNetwork: true
      hostAddress: 10.236.${port % 100}.1
      localAddress: 10.236.${port % 100}.2
      forwardPorts:
        - hostPort: ${port}
          containerPort: 80
      config:
        services:
          nginx:
            enable: true
        environment:
          systemPackages:
            $nix: with pkgs; [ curl ]
`;

let fleet: Fleet;
let dir: string;
const stacks: PulumiStack[] = [];
beforeAll(() => {
  fleet = startFleet(162, 1);
  dir = mkdtempSync(join(tmpdir(), "e2e-plugin-import-"));
});
afterAll(() => {
  for (const s of stacks) s.remove();
  fleet?.down();
  rmSync(dir, { recursive: true, force: true });
});

const program = (resources: string): void => writeFileSync(join(dir, "Pulumi.yaml"), `${HEADER}${resources ? `resources:${resources}` : ""}`);
const keyLine = () => readFileSync(fleet.host(1).users.root.privateKeyPath, "utf8").split("\n")[1];

/** A stack of the project pointed at the fleet, its SSH key and host key in the provider configuration. */
function stackNamed(name: string): PulumiStack {
  program("");
  const stack = new PulumiStack(dir, name);
  stacks.push(stack);
  stack.init();
  expect(spawnSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, name, join(fleet.state, "manifest.json")]).status).toBe(0);
  stack.setConfig("nixos:privateKey", readFileSync(fleet.host(1).users.root.privateKeyPath, "utf8"), true);
  stack.setConfig("nixos:hostKey", fleet.host(1).hostKey);
  return stack;
}

it("imports a container whose state was lost: code without credentials, which pulumi up leaves unchanged; destroy then removes it", () => {
  const stack = stackNamed("e2e");
  program(container("web", "web", 8081));
  expect(stack.up().code).toBe(0);
  const module = fleet.ok(1, "cat /etc/nixos/pulumi-containers/web.nix");
  stack.must(["state", "delete", "urn:pulumi:e2e::importing::nixos:index:NixosContainer::web", "--yes", "--stack", "e2e"]);
  program("");

  const code = join(dir, "imported.yaml");
  const imported = stack.run(["import", "nixos:index:NixosContainer", "site", `${fleet.host(1).address}/web`, "--yes", "--stack", "e2e", "--out", code]);
  expect(imported.code).toBe(0);
  expect(imported.all).toMatch(/= 1 imported/);
  const generated = readFileSync(code, "utf8");
  expect(generated).toContain("type: nixos:NixosContainer");
  expect(generated).toContain(`host: ${fleet.host(1).address}`);
  expect(generated).toContain("$nix: with pkgs; [ curl ]");
  for (const text of [generated, imported.all, stack.exportState()]) expect(text).not.toContain(keyLine());
  expect(generated).not.toMatch(/privateKey/);

  // The generated code is the program: nothing to change, no host touched.
  writeFileSync(join(dir, "Pulumi.yaml"), `${HEADER}${generated}`);
  const sessions = fleet.sshLog(1).length;
  const preview = stack.preview("--diff");
  expect(preview.code).toBe(0);
  expect(preview.all).not.toMatch(/to update|to create|to delete|to replace/);
  expect(fleet.sshLog(1).length).toBe(sessions);
  const up = stack.up();
  expect(up.code).toBe(0);
  expect(up.all).toMatch(/2 unchanged/);
  expect(up.all).not.toMatch(/updated|created|deleted|replaced/);
  expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/web.nix")).toBe(module);

  // Imported resources are protected; once that is lifted, destroy removes the container.
  writeFileSync(join(dir, "Pulumi.yaml"), `${HEADER}${generated.replace(/\n\s*options:\n\s*protect: true\n?/, "\n")}`);
  expect(stack.up().code).toBe(0);
  const destroyed = stack.run(["destroy", "--yes", "--stack", "e2e"]);
  expect(destroyed.code).toBe(0);
  expect(destroyed.all).toMatch(/- 2 deleted/);
  expect(fleet.ok(1, "nixos-container list").trim()).toBe("");
});

it("refuses to import a container another stack manages, naming it: nothing is imported", () => {
  const other = stackNamed("other");
  program(container("shop", "shop", 8082));
  expect(other.up().code).toBe(0);
  const stack = stacks.find((s) => s.stack === "e2e")!;
  program("");
  const r = stack.run(["import", "nixos:index:NixosContainer", "shop", `${fleet.host(1).address}/shop`, "--yes", "--stack", "e2e"]);
  expect(r.code).not.toBe(0);
  expect(r.all).toMatch(/container "shop" is managed by another stack: stack organization\/importing\/other .*Nothing was imported\. To take it over on purpose, declare it in this program with adopt: true/);
  expect(JSON.parse(stack.exportState()).deployment.resources ?? []).not.toEqual(expect.arrayContaining([expect.objectContaining({ type: "nixos:index:NixosContainer" })]));
  program(container("shop", "shop", 8082));
  expect(other.run(["destroy", "--yes", "--stack", "other"]).code).toBe(0);
});

it("a preview whose inputs wait on another resource's output shows that module as not known yet, and the changed one line by line", () => {
  const stack = stackNamed("unknowns");
  const resources = (address: string) => `
  a:
    type: nixos:NixosContainer
    properties:
      name: a
      connection:
        host: \${hosts.host1.host}
        hostKey: \${hosts.host1.hostKey}
      privateNetwork: true
      hostAddress: 10.237.0.1
      localAddress: ${address}
  b:
    type: nixos:NixosContainer
    properties:
      name: b
      connection:
        host: \${hosts.host1.host}
        hostKey: \${hosts.host1.hostKey}
      config:
        environment:
          etc:
            peer:
              text: \${a.ipAddress}
`;
  program(resources("10.237.0.2"));
  expect(stack.up().code).toBe(0);
  expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/b.nix")).toContain('text = "10.237.0.2";');
  program(resources("10.237.0.3"));
  const preview = stack.preview("--diff");
  expect(preview.code).toBe(0);
  expect(preview.stdout).toMatch(/-\s+localAddress = "10\.237\.0\.2";\n\s+\+\s+localAddress = "10\.237\.0\.3";/);
  // An update (no replace), its module not known until a's address is.
  expect(preview.stdout).toMatch(/~ 2 to update/);
  expect(preview.stdout).not.toMatch(/replace/);
  expect(preview.stdout).toMatch(/~ nixConfig\s*: "# Managed by pulumi-nixos-containers\. Container \\"b\\"[^\n]*" => \[unknown\]/);
  const up = stack.up();
  expect(up.code).toBe(0);
  expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/b.nix")).toContain('text = "10.237.0.3";');
  expect(stack.run(["destroy", "--yes", "--stack", "unknowns"]).code).toBe(0);
});
