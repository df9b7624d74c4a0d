/** `nixos-containers show-ip NAME`: the container's address, as `nixos-container show-ip` reads it from its conf. */
import { inspect } from "../../deploy/operate";
import { HostSet } from "./hosts";
import { targetKey } from "./resolve";
import { selectOne } from "./select";

export async function showIpCommand(args: string[]): Promise<number> {
  const { target } = await selectOne("show-ip", "show-ip NAME [--stack S] [--cwd DIR]", args);
  const hosts = new HostSet();
  try {
    const live = (await inspect(hosts.host(target), [target.name])).get(target.name)!;
    if (!live.state.ipAddress) {
      process.stderr.write(`nixos-containers: ${targetKey(target)} has no address: it needs privateNetwork with localAddress\n`);
      return 1;
    }
    process.stdout.write(live.state.ipAddress + "\n");
    return 0;
  } finally {
    await hosts.close();
  }
}
