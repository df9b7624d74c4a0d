/**
 * The provider as the Pulumi engine drives it: the real dynamic-provider
 * plugin of @pulumi/pulumi over gRPC, a serialized __provider, against the
 * simulated fleet over real SSH.
 */
import { readFileSync } from "node:fs";
import { Fleet, startFleet } from "../hosts/helpers";
import { DynamicProviderHarness } from "../support/dynamic-harness";
import { configHash } from "../../provider/container/module";

let fleet: Fleet;
let provider: DynamicProviderHarness;
beforeAll(async () => {
  fleet = startFleet(123, 2);
  provider = await DynamicProviderHarness.start({ env: { PULUMI_NIXOS_CONTAINERS_QUIET_MS: "100" } });
});
afterAll(async () => {
  await provider?.stop();
  fleet?.down();
});

/** host2's deploy user needs its password for sudo: every credential kind is in play. */
function connection() {
  const h = fleet.host(2);
  return {
    host: h.address,
    hostKey: h.hostKey,
    user: "deploy",
    privateKey: readFileSync(h.users.deploy.privateKeyPath, "utf8"),
    sudoPassword: h.users.deploy.password!,
  };
}
const secrets = () => [connection().privateKey.split("\n").filter((l) => l.length > 20)[1], connection().sudoPassword];
const sessions = () => fleet.sshLog(2).length;

function program(overrides: Record<string, unknown> = {}) {
  return { name: "web", connection: connection(), autoStart: true, config: { environment: { etc: { motd: { text: "v1" } } } }, ...overrides };
}

const recorded: unknown[] = [];
const record = <T>(x: T): T => (recorded.push(x), x);

describe("NixosContainer lifecycle", () => {
  let id = "";
  let outs: Record<string, unknown> = {};
  let inputs: Record<string, unknown> = {};

  it("check normalises the inputs and renders nixConfig, without contacting the host", async () => {
    const before = sessions();
    const checked = record(await provider.check("web", {}, program()));
    expect(checked.failures).toEqual([]);
    inputs = checked.inputs;
    expect(inputs).toMatchObject({ name: "web", rebuildAction: "switch", updateStrategy: "reload", connection: { port: 22, user: "deploy" } });
    expect(inputs.nixConfig).toContain("containers.web = {");
    const again = await provider.check("web", inputs, program());
    expect(again.inputs).toEqual(inputs);
    expect(sessions()).toBe(before);
  });

  it("check reports each problem with its property path", async () => {
    const checked = await provider.check("web", {}, program({ autoStart: "yes", forwardPorts: [{ hostPort: 99999 }], privateNetwork: true }));
    expect(checked.failures).toEqual(
      expect.arrayContaining([
        { property: "autoStart", reason: expect.stringMatching(/expected a boolean/) },
        { property: "forwardPorts[0].hostPort", reason: expect.stringMatching(/1 to 65535/) },
      ]),
    );
  });

  it("check refuses a nixConfig that does not match the inputs", async () => {
    const checked = await provider.check("web", {}, { ...program(), nixConfig: "{ }" });
    expect(checked.failures).toEqual([{ property: "nixConfig", reason: expect.stringMatching(/does not match the module the provider renders/) }]);
  });

  it("create pushes the module; the container runs the pushed system", async () => {
    const created = record(await provider.create("web", inputs));
    id = created.id;
    outs = created.properties;
    expect(id).toBe(`${fleet.host(2).address}/web`);
    expect(outs).toMatchObject({ name: "web", status: "up", modulePath: "/etc/nixos/pulumi-containers/web.nix", nixConfig: inputs.nixConfig });
    expect(fleet.ok(2, "cat /etc/nixos/pulumi-containers/web.nix")).toBe(inputs.nixConfig);
    expect(fleet.ok(2, "stat -c '%a %U' /etc/nixos/pulumi-containers/web.nix")).toBe("600 root\n");
    expect(fleet.unitState(2, "web")).toMatchObject({ state: "active", system: outs.systemPath });
  });

  it("diff finds no change for the same program, even with another provider text", async () => {
    const same = await provider.diff("web", id, { ...outs, __provider: "exports.handler = () => ({})" }, inputs, inputs);
    expect(same.changes).toBe(1); // DIFF_NONE
  });

  it("an edit updates in place; the container runs the new system without a restart", async () => {
    const next = (await provider.check("web", inputs, program({ config: { environment: { etc: { motd: { text: "v2" } } } } }))).inputs;
    const d = await provider.diff("web", id, outs, inputs, next);
    expect(d).toEqual({ changes: 2, replaces: [], deleteBeforeReplace: false });
    const updated = record(await provider.update("web", id, outs, inputs, next));
    expect(updated.systemPath).not.toBe(outs.systemPath);
    expect(fleet.unitState(2, "web")).toMatchObject({ state: "active", system: updated.systemPath, starts: 1, reloads: 1 });
    outs = updated;
    inputs = next;
  });

  it("refresh reports a hand edit of the module as drift, and the next update restores it", async () => {
    fleet.ok(2, "sed -i 's/v2/hand-edited/' /etc/nixos/pulumi-containers/web.nix");
    const refreshed = record(await provider.read("web", id, outs, inputs));
    expect(refreshed.id).toBe(id);
    expect(refreshed.properties.nixConfig).toContain("hand-edited");
    expect(refreshed.properties.configHash).not.toBe(outs.configHash);
    expect(refreshed.properties.configHash).toBe(configHash(refreshed.properties.nixConfig as string));
    expect(refreshed.inputs?.nixConfig).toContain("hand-edited");
    const d = await provider.diff("web", id, refreshed.properties, refreshed.inputs!, inputs);
    expect(d.changes).toBe(2);
    const restored = await provider.update("web", id, refreshed.properties, refreshed.inputs!, inputs);
    expect(fleet.ok(2, "cat /etc/nixos/pulumi-containers/web.nix")).toBe(inputs.nixConfig);
    outs = restored;
  });

  it("a rename is a replacement that deletes first", async () => {
    const renamed = (await provider.check("web", inputs, program({ name: "web-2" }))).inputs;
    expect(await provider.diff("web", id, outs, inputs, renamed)).toEqual({ changes: 2, replaces: ["name"], deleteBeforeReplace: true });
    const moved = (await provider.check("web", inputs, program({ connection: { ...connection(), host: fleet.host(1).address, hostKey: fleet.host(1).hostKey } }))).inputs;
    expect((await provider.diff("web", id, outs, inputs, moved)).replaces).toEqual(["connection.host"]);
  });

  it("delete removes the container and keeps its data", async () => {
    fleet.ok(2, "echo keep > /var/lib/nixos-containers/web/root/data");
    await provider.delete("web", id, outs, inputs);
    expect(fleet.ssh(2, "test -e /etc/nixos/pulumi-containers/web.nix").code).not.toBe(0);
    expect(fleet.unitState(2, "web").state).toBe("inactive");
    expect(fleet.ok(2, "cat /var/lib/nixos-containers/web/root/data")).toBe("keep\n");
    const gone = await provider.read("web", id, outs, inputs);
    expect(gone.id).toBe("");
  });

  it("delete with deleteData removes the data too", async () => {
    const args = (await provider.check("db", {}, program({ name: "db", deleteData: true }))).inputs;
    const created = await provider.create("db", args);
    fleet.ok(2, "test -d /var/lib/nixos-containers/db");
    await provider.delete("db", created.id, created.properties, args);
    expect(fleet.ssh(2, "test -e /var/lib/nixos-containers/db").code).not.toBe(0);
  });

  it("create refuses a container of the same name that the provider does not manage, unless adopt", async () => {
    fleet.ok(2, "nixos-container create legacy");
    const args = (await provider.check("legacy", {}, program({ name: "legacy" }))).inputs;
    const failure = await provider.create("legacy", args).catch((e: Error) => e);
    expect(String(failure)).toMatch(/a container named "legacy" already exists on this host.*adopt: true/s);
    expect(fleet.ssh(2, "test -e /etc/nixos/pulumi-containers/legacy.nix").code).not.toBe(0);
    const adopted = await provider.create("legacy", (await provider.check("legacy", {}, program({ name: "legacy", adopt: true }))).inputs);
    expect(adopted.properties.status).toBe("up");
  });

  it("reports a container that failed after its configuration was applied as created-but-failed, so state follows the host", async () => {
    fleet.must("fault", "2", "activate-fail", "1", "container@flaky.service");
    const args = (await provider.check("flaky", {}, program({ name: "flaky" }))).inputs;
    const failure = (await provider.create("flaky", args).catch((e) => e)) as Error & { metadata?: { get(k: string): unknown[] } };
    record(String(failure));
    expect(failure.message).toMatch(/the new configuration is active, but container@flaky\.service failed/);
    // The engine records the resource from this detail (ErrorResourceInitFailed) instead of forgetting it.
    expect(failure.metadata?.get("grpc-status-details-bin")).toHaveLength(1);
    expect(fleet.ok(2, "cat /etc/nixos/pulumi-containers/flaky.nix")).toBe(args.nixConfig);
    // The next up is an update of that resource, and it converges.
    const retried = await provider.update("flaky", `${fleet.host(2).address}/flaky`, { ...args, status: "down" }, args, args);
    expect(retried.status).toBe("up");
  });

  it("never lets a credential out: not in outputs, errors or the provider's log", async () => {
    const failing = await provider.create("broken", (await provider.check("broken", {}, program({ name: "broken", config: "{ ... }: { x = undefinedVariable; }" }))).inputs).catch((e: Error) => e);
    record(String(failing));
    expect(String(failing)).toMatch(/undefined variable/);
    // The connection input and output carry the credentials by design (Pulumi encrypts them in
    // state: the end-to-end tests check the exported stack); everything else must not.
    const withoutConnection = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(withoutConnection) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "connection").map(([k, x]) => [k, withoutConnection(x)])) : v;
    const everything = JSON.stringify(withoutConnection(recorded)) + provider.stderr.join("\n");
    expect(everything).toContain("nixos-rebuild switch");
    for (const secret of secrets()) expect(everything).not.toContain(secret);
  });
});
