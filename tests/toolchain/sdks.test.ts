/**
 * The generated SDKs (sdks/) build as a user builds them, and send the engine the same inputs
 * in every language: one program (tests/toolchain/programs/registered.*) registers a
 * NixosContainer and a NixosHost under Pulumi's mocks in Node.js, Python and Go. The
 * connection, which holds credentials, arrives secret as a whole (generated SDKs ignore
 * `secret` inside object types); the provider's scalar defaults are filled in, NixOS's are not.
 * One difference between the generators: only Python fills in the defaults of objects inside a
 * map (NixosHost's containers); the provider applies the same defaults, so nothing changes.
 */
import * as pulumi from "@pulumi/pulumi";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const PROGRAMS = join(__dirname, "programs");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nPOISON-KEY-26a\n-----END OPENSSH PRIVATE KEY-----";
const PASSWORD = "poison-password-26b";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const registered: Record<string, Record<string, unknown>> = {};
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered[args.name] = args.inputs;
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

/** Secrets as {"secret": value}, whichever way a language's mocks show them. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return { secret: normalise(o.value) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

const EXPECTED = {
  web: {
    name: "web",
    connection: { secret: { host: "10.0.0.5", privateKey: KEY, port: 22, user: "root", insecureSkipHostKeyVerification: false } },
    rebuildAction: "switch",
    rebuildTimeoutSeconds: 1800,
    updateStrategy: "reload",
    deleteData: false,
    adopt: false,
  },
  host: {
    connection: { secret: { host: "10.0.0.6", user: "deploy", password: PASSWORD, port: 22, insecureSkipHostKeyVerification: false } },
    containers: { a: { name: "a" } },
    rebuildAction: "switch",
    rebuildTimeoutSeconds: 1800,
  },
};
const EXPECTED_PYTHON = {
  ...EXPECTED,
  host: { ...EXPECTED.host, containers: { a: { name: "a", updateStrategy: "reload", deleteData: false, adopt: false } } },
};

const work = mkdtempSync(join(tmpdir(), "toolchain-sdks-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("Node.js SDK (sdks/nodejs)", () => {
  // Compiled where its `require("@pulumi/pulumi")` finds this repository's node_modules.
  const out = mkdtempSync(join(ROOT, "node_modules", ".sdk-nodejs-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("type-checks and compiles with its own tsconfig.json", () => {
    execFileSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(ROOT, "sdks", "nodejs", "tsconfig.json"), "--outDir", out], { stdio: "pipe" });
    copyFileSync(join(ROOT, "sdks", "nodejs", "package.json"), join(out, "package.json"));
  });

  it("registers the connection secret and the provider's defaults", async () => {
    const nixos = require(out);
    const web = new nixos.NixosContainer("web", { name: "web", connection: { host: "10.0.0.5", privateKey: KEY } });
    const host = new nixos.NixosHost("host", { connection: { host: "10.0.0.6", user: "deploy", password: PASSWORD }, containers: { a: { name: "a" } } });
    await new Promise((resolve) => pulumi.all([web.urn, host.urn]).apply(resolve));
    expect(normalise(registered)).toEqual(EXPECTED);
  });
});

describe("Python SDK (sdks/python)", () => {
  const site = join(work, "site-packages");

  it("builds a wheel with make sdk-python, which pip installs", () => {
    execFileSync("make", ["-s", "sdk-python"], { cwd: ROOT, stdio: "pipe" });
    const wheels = readdirSync(join(ROOT, "dist", "python"));
    expect(wheels).toEqual([expect.stringMatching(/^pulumi_nixos_containers-\d+\.\d+\.\d+-py3-none-any\.whl$/)]);
    execFileSync(join(ROOT, ".tools", "python-venv", "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target", site, join(ROOT, "dist", "python", wheels[0])], { stdio: "pipe" });
  });

  it("registers the same inputs as the Node.js SDK, and the defaults of the host's containers", () => {
    const r = spawnSync(join(ROOT, ".tools", "python-venv", "bin", "python"), [join(PROGRAMS, "registered.py"), KEY, PASSWORD], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: site },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(normalise(JSON.parse(r.stdout))).toEqual(EXPECTED_PYTHON);
  });
});

describe("Go SDK (sdks/go)", () => {
  const copy = join(work, "go");
  // -mod=readonly: the committed go.mod and go.sum must be complete as they are.
  const go = (...args: string[]) =>
    spawnSync("go", args, { cwd: copy, encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly", KEY, PASSWORD } });

  beforeAll(() => {
    cpSync(join(ROOT, "sdks", "go"), copy, { recursive: true });
    mkdirSync(join(copy, "nixos"), { recursive: true });
    copyFileSync(join(PROGRAMS, "registered_test.go"), join(copy, "nixos", "registered_test.go"));
  });

  it("builds and passes go vet", () => {
    const r = go("vet", "./...");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("registers the same inputs as the Node.js SDK", () => {
    const r = go("test", "-count=1", "-run", "^TestRegistered$", "-v", "./nixos/");
    expect(r.status).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("REGISTERED "));
    expect(normalise(JSON.parse(line!.slice("REGISTERED ".length)))).toEqual(EXPECTED);
  });
});
