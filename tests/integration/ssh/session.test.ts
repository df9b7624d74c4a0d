/**
 * Host.openSession over SSH against the simulated fleet: streams, exit
 * status, a PTY whose size follows resize(), and privileged sessions of a
 * non-root login through sudo (host1: NOPASSWD; host2: sudo asks for the
 * password, fed on the PTY with echo off, so it never shows in the output).
 */
import * as fs from "fs";
import type { Session } from "../../../provider/host/host";
import { SshPool } from "../../../provider/host/ssh";
import { startFleet } from "../../hosts/helpers";

const fleet = startFleet(146, 2);
afterAll(() => fleet.down());

let pool: SshPool;
beforeEach(() => (pool = new SshPool()));
afterEach(() => pool.closeAll());

function connection(i: number, user: "root" | "deploy") {
  const h = fleet.host(i) as any;
  const u = h.users[user];
  return {
    host: h.address,
    user,
    hostKey: h.hostKey,
    privateKey: fs.readFileSync(u.privateKeyPath, "utf8"),
    ...(user === "deploy" && u.sudo === "password" ? { sudoPassword: u.password } : {}),
  };
}

async function collect(session: Session): Promise<{ out: string; err: string; code: number | null }> {
  let out = "";
  let err = "";
  session.stdout.on("data", (c: Buffer) => (out += c.toString()));
  session.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const { code } = await session.done;
  return { out, err, code };
}

/** Waits until `text` (the output so far, via `get`) matches. */
async function until(get: () => string, re: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !re.test(get()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(get()).toMatch(re);
}

describe("openSession", () => {
  it("streams stdin to the command and its stdout and stderr back, then its exit status", async () => {
    const s = await pool.acquireHost(connection(1, "root")).openSession("tr a-z A-Z; echo done >&2; exit 3");
    const result = collect(s);
    s.write("hello\n");
    s.end();
    expect(await result).toEqual({ out: "HELLO\n", err: "done\n", code: 3 });
  });

  it("gives a PTY of the asked size, and resize() changes it", async () => {
    const s = await pool.acquireHost(connection(1, "root")).openSession("sh -i", { pty: { rows: 30, cols: 90 } });
    let out = "";
    s.stdout.on("data", (c: Buffer) => (out += c.toString()));
    s.write("stty size\n");
    await until(() => out, /30 90/);
    s.resize({ rows: 50, cols: 160 });
    s.write("stty size; exit 6\n");
    expect((await s.done).code).toBe(6);
    expect(out).toMatch(/50 160/);
  });

  it.each([
    [1, "NOPASSWD"],
    [2, "a sudo password"],
  ])("runs privileged sessions of a non-root login through sudo (host%s: %s), on a PTY too", async (i) => {
    const conn = connection(i, "deploy");
    const host = pool.acquireHost(conn);
    const plainSession = await host.openSession("id -un; cat", { privileged: true });
    const plain = collect(plainSession);
    plainSession.write("stdin reaches the command\n");
    plainSession.end();
    expect(await plain).toEqual({ out: "root\nstdin reaches the command\n", err: "", code: 0 });

    const s = await host.openSession("sh -i", { privileged: true, pty: { rows: 24, cols: 80 } });
    let out = "";
    s.stdout.on("data", (c: Buffer) => (out += c.toString()));
    s.write("id -un; stty -a | grep -o -- '-\\?echo ' | head -1; exit\n");
    expect((await s.done).code).toBe(0);
    expect(out).toMatch(/\broot\r\n/);
    expect(out).toMatch(/(^|\n)echo /); // sudo turned echo off for the password only
    expect(out).not.toMatch(/pnc-sudo/);
    if ("sudoPassword" in conn) expect(out).not.toContain(conn.sudoPassword);
  });

  it("a sudo refusal is an error of openSession, naming the fix", async () => {
    const conn = { ...connection(2, "deploy"), sudoPassword: "wrong-password" };
    await expect(pool.acquireHost(conn).openSession("id", { privileged: true, pty: { rows: 24, cols: 80 } })).rejects.toThrow(/connection.sudoPassword is wrong for deploy \(sudo said: .*try again/);
  });
});
