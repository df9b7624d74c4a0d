/**
 * `Host` over SSH: a handle on a pooled connection plus the per-host
 * settings that shape each command (sudo, default timeout, redaction).
 * Get one from `SshPool.acquireHost()`; `close()` releases the handle.
 */
import type { ExecOptions, ExecResult, Host, Session, SessionOptions } from "../host";
import type { Connection } from "../../inputs/connection";
import { SshError } from "./errors";
import type { SshLogger } from "./logger";
import type { PooledConnection } from "./pooled-connection";
import type { Redactor } from "./redact";
import { prepareCommand, prepareTtyCommand, sudoFailure, type PreparedSession } from "./command-line";

export class SshHost implements Host {
  readonly id: string;
  readonly label: string;
  private closed = false;

  constructor(
    private readonly connection: PooledConnection,
    private readonly settings: Connection,
    private readonly redact: Redactor,
    private readonly log: SshLogger,
    label: string | undefined,
    private readonly onRelease: () => void,
  ) {
    this.id = connection.id;
    this.label = label ?? connection.label;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw new SshError("closed", this.id, `the SSH host handle for ${this.id} was closed`);
    const timeoutMs = options.timeoutMs ?? this.settings.timeouts.commandSeconds * 1000;
    const prepared = prepareCommand(command, options.privileged === true, this.settings, this.id, timeoutMs);
    const callerStdin = options.stdin === undefined ? undefined : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin, "utf8");
    const parts = [prepared.stdinPrefix, callerStdin].filter((b): b is Buffer => b !== undefined && b.length > 0);

    const outcome = await this.connection.exec(
      {
        command: prepared.command,
        stdin: parts.length > 0 ? Buffer.concat(parts) : undefined,
        timeoutMs,
        // Lines reach progress as they arrive: without this connection's credentials.
        onStdoutLine: options.onStdoutLine && ((line) => options.onStdoutLine!(this.redact(line))),
        onStderrLine: options.onStderrLine && ((line) => options.onStderrLine!(this.redact(line))),
        sentinel: prepared.sentinel,
        displayCommand: command,
      },
      this.log,
    );
    if (prepared.sentinel !== undefined && !outcome.started && outcome.signal === undefined) {
      throw sudoFailure(this.id, this.settings, outcome.code, outcome.preamble);
    }
    const result: ExecResult = { code: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr };
    if (outcome.signal !== undefined) result.signal = outcome.signal;
    return result;
  }

  async openSession(command: string, options: SessionOptions = {}): Promise<Session> {
    if (this.closed) throw new SshError("closed", this.id, `the SSH host handle for ${this.id} was closed`);
    const privileged = options.privileged === true;
    const prepared: PreparedSession = options.pty ? prepareTtyCommand(command, privileged, this.settings, this.id) : prepareCommand(command, privileged, this.settings, this.id, null);
    const { session, refused } = await this.connection.session(
      { command: prepared.command, stdinPrefix: prepared.stdinPrefix, sentinel: prepared.sentinel, prompt: prepared.prompt, pty: options.pty },
      this.log,
    );
    if (refused) throw sudoFailure(this.id, this.settings, refused.code, refused.preamble);
    return session;
  }

  /** Releases this handle; the pooled connection closes once idle (see SshPool). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onRelease();
  }

  /** Replaces every credential of this host's connection in `text` with `[secret]`. */
  redactText(text: string): string {
    return this.redact(text);
  }
}
