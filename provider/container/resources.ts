/**
 * `resources` as settings of the host's unit container@NAME.service: the
 * directive each field sets (systemd.resource-control(5)). NixOS writes
 * `systemd.services."container@NAME".serviceConfig` into that unit, next to
 * the settings of its containers module (reference C.3, H).
 */
import type { NixAttrs } from "../nix/value";

/** By resources field (the schema's field names follow this table). */
export const UNIT_DIRECTIVES = {
  memoryMax: "MemoryMax",
  memoryHigh: "MemoryHigh",
  memorySwapMax: "MemorySwapMax",
  cpuQuota: "CPUQuota",
  cpuWeight: "CPUWeight",
  allowedCPUs: "AllowedCPUs",
  tasksMax: "TasksMax",
  ioWeight: "IOWeight",
} as const;

type ResourceValues = Partial<Record<keyof typeof UNIT_DIRECTIVES, string | number>>;

/** The serviceConfig attributes for `resources`, in a fixed order; empty when nothing is limited. */
export function unitSettings(resources: ResourceValues | undefined): NixAttrs {
  const settings: NixAttrs = {};
  for (const [field, directive] of Object.entries(UNIT_DIRECTIVES) as [keyof typeof UNIT_DIRECTIVES, string][]) {
    const value = resources?.[field];
    if (value !== undefined) settings[directive] = value;
  }
  return settings;
}

const SUFFIX_POWER: Readonly<Record<string, number>> = { K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** A memory size in bytes (base 1024, as systemd parses it), or undefined for a percentage or "infinity". */
export function sizeInBytes(size: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGTPE]?)$/.exec(size);
  return m ? Number(m[1]) * 1024 ** (SUFFIX_POWER[m[2]] ?? 0) : undefined;
}
