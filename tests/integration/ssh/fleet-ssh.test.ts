/**
 * The SSH transport against the simulated NixOS fleet (tests/hosts): host key
 * pinning and known_hosts, key / passphrase / password logins, sudo with and
 * without a password (host1: deploy has NOPASSWD, host2: deploy needs its
 * password), pooling, and a connection cut by the fleet's `cut-next` fault.
 *
 * It brings up its own two-host fleet.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SshPool, isSshError, type SshErrorCode } from "../../../provider/host/ssh";
import { startFleet } from "../../hosts/helpers";

interface FleetHost {
  name: string;
  address: string;
  port: number;
  hostKey: string;
  hostKeyFingerprint: string;
  knownHostsLine: string;
  users: {
    root: { privateKeyPath: string; passphraseKeyPath: string; passphrase: string };
    deploy: { privateKeyPath: string; password: string; sudo: "nopasswd" | "password" };
  };
}

const repo = path.resolve(__dirname, "../../..");
// A fleet of its own (subnet 127.0.124), so the fault test cannot disturb anyone else's.
const fleet = startFleet(124, 2);
afterAll(() => fleet.down());
const stateDir = fleet.state;
const manifest: { hosts: FleetHost[] } = JSON.parse(fs.readFileSync(path.join(stateDir, "manifest.json"), "utf8"));
const byName = (n: string) => manifest.hosts.find((h) => h.name === n);
const host1 = byName("host1");
const host2 = byName("host2");
const describeFleet = describe;

const read = (p: string) => fs.readFileSync(p, "utf8");

async function expectCode(p: Promise<unknown>, code: SshErrorCode): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (isSshError(e) && e.code === code) return e;
    throw e;
  }
  throw new Error(`expected SshError ${code}`);
}

describeFleet("SSH transport on the simulated fleet", () => {
  let pool: SshPool;
  const logs: string[] = [];
  beforeEach(() => {
    pool = new SshPool({ logger: (l, m) => logs.push(`${l}: ${m}`) });
  });
  afterEach(async () => {
    await pool.closeAll();
  });

  const root = (h: FleetHost, extra: Record<string, unknown> = {}) => ({
    host: h.address,
    port: h.port,
    privateKey: read(h.users.root.privateKeyPath),
    hostKey: h.hostKey,
    ...extra,
  });
  const deploy = (h: FleetHost, extra: Record<string, unknown> = {}) => ({
    host: h.address,
    port: h.port,
    user: "deploy",
    privateKey: read(h.users.deploy.privateKeyPath),
    hostKey: h.hostKey,
    ...extra,
  });

  test("pinned host key (line and fingerprint) and the fleet's known_hosts", async () => {
    for (const c of [
      root(host1!),
      root(host1!, { hostKey: host1!.hostKeyFingerprint }),
      root(host1!, { hostKey: undefined, knownHostsFile: path.join(stateDir, "known_hosts") }),
    ]) {
      expect((await pool.acquireHost(c).exec("hostname")).stdout.trim()).toBe("host1");
    }
  });

  test("host2's key pinned for host1: refused with both fingerprints", async () => {
    const err = await expectCode(pool.acquireHost(root(host1!, { hostKey: host2!.hostKey })).exec("true"), "host_key_mismatch");
    expect(err.message).toContain(host1!.hostKeyFingerprint);
    expect(err.message).toContain(host2!.hostKeyFingerprint);
  });

  test("root with the passphrase-protected key; wrong passphrase refused", async () => {
    const c = root(host1!, { privateKey: read(host1!.users.root.passphraseKeyPath), privateKeyPassphrase: host1!.users.root.passphrase });
    expect((await pool.acquireHost(c).exec("id -un")).stdout).toBe("root\n");
    expect(() => pool.acquireHost({ ...c, privateKeyPassphrase: "wrong" })).toThrow(/privateKeyPassphrase/);
  });

  test("deploy: password login", async () => {
    const c = deploy(host1!, { privateKey: undefined, password: host1!.users.deploy.password });
    expect((await pool.acquireHost(c).exec("id -un")).stdout).toBe("deploy\n");
  });

  test("host1 deploy: NOPASSWD sudo, stdin passes through", async () => {
    expect(host1!.users.deploy.sudo).toBe("nopasswd");
    const h = pool.acquireHost(deploy(host1!));
    const r = await h.exec("id -u; cat", { privileged: true, stdin: "in\n" });
    expect(r.stdout).toBe("0\nin\n");
  });

  test("host2 deploy: sudo with connection.sudoPassword; without it or with a wrong one, a sudo error", async () => {
    expect(host2!.users.deploy.sudo).toBe("password");
    const ok = pool.acquireHost(deploy(host2!, { sudoPassword: host2!.users.deploy.password }));
    const r = await ok.exec("id -u; cat", { privileged: true, stdin: "payload\n" });
    expect(r.stdout).toBe("0\npayload\n");
    expect(r.stdout + r.stderr).not.toContain(host2!.users.deploy.password);
    const none = await expectCode(pool.acquireHost(deploy(host2!)).exec("true", { privileged: true }), "sudo");
    expect(none.message).toContain("connection.sudoPassword");
    const wrong = await expectCode(
      pool.acquireHost(deploy(host2!, { sudoPassword: "not-the-password" })).exec("true", { privileged: true }),
      "sudo",
    );
    expect(wrong.message).toContain("connection.sudoPassword is wrong");
  });

  test("10 parallel commands on host1 share one connection", async () => {
    const handles = Array.from({ length: 10 }, () => pool.acquireHost(root(host1!)));
    await Promise.all(handles.map((h) => h.exec("sleep 0.2")));
    expect(pool.stats()[`root@${host1!.address}:${host1!.port}`]).toMatchObject({ connectionsOpened: 1, sessionsOpened: 10 });
  });

  test("a cut connection (fleet fault cut-next): connection_lost, then a new connection", async () => {
    const h = pool.acquireHost(root(host1!));
    await h.exec("true");
    const fault = spawnSync(path.join(repo, "tests/hosts/fleet"), ["fault", "1", "cut-next", "1", "--delay", "0.3"], {
      env: fleet.env,
      encoding: "utf8",
    });
    expect(fault.status).toBe(0);
    await expectCode(h.exec("sleep 3", { timeoutMs: 10_000 }), "connection_lost");
    expect((await h.exec("echo back")).stdout).toBe("back\n");
    expect(pool.stats()[`root@${host1!.address}:${host1!.port}`].connectionsOpened).toBe(2);
  });
});
