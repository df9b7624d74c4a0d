/**
 * Connecting: bounded retries with backoff for refused / silent endpoints,
 * and jump hosts (a real bastion sshd forwarding to a real target sshd),
 * with both hops verified.
 */
import * as fs from "fs";
import * as net from "net";
import { TestSshd, freePort, generateKeyPair, makeTempDir, type KeyPair } from "../../support/sshd";
import { expectSshError, loggedPool, type LoggedPool } from "./helpers";

let dir: string;
let key: KeyPair;
let other: KeyPair;
let bastion: TestSshd;
let target: TestSshd;
let noForward: TestSshd;
let lp: LoggedPool;

beforeAll(async () => {
  dir = makeTempDir("connect");
  key = generateKeyPair(dir, "client");
  other = generateKeyPair(dir, "other");
  const users = [
    { name: "root", authorizedKeys: [key.publicKey] },
    { name: "deploy", authorizedKeys: [key.publicKey] },
  ];
  [bastion, target, noForward] = await Promise.all([
    TestSshd.start({ name: "bastion", users }),
    TestSshd.start({ name: "target", users }),
    TestSshd.start({ name: "noforward", users, allowTcpForwarding: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([bastion?.stop(), target?.stop(), noForward?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  lp = loggedPool();
});
afterEach(async () => {
  await lp.pool.closeAll();
});

const hop = (s: TestSshd, extra: Record<string, unknown> = {}) => ({
  host: s.address,
  port: s.port,
  hostKey: s.hostKeyLine,
  privateKey: key.privateKey,
  ...extra,
});

describe("retries", () => {
  test("a closed port: 3 attempts with 0.5 s and 1 s backoff, then a connect error that says so", async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await expectSshError(
      lp.pool.acquireHost({ host: "127.0.0.1", port, hostKey: target.hostKeyLine, privateKey: key.privateKey }).exec("true"),
      "connect",
    );
    const took = Date.now() - started;
    expect(err.message).toBe(
      `cannot connect to root@127.0.0.1:${port}: connection refused (ECONNREFUSED) (gave up after 3 attempts, connection.timeouts.connectAttempts)`,
    );
    expect(err.details.attempts).toBe(3);
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(3000);
    const progress = lp.logs.filter((l) => /connecting|retrying/.test(l));
    expect(progress).toEqual([
      `info: connecting to root@127.0.0.1:${port} (attempt 1/3)`,
      expect.stringMatching(new RegExp(`^info: retrying root@127\\.0\\.0\\.1:${port} in 0\\.5 s \\(attempt 1/3 failed: .*ECONNREFUSED`)),
      `info: connecting to root@127.0.0.1:${port} (attempt 2/3)`,
      expect.stringMatching(/^info: retrying .* in 1\.0 s \(attempt 2\/3 failed/),
      `info: connecting to root@127.0.0.1:${port} (attempt 3/3)`,
    ]);
  });

  test("connectAttempts 1: one attempt, no waiting", async () => {
    const port = await freePort();
    const started = Date.now();
    await expectSshError(
      lp.pool.acquireHost({ host: "127.0.0.1", port, privateKey: key.privateKey, hostKey: target.hostKeyLine, timeouts: { connectAttempts: 1 } }).exec("true"),
      "connect",
    );
    expect(Date.now() - started).toBeLessThan(500);
  });

  test("a server that never speaks: each attempt ends at connectSeconds, retried, then a connect error", async () => {
    const silent = net.createServer(() => undefined); // accepts, then says nothing
    const sockets: net.Socket[] = [];
    silent.on("connection", (s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const err = await expectSshError(
        lp.pool
          .acquireHost({ host: "127.0.0.1", port, privateKey: key.privateKey, hostKey: target.hostKeyLine, timeouts: { connectSeconds: 1, connectAttempts: 2 } })
          .exec("true"),
        "connect",
      );
      const took = Date.now() - started;
      expect(err.message).toContain("timed out after 1 s waiting for the SSH handshake (connection.timeouts.connectSeconds)");
      expect(err.message).toContain("gave up after 2 attempts");
      expect(took).toBeGreaterThanOrEqual(2400); // 1 s + 0.5 s + 1 s
      expect(took).toBeLessThan(4000);
      expect(sockets).toHaveLength(2);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe("jump host", () => {
  test("connects to the target through the bastion; both are verified, one bastion connection", async () => {
    const bastionMark = bastion.logMark();
    const targetMark = target.logMark();
    const h = lp.pool.acquireHost({ ...hop(target), jumpHost: hop(bastion) });
    expect(h.label).toBe(`root@127.0.0.1:${target.port} via root@127.0.0.1:${bastion.port}`);
    const r = await h.exec("echo $SSH_CONNECTION");
    // The target sees a connection from the bastion's side (loopback), to its own port.
    expect(r.stdout.trim()).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${target.port}$`));
    expect(target.acceptedLogins(targetMark)).toHaveLength(1);
    expect(bastion.acceptedLogins(bastionMark)).toHaveLength(1);
    const stats = lp.pool.stats();
    expect(stats[`root@127.0.0.1:${bastion.port}`]).toMatchObject({ connectionsOpened: 1, sessionsOpened: 0 });
    expect(stats[`root@127.0.0.1:${target.port}`]).toMatchObject({ connectionsOpened: 1, sessionsOpened: 1 });
    expect(lp.logs.join("\n")).toContain(`connected to root@127.0.0.1:${bastion.port} (host key ${bastion.hostKeyFingerprint}`);
    expect(lp.logs.join("\n")).toContain(`connected to root@127.0.0.1:${target.port} via root@127.0.0.1:${bastion.port} (host key ${target.hostKeyFingerprint}`);
  });

  test("two target users behind one bastion share the bastion connection", async () => {
    await Promise.all([
      lp.pool.acquireHost({ ...hop(target), jumpHost: hop(bastion) }).exec("true"),
      lp.pool.acquireHost({ ...hop(target, { user: "deploy" }), jumpHost: hop(bastion) }).exec("true"),
    ]);
    const stats = lp.pool.stats();
    expect(stats[`root@127.0.0.1:${bastion.port}`].connectionsOpened).toBe(1);
    expect(stats[`root@127.0.0.1:${target.port}`].connectionsOpened).toBe(1);
    expect(stats[`deploy@127.0.0.1:${target.port}`].connectionsOpened).toBe(1);
  });

  test("a wrong bastion key: refused at the bastion, the target is never contacted", async () => {
    const targetMark = target.logMark();
    const err = await expectSshError(
      lp.pool.acquireHost({ ...hop(target), jumpHost: hop(bastion, { hostKey: other.publicKey }) }).exec("true"),
      "host_key_mismatch",
    );
    expect(err.host).toBe(`root@127.0.0.1:${bastion.port}`);
    expect(err.message).toContain(bastion.hostKeyFingerprint);
    await new Promise((r) => setTimeout(r, 200));
    expect(target.logSince(targetMark)).not.toContain("Connection from");
  });

  test("a wrong target key behind a good bastion: refused at the target, not retried", async () => {
    const err = await expectSshError(
      lp.pool.acquireHost({ ...hop(target, { hostKey: other.publicKey }), jumpHost: hop(bastion) }).exec("true"),
      "host_key_mismatch",
    );
    expect(err.host).toBe(`root@127.0.0.1:${target.port}`);
    expect(err.message).toContain(target.hostKeyFingerprint);
    expect(lp.logs.filter((l) => l.includes(`connecting to root@127.0.0.1:${target.port}`))).toHaveLength(1);
  });

  test("the jump host's known_hosts is checked too (unknown bastion refused)", async () => {
    fs.writeFileSync(`${dir}/empty_known_hosts`, "");
    const err = await expectSshError(
      lp.pool
        .acquireHost({ ...hop(target), jumpHost: { ...hop(bastion), hostKey: undefined, knownHostsFile: `${dir}/empty_known_hosts` } })
        .exec("true"),
      "host_key_unknown",
    );
    expect(err.host).toBe(`root@127.0.0.1:${bastion.port}`);
  });

  test("a bastion that does not forward: a clear connect error", async () => {
    const err = await expectSshError(
      lp.pool.acquireHost({ ...hop(target), jumpHost: hop(noForward), timeouts: { connectAttempts: 1 } }).exec("true"),
      "connect",
    );
    expect(err.message).toContain(`jump host root@127.0.0.1:${noForward.port} refused to forward to 127.0.0.1:${target.port}`);
  });

  test("a bastion that is down: its own attempts only (3, not 3 x 3), and the error names the bastion", async () => {
    const port = await freePort();
    const err = await expectSshError(
      lp.pool.acquireHost({ ...hop(target), jumpHost: { ...hop(bastion), port } }).exec("true"),
      "connect",
    );
    expect(err.host).toBe(`root@127.0.0.1:${port}`);
    expect(err.message).toContain("gave up after 3 attempts");
    expect(lp.logs.filter((l) => l.includes(`connecting to root@127.0.0.1:${port} (attempt`))).toHaveLength(3);
    expect(lp.logs.filter((l) => l.includes(`connecting to root@127.0.0.1:${target.port} via`))).toHaveLength(1);
  });

  test("a target the bastion cannot reach: retried like a refused port, then a connect error", async () => {
    const port = await freePort();
    const err = await expectSshError(
      lp.pool
        .acquireHost({ host: "127.0.0.1", port, hostKey: target.hostKeyLine, privateKey: key.privateKey, jumpHost: hop(bastion), timeouts: { connectAttempts: 2 } })
        .exec("true"),
      "connect",
    );
    expect(err.message).toContain(`jump host root@127.0.0.1:${bastion.port} cannot reach 127.0.0.1:${port}`);
    expect(err.message).toContain("gave up after 2 attempts");
    expect(lp.pool.stats()[`root@127.0.0.1:${bastion.port}`].connectionsOpened).toBe(1);
  });
});
