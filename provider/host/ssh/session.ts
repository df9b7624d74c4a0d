/**
 * One interactive channel (Host.openSession): the command's streams stay
 * attached to the caller for as long as it runs, with an optional PTY whose
 * size follows the caller's window. No time limit: it ends with the command
 * or when the caller closes it.
 *
 * Privileged sessions of non-root logins go through the same sudo wrapper as
 * `exec` (command-line.ts): the session is handed out only once the wrapper's
 * sentinel arrived, so a sudo refusal is an error of `openSession`, never
 * output of the session. With a PTY, the wrapper's stderr is the terminal, so
 * the sentinel (and any sudo message before it) is taken out of stdout, and
 * sudo's password is typed when its prompt shows (command-line.ts
 * prepareTtyCommand); sudo reads it with echo off.
 */
import { PassThrough } from "stream";
import type { Client, ClientChannel, PseudoTtyOptions } from "ssh2";
import type { PtySize, Session } from "../host";
import { SshError } from "./errors";
import type { Redactor } from "./redact";

export interface SessionRun {
  command: string;
  stdinPrefix?: Buffer;
  sentinel?: string;
  /** Answer this prompt (before the sentinel) once; a second one is a refusal. */
  prompt?: { text: string; answer: Buffer };
  pty?: PtySize & { term?: string };
  hostId: string;
  redact: Redactor;
  /** Called once when the channel is gone: frees the session slot. */
  onReleased: () => void;
}

export interface SessionStart {
  session: Session;
  /** Set when the wrapper never started (sudo refused): its exit code and sudo's own output. */
  refused?: { code: number | null; preamble: string };
}

function openChannel(client: Client, command: string, pty: SessionRun["pty"]): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, channel: ClientChannel) => (err ? reject(err) : resolve(channel));
    try {
      if (pty) {
        const options: PseudoTtyOptions = { rows: pty.rows, cols: pty.cols, term: pty.term ?? "xterm-256color" };
        client.exec(command, { pty: options }, cb);
      } else {
        client.exec(command, cb);
      }
    } catch (e) {
      reject(e);
    }
  });
}

export async function startSession(client: Client, run: SessionRun): Promise<SessionStart> {
  let channel: ClientChannel;
  try {
    channel = await openChannel(client, run.command, run.pty);
  } catch (e) {
    run.onReleased();
    throw new SshError("connect", run.hostId, `${run.hostId} refused to open a session: ${run.redact((e as Error).message)}`, { cause: e });
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let exit: { code: number | null; signal?: string } = { code: null };
  channel.on("exit", (code: number | null, signal?: string) => {
    exit = typeof code === "number" ? { code } : { code: null, ...(signal ? { signal } : {}) };
  });
  channel.on("error", () => {
    /* write after the command ended: the exit status tells the story */
  });
  const ended = (stream: NodeJS.ReadableStream, out: PassThrough) =>
    new Promise<void>((resolve) => stream.on("end", () => (out.end(), resolve())));
  const closed = new Promise<void>((resolve) => channel.on("close", () => (run.onReleased(), resolve())));
  const done = Promise.all([closed, ended(channel, stdout), ended(channel.stderr, stderr)]).then(() => exit);

  // Until the wrapper's sentinel, output on its stream is sudo's own: held back (redacted) for the error.
  let running = run.sentinel === undefined;
  let held = "";
  let markStarted = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  if (running) markStarted();
  const hold = (chunk: Buffer, out: PassThrough) => {
    held += chunk.toString("utf8");
    const at = held.indexOf(run.sentinel!);
    if (at < 0) return answerPrompt();
    running = true;
    const rest = held.slice(at + run.sentinel!.length).replace(/^\r?\n/, "");
    if (rest) out.write(rest);
    markStarted();
  };
  let prompts = 0;
  const answerPrompt = () => {
    if (!run.prompt) return;
    const seen = held.split(run.prompt.text).length - 1;
    if (seen === prompts) return;
    prompts = seen;
    if (prompts === 1) channel.write(run.prompt.answer);
    else channel.close(); // asked again: the password is wrong; never typed twice
  };
  const sentinelOnStdout = run.pty !== undefined;
  channel.on("data", (chunk: Buffer) => (!running && sentinelOnStdout ? hold(chunk, stdout) : stdout.write(chunk)));
  channel.stderr.on("data", (chunk: Buffer) => (!running && !sentinelOnStdout ? hold(chunk, stderr) : stderr.write(chunk)));
  if (run.stdinPrefix) channel.write(run.stdinPrefix);

  await Promise.race([started, closed]);
  const session = wrap(channel, stdout, stderr, done);
  if (!running) {
    const { code } = await done;
    const said = run.prompt ? held.split(run.prompt.text).join("") : held;
    return { session, refused: { code, preamble: run.redact(said) } };
  }
  return { session };
}

function wrap(channel: ClientChannel, stdout: PassThrough, stderr: PassThrough, done: Session["done"]): Session {
  return {
    stdout,
    stderr,
    done,
    write: (data) => {
      channel.write(data);
    },
    end: () => {
      channel.end();
    },
    resize: ({ rows, cols }) => {
      channel.setWindow(rows, cols, 0, 0);
    },
    close: () => {
      channel.close();
    },
  };
}
