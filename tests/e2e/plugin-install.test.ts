/**
 * The released plugin as a user installs it: `make plugin`'s tarball, `pulumi plugin install
 * resource nixos <version> --file <tarball>` into an empty PULUMI_HOME, and a program outside
 * this repository that it serves (examples/yaml-basic as its README says for a project of your
 * own: without `plugins:`), on the simulated fleet. Node.js is the machine's (20).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
const PULUMI = join(ROOT, ".tools", "bin", "pulumi");
const VERSION: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
const STACK = "dev";
jest.setTimeout(300_000);

let work: string;
let fleet: Fleet;
let home: string;
let tarball: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "e2e-plugin-install-"));
  home = join(work, "pulumi-home");
  fleet = startFleet(161, 1);
});
afterAll(() => {
  fleet?.down();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The environment of a user whose Pulumi keeps its plugins in `home`, and takes none from PATH. */
const userEnv = () => ({ PULUMI_HOME: home, PULUMI_IGNORE_AMBIENT_PLUGINS: "true" });

function pulumi(args: string[], cwd = work) {
  const r = spawnSync(PULUMI, [...args, "--non-interactive"], { cwd, encoding: "utf8", env: { ...process.env, ...userEnv(), PULUMI_SKIP_UPDATE_CHECK: "true", NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, all: `${r.stdout}${r.stderr}` };
}

it("make plugin writes the versioned tarball, with the launcher and the plugin's own node_modules", () => {
  const r = spawnSync(join(ROOT, "scripts", "plugin.sh"), [], { cwd: ROOT, encoding: "utf8", env: { ...process.env, OUT: join(work, "dist") } });
  expect(r.status).toBe(0);
  tarball = r.stdout.trim();
  expect(tarball).toBe(join(work, "dist", `pulumi-resource-nixos-v${VERSION}-linux-amd64.tar.gz`));
  const files = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" }).stdout.split("\n");
  expect(files).toEqual(expect.arrayContaining(["./pulumi-resource-nixos", "./schema.json", "./package.json", "./dist/provider/plugin/main.js", "./node_modules/@pulumi/pulumi/package.json", "./node_modules/ssh2/package.json"]));
  // Production dependencies only: no test framework, no compiler of this repository's own.
  expect(files.filter((f) => /^\.\/node_modules\/(jest|ts-jest|@types\/jest)\//.test(f))).toEqual([]);
});

it("pulumi plugin install puts it into an empty PULUMI_HOME, where pulumi finds it by name and version", () => {
  const install = pulumi(["plugin", "install", "resource", "nixos", VERSION, "--file", tarball]);
  expect(install.code).toBe(0);
  expect(pulumi(["plugin", "ls"]).stdout).toMatch(new RegExp(`^nixos\\s+resource\\s+${VERSION.replace(/\./g, "\\.")}\\s`, "m"));
  const schema = pulumi(["package", "get-schema", `nixos@${VERSION}`]);
  expect(schema.code).toBe(0);
  expect(JSON.parse(schema.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, "schema.json"), "utf8")));
});

it("serves a program of a project outside this repository: up, then destroy", () => {
  const dir = join(work, "my-infra");
  cpSync(join(ROOT, "examples", "yaml-basic"), dir, { recursive: true });
  const project = join(dir, "Pulumi.yaml");
  const withoutPlugins = readFileSync(project, "utf8").replace(/^# The provider plugin[^\n]*\n#[^\n]*\n(?:plugins:\n(?: {2,}[^\n]*\n)+)/m, "");
  expect(withoutPlugins).not.toMatch(/plugins:|\.\.\/\.\.\/bin/);
  writeFileSync(project, withoutPlugins);

  const stack = new PulumiStack(dir, STACK, userEnv());
  try {
    stack.init();
    const r = spawnSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, STACK, join(fleet.state, "manifest.json")], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const key = spawnSync(PULUMI, ["config", "set", "--secret", "nixos:privateKey", "--stack", STACK, "--non-interactive"], {
      cwd: dir,
      env: stack.env,
      input: readFileSync(fleet.host(1).users.root.privateKeyPath),
    });
    expect(key.status).toBe(0);
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).toMatch(/\+ 2 created/);
    expect(stack.outputs()).toMatchObject({ helloStatus: "up" });
    expect(fleet.ok(1, "nixos-container list").trim().split("\n").sort()).toEqual(["hello", "web"]);
    // The plugin the engine ran is the installed one.
    expect(up.all).not.toMatch(/using pulumi-resource-nixos from \$PATH/);
    const down = stack.run(["destroy", "--yes", "--stack", STACK]);
    expect(down.code).toBe(0);
    expect(fleet.ok(1, "nixos-container list").trim()).toBe("");
  } finally {
    stack.remove();
  }
});
