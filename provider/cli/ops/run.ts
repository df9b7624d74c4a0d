/**
 * `nixos-containers run NAME -- CMD…`: CMD inside the container; its output
 * streams, and this exits with its exit status. The arguments reach the
 * container exactly as given: quoted once for the host's shell here, and once
 * for the container's by `nixos-container run` itself.
 */
import { run } from "../../deploy/operate";
import { UsageError } from "../../errors";
import { HostSet } from "./hosts";
import { selectOne } from "./select";
import { exitStatus, forwardStdin, pipeOutput } from "./session-io";

const USAGE = "run NAME [--stack S] [--cwd DIR] -- CMD [ARG…]";

export async function runCommand(args: string[]): Promise<number> {
  const { parsed, target } = await selectOne("run", USAGE, args);
  if (!parsed.rest || parsed.rest.length === 0) throw new UsageError(`run: give the command after --\nusage: nixos-containers ${USAGE}`);
  const hosts = new HostSet();
  try {
    const session = await run(hosts.host(target), target.name, parsed.rest);
    pipeOutput(session);
    // A terminal is not forwarded (the command would wait for input nobody means to give); a pipe or file is.
    const stopStdin = process.stdin.isTTY ? () => undefined : forwardStdin(session);
    if (process.stdin.isTTY) session.end();
    const end = await session.done;
    stopStdin();
    return exitStatus(end);
  } finally {
    await hosts.close();
  }
}
