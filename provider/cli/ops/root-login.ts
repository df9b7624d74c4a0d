/**
 * `nixos-containers root-login NAME`: an interactive root shell inside the
 * container (`nixos-container root-login` on a PTY over SSH). The local
 * terminal is put in raw mode, so keys (Ctrl-C too) go to the remote shell;
 * the remote PTY follows the window's size.
 */
import { login } from "../../deploy/operate";
import { UsageError } from "../../errors";
import { HostSet } from "./hosts";
import { selectOne } from "./select";
import { exitStatus, forwardStdin, pipeOutput } from "./session-io";

const USAGE = "root-login NAME [--stack S] [--cwd DIR]";

export async function rootLoginCommand(args: string[]): Promise<number> {
  const { target } = await selectOne("root-login", USAGE, args);
  if (!process.stdin.isTTY) throw new UsageError("root-login: needs a terminal (stdin is not a TTY); for one command use: nixos-containers run NAME -- CMD");
  const size = () => ({ rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 });
  const hosts = new HostSet();
  try {
    const session = await login(hosts.host(target), target.name, { ...size(), term: process.env.TERM || "xterm-256color" });
    const onResize = () => session.resize(size());
    process.stdout.on("resize", onResize);
    process.stdin.setRawMode(true);
    pipeOutput(session);
    const stopStdin = forwardStdin(session);
    process.stdin.resume();
    try {
      return exitStatus(await session.done);
    } finally {
      stopStdin();
      process.stdin.setRawMode(false);
      process.stdout.off("resize", onResize);
    }
  } finally {
    await hosts.close();
  }
}
