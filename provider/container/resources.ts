/**
 * `resources` as settings of the host's unit container@NAME.service: the
 * directive each field sets (systemd.resource-control(5)). NixOS writes
 * `systemd.services."container@NAME".serviceConfig` into that unit, next to
 * the settings of its containers module (reference C.3, H).
 */
import type { NixAttrs } from "../nix/value";
import type { Resources } from "./schema";

export const UNIT_DIRECTIVES: Readonly<Record<keyof Resources, string>> = {
  memoryMax: "MemoryMax",
  memoryHigh: "MemoryHigh",
  memorySwapMax: "MemorySwapMax",
  cpuQuota: "CPUQuota",
  cpuWeight: "CPUWeight",
  allowedCPUs: "AllowedCPUs",
  tasksMax: "TasksMax",
  ioWeight: "IOWeight",
};

/** The serviceConfig attributes for `resources`, in a fixed order; empty when nothing is limited. */
export function unitSettings(resources: Resources | undefined): NixAttrs {
  const settings: NixAttrs = {};
  for (const [field, directive] of Object.entries(UNIT_DIRECTIVES) as [keyof Resources, string][]) {
    const value = resources?.[field];
    if (value !== undefined) settings[directive] = value;
  }
  return settings;
}
