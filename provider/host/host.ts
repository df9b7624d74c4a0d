/**
 * The transport seam. Everything above `host/` (the deployment engine in
 * `deploy/`, the lifecycle, the CLI) speaks to a machine only through this
 * interface, so the same deployment logic runs over any transport.
 * Implementation: `ssh/ssh-host.ts` (ssh2).
 */

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. Secrets go here, never in argv. */
  stdin?: string | Buffer;
  /** Run as root: the transport adds `sudo -n` / `sudo -S` for non-root logins. */
  privileged?: boolean;
  /** Kill the command (and fail with a timeout error) after this long. */
  timeoutMs?: number;
  /** Called for each complete line of stderr as it arrives (progress output). */
  onStderrLine?: (line: string) => void;
  /** Called for each complete line of stdout as it arrives. */
  onStdoutLine?: (line: string) => void;
}

export interface ExecResult {
  /** Exit status; null when the command died from a signal or the channel closed without one. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface Host {
  /** Stable identity used for pooling, locking and messages: `user@address:port`. */
  readonly id: string;
  /** A human label for progress lines, e.g. `host1 (127.0.0.11)`. */
  readonly label: string;
  /**
   * Run one shell command line (POSIX sh syntax) on the host. Arguments must
   * already be quoted with `shellQuote`/`shellJoin` from `shell.ts`.
   * Rejects on transport failure (connection lost, timeout, sudo refused,
   * invalid connection settings, closed handle); a non-zero exit status is a
   * normal result.
   */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Release this handle. A pooled connection closes by itself after a few idle seconds. */
  close(): Promise<void>;
}
