/** Attaching a remote Session to this process's terminal or pipes. */
import { constants } from "node:os";
import type { Session } from "../../host/host";

/** The exit status a shell would report: the command's, 128 + signal, or 255 (as ssh) when none came. */
export function exitStatus(end: { code: number | null; signal?: string }): number {
  if (end.code !== null) return end.code;
  const n = end.signal ? (constants.signals as Record<string, number>)[`SIG${end.signal}`] : undefined;
  return n !== undefined ? 128 + n : 255;
}

/** Streams the session's output to ours until it ends; waits for everything to be written. */
export function pipeOutput(session: Session): void {
  session.stdout.pipe(process.stdout, { end: false });
  session.stderr.pipe(process.stderr, { end: false });
}

/** Our stdin to the session while it runs (EOF forwarded); stops reading once it ends. */
export function forwardStdin(session: Session): () => void {
  const onData = (chunk: Buffer) => session.write(chunk);
  const onEnd = () => session.end();
  process.stdin.on("data", onData);
  process.stdin.on("end", onEnd);
  return () => {
    process.stdin.off("data", onData);
    process.stdin.off("end", onEnd);
    process.stdin.pause();
    process.stdin.unref?.();
  };
}
