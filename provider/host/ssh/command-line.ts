/**
 * The command line actually sent for a caller's command.
 *
 * Time limit: every command runs under coreutils `timeout` (when the host
 * has it; otherwise as it is) set 2 s past the caller's limit. When the
 * caller's timer fires first, the transport sends the SSH "signal" request,
 * but OpenSSH refuses it for root logins (no post-auth privilege separation)
 * and delivers it as the login user, who may not signal sudo's root
 * processes; the host-side `timeout` is what reliably ends the command.
 *
 * Privilege, for non-root logins:
 * - `sudo -n -- sh -c ...` when no sudoPassword is set (NOPASSWD rules).
 * - `sudo -S -p '' -- sh -c ...` with `connection.sudoPassword`: the password
 *   is the first line of stdin, never in argv, env or logs. sudo reads it
 *   byte by byte and leaves the rest of stdin to the command. Because sudo
 *   does NOT read it when no password is needed (a NOPASSWD rule, a cached
 *   timestamp), the password line is followed by separator lines and a small
 *   root-side wrapper discards everything up to the separators: the command's
 *   stdin is exactly the caller's stdin in both cases. A wrong password makes
 *   sudo try the next lines as passwords (passwd_tries, default 3): those are
 *   separators, so the caller's stdin is never used as a password attempt.
 * - In both modes the wrapper prints a sentinel line on stderr once it runs as
 *   root, so a sudo refusal is told apart from the command's own failure.
 * Root logins never use sudo; `connection.sudo: false` forbids it.
 */
import { randomBytes } from "crypto";
import { shellJoin } from "../shell";
import { SshError } from "./errors";

export interface PrivilegeSettings {
  user: string;
  /** `false`: never use sudo. Undefined or `true`: sudo for non-root logins. */
  sudo?: boolean;
  sudoPassword?: string;
}

export interface PreparedCommand {
  /** The command line sent over SSH. */
  command: string;
  /** Bytes written before the caller's stdin (the sudo password and separators). */
  stdinPrefix?: Buffer;
  /** Line printed on stderr by the wrapper once it runs as root; lines before it are sudo's own. */
  sentinel?: string;
}

/** Separator lines after the password: more than sudo's passwd_tries can consume (default 3). */
export const SEPARATORS = 4;

/** Runs "$cmd" under `timeout` (if present) with limit "$limit" seconds; TERM, then KILL 5 s later. */
const RUN_LIMITED = [
  'if [ -n "$limit" ] && command -v timeout >/dev/null 2>&1; then exec timeout -k 5 "$limit" sh -c "$cmd"',
  'else exec sh -c "$cmd"; fi',
].join("\n");

const PLAIN_WRAPPER = ['cmd=$1; limit=$2', RUN_LIMITED].join("\n");

const NOPASSWD_WRAPPER = ['printf \'%s\\n\' "$1" >&2', 'cmd=$2; limit=$3', RUN_LIMITED].join("\n");

const PASSWORD_WRAPPER = [
  "n=0; s=0",
  `while [ "$n" -lt ${SEPARATORS} ]; do`,
  "  IFS= read -r l || exit 125",
  '  if [ "$l" = "$1" ]; then n=$((n+1))',
  '  elif [ "$n" -eq 0 ] && [ "$s" -eq 0 ]; then s=1',
  "  else exit 125; fi",
  "done",
  "l=",
  "printf '%s\\n' \"$2\" >&2",
  "cmd=$3; limit=$4",
  RUN_LIMITED,
].join("\n");

/** Seconds for the root-side `timeout`: past the caller's limit, so the caller's timer fires first. */
export function rootSideLimitSeconds(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + 2;
}

/**
 * Builds the command line (and stdin prefix) for `command`, privileged or not.
 * `timeoutMs` null: no host-side limit (interactive sessions: coreutils
 * `timeout` would also keep the command out of the terminal's foreground).
 */
export function prepareCommand(
  command: string,
  privileged: boolean,
  s: PrivilegeSettings,
  hostId: string,
  timeoutMs: number | null = 600_000,
): PreparedCommand {
  const limit = timeoutMs === null ? "" : String(rootSideLimitSeconds(timeoutMs));
  if (!privileged || s.user === "root") return { command: shellJoin(["sh", "-c", PLAIN_WRAPPER, "sh", command, limit]) };
  if (s.sudo === false) {
    throw new SshError(
      "sudo",
      hostId,
      `a privileged command was asked on ${hostId}, but connection.user is "${s.user}" and connection.sudo is false: ` +
        `log in as root, or allow sudo (connection.sudo: true)`,
    );
  }
  const sentinel = `pnc-sudo-ok-${randomBytes(12).toString("hex")}`;
  if (s.sudoPassword === undefined) {
    return { command: shellJoin(["sudo", "-n", "--", "sh", "-c", NOPASSWD_WRAPPER, "sh", sentinel, command, limit]), sentinel };
  }
  if (/[\r\n]/.test(s.sudoPassword)) {
    throw new SshError("config", hostId, "connection.sudoPassword cannot contain a line break");
  }
  const separator = `pnc-sudo-sep-${randomBytes(12).toString("hex")}`;
  const prefix = s.sudoPassword + "\n" + (separator + "\n").repeat(SEPARATORS);
  return {
    command: shellJoin([
      "sudo", "-S", "-p", "", "--", "sh", "-c", PASSWORD_WRAPPER, "sh",
      separator, sentinel, command, limit,
    ]),
    stdinPrefix: Buffer.from(prefix, "utf8"),
    sentinel,
  };
}

export interface PreparedSession extends PreparedCommand {
  /** sudo's prompt on the PTY: answer it with `answer` (once; a second prompt means the password is wrong). */
  prompt?: { text: string; answer: Buffer };
}

/**
 * The command line of a session on a PTY. sudo then reads its password from
 * the terminal (with echo off), and flushes input typed ahead when it turns
 * echo off, so the stdin protocol of prepareCommand cannot work there: sudo
 * is given a unique prompt instead, and the password is typed when that
 * prompt shows. No host-side time limit (it would take the terminal away).
 */
export function prepareTtyCommand(command: string, privileged: boolean, s: PrivilegeSettings, hostId: string): PreparedSession {
  if (!privileged || s.user === "root" || s.sudoPassword === undefined) return prepareCommand(command, privileged, s, hostId, null);
  if (s.sudo === false) return prepareCommand(command, privileged, s, hostId, null); // throws the sudo: false error
  const sentinel = `pnc-sudo-ok-${randomBytes(12).toString("hex")}`;
  const prompt = `pnc-sudo-prompt-${randomBytes(12).toString("hex")}:`;
  return {
    command: shellJoin(["sudo", "-p", prompt, "--", "sh", "-c", NOPASSWD_WRAPPER, "sh", sentinel, command, ""]),
    sentinel,
    prompt: { text: prompt, answer: Buffer.from(s.sudoPassword + "\n", "utf8") },
  };
}

/** The error for a privileged command whose wrapper never started: sudo refused. */
export function sudoFailure(hostId: string, s: PrivilegeSettings, exitCode: number | null, sudoStderr: string): SshError {
  const said = sudoStderr.trim().split("\n").filter(Boolean).slice(-1)[0] ?? `exit status ${exitCode}`;
  let hint: string;
  if (/incorrect password|Sorry, try again/i.test(sudoStderr)) {
    hint = `connection.sudoPassword is wrong for ${s.user}`;
  } else if (/password is required|terminal is required|askpass/i.test(sudoStderr)) {
    hint = `sudo wants a password for ${s.user}: set connection.sudoPassword (secret), or give ${s.user} a NOPASSWD rule`;
  } else if (/not in the sudoers|not allowed|may not run sudo/i.test(sudoStderr)) {
    hint = `${s.user} may not run commands as root with sudo there: log in as root, or add a sudoers rule for ${s.user}`;
  } else if (exitCode === 127 || /not found/i.test(sudoStderr)) {
    hint = `sudo is not installed or not in PATH there: log in as root (connection.user: "root")`;
  } else if (exitCode === 125) {
    hint = "the sudo wrapper did not receive its input (stdin closed early)";
  } else {
    hint = `sudo failed for ${s.user}`;
  }
  return new SshError("sudo", hostId, `cannot run a privileged command on ${hostId}: ${hint} (sudo said: ${said})`);
}
