/** `nixos-containers start|stop|restart NAME…`: through `nixos-container` on each host, hosts in parallel. */
import { power } from "../../deploy/operate";
import type { PowerAction } from "../../deploy/ops-scripts";
import { HostSet, groupByHost, reportOutcomes } from "./hosts";
import { targetKey } from "./resolve";
import { selectTargets } from "./select";

const DONE: Record<PowerAction, string> = { start: "started", stop: "stopped", restart: "restarted" };

export function powerCommand(action: PowerAction) {
  return async (args: string[]): Promise<number> => {
    const { targets } = await selectTargets(action, `${action} NAME… [--stack S] [--cwd DIR]`, args);
    const hosts = new HostSet();
    try {
      const outcomes = await hosts.forEach(groupByHost(targets), (host, g) => power(host, action, g.targets.map((t) => t.name)));
      return reportOutcomes(outcomes, (value, group) => {
        let ok = true;
        for (const t of group.targets) {
          const r = value.find((x) => x.name === t.name)!;
          if (r.status === 0) {
            process.stdout.write(`${targetKey(t)}: ${DONE[action]} (${r.active})\n`);
          } else {
            ok = false;
            process.stderr.write(`nixos-containers: ${targetKey(t)}: nixos-container ${action} failed (exit ${r.status}):\n${r.output.map((l) => `  ${l}\n`).join("")}`);
          }
        }
        return ok;
      });
    } finally {
      await hosts.close();
    }
  };
}
