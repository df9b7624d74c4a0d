/**
 * Typed errors of the SSH transport. The message is short and says what to
 * do; the details live in fields. Every message is built from redacted text
 * (see redact.ts), so no credential can reach a log through an error.
 */
import { HostError } from "../../errors";

export type SshErrorCode =
  /** TCP connect or SSH handshake failed (after all attempts), or the jump host could not forward. */
  | "connect"
  /** No pinned key and the known_hosts file has no entry for this host. */
  | "host_key_unknown"
  /** The host presented a key other than the pinned / known one. */
  | "host_key_mismatch"
  /** The presented key is marked `@revoked` in known_hosts. */
  | "host_key_revoked"
  /** The server refused every authentication method, or a private key could not be used. */
  | "auth"
  /** A remote command ran longer than its limit. */
  | "timeout"
  /** The connection died while a command was running (it may or may not have run). */
  | "connection_lost"
  /** Privilege escalation was needed and not possible (sudo refused, wrong sudo password, sudo disabled). */
  | "sudo"
  /** The connection settings are unusable (bad key text, unparseable hostKey, no credentials, ...). */
  | "config"
  /** The pool or the host handle was closed. */
  | "closed";

const SSH_ERROR = Symbol.for("pulumi-nixos-containers.SshError");

export interface SshErrorDetails {
  /** Host key fingerprints (SHA256) that would have been accepted. */
  expectedFingerprints?: string[];
  /** Fingerprint (SHA256) of the key the host presented. */
  presentedFingerprint?: string;
  /** The presented key as an OpenSSH public key line, ready to pin. */
  presentedKey?: string;
  /** Authentication methods tried, in order. */
  methodsTried?: string[];
  /** Connect attempts made. */
  attempts?: number;
  /** First line of the command (truncated) for command errors. */
  command?: string;
  /** Elapsed milliseconds for timeouts. */
  elapsedMs?: number;
}

/** A host the transport could not use (HostError, phase "transport"), with the SSH reason in `code`. */
export class SshError extends HostError {
  readonly code: SshErrorCode;
  readonly details: SshErrorDetails;
  /** A connect failure that another attempt may fix (refused, reset, timed out). */
  readonly retryable: boolean;
  readonly [SSH_ERROR] = true;

  constructor(
    code: SshErrorCode,
    /** Which host: `user@address:port`, with ` via <jump>` for a hop behind a bastion. */
    host: string,
    message: string,
    options: { cause?: unknown; details?: SshErrorDetails; retryable?: boolean } = {},
  ) {
    super(host, "transport", message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }
}

/** Identifies an SshError also across duplicate module copies, where `instanceof` fails. */
export function isSshError(value: unknown): value is SshError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SSH_ERROR] === true;
}

/** The first line of a command, at most 80 characters, for messages. */
export function commandSummary(command: string): string {
  const first = command.trim().split("\n", 1)[0] ?? "";
  const more = command.trim().includes("\n") || first.length > 80;
  return (first.length > 80 ? first.slice(0, 77) : first) + (more ? " ..." : "");
}
