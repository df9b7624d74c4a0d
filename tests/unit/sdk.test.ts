/**
 * Program-level tests of the SDK with Pulumi's mocks: what a program sends
 * to the engine for a NixosContainer, and what it refuses.
 */
import * as pulumi from "@pulumi/pulumi";

type Registered = { type: string; name: string; inputs: Record<string, any> };
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.inputs.connection?.host}/${args.inputs.name}`, state: { ...args.inputs, status: "up", host: args.inputs.connection?.host } };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

// Imported after setMocks so resources register against the mocks.
import { NixosContainer, nix, renderContainerModule, validateContainer, Fleet } from "../../sdk";
import { CONNECTION } from "../support/specs";
import { renderInProgram } from "../../sdk/program-side";

/** The mocks see secrets as sig-wrapped objects; unwrap them to compare plain values. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function unwrap(v: any): any {
  if (Array.isArray(v)) return v.map(unwrap);
  if (v && typeof v === "object") return SECRET_SIG in v ? unwrap(v.value) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
}
const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const POISON = "-----BEGIN OPENSSH PRIVATE KEY-----\nPOISON-KEY-7d1f\n-----END OPENSSH PRIVATE KEY-----";

beforeEach(() => (registered.length = 0));

describe("NixosContainer", () => {
  it("registers a dynamic resource of type nixos:NixosContainer with the rendered module as nixConfig", async () => {
    const c = new NixosContainer("web", {
      connection: CONNECTION,
      autoStart: true,
      config: { services: { nginx: { enable: true } }, environment: { systemPackages: nix`with pkgs; [ vim ]` } },
    });
    await value(c.urn);
    const r = registered.find((x) => x.name === "web")!;
    expect(r.type).toBe("pulumi-nodejs:dynamic/nixos:NixosContainer");
    const expected = renderContainerModule(
      validateContainer({ name: "web", connection: CONNECTION, autoStart: true, config: { services: { nginx: { enable: true } }, environment: { systemPackages: { $nix: "with pkgs; [ vim ]" } } } }).spec!,
    );
    expect(r.inputs.nixConfig).toBe(expected);
    expect(r.inputs.nixConfig).toContain("systemPackages = with pkgs; [ vim ];");
    expect(r.inputs.name).toBe("web");
    expect(typeof r.inputs.__provider).toBe("string");
  });

  it("uses the given name over the resource name", async () => {
    const c = new NixosContainer("frontend", { name: "web-2", connection: CONNECTION, config: {} });
    expect(await value(c.name)).toBe("web-2");
    expect(registered.find((x) => x.name === "frontend")!.inputs.nixConfig).toContain("containers.web-2 = {");
  });

  it("accepts Outputs anywhere in the inputs", async () => {
    const port = pulumi.output(8080);
    const c = new NixosContainer("ports", {
      connection: { host: pulumi.output("127.0.0.12"), hostKey: CONNECTION.hostKey },
      privateNetwork: true,
      hostAddress: "10.1.0.1",
      localAddress: pulumi.output("10.1.0.2"),
      forwardPorts: [{ hostPort: port, containerPort: 80 }],
      config: {},
    });
    await value(c.urn);
    expect(registered.find((x) => x.name === "ports")!.inputs.nixConfig).toContain("hostPort = 8080;");
  });

  it("marks the credentials secret, and only them", async () => {
    const c = new NixosContainer("secrets", { connection: { ...CONNECTION, privateKey: POISON, sudoPassword: "sudo-poison" }, config: {} });
    const connection = (c as unknown as { connection: pulumi.Output<Record<string, unknown>> }).connection;
    expect(await pulumi.isSecret(connection)).toBe(true);
    expect(await pulumi.isSecret(c.nixConfig)).toBe(false);
    expect(await value(c.nixConfig)).not.toContain("POISON");
  });

  it("refuses a secret inside config, explaining /nix/store", () => {
    // In its own process: the failing Output rejects in several places, as it does in a real program.
    const program = `
      const pulumi = require("@pulumi/pulumi");
      pulumi.runtime.setMocks({ newResource: (a) => ({ id: "x", state: a.inputs }), call: () => ({}) }, "p", "s", false);
      const { NixosContainer } = require(${JSON.stringify(require("node:path").join(__dirname, "..", "..", "dist", "sdk"))});
      new NixosContainer("leaky", { connection: { host: "h" }, config: { services: { foo: { password: pulumi.secret("hunter2") } } } });
    `;
    const run = require("node:child_process").spawnSync(process.execPath, ["-e", program], { encoding: "utf8", cwd: require("node:path").join(__dirname, "..", "..") });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Error: error serializing property "nixConfig": NixosContainer "leaky": a secret value was passed in its configuration\. Everything in a container's Nix configuration is written to \/nix\/store on the host, world-readable/);
    expect(run.stderr).not.toContain("hunter2");
  });

  it("leaves nixConfig unset for invalid inputs, so the provider's check reports each problem", async () => {
    const c = new NixosContainer("bad", { connection: CONNECTION, config: {}, forwardPorts: [{ hostPort: 80 }] });
    await value(c.urn);
    expect(registered.find((x) => x.name === "bad")!.inputs.nixConfig).toBeUndefined();
  });
});

/** An inventory file with this text. */
function write(text: string): string {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const os = require("node:os") as typeof import("node:os");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "inv-")), "inventory.yaml");
  fs.writeFileSync(file, text);
  return file;
}

describe("Fleet", () => {

  const INVENTORY = `defaults:
  autoStart: true
hosts:
  host1:
    connection: { host: 127.0.0.11, hostKey: "${CONNECTION.hostKey}" }
    defaults:
      privateNetwork: true
    containers:
      web:
        hostAddress: 10.1.0.1
        localAddress: 10.1.0.2
        config: { services: { nginx: { enable: true } } }
      db:
        autoStart: false
        config: {}
  host2:
    connection: { host: 127.0.0.12, hostKey: "${CONNECTION.hostKey}" }
    defaults:
      rebuildAction: test
    containers:
      cache: { config: {} }
`;

  it("creates one NixosFleet holding every inventory host and its containers, with defaults layered", async () => {
    const fleet = new Fleet("fleet", { inventory: write(INVENTORY), connection: { privateKey: pulumi.secret(POISON) }, maxParallelHosts: 5 });
    expect(Object.keys(fleet.hosts)).toEqual([]);
    expect(Object.keys(fleet.containers).sort()).toEqual(["host1/db", "host1/web", "host2/cache"]);
    await value(fleet.fleet!.urn);
    const registeredFleet = registered.find((x) => x.name === "fleet" && x.type !== "nixos:index:Fleet")!;
    expect(registeredFleet.type).toBe("pulumi-nodejs:dynamic/nixos:NixosFleet");
    expect(registered.filter((x) => x.type.endsWith("NixosHost"))).toEqual([]);
    const inputs = unwrap(registeredFleet.inputs);
    expect(inputs.maxParallelHosts).toBe(5);
    expect(Object.keys(inputs.hosts).sort()).toEqual(["host1", "host2"]);
    // Each host's connection sits beside it, in connections.
    expect(inputs.connections.host1).toMatchObject({ host: "127.0.0.11", privateKey: POISON });
    expect(inputs.hosts.host1.connection).toBeUndefined();
    expect(inputs.hosts.host1.containers.web).toMatchObject({ name: "web", autoStart: true, privateNetwork: true });
    expect(inputs.hosts.host1.containers.web.connection).toBeUndefined();
    expect(inputs.hosts.host1.containers.web.nixConfig).toContain("services = {");
    expect(inputs.hosts.host1.containers.db.autoStart).toBe(false);
    // The host's rebuild settings are the host's, once.
    expect(inputs.hosts.host2.rebuildAction).toBe("test");
    expect(inputs.hosts.host2.containers.cache.rebuildAction).toBeUndefined();
    // The credential is a secret in what the program sends, never plain; the hosts hold none,
    // so the containers' outputs under hosts stay readable in the program.
    expect(JSON.stringify(registeredFleet.inputs.connections)).toContain(SECRET_SIG);
    expect(JSON.stringify(registeredFleet.inputs.hosts)).not.toContain(SECRET_SIG);
  });

  it("limits a run to the hosts of PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS when the program names none", async () => {
    process.env.PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS = " host2 , ";
    try {
      const fleet = new Fleet("targeted", { inventory: write(INVENTORY) });
      await value(fleet.fleet!.urn);
      expect(unwrap(registered.find((x) => x.name === "targeted" && x.type.endsWith("NixosFleet"))!.inputs).onlyHosts).toEqual(["host2"]);
      const named = new Fleet("named", { inventory: write(INVENTORY), onlyHosts: ["host1"] });
      await value(named.fleet!.urn);
      expect(unwrap(registered.find((x) => x.name === "named" && x.type.endsWith("NixosFleet"))!.inputs).onlyHosts).toEqual(["host1"]);
    } finally {
      delete process.env.PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS;
    }
  });

  it('mode "per-host" creates one NixosHost per inventory host holding its containers', async () => {
    const fleet = new Fleet("perhost", { inventory: write(INVENTORY), connection: { privateKey: pulumi.secret(POISON) }, mode: "per-host" });
    expect(fleet.fleet).toBeUndefined();
    expect(Object.keys(fleet.hosts).sort()).toEqual(["host1", "host2"]);
    expect(Object.keys(fleet.containers).sort()).toEqual(["host1/db", "host1/web", "host2/cache"]);
    await value(fleet.hosts.host2.urn);
    const host1 = registered.find((x) => x.name === "host1")!;
    expect(host1.type).toBe("pulumi-nodejs:dynamic/nixos:NixosHost");
    const inputs = unwrap(host1.inputs);
    expect(inputs.connection).toMatchObject({ host: "127.0.0.11", privateKey: POISON });
    expect(Object.keys(inputs.containers).sort()).toEqual(["db", "web"]);
    expect(inputs.containers.web).toMatchObject({ name: "web", autoStart: true, privateNetwork: true });
    expect(inputs.containers.web.connection).toBeUndefined();
    expect(inputs.containers.web.nixConfig).toContain("services = {");
    expect(inputs.containers.db.autoStart).toBe(false);
    // The credential is a secret in what the program sends, never plain.
    expect(JSON.stringify(host1.inputs.connection)).toContain(SECRET_SIG);
    const host2 = unwrap(registered.find((x) => x.name === "host2")!.inputs);
    expect(host2.containers.cache.privateNetwork).toBeUndefined();
    expect(host2.rebuildAction).toBe("test");
  });

  it("refuses containers of one host that ask for different rebuild settings", () => {
    const file = write(`hosts:\n  host1:\n    connection: { host: 127.0.0.11 }\n    containers:\n      a: { config: {}, rebuildAction: test }\n      b: { config: {} }\n`);
    expect(() => new Fleet("mixed", { inventory: file })).toThrow(/hosts\.host1: its containers ask for different rebuildAction \("test", "switch"\); one nixos-rebuild applies every container of a host, so set rebuildAction once in hosts\.host1\.defaults/);
  });

  it("tells the provider who owns each container: organization, project, stack and the URN the engine gives it", async () => {
    const file = write(`hosts:\n  host2:\n    connection: { host: 127.0.0.12 }\n    containers:\n      cache: { config: {} }\n`);
    const fleet = new Fleet("owned", { inventory: file, mode: "per-host" });
    const alone = new NixosContainer("alone", { connection: CONNECTION, config: {} });
    for (const [name, resource] of [["host2", fleet.hosts.host2], ["alone", alone]] as const) {
      const urn = await value(resource.urn);
      expect(registered.find((x) => x.name === name)!.inputs.__owner).toEqual({ organization: "organization", project: "project", stack: "stack", urn });
    }
    expect(await value(fleet.hosts.host2.urn)).toContain("nixos:index:Fleet$pulumi-nodejs:dynamic/nixos:NixosHost::host2");
  });

  it("names the file, line and key of every problem", () => {
    const file = write(`hosts:
  host1:
    connection: { host: 127.0.0.11 }
    containers:
      web:
        autostart: true
      db:
        forwardPorts: [{ hostPort: 80 }]
  host2:
    conection: { host: 127.0.0.12 }
    containers: {}
`);
    expect(() => new Fleet("broken", { inventory: file })).toThrow(
      new RegExp(
        [
          `${file}:6: hosts.host1.containers.web.autostart: unknown property; did you mean "autoStart"\\?`,
          `${file}:8: hosts.host1.containers.db.forwardPorts: forwardPorts only takes effect with privateNetwork`,
          `${file}:10: hosts.host2.conection: unknown key; did you mean "connection"\\?`,
        ]
          .map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === "\\" ? c : "\\" + c)).replace(/\\\\\?/g, "\\?"))
          .join("[\\s\\S]*"),
      ),
    );
  });
});

describe("secrets", () => {
  it("a NixosContainer sends each secret's value as a Pulumi secret, also a plain one, and a module that only mounts their directory", async () => {
    const c = new NixosContainer("vault", {
      connection: CONNECTION,
      config: { users: { users: { app: { isSystemUser: true, group: "app" } }, groups: { app: {} } } },
      secrets: { token: { value: "plain-token-value", owner: "app" }, key: { value: pulumi.secret("secret-key-value"), mode: "0440" } },
    });
    await value(c.urn);
    const r = registered.find((x) => x.name === "vault")!;
    // (Pulumi's mocks hand the property back secret as a whole; the engine keeps each value
    // secret at its own path, which tests/e2e/secrets.test.ts checks in a real stack's state.)
    const secrets = unwrap(r.inputs.secrets);
    expect(secrets).toEqual({ token: { value: "plain-token-value", owner: "app" }, key: { value: "secret-key-value", mode: "0440" } });
    expect(JSON.stringify(r.inputs.secrets)).toContain(SECRET_SIG);
    expect(r.inputs.nixConfig).toContain('"/run/secrets" = {');
    expect(r.inputs.nixConfig).not.toMatch(/token-value|key-value/);
  });

  it("a value not known yet (another resource's output) still gives the preview its module", async () => {
    const never = pulumi.secret(new Promise<string>(() => undefined));
    const inputs = { name: "pending", config: {}, secrets: { token: { value: never } } };
    const module = await value(renderInProgram("test", inputs));
    expect(module).toBe(renderContainerModule(validateContainer({ ...inputs, connection: CONNECTION, secrets: { token: { value: "-" } } }).spec!));
    expect(module).toContain('"/run/secrets" = {');
  });

  it("a Fleet inventory names the config secret of each value; a value in the file is refused", async () => {
    pulumi.runtime.setAllConfig({ "project:dbPassword": "from-config-value" }, ["project:dbPassword"]);
    const file = write(`hosts:
  host1:
    connection: { host: 127.0.0.11, hostKey: "${CONNECTION.hostKey}" }
    containers:
      db:
        config: { services: { postgresql: { enable: true } } }
        secrets:
          db-password: { config: dbPassword, owner: postgres, restartUnits: [postgresql.service] }
`);
    const fleet = new Fleet("sec", { inventory: file });
    await value(fleet.fleet!.urn);
    const registeredFleet = registered.find((x) => x.type === "pulumi-nodejs:dynamic/nixos:NixosFleet" && x.name === "sec")!;
    expect(JSON.stringify(registeredFleet.inputs.hosts)).toContain(SECRET_SIG);
    const secret = unwrap(registeredFleet.inputs.hosts).host1.containers.db.secrets["db-password"];
    expect(secret).toEqual({ value: "from-config-value", owner: "postgres", restartUnits: ["postgresql.service"] });
    expect(secret.config).toBeUndefined();

    const bad = write(`hosts:
  host1:
    connection: { host: 127.0.0.11, hostKey: "${CONNECTION.hostKey}" }
    containers:
      db:
        secrets:
          db-password: { value: in-the-file }
`);
    expect(() => new Fleet("bad", { inventory: bad })).toThrow(/hosts\.host1\.containers\.db\.secrets\["db-password"\]\.value: a secret's value does not belong in the inventory file/);
  });
});
