/**
 * The stack reader of the operations commands (provider/cli/ops/targets.ts,
 * resolve.ts): the three resource shapes that hold containers, Pulumi's secret
 * envelopes as `pulumi stack export --show-secrets` prints them, and names.
 * tests/e2e/ops.test.ts reads a real stack through the real CLI.
 */
import { CONTAINER_TYPE, FLEET_TYPE, HOST_TYPE, StateError, targetsFromState } from "../../provider/cli/ops/targets";
import { NameError, resolveAll, resolveOne } from "../../provider/cli/ops/resolve";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(value) });
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
const conn = (host: string) => ({ host, port: 22, user: "root", privateKey: KEY, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA" });

function state(resources: object[]) {
  return { version: 3, deployment: { manifest: {}, resources } };
}

const containerResource = (urnName: string, host: string, name: string, extra: object = {}) => ({
  urn: `urn:pulumi:dev::proj::nixos:index:Fleet$${CONTAINER_TYPE}::${urnName}`,
  type: CONTAINER_TYPE,
  outputs: { name, host, connection: secret(conn(host)), systemPath: `/nix/store/${"a".repeat(32)}-nixos-system-${name}`, configHash: "sha256:1", status: "up", ipAddress: null, __provider: "exports.handler = ...", ...extra },
});

describe("targetsFromState", () => {
  it("reads NixosContainer resources: the Fleet's host name, the decrypted connection, what was deployed", () => {
    const targets = targetsFromState(state([containerResource("host1/web", "10.0.0.1", "web"), containerResource("db", "10.0.0.2", "db", { status: "down" })]));
    expect(targets.map((t) => [t.host, t.hostLabel, t.name, t.deployed.status])).toEqual([
      ["10.0.0.2", "10.0.0.2", "db", "down"],
      ["host1", "10.0.0.1", "web", "up"],
    ]);
    expect(targets[1].connection).toEqual(conn("10.0.0.1"));
    expect(targets[1].deployed.systemPath).toBe(`/nix/store/${"a".repeat(32)}-nixos-system-web`);
  });

  it("reads NixosHost resources: one target per entry of `containers`", () => {
    const host = {
      urn: `urn:pulumi:dev::proj::${HOST_TYPE}::host2`,
      type: HOST_TYPE,
      outputs: {
        host: "10.0.0.2:2222",
        connection: { ...conn("10.0.0.2"), port: 2222, privateKey: secret(KEY) },
        containers: {
          api: { name: "api", configHash: "sha256:2", status: "up", systemPath: "/nix/store/x", ipAddress: "10.1.0.2", nixConfig: "{ }" },
          cache: { name: "cache", configHash: "sha256:3", status: "down", systemPath: null, ipAddress: null },
        },
      },
    };
    const targets = targetsFromState(state([host]));
    expect(targets.map((t) => [t.host, t.hostLabel, t.name, t.deployed.ipAddress, t.deployed.configHash])).toEqual([
      ["host2", "10.0.0.2:2222", "api", "10.1.0.2", "sha256:2"],
      ["host2", "10.0.0.2:2222", "cache", null, "sha256:3"],
    ]);
    expect(targets[0].connection.privateKey).toBe(KEY);
  });

  it("reads NixosFleet resources: per host its name, its connection from `connections`, one target per container", () => {
    const fleet = {
      urn: `urn:pulumi:dev::proj::nixos:index:Fleet$${FLEET_TYPE}::fleet`,
      type: FLEET_TYPE,
      outputs: {
        hosts: {
          web1: { host: "10.0.0.1", containers: { web: { name: "web", configHash: "sha256:4", status: "up", systemPath: "/nix/store/w", ipAddress: null } } },
          db1: { host: "10.0.0.2:2222", containers: { db: { name: "db", configHash: "sha256:5", status: "down", systemPath: null, ipAddress: "10.1.0.3" } } },
        },
        connections: secret({ web1: conn("10.0.0.1"), db1: { ...conn("10.0.0.2"), port: 2222 } }),
      },
    };
    const targets = targetsFromState(state([fleet]));
    expect(targets.map((t) => [t.host, t.hostLabel, t.name, t.deployed.status, t.deployed.ipAddress])).toEqual([
      ["db1", "10.0.0.2:2222", "db", "down", "10.1.0.3"],
      ["web1", "10.0.0.1", "web", "up", null],
    ]);
    expect(targets[1].connection).toEqual(conn("10.0.0.1"));
    expect(targets[1].urn).toBe(fleet.urn);
  });

  it("skips resources pending deletion and other types", () => {
    const gone = { ...containerResource("old", "10.0.0.9", "old"), delete: true };
    const other = { urn: "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", type: "pulumi:pulumi:Stack", outputs: {} };
    expect(targetsFromState(state([gone, other]))).toEqual([]);
  });

  it("refuses encrypted secrets, saying how to read them", () => {
    const encrypted = containerResource("web", "10.0.0.1", "web", { connection: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } });
    expect(() => targetsFromState(state([encrypted]))).toThrow(StateError);
    expect(() => targetsFromState(state([encrypted]))).toThrow(/--show-secrets/);
  });
});

describe("names", () => {
  const targets = targetsFromState(state([containerResource("host1/web", "10.0.0.1", "web"), containerResource("host2/web", "10.0.0.2", "web"), containerResource("host2/db", "10.0.0.2", "db")]));

  it("NAME when it is unique, HOST/NAME by host name or address", () => {
    expect(resolveOne(targets, "db").host).toBe("host2");
    expect(resolveOne(targets, "host1/web").hostLabel).toBe("10.0.0.1");
    expect(resolveOne(targets, "10.0.0.2/web").host).toBe("host2");
  });

  it("an ambiguous or unknown name lists the candidates; all problems at once", () => {
    expect(() => resolveOne(targets, "web")).toThrow('"web" is on several hosts: host1/web, host2/web. Name one as HOST/NAME');
    expect(() => resolveOne(targets, "host3/web")).toThrow('no container "host3/web" in the stack; web is on host1/web, host2/web');
    expect(() => resolveAll(targets, ["x", "web"])).toThrow(NameError);
    expect(() => resolveAll(targets, ["x", "web"])).toThrow(/no container "x" in the stack; the stack has host1\/web, host2\/db, host2\/web\n"web" is on several hosts/);
  });
});
