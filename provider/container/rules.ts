/**
 * Rules that span several options. NixOS either fails on these late (an
 * assertion during the host rebuild) or, worse, silently ignores an option;
 * both are caught here, before any host is touched.
 */
import type { NixosContainerArgs } from "./schema";
import { PRIVATE_NETWORK_ONLY } from "./schema";
import { PRIVATE_NETWORK_NAME_LIMIT } from "./names";
import { sizeInBytes } from "./resources";
import type { Problem } from "../inputs/problems";


export function crossFieldProblems(args: NixosContainerArgs, name: string): { errors: Problem[]; warnings: Problem[] } {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];

  const sources = (["config", "path", "flake"] as const).filter((k) => args[k] !== undefined);
  if (sources.length > 1) {
    errors.push({
      path: [sources[1]],
      message: `${sources.join(" and ")} cannot both be set: a container runs either a configuration (config), a prebuilt system (path) or a flake (flake); remove one`,
    });
  }

  if (args.networkNamespace !== undefined) {
    if (args.privateNetwork) {
      errors.push({
        path: ["networkNamespace"],
        message: "networkNamespace cannot be combined with privateNetwork (NixOS: they are mutually exclusive); remove one of them",
      });
    }
    if (args.interfaces && args.interfaces.length > 0) {
      errors.push({
        path: ["networkNamespace"],
        message: "networkNamespace cannot be combined with interfaces (NixOS: they are mutually exclusive); remove one of them",
      });
    }
  }

  if (!args.privateNetwork) {
    for (const key of PRIVATE_NETWORK_ONLY) {
      const value = args[key];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      errors.push({
        path: [key],
        message: `${key} only takes effect with privateNetwork: true (NixOS silently ignores it otherwise); set privateNetwork: true or remove ${key}`,
      });
    }
  }

  if (args.hostBridge !== undefined) {
    for (const key of ["hostAddress", "hostAddress6"] as const) {
      if (args[key] !== undefined) {
        errors.push({
          path: [key],
          message: `${key} cannot be combined with hostBridge: with a bridge the host side has no address of its own; remove ${key}, or hostBridge`,
        });
      }
    }
  }
  for (const [veth, options] of Object.entries(args.extraVeths ?? {})) {
    if (options.hostBridge === undefined) continue;
    for (const key of ["hostAddress", "hostAddress6"] as const) {
      if (options[key] !== undefined) {
        errors.push({
          path: ["extraVeths", veth, key],
          message: `${key} cannot be combined with hostBridge on the same veth; remove one of them`,
        });
      }
    }
  }

  const seenPorts = new Map<string, number>();
  (args.forwardPorts ?? []).forEach((p, i) => {
    const key = `${p.protocol ?? "tcp"}/${p.hostPort}`;
    const first = seenPorts.get(key);
    if (first !== undefined) {
      errors.push({
        path: ["forwardPorts", i, "hostPort"],
        message: `host port ${key} is already forwarded by forwardPorts[${first}]`,
      });
    } else seenPorts.set(key, i);
  });

  const mountPoints = new Map<string, string>();
  for (const [key, mount] of Object.entries(args.bindMounts ?? {})) {
    const mountPoint = mount.mountPoint ?? key;
    const other = mountPoints.get(mountPoint);
    if (other !== undefined) {
      errors.push({ path: ["bindMounts", key, "mountPoint"], message: `mount point ${mountPoint} is already used by bindMounts["${other}"]` });
    } else mountPoints.set(mountPoint, key);
  }

  // A top-level NixOS option is never one dotted name; `networking.hostName`
  // as a key is one attribute whose name contains dots, not an option path.
  if (args.config && typeof args.config === "object" && !("$nix" in args.config)) {
    for (const key of Object.keys(args.config)) {
      if (/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(key)) {
        const [head, ...rest] = key.split(".");
        warnings.push({
          path: ["config", key],
          message: `"${key}" is one attribute name containing dots, not an option path, so NixOS will not find the option; nest it instead (${head}: { ${rest.join(": { ")}: … }})`,
        });
      }
    }
  }

  const high = args.resources?.memoryHigh;
  const max = args.resources?.memoryMax;
  if (high !== undefined && max !== undefined && (sizeInBytes(high) ?? 0) > (sizeInBytes(max) ?? Infinity)) {
    warnings.push({
      path: ["resources", "memoryHigh"],
      message: `memoryHigh (${high}) is above memoryMax (${max}): the container hits the hard limit (and the OOM killer) before it is ever throttled; set memoryHigh below memoryMax`,
    });
  }

  // The guides' way to limit a container: a slice in its own config. It shapes units inside the
  // container and limits nothing of the container as a whole (reference H).
  const containerSystemd = isRecord(args.config) && !("$nix" in args.config) ? args.config.systemd : undefined;
  if (isRecord(containerSystemd) && containerSystemd.slices !== undefined) {
    warnings.push({
      path: ["config", "systemd", "slices"],
      message:
        'a slice in the container\'s own config shapes units inside the container, not the container itself; to limit the whole container, use resources (e.g. resources: { cpuQuota: "50%", memoryMax: "1G" })',
    });
  }

  if (args.privateNetwork && name.length > PRIVATE_NETWORK_NAME_LIMIT) {
    warnings.push({
      path: ["name"],
      message: `"${name}" is ${name.length} characters long: with privateNetwork, NixOS refuses names longer than ${PRIVATE_NETWORK_NAME_LIMIT} characters on hosts with a kernel up to 5.8 (the interface ve-NAME would be too long); it works on newer kernels`,
    });
  }
  return { errors: errors.map((e) => ({ ...e, rule: true as const })), warnings };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
