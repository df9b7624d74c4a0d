/**
 * Host key verification against a real sshd (ed25519 + ecdsa host keys,
 * LogLevel DEBUG1 so the log shows every authentication request).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestSshd, generateKeyPair, makeTempDir, type KeyPair } from "../../support/sshd";
import { fingerprint } from "../../../provider/host/ssh";
import { AUTH_TRACES, expectSshError, loggedPool, type LoggedPool } from "./helpers";

let dir: string;
let sshd: TestSshd;
let key: KeyPair;
let other: KeyPair;
let lp: LoggedPool;

beforeAll(async () => {
  dir = makeTempDir("hostkeys");
  key = generateKeyPair(dir, "client");
  other = generateKeyPair(dir, "other-host");
  sshd = await TestSshd.start({
    name: "hostkeys",
    logLevel: "DEBUG1",
    hostKeyTypes: ["ed25519", "ecdsa"],
    users: [{ name: "root", authorizedKeys: [key.publicKey] }],
  });
});
afterAll(async () => {
  await sshd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  lp = loggedPool();
});
afterEach(async () => {
  await lp.pool.closeAll();
});

function conn(extra: Record<string, unknown>) {
  return { host: sshd.address, port: sshd.port, privateKey: key.privateKey, ...extra };
}

function knownHosts(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const ecdsaLine = () => sshd.hostKeys.ecdsa.line;
const ecdsaFp = () => fingerprint(Buffer.from(ecdsaLine().split(" ")[1], "base64"));

async function run(extra: Record<string, unknown>) {
  return lp.pool.acquireHost(conn(extra)).exec("echo ok");
}

describe("pinned connection.hostKey", () => {
  test("matches a public key line (with its comment)", async () => {
    expect((await run({ hostKey: sshd.hostKeyLine })).stdout).toBe("ok\n");
    expect(lp.logs.join("\n")).toContain(`connected to root@127.0.0.1:${sshd.port} (host key ${sshd.hostKeyFingerprint} (ED25519), connection.hostKey)`);
  });

  test("matches a SHA256 fingerprint", async () => {
    expect((await run({ hostKey: sshd.hostKeyFingerprint })).stdout).toBe("ok\n");
  });

  test("a pinned ECDSA key works although the server prefers ED25519 (host key algorithms are ordered by the pin)", async () => {
    expect((await run({ hostKey: ecdsaLine() })).stdout).toBe("ok\n");
    expect(lp.logs.join("\n")).toContain(`${ecdsaFp()} (ECDSA)`);
  });

  test("mismatch: refused before authenticating, names both fingerprints and how to pin; not retried", async () => {
    const mark = sshd.logMark();
    const err = await expectSshError(run({ hostKey: other.publicKey }), "host_key_mismatch");
    const expectedFp = fingerprint(Buffer.from(other.publicKey.split(" ")[1], "base64"));
    expect(err.host).toBe(`root@127.0.0.1:${sshd.port}`);
    expect(err.message).toContain(expectedFp);
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.message).toContain(`connection.hostKey: "${sshd.hostKeyLine.split(" ").slice(0, 2).join(" ")}"`);
    expect(err.message).toContain(`ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1`);
    expect(err.details.presentedFingerprint).toBe(sshd.hostKeyFingerprint);
    expect(err.details.expectedFingerprints).toEqual([`${expectedFp} (ED25519)`]);
    expect(lp.logs.filter((l) => l.includes("attempt"))).toEqual([`info: connecting to root@127.0.0.1:${sshd.port} (attempt 1/3)`]);
    // The server saw the key exchange and the client hanging up, and no authentication request at all.
    const log = await sshd.waitForLog(/Connection closed by 127\.0\.0\.1|Disconnected from|Connection reset/, 5000, mark);
    expect(log).toMatch(/kex|KEX/);
    expect(log).not.toMatch(AUTH_TRACES);
  });

  test("the ssh-keyscan command in the message prints the presented key", () => {
    const r = spawnSync("ssh-keyscan", ["-p", String(sshd.port), "-t", "ed25519", "127.0.0.1"], { encoding: "utf8" });
    expect(r.stdout).toContain(sshd.hostKeyLine.split(" ").slice(0, 2).join(" "));
  });

  test("an unparseable pin is a config error, raised without touching the network", async () => {
    const mark = sshd.logMark();
    await expectSshError(run({ hostKey: "MD5:aa:bb" }), "config");
    await new Promise((r) => setTimeout(r, 200));
    expect(sshd.logSince(mark)).not.toMatch(/Connection from/);
  });
});

describe("known_hosts", () => {
  test("unknown host (empty known_hosts): refused, says which file and how to pin", async () => {
    const file = knownHosts("empty", "");
    const mark = sshd.logMark();
    const err = await expectSshError(run({ knownHostsFile: file }), "host_key_unknown");
    expect(err.message).toContain(`${file} has no entry for [127.0.0.1]:${sshd.port}`);
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.message).toContain("connection.hostKey:");
    await sshd.waitForLog(/Connection closed by 127\.0\.0\.1|Disconnected from|Connection reset/, 5000, mark);
    expect(sshd.logSince(mark)).not.toMatch(AUTH_TRACES);
  });

  test("the default is ~/.ssh/known_hosts of the user running the provider; ~/ is expanded in knownHostsFile", async () => {
    // Nothing is written to the real home directory: whether the file is missing or lacks this
    // random port, the host is unknown and the message names the file.
    const dflt = path.join(os.homedir(), ".ssh", "known_hosts");
    const err = await expectSshError(run({}), "host_key_unknown");
    expect(err.message).toContain(`${dflt} ${fs.existsSync(dflt) ? "has no entry" : "does not exist"}`);
    const err2 = await expectSshError(run({ knownHostsFile: "~/no-such-known-hosts-file" }), "host_key_unknown");
    expect(err2.message).toContain(`${path.join(os.homedir(), "no-such-known-hosts-file")} does not exist`);
  });

  test("matches a [host]:port entry inside a comma-separated host list", async () => {
    const [, type, b64] = sshd.knownHostsLine.split(" ");
    const file = knownHosts("plain", `# mine\nother.example,[127.0.0.1]:${sshd.port} ${type} ${b64}\n`);
    expect((await run({ knownHostsFile: file })).stdout).toBe("ok\n");
    expect(lp.logs.join("\n")).toContain("known_hosts)");
  });

  test("matches a hashed entry written by ssh-keygen -H", async () => {
    const file = knownHosts("hashed", sshd.knownHostsLine + "\n");
    expect(spawnSync("ssh-keygen", ["-H", "-f", file]).status).toBe(0);
    const text = fs.readFileSync(file, "utf8");
    expect(text).toMatch(/^\|1\|/);
    expect(text).not.toContain("127.0.0.1");
    expect((await run({ knownHostsFile: file })).stdout).toBe("ok\n");
  });

  test("matches the ecdsa entry when known_hosts only has that type", async () => {
    const [type, b64] = ecdsaLine().split(" ");
    const file = knownHosts("ecdsa-only", `[127.0.0.1]:${sshd.port} ${type} ${b64}\n`);
    expect((await run({ knownHostsFile: file })).stdout).toBe("ok\n");
  });

  test("a different key for this host: mismatch, with the file's fingerprint and the presented one", async () => {
    const [type, b64] = other.publicKey.split(" ");
    const file = knownHosts("wrong", `[127.0.0.1]:${sshd.port} ${type} ${b64}\n`);
    const err = await expectSshError(run({ knownHostsFile: file }), "host_key_mismatch");
    expect(err.message).toContain(fingerprint(Buffer.from(b64, "base64")));
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.message).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}'`);
  });

  test("an entry for port 22 does not vouch for another port", async () => {
    const [, type, b64] = sshd.knownHostsLine.split(" ");
    const file = knownHosts("port22", `127.0.0.1 ${type} ${b64}\n`);
    await expectSshError(run({ knownHostsFile: file }), "host_key_unknown");
  });

  test("@revoked: refused even when another line lists the key", async () => {
    const [, type, b64] = sshd.knownHostsLine.split(" ");
    const file = knownHosts("revoked", `@revoked * ${type} ${b64}\n${sshd.knownHostsLine}\n`);
    const err = await expectSshError(run({ knownHostsFile: file }), "host_key_revoked");
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.message).toContain("@revoked");
  });
});

describe("insecureSkipHostKeyVerification", () => {
  test("connects, and warns loudly on every connection made that way", async () => {
    const { pool, logs } = loggedPool({ idleTimeoutMs: 50 });
    try {
      const host = pool.acquireHost(conn({ insecureSkipHostKeyVerification: true, knownHostsFile: knownHosts("e2", "") }));
      expect((await host.exec("echo ok")).stdout).toBe("ok\n");
      await new Promise((r) => setTimeout(r, 200)); // idle close
      expect((await host.exec("echo ok")).stdout).toBe("ok\n");
      const warnings = logs.filter((l) => l.startsWith("warn: WARNING: host key verification is DISABLED"));
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toContain(sshd.hostKeyFingerprint);
      expect(warnings[0]).toContain("connection.insecureSkipHostKeyVerification");
      expect(pool.stats()[`root@127.0.0.1:${sshd.port}`].connectionsOpened).toBe(2);
    } finally {
      await pool.closeAll();
    }
  });

  test("an insecure connection is never shared with a caller that verifies", async () => {
    const a = lp.pool.acquireHost(conn({ insecureSkipHostKeyVerification: true }));
    const b = lp.pool.acquireHost(conn({ hostKey: sshd.hostKeyLine }));
    await Promise.all([a.exec("true"), b.exec("true")]);
    expect(lp.pool.stats()[`root@127.0.0.1:${sshd.port}`].connectionsOpened).toBe(2);
  });

  test("a pinned hostKey is still checked when the flag is also set", async () => {
    await expectSshError(run({ insecureSkipHostKeyVerification: true, hostKey: other.publicKey }), "host_key_mismatch");
  });
});
