/**
 * `extraFlags` checked the way systemd-nspawn will read them, before any
 * host is touched: every item must be an option nspawn knows, with a value
 * exactly when the option takes one; options NixOS's start script already
 * passes, or that a container option sets, are refused with that option
 * (reference C.4, H). The items have already passed the NAME.conf format.
 */
import type { Problem } from "../inputs/problems";
import { NSPAWN_OPTIONS, NSPAWN_SHORT, type NspawnArgument } from "./nspawn-options";
import { nearestName } from "./suggest";

/** Options the container@NAME start script passes itself, or that a container option writes for you. */
const USE_INSTEAD: Readonly<Record<string, string>> = {
  directory: "NixOS passes -D with the container's root (/var/lib/nixos-containers/NAME); to run another system, use path or config",
  template: "NixOS passes -D with the container's root; nspawn cannot combine it with --template",
  image: "NixOS passes -D with the container's root; nspawn cannot combine it with --image",
  "oci-bundle": "NixOS passes -D with the container's root and runs the NixOS init, not an OCI bundle",
  machine: "NixOS passes -M with the container name; rename the container with name instead",
  "keep-unit": "NixOS already passes --keep-unit (the container runs inside container@NAME.service)",
  "notify-ready": "NixOS already passes --notify-ready=yes (container@NAME.service is Type=notify)",
  "kill-signal": "NixOS already passes --kill-signal=SIGRTMIN+3 so that the container shuts down cleanly",
  "link-journal": "NixOS already passes --link-journal=try-guest (and drops it for ephemeral containers)",
  boot: "NixOS starts the container's NixOS init itself; --boot would look for another init",
  "as-pid2": "NixOS starts the container's NixOS init as PID 1; --as-pid2 would run it as PID 2",
  ephemeral: "use ephemeral: true",
  capability: 'use additionalCapabilities (e.g. ["CAP_NET_ADMIN"]); NixOS writes them as its own --capability= (enableTun adds CAP_NET_ADMIN there)',
  bind: "use bindMounts (with isReadOnly: false); NixOS also writes it to RequiresMountsFor=",
  "bind-ro": "use bindMounts; NixOS also writes it to RequiresMountsFor=",
  tmpfs: "use tmpfs",
  "private-network": "use privateNetwork: true",
  "network-veth": "use privateNetwork: true with hostAddress and localAddress (NixOS passes --network-veth and configures both ends)",
  "network-bridge": "use privateNetwork: true with hostBridge",
  "network-veth-extra": "use extraVeths",
  "network-interface": "use interfaces",
  "network-macvlan": "use macvlans",
  "network-namespace-path": "use networkNamespace",
  port: "use forwardPorts (with privateNetwork: true)",
  "private-users": 'use privateUsers ("pick", "identity" or a UID)',
  slice: "with NixOS's --keep-unit, nspawn ignores --slice (the container stays in container@NAME.service, in machine.slice); set limits with resources",
  register: "nixos-container and machinectl need the container registered with systemd-machined",
  help: "it prints the help text and exits, so the container never starts",
  version: "it prints the version and exits, so the container never starts",
};

/** Flags that guides show for limits but systemd-nspawn does not have, by the resources field that does the job. */
const RESOURCE_LIKE: readonly [RegExp, string][] = [
  [/^(memory|mem)(-(limit|max))?$|^memory-limit/, "memoryMax"],
  [/^memory-(high|soft|reservation)/, "memoryHigh"],
  [/swap/, "memorySwapMax"],
  [/^cpu-?(shares?|weight)$/, "cpuWeight"],
  [/^(cpuset|cpu-set|cpus?-allowed|allowed-cpus)/, "allowedCPUs"],
  [/^(cpu|cpus)(-(quota|limit|max|period))?$|^cpu-quota/, "cpuQuota"],
  [/^(tasks|pids)(-(max|limit))?$/, "tasksMax"],
  [/^(io|blkio)-?(weight)?$/, "ioWeight"],
];

const KNOWN = Object.keys(NSPAWN_OPTIONS);

export function extraFlagProblems(flags: readonly string[]): Problem[] {
  return flags.flatMap((flag, i) => {
    const message = flagProblem(flag);
    return message ? [{ path: ["extraFlags", i], message }] : [];
  });
}

function flagProblem(flag: string): string | undefined {
  const parsed = parseFlag(flag);
  if (parsed === undefined) return undefined; // the format check already refused it
  const { long, argument, hasValue, spelled } = parsed;
  if (argument === undefined) return unknownOption(spelled, long);
  if (long === "property") {
    return `systemd-nspawn applies --property= only to a scope unit of its own, and NixOS starts it with --keep-unit inside container@NAME.service, so it would limit nothing; set the limit with resources (e.g. resources: { memoryMax: "1G" })`;
  }
  const instead = USE_INSTEAD[long];
  if (instead) return `${spelled} is refused: ${instead}`;
  if (argument === "required" && !hasValue) return `${spelled} takes a value: write it as one item, ${spelled.startsWith("--") ? `${spelled}=VALUE` : `${spelled}VALUE`}`;
  if (argument === "none" && hasValue) return `${spelled} takes no value; write ${spelled} alone`;
  return undefined;
}

function unknownOption(spelled: string, long: string): string {
  const resource = RESOURCE_LIKE.find(([pattern]) => pattern.test(long))?.[1];
  if (resource) {
    return `systemd-nspawn has no option ${spelled}: it would fail to start the container. Limits of the whole container are settings of its host unit; use resources.${resource}`;
  }
  if (spelled.startsWith("--")) {
    const near = nearestName(long, KNOWN);
    return `systemd-nspawn has no option ${spelled}: it would fail to start the container${near ? `; did you mean --${near}?` : ""}`;
  }
  return `systemd-nspawn has no option ${spelled}: it would fail to start the container; its one-letter options are -${Object.keys(NSPAWN_SHORT).join(", -")}`;
}

interface ParsedFlag {
  long: string;
  argument: NspawnArgument | undefined;
  hasValue: boolean;
  /** The option as written, without its value: "--bind", "-E". */
  spelled: string;
}

function parseFlag(flag: string): ParsedFlag | undefined {
  if (flag.startsWith("--")) {
    const eq = flag.indexOf("=");
    const long = eq < 0 ? flag.slice(2) : flag.slice(2, eq);
    return { long, argument: NSPAWN_OPTIONS[long], hasValue: eq >= 0, spelled: `--${long}` };
  }
  if (!flag.startsWith("-") || flag.length < 2) return undefined;
  const short = NSPAWN_SHORT[flag[1]];
  const spelled = flag.slice(0, 2);
  if (!short) return { long: flag.slice(1), argument: undefined, hasValue: false, spelled };
  // getopt reads `-Evalue` as -E with the value "value", and `-qx` as -q -x: check each letter.
  if (short.argument === "none" && flag.length > 2) {
    const rest = flag.slice(2);
    const bad = [...rest].find((c) => !NSPAWN_SHORT[c] || NSPAWN_SHORT[c].argument !== "none");
    if (bad) return { long: short.long, argument: "none", hasValue: true, spelled };
    const refused = [short.long, ...[...rest].map((c) => NSPAWN_SHORT[c].long)].find((l) => USE_INSTEAD[l]);
    return { long: refused ?? short.long, argument: "none", hasValue: false, spelled: refused ? `-${[...flag.slice(1)].find((c) => NSPAWN_SHORT[c].long === refused)}` : spelled };
  }
  return { long: short.long, argument: short.argument, hasValue: flag.length > 2, spelled };
}
