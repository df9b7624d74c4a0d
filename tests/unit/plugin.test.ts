/**
 * The provider plugin's front over a stand-in engine, with property values as Pulumi's wire
 * carries them to a plugin (secrets wrapped, unknowns as a sentinel): what check answers every
 * language (the module rendered, a secret outside the credentials refused at its path, the
 * credentials secret, the owner from the URN), and that every output keeps secrets secret.
 * The real engine and CLI are in tests/e2e/plugin-*.test.ts.
 */
import { contextFrom } from "../../provider/lifecycle";
import { credentialPaths, revealed, withSecretsMarked } from "../../provider/lifecycle/codec";
import type { ChangeOutcome, ContainerChange, ContainerState } from "../../provider/deploy/change";
import { renderContainerModule } from "../../provider/container/module";
import { validateContainer } from "../../provider/container/validate";
import type { HostEngine } from "../../provider/deploy/engine";
import { silentProgress } from "../../provider/deploy/progress";
import { pluginProvider } from "../../provider/plugin/provider";
import { completed, providerConfig } from "../../provider/plugin/config";
import { ownerFromUrn } from "../../provider/plugin/owner";
import { UNKNOWN } from "../../provider/lifecycle/unknown";
import { CONNECTION } from "../support/specs";

type Props = Record<string, any>;
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const secret = (value: unknown) => ({ [SIG]: SECRET, value });
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nPLUGIN-UNIT-KEY\n-----END OPENSSH PRIVATE KEY-----";
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::nixos:index:${type}::${name}`;

/** A plugin whose hosts apply every change (`fail` names containers whose change fails after their module landed); `onHost`: what a read finds. */
function plugin(fail: string[] = [], onHost: Record<string, Partial<ContainerState>> = {}) {
  const changes: ContainerChange[] = [];
  const engine = {
    applyBatch: async (batch: ContainerChange[]): Promise<ChangeOutcome[]> =>
      batch.map((c) => {
        changes.push(c);
        if (fail.includes(c.name)) return { name: c.name, error: new Error(`${c.name} failed`) };
        return { name: c.name, result: { state: { name: c.name, module: c.kind === "delete" ? null : c.module!, conf: "", status: "up" }, postAction: "none", warnings: [] } };
      }),
    read: async (name: string) => ({ name, module: null, conf: null, status: "gone", ...onHost[name] }),
    readAll: async (names: string[]) => names.map((name) => ({ name, module: null, conf: null, status: "gone" })),
  } as unknown as HostEngine;
  const context = { ...contextFrom(() => { throw new Error("no transport"); }, () => (t) => t), engineFor: () => engine };
  const env = { PULUMI_CONFIG: JSON.stringify({ privateKey: KEY, hostKey: CONNECTION.hostKey }) };
  const provider = pluginProvider({ env, wiring: () => ({ context, progress: silentProgress, delivering: (ops) => ops }) });
  return { provider, changes };
}

/** Every string anywhere in a value that is not inside a wrapped secret. */
function plainStrings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(plainStrings);
  if (v && typeof v === "object") return (v as Props)[SIG] === SECRET ? [] : Object.values(v).flatMap(plainStrings);
  return [];
}

describe("check, for programs in every language", () => {
  it("renders the module, adds the owner from the URN and answers the credentials secret", async () => {
    const { provider } = plugin();
    const news = { connection: { ...CONNECTION, privateKey: KEY }, name: "web", config: { services: { nginx: { enable: true } } } };
    const r = await provider.check!(urn("NixosContainer", "web"), {}, news);
    expect(r.failures).toEqual([]);
    expect(r.inputs.nixConfig).toContain('containers.web = {');
    expect(r.inputs.nixConfig).toContain("nginx = {");
    expect(r.inputs.__owner).toEqual({ organization: "organization", project: "proj", stack: "dev", urn: urn("NixosContainer", "web") });
    expect(r.inputs.connection[SIG]).toBe(SECRET);
    expect(plainStrings(r.inputs).join("\n")).not.toContain("PLUGIN-UNIT-KEY");
    // Pulumi's wire has no undefined: the answer is plain JSON.
    expect(JSON.parse(JSON.stringify(r.inputs))).toEqual(r.inputs);
  });

  it("refuses a secret inside config at its property path, as the TypeScript SDK refuses it in the program", async () => {
    const { provider } = plugin();
    const news = { connection: secret(CONNECTION), config: { services: { db: { password: secret("hunter2") } } } };
    const r = await provider.check!(urn("NixosContainer", "web"), {}, news);
    expect(r.failures).toEqual([{ property: "config.services.db.password", reason: expect.stringContaining("is a secret. Everything in a container's Nix configuration is written to /nix/store") }]);
  });

  it("names the property path of a bad input inside a NixosHost's containers", async () => {
    const { provider } = plugin();
    const r = await provider.check!(urn("NixosHost", "h"), {}, { connection: CONNECTION, containers: { web: { forwardPorts: [{ hostPort: 99999, containerPort: 80 }] } } });
    expect(r.failures!.map((f: Props) => f.property)).toEqual(["containers.web.forwardPorts[0].hostPort"]);
  });

  it("keeps a state's organization (a stack moved from the dynamic provider)", async () => {
    const { provider } = plugin();
    const olds = { __owner: { organization: "acme", project: "proj", stack: "dev", urn: "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/nixos:NixosContainer::web" } };
    const r = await provider.check!(urn("NixosContainer", "web"), olds, { connection: CONNECTION });
    expect(r.inputs.__owner.organization).toBe("acme");
  });

  it("lets unknown values through in preview, answering them unknown, and judges them once known", async () => {
    const { provider } = plugin();
    const news = { connection: { host: UNKNOWN }, config: { services: { db: { password: secret(UNKNOWN) } } } };
    const r = await provider.check!(urn("NixosContainer", "web"), {}, news);
    expect(r.failures).toEqual([]);
    expect(r.inputs.connection[SIG]).toBe(SECRET);
    expect(r.inputs.connection.value.host).toBe(UNKNOWN);
    // The module the state has is not known yet either (shown as such, not as removed).
    const olds = { connection: CONNECTION, name: "web", nixConfig: "old module" };
    expect((await provider.check!(urn("NixosContainer", "web"), olds, { ...olds, nixConfig: undefined, hostAddress: UNKNOWN })).inputs.nixConfig).toBe(UNKNOWN);
  });
});

describe("outputs", () => {
  it("create answers the connection secret and any other secret where it came in", async () => {
    const { provider, changes } = plugin();
    const checked = await provider.check!(urn("NixosContainer", "web"), {}, { connection: { ...CONNECTION, privateKey: secret(KEY) }, name: "web", hostAddress: secret("10.0.0.1"), privateNetwork: true });
    // A secret outside config that reaches the module is refused too: the plugin never writes it.
    expect(checked.failures!.map((f: Props) => f.property)).toEqual(["hostAddress"]);
    const ok = await provider.check!(urn("NixosContainer", "web"), {}, { connection: { ...CONNECTION, privateKey: secret(KEY) }, name: "web" });
    const created = await provider.create!(urn("NixosContainer", "web"), ok.inputs);
    expect(created.id).toBe("127.0.0.11/web");
    expect(created.outs.connection[SIG]).toBe(SECRET);
    expect(created.outs.status).toBe("up");
    expect(plainStrings(created.outs).join("\n")).not.toContain("PLUGIN-UNIT-KEY");
    expect(changes.map((c) => [c.kind, c.name, c.owner?.urn])).toEqual([["create", "web", urn("NixosContainer", "web")]]);
  });

  it("a secret file's value is taken where secrets go, reaches the engine, and stays secret in the outputs", async () => {
    const { provider, changes } = plugin();
    const value = "pw-secret-file-unit";
    const news = { connection: { ...CONNECTION, privateKey: secret(KEY) }, containers: { web: { secrets: { "db-password": { value: secret(value) } } } } };
    const checked = await provider.check!(urn("NixosHost", "h"), {}, news);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.containers.web.secrets["db-password"].value[SIG]).toBe(SECRET);
    const created = await provider.create!(urn("NixosHost", "h"), checked.inputs);
    expect(JSON.stringify(changes)).toContain(value);
    expect(plainStrings(created.outs).join("\n")).not.toContain(value);
    expect(plainStrings(checked.inputs).join("\n")).not.toContain(value);
  });

  it("a partial failure hands Pulumi a state whose credentials are secret", async () => {
    const { provider } = plugin(["db"]);
    const checked = await provider.check!(urn("NixosHost", "h"), {}, { connection: { ...CONNECTION, password: "pw-plugin-unit" }, containers: { web: {}, db: {} } });
    const error = await provider.create!(urn("NixosHost", "h"), checked.inputs).then(
      () => undefined,
      (e: Props) => e,
    );
    expect(error?.reasons).toEqual(["db: db failed"]);
    expect(error?.properties.connection[SIG]).toBe(SECRET);
    expect(Object.keys(error?.properties.containers)).toEqual(["web"]);
    expect(plainStrings(error?.properties).join("\n")).not.toContain("pw-plugin-unit");
    expect("__provider" in error!.properties).toBe(false);
  });

  it("diff ignores the dynamic provider's __provider in a moved state: same inputs, no change", async () => {
    const { provider } = plugin();
    const checked = await provider.check!(urn("NixosHost", "h"), {}, { connection: CONNECTION, containers: { web: {} } });
    const created = await provider.create!(urn("NixosHost", "h"), checked.inputs);
    const same = await provider.diff!("127.0.0.11", urn("NixosHost", "h"), { ...created.outs, __provider: "exports.handler = …" }, checked.inputs);
    expect(same.changes).toBe(false);
    const changed = await provider.check!(urn("NixosHost", "h"), {}, { connection: CONNECTION, containers: { web: { autoStart: true } } });
    // Changed: left to the engine (DIFF_UNKNOWN), which then shows only the changed paths.
    expect((await provider.diff!("127.0.0.11", urn("NixosHost", "h"), created.outs, changed.inputs)).changes).toBeUndefined();
  });

  it("read answers a blank id for a container that is gone", async () => {
    const { provider } = plugin();
    const checked = await provider.check!(urn("NixosContainer", "web"), {}, { connection: CONNECTION, name: "web" });
    const created = await provider.create!(urn("NixosContainer", "web"), checked.inputs);
    expect(await provider.read!("127.0.0.11/web", urn("NixosContainer", "web"), created.outs)).toEqual({ id: "", props: {} });
  });

  it("refuses a type it does not serve", async () => {
    const { provider } = plugin();
    await expect(provider.check!("urn:pulumi:dev::proj::nixos:index:Nope::x", {}, {})).rejects.toThrow(/unknown resource type nixos:index:Nope: this plugin serves nixos:index:NixosContainer, nixos:index:NixosHost/);
  });
});

describe("pulumi import (read with an id and nothing else)", () => {
  const module = renderContainerModule(validateContainer({ name: "web", autoStart: true, config: { services: { nginx: { enable: true } } }, connection: CONNECTION }).spec!);
  const me = { organization: "organization", project: "proj", stack: "dev", urn: urn("NixosContainer", "old-web") };

  it("answers inputs that render the module, naming the host and its key but no credential, and the state", async () => {
    const { provider } = plugin([], { web: { module, conf: "", owner: me, status: "up" } });
    const r = await provider.read!("127.0.0.11:22/web", urn("NixosContainer", "web"), {});
    expect(r.id).toBe("127.0.0.11/web");
    expect(r.inputs).toEqual({ name: "web", autoStart: true, config: { services: { nginx: { enable: true } } }, connection: secret({ host: "127.0.0.11", hostKey: CONNECTION.hostKey }) });
    expect(r.props.nixConfig).toBe(module);
    // The host's record of this stack stays the state's owner, so that a later delete matches it.
    expect(r.props.__owner).toEqual(me);
    expect(JSON.stringify(r)).not.toContain("PLUGIN-UNIT-KEY");
  });

  it("refuses a container another stack manages, one the host's own configuration declares, and a NixosHost", async () => {
    const other = { ...me, stack: "prod" };
    const { provider } = plugin([], { web: { module, conf: "", owner: other, status: "up" }, legacy: { module: null, conf: "PRIVATE_NETWORK=0\n", status: "up" } });
    await expect(provider.read!("127.0.0.11/web", urn("NixosContainer", "web"), {})).rejects.toThrow(/container "web" is managed by another stack: stack organization\/proj\/prod .*Nothing was imported/);
    await expect(provider.read!("127.0.0.11/legacy", urn("NixosContainer", "legacy"), {})).rejects.toThrow(/declared in the host's own configuration, not by a module of this provider .*adopt: true/);
    await expect(provider.read!("127.0.0.11/gone", urn("NixosContainer", "gone"), {})).rejects.toThrow(/the host has no container "gone"/);
    await expect(provider.read!("127.0.0.11", urn("NixosHost", "h"), {})).rejects.toThrow(/pulumi import of a NixosHost is not supported: import each of its containers as a NixosContainer/);
    await expect(provider.read!("web", urn("NixosContainer", "web"), {})).rejects.toThrow(/is not <host>\/<name>/);
  });
});

describe("the codec's secret marking", () => {
  it("reveals wrapped values, remembers where they were, and marks them again", () => {
    const props = { a: secret({ b: 1 }), list: [1, secret("x")], plain: "p" };
    const { values, secrets } = revealed(props);
    expect(values).toEqual({ a: { b: 1 }, list: [1, "x"], plain: "p" });
    expect(secrets).toEqual([["a"], ["list", 1]]);
    expect(withSecretsMarked("container", values, secrets)).toEqual(props);
  });

  it("finds the connection of either shape, and marks it whole once", () => {
    expect(credentialPaths("host", { connection: CONNECTION, containers: {} })).toEqual([["connection"]]);
    const marked = withSecretsMarked("container", { connection: { ...CONNECTION, privateKey: "k" } }, [["connection", "privateKey"]]);
    expect(marked).toEqual({ connection: secret({ ...CONNECTION, privateKey: "k" }) });
  });
});

describe("provider configuration (stack config nixos:*)", () => {
  const config = providerConfig({ PULUMI_CONFIG: JSON.stringify({ privateKey: KEY, hostKey: CONNECTION.hostKey, user: "deploy", sec: "ignored" }) });

  it("fills in the credentials a connection leaves unset, and its host key when it names none", () => {
    const c = completed({ host: "h", port: 22, user: "root", insecureSkipHostKeyVerification: false } as never, config);
    expect(c).toMatchObject({ host: "h", user: "root", privateKey: KEY, hostKey: CONNECTION.hostKey });
    expect(completed({ host: "h", knownHostsFile: "/k", password: "p" } as never, config)).not.toHaveProperty("hostKey");
    expect(config.secrets).toEqual([KEY]);
  });

  it("names a bad setting and how to set it", () => {
    const bad = providerConfig({ PULUMI_CONFIG: JSON.stringify({ hostKey: "not a key" }) });
    expect(() => completed({ host: "h" } as never, bad)).toThrow(/nixos:hostKey: expected a public key line .*\(pulumi config set nixos:hostKey …\)/);
  });

  it("takes the stack and project from the URN", () => {
    expect(ownerFromUrn("urn:pulumi:prod::infra::nixos:index:NixosHost::h")).toMatchObject({ stack: "prod", project: "infra" });
    expect(() => ownerFromUrn("nonsense")).toThrow(/not a resource URN/);
  });
});
