/**
 * String formats of container options. Most of these values end up on a line
 * of the host's `/etc/nixos-containers/NAME.conf`, which systemd reads as an
 * EnvironmentFile and the container start script then word-splits unquoted
 * (reference/nixos-containers.md C.2, G.9). A quote, a backslash, a `$`, a
 * space or a glob character there either breaks the container or lets a
 * value turn into extra systemd-nspawn flags, so the formats are strict.
 */
import { isIPv4, isIPv6 } from "node:net";

export interface FormatCheck {
  test(value: string): boolean;
  /** What a valid value looks like, for the error message. */
  expected: string;
}

/** Characters that can never appear in a value that lands in NAME.conf. */
const CONF_UNSAFE = /[\s"'`$\\*?[\]{}()<>|;&#!~\x00-\x1f\x7f]/;

function prefixOk(prefix: string | undefined, max: number): boolean {
  if (prefix === undefined) return true;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix)) return false;
  return Number(prefix) <= max;
}

function splitPrefix(value: string): [string, string | undefined] {
  const slash = value.indexOf("/");
  return slash < 0 ? [value, undefined] : [value.slice(0, slash), value.slice(slash + 1)];
}

export const ipv4: FormatCheck = {
  test: (v) => {
    const [addr, prefix] = splitPrefix(v);
    return isIPv4(addr) && prefixOk(prefix, 32);
  },
  expected: "an IPv4 address, optionally with a prefix length (10.231.136.2 or 10.231.136.2/24)",
};

export const ipv6: FormatCheck = {
  test: (v) => {
    const [addr, prefix] = splitPrefix(v);
    return isIPv6(addr) && !addr.includes("%") && prefixOk(prefix, 128);
  },
  expected: "an IPv6 address, optionally with a prefix length (fc00::2 or fc00::2/64)",
};

/**
 * hostAddress/localAddress: NixOS types them `nullOr str` and its scripts hand them to `ip`,
 * which takes either family (nixpkgs' own containers-ip test runs an IPv6 pair through them).
 */
export const ipAddress: FormatCheck = {
  test: (v) => ipv4.test(v) || ipv6.test(v),
  expected: "an IPv4 or IPv6 address, optionally with a prefix length (10.231.136.2, 10.231.136.2/24, fc00::2 or fc00::2/64)",
};

export interface ParsedAddress {
  family: 4 | 6;
  address: string;
  prefix?: number;
}

/** An address that passed ipAddress (or ipv4/ipv6), split into its parts. */
export function parseAddress(v: string): ParsedAddress | undefined {
  if (!ipAddress.test(v)) return undefined;
  const [address, prefix] = splitPrefix(v);
  return { family: isIPv4(address) ? 4 : 6, address, ...(prefix !== undefined && { prefix: Number(prefix) }) };
}

/**
 * An IPv4 address with bits set below its prefix (10.0.0.2/24). Linux refuses it as a route
 * destination ("Invalid prefix for given prefix length"); IPv6 routes are masked instead.
 */
export function hasHostBitsUnderPrefix(a: ParsedAddress): boolean {
  if (a.family !== 4 || a.prefix === undefined || a.prefix === 32) return false;
  const bits = a.address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  return bits % 2 ** (32 - a.prefix) !== 0;
}

export const mac: FormatCheck = {
  test: (v) => /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(v),
  expected: "a MAC address of six hex pairs separated by colons (02:00:00:00:00:01)",
};

/** Linux interface names: at most 15 bytes, no `/`, no whitespace, not `.` or `..`. */
export const interfaceName: FormatCheck = {
  test: (v) => /^[A-Za-z0-9_.-]{1,15}$/.test(v) && v !== "." && v !== "..",
  expected: "a network interface name of 1 to 15 letters, digits, '.', '_' or '-'",
};

/**
 * An absolute path as systemd-nspawn takes it in `--bind=HOST:MOUNTPOINT`:
 * a colon would split it, whitespace would split the whole flag list.
 */
export const absolutePath: FormatCheck = {
  test: (v) =>
    v.startsWith("/") && !v.includes(":") && !CONF_UNSAFE.test(v) && !v.split("/").some((p) => p === ".."),
  expected: "an absolute path without spaces, quotes, ':', '..' or shell special characters (/var/lib/www)",
};

/** `--tmpfs=PATH[:OPTIONS]` of systemd-nspawn. */
export const tmpfsMount: FormatCheck = {
  test: (v) => {
    const colon = v.indexOf(":");
    const path = colon < 0 ? v : v.slice(0, colon);
    const options = colon < 0 ? "" : v.slice(colon + 1);
    return absolutePath.test(path) && /^[A-Za-z0-9=,._-]*$/.test(options);
  },
  expected: "an absolute path optionally followed by ':' and mount options (/var or /tmp:mode=1777,size=64m)",
};

/** One systemd-nspawn flag per list item; `EXTRA_NSPAWN_FLAGS` is word-split. */
export const nspawnFlag: FormatCheck = {
  test: (v) => /^--?[A-Za-z]/.test(v) && !CONF_UNSAFE.test(v),
  expected:
    "one systemd-nspawn flag such as --drop-capability=CAP_SYS_CHROOT (starting with '-', without spaces, quotes or shell special characters)",
};

export const capability: FormatCheck = {
  test: (v) => /^CAP_[A-Z0-9_]+$/.test(v),
  expected: "a capability name such as CAP_NET_ADMIN",
};

/** systemd.time(7) spans: "1min", "90s", "1h 30min", "infinity". */
export const timeSpan: FormatCheck = {
  test: (v) =>
    v === "infinity" ||
    /^([0-9]+(\.[0-9]+)?\s*(usec|us|µs|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)?\s*)+$/.test(
      v.trim(),
    ) && v.trim() === v,
  expected: 'a systemd time span such as "1min", "90s" or "2min 30s"',
};

/** `DeviceAllow=` nodes: a /dev path or a device group such as char-pts. */
export const deviceNode: FormatCheck = {
  test: (v) => (absolutePath.test(v) && v.startsWith("/dev/")) || /^(char|block)-[A-Za-z0-9_*-]+$/.test(v),
  expected: "a device node under /dev (/dev/net/tun) or a device group (char-pts)",
};

/** systemd device access modifiers: any non-empty combination of r, w, m, each once. */
export const deviceModifier: FormatCheck = {
  test: (v) => /^[rwm]{1,3}$/.test(v) && new Set(v).size === v.length,
  expected: 'a combination of the letters r, w and m, each at most once ("rw", "rwm")',
};

/**
 * A flake reference for `FLAKE=`. `#attr` fragments are refused: nixos-container
 * update reads FLAKE= back and appends its own `#nixosConfigurations...`,
 * which breaks a reference that already has one (reference D.3).
 */
export const flakeRef: FormatCheck = {
  test: (v) => /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9._~:/?&=+%@,-]+$/.test(v) || /^\/[A-Za-z0-9._~/+%@,=-]*$/.test(v),
  expected:
    "a flake reference without '#', spaces or quotes (github:owner/repo, git+https://host/repo?ref=main, path:/srv/flake); the configuration must be nixosConfigurations.container",
};

/** Anything that lands on a NAME.conf line unchecked by a stricter format. */
export const confSafe: FormatCheck = {
  test: (v) => v.length > 0 && !CONF_UNSAFE.test(v),
  expected: "a value without spaces, quotes, '$', '\\' or shell special characters",
};

/*
 * Resource-control values as systemd.resource-control(5) parses them. They
 * land in the host's container@NAME.service unit, not in NAME.conf, but they
 * are strict anyway: systemd refuses (and only logs) a value it cannot parse,
 * so a typo would silently leave the container unlimited.
 */

/** MemoryMax=/MemoryHigh=/MemorySwapMax=: bytes with a base-1024 suffix (K, M, G, T, P, E), a percentage of RAM, or infinity. */
export const memorySize: FormatCheck = {
  test: (v) =>
    v === "infinity" || /^[0-9]+(\.[0-9]+)?[KMGTPE]?$/.test(v) || (/^[0-9]+(\.[0-9]+)?%$/.test(v) && Number(v.slice(0, -1)) <= 100),
  expected:
    'a size in bytes with an optional suffix K, M, G, T, P or E (base 1024, upper case, no "B": "512M", "1G", "1.5G"), a percentage of the host\'s RAM ("25%"), or "infinity"',
};

/** CPUQuota=: a percentage of one CPU's time, above 100% for more than one CPU. */
export const cpuQuota: FormatCheck = {
  test: (v) => /^[0-9]+(\.[0-9]{1,2})?%$/.test(v) && Number(v.slice(0, -1)) > 0,
  expected: 'a percentage of one CPU, greater than 0 ("50%" for half a CPU, "200%" for two CPUs)',
};

/** AllowedCPUs=: CPU indices and ranges, separated by commas or spaces. */
export const cpuSet: FormatCheck = {
  test: (v) => /^[0-9]+(-[0-9]+)?([, ][0-9]+(-[0-9]+)?)*$/.test(v) && v.split(/[, ]/).every((r) => { const [a, b] = r.split("-").map(Number); return b === undefined || a <= b; }),
  expected: 'CPU indices and ranges separated by commas ("0-3", "0,2,4-7")',
};

/** TasksMax=: a number of tasks, a percentage of the kernel's limit, or infinity. */
export const tasksMax: FormatCheck = {
  test: (v) => v === "infinity" || /^[1-9][0-9]*$/.test(v) || (/^[0-9]+(\.[0-9]+)?%$/.test(v) && Number(v.slice(0, -1)) > 0 && Number(v.slice(0, -1)) <= 100),
  expected: 'a number of tasks (512), a percentage of the kernel\'s limit ("10%"), or "infinity"',
};

/*
 * Health checks (health-schema.ts). They never land in NAME.conf: each value reaches the
 * container quoted as one argument. The formats only keep out what the check cannot use.
 */

/** A systemd unit name as `systemctl is-active` takes it (without a suffix it means NAME.service). */
export const unitName: FormatCheck = {
  test: (v) => /^[A-Za-z0-9:_.\\@-]{1,255}$/.test(v) && !v.startsWith("-"),
  expected: "a systemd unit name such as postgresql.service or nginx (letters, digits, ':', '_', '.', '\\', '@', '-')",
};

/** Where a tcp or http check connects inside the container: a hostname or an IP address, no port. */
export const probeHost: FormatCheck = {
  test: (v) => isIPv4(v) || isIPv6(v) || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(v),
  expected: "a hostname or an IP address without a port (127.0.0.1, ::1, localhost)",
};

/** The path of an http check: the request line's target, so no whitespace or control characters. */
export const httpPath: FormatCheck = {
  test: (v) => v.startsWith("/") && v.length <= 2048 && !/[\s\x00-\x1f\x7f]/.test(v),
  expected: "a path starting with '/' without spaces or control characters (/health, /status?full=1)",
};
