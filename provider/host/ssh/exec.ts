/**
 * Runs one command over one exec channel of a connected client: stdin in,
 * stdout/stderr out (whole and line by line), exit status, timeout.
 */
import type { Client, ClientChannel } from "ssh2";
import type { ExecResult } from "../host";
import { SshError, commandSummary } from "./errors";
import { LineSplitter } from "./lines";
import type { Redactor } from "./redact";

export interface ChannelRun {
  command: string;
  /** Everything written to stdin (prefix + caller's stdin), then EOF. */
  stdin?: Buffer;
  timeoutMs: number;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Stderr lines up to and including this one are held back (they are sudo's). */
  sentinel?: string;
  /** The command as the caller wrote it, for messages. */
  displayCommand: string;
  hostId: string;
  redact: Redactor;
  /** True once the connection is known dead (checked when a channel closes without exit status). */
  connectionDead: () => boolean;
  /** Called once when the channel is gone (closed, or given up 2 s after a timeout): frees the session slot. */
  onReleased: () => void;
}

export interface ChannelOutcome extends ExecResult {
  /** False when a sentinel was expected and never came: the wrapper never ran (sudo refused). */
  started: boolean;
  /** Stderr written before the sentinel (sudo's own messages), redacted. */
  preamble: string;
}

/** The channel could not be opened: the command was certainly not started (safe to retry elsewhere). */
export class NotStartedError extends Error {
  constructor(cause: unknown) {
    super("channel not opened", { cause });
  }
}

/** The server refused to open a session channel (MaxSessions reached): nothing started, try again shortly. */
export class SessionRefusedError extends Error {
  constructor(
    readonly description: string,
    cause: unknown,
  ) {
    super(`session refused: ${description}`, { cause });
  }
}

function openExec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, channel) => {
        if (!err) return resolve(channel);
        const reason = (err as Error & { reason?: unknown }).reason;
        if (/No response from server/.test(err.message) && reason === undefined) {
          // The channel was never confirmed open, so the exec request was never sent.
          reject(new NotStartedError(err));
        } else if (/Channel open failure/.test(err.message)) {
          reject(new SessionRefusedError(err.message.replace(/^\(SSH\) /, ""), err));
        } else {
          reject(err); // "Unable to exec" and others: the command may have started
        }
      });
    } catch (e) {
      reject(new NotStartedError(e)); // "Not connected": nothing was sent
    }
  });
}

/**
 * Sends a signal request. ssh2's `channel.signal()` stays silent once stdin
 * is closed (it requires the channel to be writable), although SSH allows
 * channel requests after EOF; so after EOF the request goes through ssh2's
 * protocol object directly. OpenSSH delivers it with killpg() to the
 * session's process group, as the login user.
 */
function sendSignal(channel: ClientChannel, name: string): void {
  const ch = channel as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, signal: string): void } };
  };
  try {
    const protocol = ch._client?._protocol;
    if (ch.outgoing && ch.outgoing.state === "eof" && protocol) protocol.signal(ch.outgoing.id, name);
    else channel.signal(name);
  } catch {
    /* channel gone */
  }
}

export async function runOnChannel(client: Client, run: ChannelRun): Promise<ChannelOutcome> {
  let channel: ClientChannel;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    run.onReleased();
  };
  try {
    channel = await openExec(client, run.command);
  } catch (e) {
    release();
    if (e instanceof NotStartedError || e instanceof SessionRefusedError) throw e;
    if (run.connectionDead()) {
      throw new SshError(
        "connection_lost",
        run.hostId,
        `connection to ${run.hostId} was lost while starting \`${run.redact(commandSummary(run.displayCommand))}\`; it may or may not have run`,
        { cause: e, details: { command: run.redact(commandSummary(run.displayCommand)) } },
      );
    }
    throw new SshError("connect", run.hostId, `${run.hostId} refused to run a command: ${run.redact((e as Error).message)}`, {
      cause: e,
    });
  }
  const started = Date.now();

  return new Promise<ChannelOutcome>((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let sawSentinel = run.sentinel === undefined;
    let code: number | null = null;
    let signal: string | undefined;
    let settled = false;

    const outLines = new LineSplitter((line) => run.onStdoutLine?.(line));
    const errLines = new LineSplitter((raw) => {
      if (!sawSentinel) {
        if (raw === run.sentinel) sawSentinel = true;
        return;
      }
      run.onStderrLine?.(run.redact(raw));
    });

    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      // TERM first (sudo relays it to the command), then KILL, then close the channel.
      sendSignal(channel, "TERM");
      setTimeout(() => {
        sendSignal(channel, "KILL");
        try {
          channel.close();
        } catch {
          /* channel gone */
        }
      }, 500).unref();
      setTimeout(release, 2000).unref();
      const seconds = Math.round(run.timeoutMs / 100) / 10;
      const summary = run.redact(commandSummary(run.displayCommand));
      reject(
        new SshError("timeout", run.hostId, `command on ${run.hostId} timed out after ${seconds} s and was killed: \`${summary}\``, {
          details: { command: summary, elapsedMs: Date.now() - started },
        }),
      );
    }, run.timeoutMs);

    channel.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      outLines.push(chunk);
    });
    channel.stderr.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
      errLines.push(chunk);
    });
    channel.on("exit", (c: number | null, sig?: string) => {
      if (typeof c === "number") code = c;
      else if (sig) signal = sig;
    });
    channel.on("error", () => {
      /* write-after-close on stdin when the command exits early: the exit status tells the story */
    });
    channel.on("close", (c?: number | null, sig?: string) => {
      clearTimeout(timer);
      release();
      if (settled) return;
      settled = true;
      if (code === null && typeof c === "number") code = c;
      if (signal === undefined && typeof sig === "string") signal = sig;
      outLines.end();
      errLines.end();
      if (code === null && signal === undefined && run.connectionDead()) {
        const summary = run.redact(commandSummary(run.displayCommand));
        reject(
          new SshError(
            "connection_lost",
            run.hostId,
            `connection to ${run.hostId} was lost while running \`${summary}\` (after ${((Date.now() - started) / 1000).toFixed(1)} s); ` +
              `it may or may not have completed, and was not retried`,
            { details: { command: summary, elapsedMs: Date.now() - started } },
          ),
        );
        return;
      }
      let errText = Buffer.concat(stderr).toString("utf8");
      let preamble = "";
      let startedOk = true;
      if (run.sentinel !== undefined) {
        const at = errText.indexOf(run.sentinel + "\n");
        startedOk = at >= 0;
        preamble = startedOk ? errText.slice(0, at) : errText;
        errText = startedOk ? errText.slice(at + run.sentinel.length + 1) : "";
      }
      const result: ChannelOutcome = {
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: run.redact(errText),
        started: startedOk,
        preamble: run.redact(preamble),
      };
      if (signal !== undefined) result.signal = signal;
      resolve(result);
    });

    if (run.stdin && run.stdin.length > 0) channel.end(run.stdin);
    else channel.end();
  });
}
