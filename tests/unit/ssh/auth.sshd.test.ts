/**
 * Client authentication against a real sshd: keys (OpenSSH and PEM, with
 * and without passphrase), a real ssh-agent, password, and
 * keyboard-interactive answered with the password.
 */
import * as fs from "fs";
import { TestAgent, TestSshd, generateKeyPair, makeTempDir, type KeyPair } from "../../support/sshd";
import { expectSshError, expectSshErrorSync, loggedPool, type LoggedPool } from "./helpers";

const ROOT_PASSWORD = "root-Pa55 word";
let dir: string;
let sshd: TestSshd;
let kbdOnly: TestSshd;
let plain: KeyPair;
let withPass: KeyPair;
let rsaPem: KeyPair;
let ecPem: KeyPair;
let agentKey: KeyPair;
let stranger: KeyPair;
let lp: LoggedPool;

beforeAll(async () => {
  dir = makeTempDir("auth");
  plain = generateKeyPair(dir, "plain");
  withPass = generateKeyPair(dir, "withpass", { passphrase: "correct horse" });
  rsaPem = generateKeyPair(dir, "rsapem", { type: "rsa", format: "PEM", passphrase: "pem pass" });
  ecPem = generateKeyPair(dir, "ecpem", { type: "ecdsa", format: "PEM" });
  agentKey = generateKeyPair(dir, "agentkey");
  stranger = generateKeyPair(dir, "stranger");
  const root = {
    name: "root",
    password: ROOT_PASSWORD,
    authorizedKeys: [plain, withPass, rsaPem, ecPem, agentKey].map((k) => k.publicKey),
  };
  [sshd, kbdOnly] = await Promise.all([
    TestSshd.start({ name: "auth", users: [root] }),
    TestSshd.start({ name: "auth-kbd", users: [root], passwordAuthentication: false, kbdInteractiveAuthentication: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([sshd?.stop(), kbdOnly?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  lp = loggedPool();
});
afterEach(async () => {
  await lp.pool.closeAll();
});

function on(server: TestSshd, extra: Record<string, unknown>) {
  return { host: server.address, port: server.port, hostKey: server.hostKeyLine, ...extra };
}

async function whoami(server: TestSshd, extra: Record<string, unknown>): Promise<string> {
  const r = await lp.pool.acquireHost(on(server, extra)).exec("id -un");
  return r.stdout.trim();
}

describe("private keys", () => {
  test("OpenSSH ed25519 key", async () => {
    const mark = sshd.logMark();
    expect(await whoami(sshd, { privateKey: plain.privateKey })).toBe("root");
    expect(sshd.acceptedLogins(mark)).toEqual([expect.stringMatching(/Accepted publickey for root .* ED25519/)]);
  });

  test("passphrase-protected OpenSSH key with the right passphrase", async () => {
    expect(await whoami(sshd, { privateKey: withPass.privateKey, privateKeyPassphrase: "correct horse" })).toBe("root");
  });

  test("wrong passphrase: an auth error naming connection.privateKeyPassphrase, before any network traffic", async () => {
    const mark = sshd.logMark();
    const err = expectSshErrorSync(
      () => lp.pool.acquireHost(on(sshd, { privateKey: withPass.privateKey, privateKeyPassphrase: "wrong horse" })),
      "auth",
    );
    expect(err.message).toContain("connection.privateKeyPassphrase does not decrypt connection.privateKey");
    expect(err.message).not.toContain("wrong horse");
    await new Promise((r) => setTimeout(r, 100));
    expect(sshd.logSince(mark)).not.toContain("Connection from");
  });

  test("missing passphrase: says to set connection.privateKeyPassphrase", () => {
    const err = expectSshErrorSync(() => lp.pool.acquireHost(on(sshd, { privateKey: withPass.privateKey })), "auth");
    expect(err.message).toContain("connection.privateKey is encrypted: set connection.privateKeyPassphrase");
  });

  test("legacy PEM RSA key with passphrase, and PEM ECDSA key", async () => {
    expect(rsaPem.privateKey).toContain("BEGIN RSA PRIVATE KEY");
    expect(rsaPem.privateKey).toContain("ENCRYPTED");
    expect(await whoami(sshd, { privateKey: rsaPem.privateKey, privateKeyPassphrase: "pem pass" })).toBe("root");
    expect(ecPem.privateKey).toContain("BEGIN EC PRIVATE KEY");
    expect(await whoami(sshd, { privateKey: ecPem.privateKey })).toBe("root");
    const err = expectSshErrorSync(() => lp.pool.acquireHost(on(sshd, { privateKey: rsaPem.privateKey, privateKeyPassphrase: "nope" })), "auth");
    expect(err.message).toContain("connection.privateKeyPassphrase");
  });

  test("a public key, or a path, where the private key belongs: config errors", () => {
    expect(expectSshErrorSync(() => lp.pool.acquireHost(on(sshd, { privateKey: plain.publicKey })), "config").message).toMatch(
      /connection\.privateKey/,
    );
    expect(expectSshErrorSync(() => lp.pool.acquireHost(on(sshd, { privateKey: plain.privateKeyPath })), "config").message).toMatch(
      /not a path/,
    );
  });

  test("a key the server does not know: auth refused, lists the methods tried and the server's, not retried", async () => {
    const mark = sshd.logMark();
    const err = await expectSshError(
      lp.pool.acquireHost(on(sshd, { privateKey: stranger.privateKey, password: "not the password" })).exec("true"),
      "auth",
    );
    expect(err.message).toContain(`authentication refused by root@127.0.0.1:${sshd.port}`);
    expect(err.message).toContain("tried publickey (connection.privateKey), password (connection.password)");
    expect(err.message).toMatch(/the server accepts: .*publickey.*password/);
    expect(err.message).not.toContain("not the password");
    expect(err.details.methodsTried).toEqual(["publickey (connection.privateKey)", "password (connection.password)"]);
    expect(lp.logs.filter((l) => l.includes("(attempt"))).toHaveLength(1);
    expect(sshd.logSince(mark)).toMatch(/Failed password for root/);
  });
});

describe("ssh-agent", () => {
  let agent: TestAgent;
  beforeAll(() => {
    agent = TestAgent.start(dir);
    agent.add(agentKey.privateKeyPath);
  });
  afterAll(async () => {
    await agent?.stop();
  });

  test("logs in with a key held only by the agent at connection.agentSocket", async () => {
    const mark = sshd.logMark();
    expect(await whoami(sshd, { agentSocket: agent.socket })).toBe("root");
    expect(sshd.acceptedLogins(mark)).toEqual([expect.stringMatching(/Accepted publickey for root/)]);
  });

  test("without connection.agentSocket no agent is used: no credentials is a config error that mentions agentSocket", () => {
    const err = expectSshErrorSync(() => lp.pool.acquireHost(on(sshd, {})), "config");
    expect(err.message).toContain("connection.agentSocket");
    expect(err.message).toContain("$SSH_AUTH_SOCK");
  });

  test("an agent socket that does not exist: the auth error says the agent could not be used", async () => {
    const err = await expectSshError(
      lp.pool.acquireHost(on(sshd, { agentSocket: `${dir}/no-agent.sock` })).exec("true"),
      "auth",
    );
    expect(err.message).toContain("the agent at connection.agentSocket could not be used");
  });
});

describe("passwords", () => {
  test("password authentication", async () => {
    const mark = sshd.logMark();
    expect(await whoami(sshd, { password: ROOT_PASSWORD })).toBe("root");
    expect(sshd.acceptedLogins(mark)).toEqual([expect.stringMatching(/Accepted password for root/)]);
  });

  test("keyboard-interactive (server without PasswordAuthentication) is answered with connection.password", async () => {
    const mark = kbdOnly.logMark();
    expect(await whoami(kbdOnly, { password: ROOT_PASSWORD })).toBe("root");
    expect(kbdOnly.acceptedLogins(mark)).toEqual([expect.stringMatching(/Accepted keyboard-interactive\/pam for root/)]);
  });

  test("a wrong password is refused on both methods, without echoing it", async () => {
    const err = await expectSshError(lp.pool.acquireHost(on(kbdOnly, { password: "Wrong-Password-123" })).exec("true"), "auth");
    expect(err.message).toContain("keyboard-interactive (connection.password)");
    expect(err.message).not.toContain("Wrong-Password-123");
  });
});
