/**
 * Poison-string test: distinctive secret values are used as every kind of
 * credential, failures of every kind are provoked, and no error message, log
 * line or surfaced stderr may contain any of them (nor any line of the
 * private key). On the host, the sudo password must not appear in any
 * process's argv or environment while a privileged command runs.
 */
import * as fs from "fs";
import { TestSshd, generateKeyPair, makeTempDir, type KeyPair } from "../../support/sshd";
import { isSshError } from "../../../provider/host/ssh";
import { loggedPool, type LoggedPool } from "./helpers";

const POISON = {
  password: "Poison-Pw-7f3a9c",
  passphrase: "Poison-Passphrase-51b2",
  sudo: "Poison-Sudo-9d0e", // deployp's real password
  wrongSudo: "Poison-WrongSudo-13c7",
  jump: "Poison-Jump-44aa",
};

let dir: string;
let sshd: TestSshd;
let key: KeyPair;
let encrypted: KeyPair;
let lp: LoggedPool;
const surfaced: string[] = [];

beforeAll(async () => {
  dir = makeTempDir("secrets");
  key = generateKeyPair(dir, "client");
  encrypted = generateKeyPair(dir, "encrypted", { passphrase: "the real one" });
  sshd = await TestSshd.start({
    name: "secrets",
    users: [
      { name: "root", authorizedKeys: [key.publicKey] },
      { name: "deployp", authorizedKeys: [key.publicKey], password: POISON.sudo, sudo: "password" },
    ],
  });
  lp = loggedPool({ idleTimeoutMs: 100 });
});
afterAll(async () => {
  await lp?.pool.closeAll();
  await sshd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function secrets(): string[] {
  const keyLines = [key.privateKey, encrypted.privateKey].flatMap((k) => k.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")));
  return [...Object.values(POISON), ...keyLines];
}

async function capture(p: Promise<unknown> | (() => unknown)): Promise<void> {
  try {
    const r = typeof p === "function" ? p() : await p;
    surfaced.push(JSON.stringify(r));
  } catch (e) {
    surfaced.push(String((e as Error).message));
    if (isSshError(e)) surfaced.push(JSON.stringify(e.details));
  }
}

const base = () => ({ host: sshd.address, port: sshd.port, hostKey: sshd.hostKeyLine });

test("failures of every kind surface no secret", async () => {
  // Wrong password (and a key the server does not know).
  const stranger = generateKeyPair(dir, "stranger");
  await capture(lp.pool.acquireHost({ ...base(), privateKey: stranger.privateKey, password: POISON.password, sudoPassword: POISON.sudo }).exec("true"));
  // Wrong passphrase.
  await capture(() => lp.pool.acquireHost({ ...base(), privateKey: encrypted.privateKey, privateKeyPassphrase: POISON.passphrase }));
  // Wrong sudo password.
  await capture(
    lp.pool
      .acquireHost({ ...base(), user: "deployp", privateKey: key.privateKey, sudoPassword: POISON.wrongSudo, password: POISON.password })
      .exec("true", { privileged: true }),
  );
  // Jump host refusing the poison password.
  await capture(
    lp.pool
      .acquireHost({ ...base(), privateKey: key.privateKey, jumpHost: { ...base(), password: POISON.jump } })
      .exec("true"),
  );
  // Invalid input next to secrets (validation errors name fields, not values).
  await capture(() =>
    lp.pool.acquireHost({ ...base(), port: "22" as unknown as number, password: POISON.password, sudoPassword: POISON.sudo }),
  );
  // A (bad) command line that contains a secret, timing out. (Not the sudo password: the last test
  // looks for that one in every process's argv.)
  const h = lp.pool.acquireHost({ ...base(), privateKey: key.privateKey, password: POISON.password, sudoPassword: POISON.sudo });
  await capture(h.exec(`echo ${POISON.password}; sleep 5`, { timeoutMs: 300 }));

  for (const text of [...surfaced, ...lp.logs]) {
    for (const s of secrets()) expect(text).not.toContain(s);
  }
  expect(surfaced.join("\n")).toMatch(/authentication refused/);
  expect(surfaced.join("\n")).toMatch(/privateKeyPassphrase does not decrypt/);
  expect(surfaced.join("\n")).toMatch(/connection\.sudoPassword is wrong/);
  expect(surfaced.join("\n")).toMatch(/timed out .*\[secret\]/);
});

test("stderr that echoes secrets is redacted, in the result and line by line", async () => {
  const h = lp.pool.acquireHost({
    ...base(),
    privateKey: key.privateKey,
    password: POISON.password,
    sudoPassword: POISON.sudo,
    jumpHost: undefined,
  });
  const lines: string[] = [];
  const all = [...Object.values(POISON), key.privateKey].join("\n");
  const r = await h.exec("cat >&2", { stdin: all, onStderrLine: (l) => lines.push(l) });
  for (const s of secrets().filter((x) => x !== POISON.jump && x !== POISON.passphrase && x !== POISON.wrongSudo && !encrypted.privateKey.includes(x))) {
    expect(r.stderr).not.toContain(s);
    expect(lines.join("\n")).not.toContain(s);
  }
  expect(r.stderr).toContain("[secret]");
  expect(lines).toContain("[secret]");
});

test("on the host, the sudo password is in no process's argv or environment while a privileged command runs", async () => {
  const h = lp.pool.acquireHost({ ...base(), user: "deployp", privateKey: key.privateKey, sudoPassword: POISON.sudo });
  // "Poison-Su[d]o-9d0e" matches the password but not itself, so the command line cannot match its own text.
  const pattern = POISON.sudo.replace("Sudo", "Su[d]o");
  const r = await h.exec(
    `id -u; ps -eww -o args | grep -c -- '${pattern}' || true; ` +
      `for e in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do cat $e 2>/dev/null; echo; done | tr '\\0' '\\n' | grep -c -- '${pattern}' || true`,
    { privileged: true },
  );
  const [uid, inArgv, inProc] = r.stdout.trim().split("\n");
  expect(uid).toBe("0");
  expect(Number(inArgv)).toBe(0);
  expect(Number(inProc)).toBe(0);
});
