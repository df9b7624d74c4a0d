/** The operations commands of the CLI: they act on the running containers of a stack. */
import { lsCommand } from "./ls";
import { logsCommand } from "./logs";
import { powerCommand } from "./power";
import { rootLoginCommand } from "./root-login";
import { runCommand } from "./run";
import { showIpCommand } from "./show-ip";
import { statusCommand } from "./status";

export const OPS_USAGE = `operating the containers of a stack (its state read with \`pulumi stack export --show-secrets\`):
  ls [--json]               every container: host, name, status, address, the system it runs, drift
  status NAME…              unit state, since when, restarts; the last journal lines when it failed
  start|stop|restart NAME…  through nixos-container on the host; hosts in parallel
  run NAME -- CMD…          run CMD inside the container; exits with its exit status
  root-login NAME           an interactive root shell inside the container
  logs NAME [-f] [-n N]     the container's journal; -f follows
  show-ip NAME              its address
  NAME is a container name, or HOST/NAME when it is on several hosts.
  --stack S, --cwd DIR      the stack and the project directory (default: the current stack of .)
`;

export const opsCommands: Record<string, (args: string[]) => Promise<number>> = {
  ls: lsCommand,
  status: statusCommand,
  start: powerCommand("start"),
  stop: powerCommand("stop"),
  restart: powerCommand("restart"),
  run: runCommand,
  "root-login": rootLoginCommand,
  logs: logsCommand,
  "show-ip": showIpCommand,
};
