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
import { hasHostBitsUnderPrefix, parseAddress } from "./formats";


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

  if (args.privateNetwork) errors.push(...addressProblems(args, [], `ve-${name}`, true));
  for (const [veth, options] of Object.entries(args.extraVeths ?? {})) errors.push(...addressProblems(options, ["extraVeths", veth], veth, false));

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

  warnings.push(...healthWarnings(args));

  if (args.privateNetwork && name.length > PRIVATE_NETWORK_NAME_LIMIT) {
    warnings.push({
      path: ["name"],
      message: `"${name}" is ${name.length} characters long: with privateNetwork, NixOS refuses names longer than ${PRIVATE_NETWORK_NAME_LIMIT} characters on hosts with a kernel up to 5.8 (the interface ve-NAME would be too long); it works on newer kernels`,
    });
  }
  return { errors: errors.map((e) => ({ ...e, rule: true as const })), warnings };
}

/** Health check settings that can never do what they say. */
function healthWarnings(args: NixosContainerArgs): Problem[] {
  const checks = args.healthChecks;
  if (checks === undefined) {
    return args.rollback === undefined
      ? []
      : [{ path: ["rollback"], message: "rollback acts on a container that fails its healthChecks, and there are none: nothing is checked, so nothing is rolled back; add healthChecks (healthChecks: {} checks that its systemd is running)" }];
  }
  const warnings: Problem[] = [];
  if (args.rebuildAction === "boot") {
    warnings.push({ path: ["healthChecks"], message: 'healthChecks do not run with rebuildAction "boot": nothing is activated until the host boots, so there is nothing to check yet' });
  }
  (checks.commands ?? []).forEach((c, i) => {
    if (c.timeoutSeconds !== undefined && c.timeoutSeconds > checks.timeoutSeconds) {
      warnings.push({
        path: ["healthChecks", "commands", i, "timeoutSeconds"],
        message: `${c.timeoutSeconds} s is longer than the whole check may take (healthChecks.timeoutSeconds, ${checks.timeoutSeconds} s): the command is stopped at that time anyway; raise healthChecks.timeoutSeconds`,
      });
    }
  });
  return warnings;
}

interface VethAddresses {
  hostBridge?: string;
  hostAddress?: string;
  hostAddress6?: string;
  localAddress?: string;
  localAddress6?: string;
}

/**
 * Addresses NixOS takes (its options are plain strings) but the container's start scripts
 * then fail on, so that the container never starts: nixpkgs' containerInit (inside, under
 * `-e`) and postStart (on the host, errexit). `hostIface` is the veth's host-side name; `main`
 * is the container's own veth, whose hostAddress the container also makes its default route.
 */
function addressProblems(v: VethAddresses, at: string[], hostIface: string, main: boolean): Problem[] {
  const problems: Problem[] = [];
  const problem = (key: keyof VethAddresses, message: string) => problems.push({ path: [...at, key], message });
  const host = v.hostAddress === undefined ? undefined : parseAddress(v.hostAddress);
  const host6 = v.hostAddress6 === undefined ? undefined : parseAddress(v.hostAddress6);
  const local = v.localAddress === undefined ? undefined : parseAddress(v.localAddress);
  const local6 = v.localAddress6 === undefined ? undefined : parseAddress(v.localAddress6);
  const inside = main ? "eth0" : hostIface;

  if (main) {
    // containerInit: `ip route add default via $HOST_ADDRESS` (and `ip -6 route add default via
    // $HOST_ADDRESS6`); a gateway is an address, never address/prefix.
    for (const [key, a] of [["hostAddress", host], ["hostAddress6", host6]] as const) {
      if (a?.prefix === undefined) continue;
      problem(
        key,
        `${key} takes no prefix length: the container makes it its default gateway ("ip${key === "hostAddress6" ? " -6" : ""} route add default via ${v[key]}" in its start script, which ip refuses), so the container would not start; write "${a.address}" (a prefix belongs on ${key === "hostAddress6" ? "localAddress6" : "localAddress, with hostBridge"})`,
      );
    }
    if (host?.family === 6 && host6 !== undefined) {
      problem(
        "hostAddress",
        `hostAddress is an IPv6 address and hostAddress6 is set too: the container's start script makes each its IPv6 default route, and the second "ip -6 route add default" fails (File exists), so the container would not start; give the host's IPv6 address in one of them only`,
      );
    }
  } else if (host !== undefined && hasHostBitsUnderPrefix(host)) {
    // containerInit: `ip route add HOSTADDRESS dev VETH`.
    problem(
      "hostAddress",
      `hostAddress "${v.hostAddress}": the container routes to it with "ip route add ${v.hostAddress} dev ${hostIface}", which Linux refuses for an IPv4 address with bits set below its prefix (Invalid prefix for given prefix length), so the container would not start; write "${host.address}"`,
    );
  }
  // postStart, without a bridge: `ip route add LOCALADDRESS dev HOSTIFACE` on the host.
  if (local !== undefined && v.hostBridge === undefined && hasHostBitsUnderPrefix(local)) {
    problem(
      "localAddress",
      `localAddress "${v.localAddress}" has a prefix length, which needs hostBridge: without a bridge the host routes to the container with "ip route add ${v.localAddress} dev ${hostIface}", which Linux refuses for an IPv4 address with bits set below its prefix (Invalid prefix for given prefix length), so the container would not start; write "${local.address}" (routed as /32), or put ${main ? "the container" : "this veth"} on a bridge with hostBridge`,
    );
  }
  // The same IPv6 address given twice: the second `ip -6 addr add` fails (address already assigned).
  const same = (a?: { address: string }, b?: { address: string }) => a !== undefined && b !== undefined && expandIPv6(a.address) === expandIPv6(b.address);
  if (local?.family === 6 && same(local, local6)) {
    problem("localAddress", `localAddress and localAddress6 are the same address: ${inside} would get it twice ("ip -6 addr add" fails: address already assigned), so the container would not start; give it in localAddress6 only`);
  }
  if (!main && host?.family === 6 && same(host, host6)) {
    problem("hostAddress", `hostAddress and hostAddress6 are the same address: ${hostIface} would get it twice ("ip -6 addr add" fails: address already assigned), so the container would not start; give it in hostAddress6 only`);
  }
  return problems;
}

/** An IPv6 address in one canonical spelling, to compare two of them. */
function expandIPv6(address: string): string {
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  let text = address.toLowerCase();
  if (tail) {
    const [a, b, c, d] = tail[1].split(".").map(Number);
    text = text.slice(0, -tail[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = rest ? rest.split(":") : [];
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(":");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
