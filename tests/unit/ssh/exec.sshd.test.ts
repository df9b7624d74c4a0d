/**
 * Running commands over a real sshd: output, exit status, stdin, timeouts,
 * signals, and privileged commands through real sudo (NOPASSWD and with a
 * password) as non-root users.
 */
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { TestSshd, generateKeyPair, makeTempDir, pidAlive, type KeyPair } from "../../support/sshd";
import { expectSshError, loggedPool, type LoggedPool } from "./helpers";

const DEPLOY_PW = "deploy-Pw 1";
const DEPLOYP_PW = "deployp-Pw'2 $x";
let dir: string;
let sshd: TestSshd;
let key: KeyPair;
let lp: LoggedPool;

beforeAll(async () => {
  dir = makeTempDir("exec");
  key = generateKeyPair(dir, "client");
  const keys = [key.publicKey];
  sshd = await TestSshd.start({
    name: "exec",
    users: [
      { name: "root", authorizedKeys: keys },
      { name: "deploy", authorizedKeys: keys, password: DEPLOY_PW, sudo: "nopasswd" },
      { name: "deployp", authorizedKeys: keys, password: DEPLOYP_PW, sudo: "password" },
      { name: "plain", authorizedKeys: keys },
    ],
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

function host(extra: Record<string, unknown> = {}) {
  return lp.pool.acquireHost({ host: sshd.address, port: sshd.port, hostKey: sshd.hostKeyLine, privateKey: key.privateKey, ...extra });
}


describe("plain commands", () => {
  test("stdout, stderr and exit status; a non-zero exit is a result, not an error", async () => {
    const r = await host().exec("echo out; echo err >&2; printf 'no newline'; exit 42");
    expect(r).toEqual({ code: 42, stdout: "out\nno newline", stderr: "err\n" });
  });

  test("line callbacks see every line as it arrives", async () => {
    const out: string[] = [];
    const err: string[] = [];
    await host().exec("for i in 1 2 3; do echo o$i; echo e$i >&2; done; printf tail", {
      onStdoutLine: (l) => out.push(l),
      onStderrLine: (l) => err.push(l),
    });
    expect(out).toEqual(["o1", "o2", "o3", "tail"]);
    expect(err).toEqual(["e1", "e2", "e3"]);
  });

  test("5 MB of binary stdin arrive intact", async () => {
    const data = randomBytes(5 * 1024 * 1024);
    const r = await host().exec("wc -c; sha256sum", { stdin: data });
    expect(r.code).toBe(0);
    // wc consumes stdin; the checksum is of nothing left. Run them separately to compare.
    const r2 = await host().exec("sha256sum", { stdin: data });
    expect(r2.stdout.split(" ")[0]).toBe(createHash("sha256").update(data).digest("hex"));
    expect(r.stdout.split("\n")[0].trim()).toBe(String(data.length));
  });

  test("string stdin (UTF-8) and a large stdout", async () => {
    const r = await host().exec("cat; head -c 2000000 /dev/zero | tr '\\0' 'x'", { stdin: "héllo\n" });
    expect(r.stdout.startsWith("héllo\n")).toBe(true);
    expect(r.stdout.length).toBe(6 + 2_000_000);
  });

  test("no stdin: the command reads EOF at once", async () => {
    const r = await host().exec("cat; echo end");
    expect(r.stdout).toBe("end\n");
  });

  test("a command killed by a signal reports it (code null)", async () => {
    const r = await host().exec("kill -TERM $$");
    expect(r.code).toBeNull();
    expect(r.signal).toBe("SIGTERM"); // Node's naming, as in child_process
  });
});

describe("timeouts", () => {
  test("timeoutMs: the command is killed on the host, and the error says host, command and duration", async () => {
    const pidFile = path.join(dir, "sleeper.pid");
    const started = Date.now();
    const err = await expectSshError(host().exec(`echo $$ > ${pidFile}; exec sleep 30\nsecond line`, { timeoutMs: 1000 }), "timeout");
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(5000);
    expect(err.message).toBe(
      `command on root@127.0.0.1:${sshd.port} timed out after 1 s and was killed: \`echo $$ > ${pidFile}; exec sleep 30 ...\``,
    );
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    const deadline = Date.now() + 3000;
    while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pidAlive(pid)).toBe(false);
  });

  test.each([
    ["NOPASSWD", { user: "deploy" }],
    ["with sudoPassword", { user: "deployp", sudoPassword: DEPLOYP_PW }],
  ])("a timed-out privileged command (%s) is killed on the host too", async (_name, extra) => {
    const pidFile = path.join(dir, `root-sleeper-${extra.user}.pid`);
    const started = Date.now();
    await expectSshError(host(extra).exec(`echo $$ > ${pidFile}; exec sleep 30`, { timeoutMs: 1000, privileged: true }), "timeout");
    expect(Date.now() - started).toBeLessThan(3000);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    expect(fs.statSync(pidFile).uid).toBe(0); // it ran as root
    const deadline = started + 8000;
    while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pidAlive(pid)).toBe(false);
  });

  test("the default comes from connection.timeouts.commandSeconds", async () => {
    const h = host({ timeouts: { commandSeconds: 1 } });
    await expectSshError(h.exec("sleep 10"), "timeout");
    // The connection is still usable afterwards.
    expect((await h.exec("echo ok")).stdout).toBe("ok\n");
  });
});

describe("privileged commands", () => {
  test("root logins run them directly", async () => {
    const r = await host().exec("id -u; ps -o args= -p $PPID", { privileged: true });
    expect(r.stdout.split("\n")[0]).toBe("0");
    expect(r.stdout).not.toContain("sudo");
  });

  test("NOPASSWD sudo: sudo -n, stdin passes through, stderr has no sudo wrapper traces", async () => {
    const h = host({ user: "deploy" });
    expect((await h.exec("id -u")).stdout).toBe("2000\n");
    const err: string[] = [];
    const r = await h.exec("id -u; cat; echo warn >&2", { privileged: true, stdin: "a\nb\n", onStderrLine: (l) => err.push(l) });
    expect(r).toEqual({ code: 0, stdout: "0\na\nb\n", stderr: "warn\n" });
    expect(err).toEqual(["warn"]);
  });

  test("sudo with connection.sudoPassword: the command gets exactly the caller's stdin (5 MB), never the password", async () => {
    const h = host({ user: "deployp", sudoPassword: DEPLOYP_PW });
    const data = randomBytes(5 * 1024 * 1024);
    const r = await h.exec("id -u >&2; sha256sum", { privileged: true, stdin: data });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("0\n");
    expect(r.stdout.split(" ")[0]).toBe(createHash("sha256").update(data).digest("hex"));
    const r2 = await h.exec("cat", { privileged: true, stdin: "only this\n" });
    expect(r2.stdout).toBe("only this\n");
  });

  test("a sudoPassword on a NOPASSWD host does not leak into the command's stdin", async () => {
    const h = host({ user: "deploy", sudoPassword: DEPLOY_PW });
    const r = await h.exec("cat", { privileged: true, stdin: "payload\n" });
    expect(r.stdout).toBe("payload\n");
    const r2 = await h.exec("cat", { privileged: true });
    expect(r2.stdout).toBe("");
  });

  test("a wrong sudoPassword: sudo error naming connection.sudoPassword, the caller's stdin never tried as a password", async () => {
    const h = host({ user: "deployp", sudoPassword: "wrong-sudo-pw" });
    // The caller's stdin holds the right password: had sudo read it as a further attempt, the command would have run.
    const err = await expectSshError(h.exec("echo ran", { privileged: true, stdin: DEPLOYP_PW + "\n" }), "sudo");
    expect(err.message).toContain("connection.sudoPassword is wrong for deployp");
    expect(err.message).not.toContain("wrong-sudo-pw");
    expect(err.host).toBe(`deployp@127.0.0.1:${sshd.port}`);
  });

  test("sudo wants a password and none is configured: says to set connection.sudoPassword", async () => {
    const err = await expectSshError(host({ user: "deployp" }).exec("true", { privileged: true }), "sudo");
    expect(err.message).toContain("set connection.sudoPassword");
  });

  test("a user without sudo rights", async () => {
    const err = await expectSshError(host({ user: "plain", sudoPassword: "x" }).exec("true", { privileged: true }), "sudo");
    expect(err.message).toMatch(/plain may not run commands as root|connection\.sudoPassword is wrong/);
  });

  test("connection.sudo false: refused without running anything", async () => {
    const h = host({ user: "deploy", sudo: false });
    const err = await expectSshError(h.exec("true", { privileged: true }), "sudo");
    expect(err.message).toContain('connection.user is "deploy" and connection.sudo is false');
    expect(lp.pool.stats()[`deploy@127.0.0.1:${sshd.port}`]?.sessionsOpened ?? 0).toBe(0);
  });

  test("a failing privileged command is a normal result (not a sudo error)", async () => {
    const r = await host({ user: "deploy" }).exec("echo nope >&2; exit 3", { privileged: true });
    expect(r).toEqual({ code: 3, stdout: "", stderr: "nope\n" });
  });

  test("password login of a non-root user", async () => {
    const r = await lp.pool
      .acquireHost({ host: sshd.address, port: sshd.port, hostKey: sshd.hostKeyLine, user: "deploy", password: DEPLOY_PW })
      .exec("id -un");
    expect(r.stdout).toBe("deploy\n");
  });
});
