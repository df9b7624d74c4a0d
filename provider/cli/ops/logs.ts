/**
 * `nixos-containers logs NAME [-f] [-n N]`: the container's journal
 * (`journalctl -M NAME`, or the unit's journal when it is down). With -f it
 * follows until interrupted (Ctrl-C); closing the session stops journalctl on
 * the host too.
 */
import { logs } from "../../deploy/operate";
import { countOption } from "./args";
import { HostSet } from "./hosts";
import { selectOne } from "./select";
import { exitStatus, pipeOutput } from "./session-io";

const USAGE = "logs NAME [-f] [-n N] [--stack S] [--cwd DIR]";

export async function logsCommand(args: string[]): Promise<number> {
  const { parsed, target } = await selectOne("logs", USAGE, args, { follow: { type: "boolean", short: "f" }, lines: { type: "string", short: "n" } });
  const follow = parsed.values.follow === true;
  const lines = countOption("logs", "-n", parsed.values.lines);
  const hosts = new HostSet();
  try {
    const session = await logs(hosts.host(target), target.name, { follow, lines });
    pipeOutput(session);
    if (!follow) session.end();
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      session.close();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const end = await session.done;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    return interrupted ? 0 : exitStatus(end);
  } finally {
    await hosts.close();
  }
}
