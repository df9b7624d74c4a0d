/** `nixos-containers status NAME…`: unit state, since when, restarts, secret files (current or not); the last journal lines of a failed unit. */
import { status, type UnitStatus } from "../../deploy/operate";
import { HostSet, groupByHost, reportOutcomes } from "./hosts";
import { targetKey } from "./resolve";
import { selectTargets } from "./select";
import type { Target } from "./targets";
import { secretsStanding } from "../../lifecycle/secrets";

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
  // Which secret files it has and whether they are what the stack wrote: never their content.
  const secrets = secretsStanding(t.secrets, s.state.secrets);
  if (secrets.length > 0) lines.push("  secrets:", ...secrets.map((f) => `    /run/secrets/${f.file}: ${f.standing}`));
  if (s.journal.length > 0) lines.push(`  last journal lines of container@${t.name}.service:`, ...s.journal.map((l) => `    ${l}`));
  return lines.join("\n") + "\n";
}

export async function statusCommand(args: string[]): Promise<number> {
  const { targets } = await selectTargets("status", USAGE, args);
  const hosts = new HostSet();
  try {
    const outcomes = await hosts.forEach(groupByHost(targets), (host, g) => status(host, g.targets.map((t) => t.name)));
    return reportOutcomes(outcomes, (value, group) => {
      for (const t of group.targets) process.stdout.write(describeStatus(t, value.get(t.name)!));
      return true;
    });
  } finally {
    await hosts.close();
  }
}
