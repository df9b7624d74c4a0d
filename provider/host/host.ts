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

/** A terminal for an interactive session (what `ssh -t` asks for). */
export interface PtySize {
  rows: number;
  cols: number;
}

export interface SessionOptions {
  /** Run as root, as for `exec` (sudo for non-root logins). */
  privileged?: boolean;
  /** Ask for a PTY: the remote program sees a terminal of this size and `term` (default xterm-256color). */
  pty?: PtySize & { term?: string };
}

/**
 * One remote command with its streams attached, for as long as it runs (a
 * shell, `journalctl -f`, a command whose output is streamed). No time limit:
 * it ends when the command ends or the caller calls `close()`.
 */
export interface Session {
  /** The command's output as it arrives (with a PTY, stderr arrives here too). */
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Bytes to the command's stdin. */
  write(data: string | Buffer): void;
  /** Closes the command's stdin (EOF). */
  end(): void;
  /** Tells the remote PTY the window's new size (SIGWINCH on the remote side). */
  resize(size: PtySize): void;
  /** Closes the channel: the command loses its connection (SIGHUP with a PTY). */
  close(): void;
  /** Settles when the channel closes: the exit status, or the signal that ended the command. */
  readonly done: Promise<{ code: number | null; signal?: string }>;
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
  /**
   * Start one command line with its streams attached (see Session); quoting
   * as for `exec`. Rejects on transport failure before the command started.
   */
  openSession(command: string, options?: SessionOptions): Promise<Session>;
  /** Release this handle. A pooled connection closes by itself after a few idle seconds. */
  close(): Promise<void>;
}
