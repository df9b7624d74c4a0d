/**
 * The connection pool against a real sshd: one connection per host shared by
 * parallel callers (counted by the pool and by the server's log), session
 * limits, reconnects after the server drops the connection, idle close, and
 * that an idle pool never keeps the Node process alive.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { TestSshd, generateKeyPair, makeTempDir, type KeyPair } from "../../support/sshd";
import { expectSshError, loggedPool, type LoggedPool } from "./helpers";

let dir: string;
let sshd: TestSshd;
let small: TestSshd;
let key: KeyPair;
let lp: LoggedPool;

beforeAll(async () => {
  dir = makeTempDir("pool");
  key = generateKeyPair(dir, "client");
  const users = [
    { name: "root", authorizedKeys: [key.publicKey] },
    { name: "deploy", authorizedKeys: [key.publicKey], sudo: "nopasswd" as const },
  ];
  [sshd, small] = await Promise.all([
    TestSshd.start({ name: "pool", users }),
    TestSshd.start({ name: "pool-small", users, maxSessions: 3 }),
  ]);
});
afterAll(async () => {
  await Promise.all([sshd?.stop(), small?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  lp = loggedPool();
});
afterEach(async () => {
  await lp.pool.closeAll();
});

function conn(server: TestSshd, extra: Record<string, unknown> = {}) {
  return { host: server.address, port: server.port, hostKey: server.hostKeyLine, privateKey: key.privateKey, ...extra };
}
const idOf = (server: TestSshd, user = "root") => `${user}@127.0.0.1:${server.port}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("sharing", () => {
  test("10 parallel execs from 10 handles: 1 connection, 10 sessions (pool counters and the server log agree)", async () => {
    const mark = sshd.logMark();
    const hosts = Array.from({ length: 10 }, () => lp.pool.acquireHost(conn(sshd)));
    const results = await Promise.all(hosts.map((h, i) => h.exec(`sleep 0.2; echo ${i}`)));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 10 }, (_, i) => `${i}\n`));
    expect(lp.pool.stats()[idOf(sshd)]).toMatchObject({ connectionsOpened: 1, sessionsOpened: 10, open: 1, handles: 10 });
    await sshd.waitForLog(/(Starting session: command[^\n]*\n[^]*){10}/, 3000, mark);
    expect(sshd.acceptedLogins(mark)).toHaveLength(1);
    expect(sshd.logSince(mark).match(/Starting session: command for root/g)).toHaveLength(10);
  });

  test("different users get different connections; equal inputs share one", async () => {
    await Promise.all([
      lp.pool.acquireHost(conn(sshd)).exec("true"),
      lp.pool.acquireHost(conn(sshd)).exec("true"),
      lp.pool.acquireHost(conn(sshd, { user: "deploy" })).exec("true"),
    ]);
    const stats = lp.pool.stats();
    expect(stats[idOf(sshd)].connectionsOpened).toBe(1);
    expect(stats[idOf(sshd, "deploy")].connectionsOpened).toBe(1);
  });

  test("more parallel execs than the session limit wait their turn (server MaxSessions 3, pool limit 3)", async () => {
    const { pool } = loggedPool({ maxSessionsPerConnection: 3 });
    let maxActive = 0;
    const sampler = setInterval(() => (maxActive = Math.max(maxActive, pool.stats()[idOf(small)]?.activeSessions ?? 0)), 10);
    try {
      const h = pool.acquireHost(conn(small));
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 9 }, (_, i) => h.exec(`sleep 0.3; echo ${i}`)));
      expect(results.every((r) => r.code === 0)).toBe(true);
      expect(maxActive).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900); // three waves of three
      expect(pool.stats()[idOf(small)].connectionsOpened).toBe(1);
    } finally {
      clearInterval(sampler);
      await pool.closeAll();
    }
  });

  test("sessions the server refuses (its MaxSessions below the pool limit) never started, so they are asked again", async () => {
    const { pool } = loggedPool({ maxSessionsPerConnection: 10 });
    try {
      const h = pool.acquireHost(conn(small));
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => h.exec(`sleep 0.2; echo ${i}`)));
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 6 }, (_, i) => `${i}\n`));
    } finally {
      await pool.closeAll();
    }
  });

  test("...within a bounded budget: a session refused for seconds fails with a message naming MaxSessions", async () => {
    const { pool } = loggedPool({ maxSessionsPerConnection: 10 });
    try {
      const h = pool.acquireHost(conn(small));
      const blockers = Array.from({ length: 3 }, () => h.exec("sleep 6"));
      await sleep(300);
      const started = Date.now();
      const err = await expectSshError(h.exec("echo late"), "connect");
      expect(Date.now() - started).toBeLessThan(5500);
      expect(err.message).toMatch(/keeps refusing to open a session .*MaxSessions/);
      await Promise.all(blockers);
    } finally {
      await pool.closeAll();
    }
  });
});

describe("reconnects", () => {
  test("after the server drops the connection, the next exec works over a new connection", async () => {
    const mark = sshd.logMark();
    const h = lp.pool.acquireHost(conn(sshd));
    await h.exec("true");
    const pids = sshd.connectionPids();
    expect(pids).toHaveLength(1);
    sshd.dropConnection(pids[0]);
    await waitFor(() => lp.pool.stats()[idOf(sshd)].open === 0);
    expect((await h.exec("echo again")).stdout).toBe("again\n");
    expect(lp.pool.stats()[idOf(sshd)].connectionsOpened).toBe(2);
    expect(sshd.acceptedLogins(mark)).toHaveLength(2);
  });

  test("a drop not yet noticed: the exec whose channel never opened is sent once more on a new connection", async () => {
    const h = lp.pool.acquireHost(conn(sshd));
    await h.exec("true");
    sshd.dropConnection(sshd.connectionPids()[0]);
    // No waiting: the client may or may not have seen the connection die yet.
    expect((await h.exec("echo again")).stdout).toBe("again\n");
    expect(lp.pool.stats()[idOf(sshd)].connectionsOpened).toBe(2);
  });

  test("a command running when the connection dies fails with connection_lost and is never re-run", async () => {
    const marker = path.join(dir, "runs.txt");
    const h = lp.pool.acquireHost(conn(sshd));
    const running = h.exec(`echo run >> ${marker}; sleep 20`, { timeoutMs: 30_000 });
    await waitFor(() => fs.existsSync(marker));
    sshd.dropConnection(sshd.connectionPids()[0]);
    const err = await expectSshError(running, "connection_lost");
    expect(err.message).toContain(`connection to root@127.0.0.1:${sshd.port} was lost while running \`echo run >> ${marker}; sleep 20\``);
    expect(err.message).toContain("not retried");
    await sleep(300);
    expect(fs.readFileSync(marker, "utf8")).toBe("run\n");
    expect((await h.exec("echo next")).stdout).toBe("next\n");
  });

  test("keepalive: a frozen server is detected within keepaliveSeconds x 3, and the running command fails", async () => {
    const h = lp.pool.acquireHost(conn(sshd, { timeouts: { keepaliveSeconds: 1 } }));
    await h.exec("true");
    const running = h.exec("sleep 30", { timeoutMs: 30_000 });
    await sleep(200);
    const pid = sshd.connectionPids()[0];
    const frozen = [pid, ...require("../../support/sshd").descendantPids(pid)] as number[];
    for (const p of frozen) process.kill(p, "SIGSTOP");
    const started = Date.now();
    try {
      await expectSshError(running, "connection_lost");
      expect(Date.now() - started).toBeLessThan(6000);
      expect(lp.logs.join("\n")).toMatch(/Keepalive timeout/);
    } finally {
      for (const p of frozen) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
  });
});

describe("lifetime", () => {
  test("an idle connection is closed after idleTimeoutMs, and reopened on demand", async () => {
    const { pool } = loggedPool({ idleTimeoutMs: 200 });
    try {
      const h = pool.acquireHost(conn(sshd));
      await h.exec("true");
      expect(pool.stats()[idOf(sshd)].open).toBe(1);
      await waitFor(() => pool.stats()[idOf(sshd)].open === 0, 2000);
      await h.exec("true");
      expect(pool.stats()[idOf(sshd)].connectionsOpened).toBe(2);
    } finally {
      await pool.closeAll();
    }
  });

  test("a long command keeps its connection (idle means no channel in flight)", async () => {
    const { pool } = loggedPool({ idleTimeoutMs: 100 });
    try {
      const h = pool.acquireHost(conn(sshd));
      await h.exec("sleep 0.5");
      expect(pool.stats()[idOf(sshd)].connectionsOpened).toBe(1);
    } finally {
      await pool.closeAll();
    }
  });

  test("closeAll closes connections; handles from before fail with code closed; released handles too", async () => {
    const mark = sshd.logMark();
    const h = lp.pool.acquireHost(conn(sshd));
    await h.exec("true");
    await lp.pool.closeAll();
    await sshd.waitForLog(/Disconnected from user root|Received disconnect/, 3000, mark);
    await expectSshError(h.exec("true"), "closed");
    const h2 = lp.pool.acquireHost(conn(sshd));
    expect(lp.pool.stats()[idOf(sshd)].handles).toBe(1);
    await h2.close();
    expect(lp.pool.stats()[idOf(sshd)].handles).toBe(0);
    await expectSshError(h2.exec("true"), "closed");
  });

  const runChild = (script: string) =>
    new Promise<{ code: number | null; ms: number; out: string }>((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.on("exit", (code) => {
        clearTimeout(killer);
        resolve({ code, ms: Date.now() - started, out });
      });
    });

  /** A Node program that loads the TypeScript sources through a tiny transpile-on-require hook. */
  const program = (body: string) => `
    const ts = require(${JSON.stringify(require.resolve("typescript"))});
    const fs = require("fs");
    require.extensions[".ts"] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, "utf8"),
      { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, f);
    const ssh = require(${JSON.stringify(path.resolve(__dirname, "../../../provider/host/ssh/index.ts"))});
    const conn = ${JSON.stringify(conn(sshd))};
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(3); });`;

  test("an idle pool does not keep the Node process alive (no closeAll: the process exits after the idle timeout)", async () => {
    const r = await runChild(
      program(`
        const pool = new ssh.SshPool({ idleTimeoutMs: 1000 });
        const t0 = Date.now();
        const res = await pool.acquireHost(conn).exec("echo hi");
        process.stdout.write(res.stdout);
        process.on("exit", () => process.stdout.write("lingered " + (Date.now() - t0) + "\\n"));`),
    );
    expect(r.out).toMatch(/^hi\n/);
    expect(r.code).toBe(0);
    const lingered = Number(/lingered (\d+)/.exec(r.out)![1]);
    expect(lingered).toBeLessThan(3000);
  });

  test("with closeAll the process exits at once", async () => {
    const r = await runChild(
      program(`
        const res = await ssh.acquireHost(conn).exec("echo hi");
        const t0 = Date.now();
        await ssh.closeAll();
        process.on("exit", () => process.stdout.write("after close " + (Date.now() - t0) + "\\n"));
        process.stdout.write(res.stdout);`),
    );
    expect(r.code).toBe(0);
    expect(Number(/after close (\d+)/.exec(r.out)![1])).toBeLessThan(500);
  });
});
