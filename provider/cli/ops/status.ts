/** `nixos-containers status NAME…`: unit state, since when, restarts; the last journal lines of a failed unit. */
import { status, type UnitStatus } from "../../deploy/operate";
import { HostSet, groupByHost } from "./hosts";
import { targetKey } from "./resolve";
import { selectTargets } from "./select";
import type { Target } from "./targets";

const USAGE = "status NAME… [--stack S] [--cwd DIR]";

export function describeStatus(t: Target, s: UnitStatus): string {
  const u = (k: string) => s.unit.get(k) || "";
  const state = s.state.status === "gone" && s.active !== "active" ? "missing (no such container on the host)" : `${u("ActiveState") || s.active} (${u("SubState") || "?"})`;
  const since = u("ActiveState") === "active" ? u("ActiveEnterTimestamp") : u("StateChangeTimestamp");
  const lines = [`${targetKey(t)}: ${state}${since ? ` since ${since}` : ""}`];
  if (s.state.status !== "gone") {
    lines.push(`  restarts: ${u("NRestarts") || "0"}`);
    if (s.running) lines.push(`  system:   ${s.running}`);
    if (s.state.ipAddress) lines.push(`  address:  ${s.state.ipAddress}`);
  }
  if (s.journal.length > 0) lines.push(`  last journal lines of container@${t.name}.service:`, ...s.journal.map((l) => `    ${l}`));
  return lines.join("\n") + "\n";
}

export async function statusCommand(args: string[]): Promise<number> {
  const { targets } = await selectTargets("status", USAGE, args);
  const hosts = new HostSet();
  try {
    const outcomes = await hosts.forEach(groupByHost(targets), (host, g) => status(host, g.targets.map((t) => t.name)));
    let code = 0;
    for (const o of outcomes) {
      if (o.error) {
        process.stderr.write(`nixos-containers: ${o.group.name}: ${o.error.message}\n`);
        code = 1;
        continue;
      }
      for (const t of o.group.targets) process.stdout.write(describeStatus(t, o.value.get(t.name)!));
    }
    return code;
  } finally {
    await hosts.close();
  }
}
