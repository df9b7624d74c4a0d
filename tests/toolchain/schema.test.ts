/**
 * schema.json is a valid Pulumi package schema, by Pulumi's own schema code (the CLI built
 * here: `pulumi schema check`, and the SDK generator, which binds it before writing), and the
 * SDKs in sdks/ are what the generator writes from it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, ".tools", "bin");
const schema = JSON.parse(readFileSync(join(ROOT, "schema.json"), "utf8"));
const work = mkdtempSync(join(tmpdir(), "toolchain-schema-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(tool: string, args: string[]) {
  const r = spawnSync(join(BIN, tool), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PULUMI_HOME: join(work, "pulumi-home"), PULUMI_SKIP_UPDATE_CHECK: "true", NO_COLOR: "1" },
  });
  return { code: r.status, all: `${r.stdout}${r.stderr}` };
}

/** A copy of schema.json with one change, as a file. */
function variant(name: string, change: (s: any) => void): string {
  const copy = JSON.parse(JSON.stringify(schema));
  change(copy);
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify(copy, null, 2));
  return path;
}

describe("pulumi schema check", () => {
  it("finds no error and no warning in schema.json", () => {
    const r = run("pulumi", ["schema", "check", "--color", "never", "schema.json"]);
    expect(r.all).not.toMatch(/error|warning/i);
    expect(r.code).toBe(0);
  });

  it("fails on a schema it cannot accept (an array default), naming the property", () => {
    const bad = variant("array-default", (s) => (s.resources["nixos:index:NixosContainer"].inputProperties.tmpfs.default = []));
    const r = run("pulumi", ["schema", "check", "--color", "never", bad]);
    expect(r.code).not.toBe(0);
    expect(r.all).toContain("#/resources/nixos:index:NixosContainer/inputProperties/tmpfs/default");
  });
});

describe("the provider plugin", () => {
  it("answers pulumi package get-schema with schema.json (make build compiles it; bin/ launches it from a checkout)", () => {
    const r = spawnSync(join(BIN, "pulumi"), ["package", "get-schema", join(ROOT, "bin", "pulumi-resource-nixos")], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, PULUMI_HOME: join(work, "pulumi-home"), PULUMI_SKIP_UPDATE_CHECK: "true", NO_COLOR: "1" },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // The CLI prints the schema as it parsed it: the same document, its keys in its own order.
    expect(JSON.parse(r.stdout)).toEqual(schema);
  });
});

describe("pulumi-gen-nixos", () => {
  it("finds sdks/ up to date with schema.json", () => {
    const r = run("pulumi-gen-nixos", ["-schema", "schema.json", "-out", "sdks", "-check"]);
    expect(r.all).toBe("");
    expect(r.code).toBe(0);
  });

  it("reports each SDK file a schema change leaves out of date", () => {
    const changed = variant("new-description", (s) => (s.types["nixos:index:Connection"].properties.port.description = "The SSH port of the host."));
    const r = run("pulumi-gen-nixos", ["-schema", changed, "-out", "sdks", "-check"]);
    expect(r.code).toBe(1);
    for (const file of ["sdks/go/nixos/pulumiTypes.go", "sdks/nodejs/types/input.ts", "sdks/python/pulumi_nixos_containers/_inputs.py"]) {
      expect(r.all).toContain(`out of date: ${file}`);
    }
    expect(r.all).toContain("run make generate");
  });

  it("refuses an invalid schema and writes nothing", () => {
    const bad = variant("any-default", (s) => (s.resources["nixos:index:NixosContainer"].inputProperties.specialArgs.default = {}));
    const out = join(work, "sdks-from-invalid");
    const r = run("pulumi-gen-nixos", ["-schema", bad, "-out", out]);
    expect(r.code).toBe(1);
    expect(r.all).toContain("#/resources/nixos:index:NixosContainer/inputProperties/specialArgs/default");
    expect(r.all).toContain("schema validation failed");
    expect(existsSync(out)).toBe(false);
  });
});

describe("the generated SDKs", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

  it("carry the package's version, for the plugin nixos", () => {
    expect(schema.version).toBe(pkg.version);
    const plugin = { resource: true, name: "nixos", version: pkg.version };
    expect(JSON.parse(readFileSync(join(ROOT, "sdks/python/pulumi_nixos_containers/pulumi-plugin.json"), "utf8"))).toEqual(plugin);
    expect(JSON.parse(readFileSync(join(ROOT, "sdks/go/nixos/pulumi-plugin.json"), "utf8"))).toEqual(plugin);
    const npm = JSON.parse(readFileSync(join(ROOT, "sdks/nodejs/package.json"), "utf8"));
    expect([npm.version, npm.pulumi]).toEqual([pkg.version, plugin]);
    expect(readFileSync(join(ROOT, "sdks/python/pyproject.toml"), "utf8")).toContain(`version = "${pkg.version}"`);
  });

  it("are named apart from the hand-written TypeScript SDK", () => {
    const npm = JSON.parse(readFileSync(join(ROOT, "sdks/nodejs/package.json"), "utf8"));
    expect(npm.name).not.toBe(pkg.name);
    expect(readFileSync(join(ROOT, "sdks/go/go.mod"), "utf8")).toMatch(/^module pulumi-nixos-containers\.local\/sdks\/go\n/);
  });
});
