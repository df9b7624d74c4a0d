/**
 * The sudo command lines, run by a local `sh` with a stand-in `sudo` on PATH
 * that either reads the password line (as real sudo does when it must ask)
 * or does not (NOPASSWD / cached timestamp). Real sudo over SSH is covered
 * in exec.sshd.test.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { prepareCommand, sudoFailure, SEPARATORS } from "../../../provider/host/ssh/command-line";
import { isSshError } from "../../../provider/host/ssh/errors";
import { makeTempDir } from "../../support/sshd";

const dir = makeTempDir("fake-sudo");
const bin = path.join(dir, "bin");
fs.mkdirSync(bin);
fs.writeFileSync(
  path.join(bin, "sudo"),
  [
    "#!/bin/sh",
    'while [ "$1" != "--" ]; do shift; done; shift',
    'case "$FAKE_SUDO_MODE" in',
    '  consume) IFS= read -r pw; [ "$pw" = "$FAKE_SUDO_PASSWORD" ] || { echo "Sorry, try again." >&2; exit 1; } ;;',
    '  refuse) echo "sudo: a password is required" >&2; exit 1 ;;',
    "esac",
    'exec "$@"',
    "",
  ].join("\n"),
  { mode: 0o755 },
);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function runLocally(command: string, stdin: Buffer, mode: string, password = "") {
  const r = spawnSync("sh", ["-c", command], {
    input: stdin,
    env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_SUDO_MODE: mode, FAKE_SUDO_PASSWORD: password },
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const settings = { user: "deploy", sudoPassword: "s3cret pass'word" };
const callerStdin = Buffer.from("line one\nline two\n\nno newline at end");

describe("prepareCommand", () => {
  test("root logins and unprivileged commands run without sudo, under the host-side time limit", () => {
    for (const p of [prepareCommand("id -u", true, { user: "root" }, "h", 1500), prepareCommand("id -u", false, { user: "deploy" }, "h", 1500)]) {
      expect(p.command.startsWith("sh -c ")).toBe(true);
      expect(p.command.endsWith(" sh 'id -u' 4")).toBe(true); // ceil(1.5 s) + 2 s
      expect(p.command).not.toContain("sudo");
      expect(p.sentinel).toBeUndefined();
      const r = runLocally(p.command, Buffer.from("in\n"), "noprompt");
      expect(r.stdout).toBe(String(process.getuid!()) + "\n");
    }
  });

  test("the host-side limit ends a command that outlives it (coreutils timeout)", () => {
    const p = prepareCommand("sleep 10", false, { user: "root" }, "h", 1);
    const started = Date.now();
    const r = runLocally(p.command, Buffer.alloc(0), "noprompt");
    expect(r.code).toBe(124);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  test("connection.sudo false refuses privileged commands of non-root users, naming both settings", () => {
    let err: unknown;
    try {
      prepareCommand("id -u", true, { user: "deploy", sudo: false }, "deploy@h:22");
    } catch (e) {
      err = e;
    }
    expect(isSshError(err) && err.code).toBe("sudo");
    expect((err as Error).message).toContain('connection.user is "deploy"');
    expect((err as Error).message).toContain("connection.sudo is false");
  });

  test("the password is never in the command line", () => {
    const p = prepareCommand("cat", true, settings, "h");
    expect(p.command).not.toContain("s3cret");
    expect(p.command.startsWith("sudo -S -p '' -- sh -c ")).toBe(true);
    expect(p.stdinPrefix!.toString()).toMatch(/^s3cret pass'word\n/);
    expect(p.stdinPrefix!.toString().split("\n")).toHaveLength(SEPARATORS + 2);
  });

  test("sudo -n without a password", () => {
    const p = prepareCommand("id -u", true, { user: "deploy" }, "h");
    expect(p.command.startsWith("sudo -n -- sh -c ")).toBe(true);
    expect(p.stdinPrefix).toBeUndefined();
    const r = runLocally(p.command, Buffer.alloc(0), "noprompt");
    expect(r.stderr).toBe(p.sentinel + "\n");
    expect(r.stdout).toBe(String(process.getuid!()) + "\n");
  });

  test("line breaks in sudoPassword are refused", () => {
    expect(() => prepareCommand("x", true, { user: "d", sudoPassword: "a\nb" }, "h")).toThrow(/line break/);
  });
});

describe("the password wrapper gives the command exactly the caller's stdin", () => {
  const cmd = "printf 'argv:%s\\n' \"$0\"; cat; echo; echo done >&2; exit 7";

  test.each([
    ["sudo read the password", "consume"],
    ["sudo did not ask (NOPASSWD, cached timestamp)", "noprompt"],
  ])("%s", (_name, mode) => {
    const p = prepareCommand(cmd, true, settings, "h");
    const r = runLocally(p.command, Buffer.concat([p.stdinPrefix!, callerStdin]), mode, settings.sudoPassword);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("argv:sh\n" + callerStdin.toString() + "\n");
    expect(r.stdout).not.toContain("s3cret");
    expect(r.stderr).toBe(`${p.sentinel}\ndone\n`);
  });

  test("with no caller stdin the command reads EOF", () => {
    const p = prepareCommand("wc -c", true, settings, "h");
    const r = runLocally(p.command, p.stdinPrefix!, "noprompt");
    expect(r.stdout.trim()).toBe("0");
  });

  test("a refused sudo never starts the wrapper: no sentinel", () => {
    const p = prepareCommand("echo hi", true, settings, "h");
    const r = runLocally(p.command, p.stdinPrefix!, "consume", "other password");
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain(p.sentinel!);
    expect(r.stdout).toBe("");
  });

  test("unexpected input before the separators makes the wrapper stop (exit 125), not run the command", () => {
    const p = prepareCommand("echo ran", true, settings, "h");
    const r = runLocally(p.command, Buffer.from("x\ny\nz\n"), "noprompt");
    expect(r.code).toBe(125);
    expect(r.stdout).toBe("");
  });
});

describe("sudoFailure", () => {
  const s = { user: "deploy" };
  test.each([
    ["Sorry, try again.\nsudo: 3 incorrect password attempts", 1, /connection\.sudoPassword is wrong/],
    ["sudo: a password is required", 1, /set connection\.sudoPassword/],
    ["deploy is not in the sudoers file.", 1, /may not run commands as root/],
    ["sh: 1: sudo: not found", 127, /not installed/],
  ])("%s", (stderr, code, expected) => {
    const e = sudoFailure("deploy@h:22", s, code, stderr);
    expect(e.code).toBe("sudo");
    expect(e.host).toBe("deploy@h:22");
    expect(e.message).toMatch(expected);
  });
});
