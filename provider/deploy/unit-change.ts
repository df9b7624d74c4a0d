/**
 * What a changed container@NAME.service means for the container running under it.
 *
 * switch-to-configuration reloads systemd (daemon-reload) and restarts a changed container unit
 * only for autoStart with restartIfChanged (reference E.3). A running container it leaves alone
 * gets just what the reload gives it:
 * - its resource control and DeviceAllow=/DevicePolicy= (cgroup settings): after a reload systemd
 *   invalidates every realized cgroup setting of each unit and realizes the loaded ones again
 *   (src/core/unit-serialize.c, unit_deserialize_state; on cgroup v2 the device list is a BPF
 *   program attached anew to the unit's cgroup, systemd/systemd#17489);
 * - the settings systemd reads only at a later step of the unit, which then come from the loaded
 *   unit: TimeoutStartSec= at the next start, ExecReload= at the next reload, ExecStop*=,
 *   KillMode=, KillSignal=, TimeoutStopSec= at the next stop, Restart*= and SuccessExitStatus= when
 *   it exits; the [Unit] and [Install] sections (descriptions and dependencies of later jobs) and
 *   NixOS's X- settings, which switch-to-configuration reads;
 * - nothing of the rest of [Service]: systemd reads it when it starts the container. That is the
 *   start script with its systemd-nspawn flags (ephemeral, additionalCapabilities, enableTun's
 *   capability, tmpfs, extraVeths: written into ExecStart and its pre/post scripts), its
 *   environment (Environment=, EnvironmentFile=) and RuntimeDirectory=. Only a restart applies it.
 * An unknown [Service] setting counts as one of those: restarting is how it is sure to apply.
 */

/** Applied to the running container by the switch's daemon-reload. */
const CGROUP = new Set(["MemoryMax", "MemoryHigh", "MemorySwapMax", "MemoryMin", "MemoryLow", "CPUQuota", "CPUWeight", "AllowedCPUs", "TasksMax", "IOWeight", "DeviceAllow", "DevicePolicy"]);

/** Read at a later step of the unit (start, reload, stop, exit), from the unit loaded then. */
const LATER = new Set(["TimeoutStartSec", "TimeoutStopSec", "TimeoutSec", "ExecReload", "ExecStop", "ExecStopPost", "KillMode", "KillSignal", "Restart", "RestartSec", "RestartForceExitStatus", "SuccessExitStatus"]);

export interface UnitChange {
  /** Settings only a restart applies to the running container. */
  restart: string[];
  /** Settings the switch's daemon-reload applied to it. */
  applied: string[];
  /** [Service] settings that take effect at the unit's next start, reload or stop. */
  later: string[];
  /** The rest: [Unit] and [Install] (dependencies of later jobs), NixOS's X- settings (switch-to-configuration's). */
  other: string[];
}

/** `KEY=VALUE` lines by section and key, as `systemctl cat` prints the unit (its `#` lines are the file names). */
function settings(unitText: string): Map<string, { section: string; key: string; values: string[] }> {
  const out = new Map<string, { section: string; key: string; values: string[] }>();
  let section = "";
  for (const raw of unitText.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const id = `${section}\0${key}`;
    const entry = out.get(id) ?? { section, key, values: [] };
    entry.values.push(line.slice(eq + 1).trim());
    out.set(id, entry);
  }
  return out;
}

/**
 * The settings that differ between two texts of container@NAME.service (`systemctl cat`), by
 * what applies them to a running container. Null/undefined: no unit (nothing to compare).
 */
export function unitChange(before: string | null | undefined, after: string | null | undefined): UnitChange {
  const change: UnitChange = { restart: [], applied: [], later: [], other: [] };
  if (before == null || after == null || before === after) return change;
  const a = settings(before);
  const b = settings(after);
  for (const id of new Set([...a.keys(), ...b.keys()])) {
    const { section, key } = (a.get(id) ?? b.get(id))!;
    if ((a.get(id)?.values ?? []).join("\n") === (b.get(id)?.values ?? []).join("\n")) continue;
    if (section !== "Service" || key.startsWith("X-")) change.other.push(key);
    else if (LATER.has(key)) change.later.push(key);
    else if (CGROUP.has(key)) change.applied.push(key);
    else change.restart.push(key);
  }
  const tidy = (keys: string[]) => [...new Set(keys)].sort();
  return { restart: tidy(change.restart), applied: tidy(change.applied), later: tidy(change.later), other: tidy(change.other) };
}
