/**
 * The NixosContainer inputs. This zod schema is the source of the TypeScript
 * types (z.input / z.output) and of schema.json (scripts/gen-schema.ts); the
 * option descriptions follow reference/nixos-containers.md section A.
 */
import { z } from "zod";
import "../inputs/meta";
import { ConnectionSchema } from "../inputs/connection";
import { NixAttrsSchema, NixPathSchema, NixRawSchema } from "./nix-value-schema";
import * as f from "./formats";
import { formatted, port } from "./fields";
import { UNIT_DIRECTIVES } from "./resources";
import { SecretsSchema } from "./secrets";
import { HealthChecksSchema, RollbackSchema } from "./health-schema";

const opt = (option: string) => `containers.<name>.${option}`;

export const ProtocolSchema = z
  .enum(["tcp", "udp"], { message: 'expected "tcp" or "udp"' })
  .meta({ description: "Transport protocol of a forwarded port." });

export const RebuildActionSchema = z
  .enum(["switch", "test", "boot"], { message: 'expected "switch", "test" or "boot"' })
  .meta({ description: "The nixos-rebuild action that applies changes." });

export const UpdateStrategySchema = z
  .enum(["reload", "restart", "none"], { message: 'expected "reload", "restart" or "none"' })
  .meta({ description: "How a running container is brought onto its new system." });

export const ForwardPortSchema = z
  .object({
    protocol: ProtocolSchema.optional().meta({
      description: 'Protocol of the forwarded port: "tcp" or "udp".',
      nixosDefault: "tcp",
    }),
    hostPort: port.meta({ description: "Port on the host." }),
    containerPort: port.optional().meta({
      description: "Port inside the container; the host port when unset.",
    }),
  })
  .strict()
  .meta({ description: "A port forwarded from the host into the container (requires privateNetwork)." });

export const BindMountSchema = z
  .object({
    mountPoint: formatted(f.absolutePath).optional().meta({
      description: "Mount point inside the container; the attribute name when unset.",
    }),
    hostPath: formatted(f.absolutePath).optional().meta({
      description: "Path on the host; the mount point when unset.",
    }),
    isReadOnly: z.boolean().optional().meta({
      description: "Mount read-only (--bind-ro) rather than read-write (--bind).",
      nixosDefault: true,
    }),
  })
  .strict()
  .meta({ description: "A host directory bind-mounted into the container." });

export const AllowedDeviceSchema = z
  .object({
    node: formatted(f.deviceNode).meta({ description: "Device node path, e.g. /dev/net/tun, or a group such as char-pts." }),
    modifier: formatted(f.deviceModifier).meta({
      description: 'Access: a combination of r (read), w (write) and m (mknod), e.g. "rwm".',
    }),
  })
  .strict()
  .meta({ description: "A device the container may access (systemd DeviceAllow=)." });

const unitSetting = (field: keyof typeof UNIT_DIRECTIVES) => `systemd.services."container@<name>".serviceConfig.${UNIT_DIRECTIVES[field]}`;
const weight = (what: string) => {
  const message = `expected ${what} weight (an integer from 1 to 10000)`;
  return z.number({ message }).int(message).min(1, message).max(10000, message);
};

/**
 * Limits of the container as a whole. They are settings of the host's unit
 * container@NAME.service (systemd.resource-control(5)): systemd-nspawn runs
 * with --keep-unit inside that unit, so neither its --property= nor a slice
 * inside the container's own config limits it (reference H).
 */
export const ResourcesSchema = z
  .object({
    memoryMax: formatted(f.memorySize).optional().meta({
      description:
        'Hard memory limit (MemoryMax=): beyond it the kernel reclaims memory and then OOM-kills processes of the container. Bytes with a base-1024 suffix K, M, G, T ("512M", "2G"), a percentage of the host\'s RAM ("25%"), or "infinity".',
      nixosOption: unitSetting("memoryMax"),
    }),
    memoryHigh: formatted(f.memorySize).optional().meta({
      description:
        'Memory throttling point (MemoryHigh=): above it the container is slowed down and its memory reclaimed aggressively, but nothing is killed. Same units as memoryMax; keep it below memoryMax.',
      nixosOption: unitSetting("memoryHigh"),
    }),
    memorySwapMax: formatted(f.memorySize).optional().meta({
      description: 'Swap the container may use (MemorySwapMax=), e.g. "0" for none. Same units as memoryMax.',
      nixosOption: unitSetting("memorySwapMax"),
    }),
    cpuQuota: formatted(f.cpuQuota).optional().meta({
      description:
        'CPU time the container may use (CPUQuota=), as a percentage of one CPU: "50%" is half a CPU, "200%" two full CPUs. systemctl show reports it as CPUQuotaPerSecUSec (500ms for 50%).',
      nixosOption: unitSetting("cpuQuota"),
    }),
    cpuWeight: weight("a CPU").optional().meta({
      description: "Relative share of CPU time under contention (CPUWeight=), 1 to 10000; systemd's default is 100.",
      nixosOption: unitSetting("cpuWeight"),
    }),
    allowedCPUs: formatted(f.cpuSet).optional().meta({
      description: 'The CPUs the container may run on (AllowedCPUs=), as indices and ranges: "0-3", "0,2,4-7".',
      nixosOption: unitSetting("allowedCPUs"),
    }),
    tasksMax: z
      .union([z.number().int("expected a whole number of tasks").min(1, "expected at least 1 task"), formatted(f.tasksMax)], {
        message: `expected ${f.tasksMax.expected}`,
      })
      .optional()
      .meta({
        description:
          'Most processes and threads the container may have at once (TasksMax=): a number (512), a percentage of the kernel\'s limit ("10%"), or "infinity".',
        nixosOption: unitSetting("tasksMax"),
      }),
    ioWeight: weight("an IO").optional().meta({
      description: "Relative share of block IO under contention (IOWeight=), 1 to 10000; systemd's default is 100.",
      nixosOption: unitSetting("ioWeight"),
    }),
  })
  .strict()
  .meta({
    description:
      "Resource limits of the container as a whole: settings of the host's unit container@NAME.service. A change is applied to the running container without a restart (systemd applies a changed unit's resource settings when the switch reloads it), unless NixOS restarts the container anyway (autoStart with restartIfChanged) or updateStrategy is \"restart\".",
  });

/*
 * The addresses of a veth pair, as the container's start scripts use them (reference C.4;
 * nixpkgs' containerInit and postStart): the host side gets hostAddress and a route to
 * localAddress; the container side gets localAddress and a route to hostAddress. `ip` takes
 * either family for hostAddress/localAddress; hostAddress6/localAddress6 are IPv6 only.
 * rules.ts refuses the combinations those `ip` commands reject.
 */
const networkFields = {
  hostBridge: formatted(f.interfaceName).optional().meta({
    description:
      "Put the host side of the veth pair into this bridge. Only one of hostBridge and hostAddress/hostAddress6 can be given. Requires privateNetwork.",
    nixosOption: opt("hostBridge"),
  }),
  hostAddress: formatted(f.ipAddress).optional().meta({
    description:
      "Address of the host side of the veth pair (ve-NAME), IPv4 or IPv6, without a prefix length. The host's ve-NAME gets it, and the container routes to it and makes it its default gateway: an IPv4 address gives the container its IPv4 default route, an IPv6 one its IPv6 default route (so an IPv6 hostAddress cannot be combined with hostAddress6). Not used with hostBridge. Requires privateNetwork.",
    nixosOption: opt("hostAddress"),
  }),
  hostAddress6: formatted(f.ipv6).optional().meta({
    description:
      "IPv6 address of the host side of the veth pair, without a prefix length; the container's IPv6 default route goes via it (not used with hostBridge). Requires privateNetwork.",
    nixosOption: opt("hostAddress6"),
  }),
  localAddress: formatted(f.ipAddress).optional().meta({
    description:
      "Address of eth0 in the container, IPv4 or IPv6, optionally with a prefix length (default /32 for IPv4, /128 for IPv6). The host routes it to ve-NAME and names it NAME.containers in its /etc/hosts; the ipAddress output shows it (nixos-container show-ip only an IPv4 one). An IPv4 prefix needs hostBridge (give the bridge's prefix): without a bridge the host routes exactly this address. Requires privateNetwork.",
    nixosOption: opt("localAddress"),
  }),
  localAddress6: formatted(f.ipv6).optional().meta({
    description: "IPv6 address of eth0 in the container, optionally with a prefix (default /128). Requires privateNetwork.",
    nixosOption: opt("localAddress6"),
  }),
};

const veth = (option: string) => opt(`extraVeths.<veth>.${option}`);

/** An extra veth: the same addresses, without the default route the main veth's hostAddress gives. */
export const ExtraVethSchema = z
  .object({
    hostBridge: formatted(f.interfaceName).optional().meta({
      description: "Put the host side of this veth into this bridge. Only one of hostBridge and hostAddress/hostAddress6 can be given.",
      nixosOption: veth("hostBridge"),
    }),
    hostAddress: formatted(f.ipAddress).optional().meta({
      description:
        "Address of the host side of this veth, IPv4 or IPv6: the host's end gets it, and the container routes to it over this veth (no default route). An IPv4 address takes no prefix length. Not used with hostBridge.",
      nixosOption: veth("hostAddress"),
    }),
    hostAddress6: formatted(f.ipv6).optional().meta({
      description: "IPv6 address of the host side of this veth; the container routes to it over this veth. Not used with hostBridge.",
      nixosOption: veth("hostAddress6"),
    }),
    localAddress: formatted(f.ipAddress).optional().meta({
      description:
        "Address of this veth in the container, IPv4 or IPv6, optionally with a prefix length; the host routes it to its end of the veth. An IPv4 prefix needs hostBridge on this veth.",
      nixosOption: veth("localAddress"),
    }),
    localAddress6: formatted(f.ipv6).optional().meta({
      description: "IPv6 address of this veth in the container, optionally with a prefix length.",
      nixosOption: veth("localAddress6"),
    }),
  })
  .strict()
  .meta({ description: "An extra veth pair; its attribute name is the interface name (--network-veth-extra)." });

export const NixosContainerInputsSchema = z
  .object({
    name: z.string().optional().meta({
      description:
        "Container name: the NixOS attribute `containers.<name>`, the unit container@NAME and the hostname. Letters, digits and '-', at most 63 characters (11 with privateNetwork on kernels up to 5.8). Defaults to the Pulumi resource name. Changing it replaces the container.",
      replaceOnChanges: true,
    }),
    connection: ConnectionSchema,
    nixConfig: z.string().optional().meta({
      description:
        "The rendered Nix module that is written to the host. The SDK computes it from the other inputs so that `pulumi preview --diff` shows the Nix change line by line; the provider renders it again and refuses a mismatch. Do not set it yourself.",
    }),

    config: z
      .union([z.string().min(1, "a config string must hold a whole Nix module"), NixRawSchema, NixAttrsSchema], {
        message: 'expected an object (rendered to Nix), a string holding a whole Nix module, or {"$nix": "…"}',
      })
      .optional()
      .meta({
        description:
          "The container's NixOS configuration: an object rendered to Nix (use the nix`…` template or {\"$nix\": \"…\"} for raw Nix such as `with pkgs; [ vim ]`, which sees the container's own pkgs), or a string holding a whole NixOS module used as is, where `pkgs` and `lib` outside the module's function are the host's (for a definition built on the host's packages, e.g. `let customPkgs = pkgs.appendOverlays [ … ]; in { ... }: { nixpkgs.pkgs = customPkgs; }`). Everything here lands world-readable in /nix/store: never put secrets in it. Exclusive with flake and path. With none of config, path and flake the container runs a bare NixOS (the module renders `config = { ... }: { };`), as `nixos-container create` without --config gives.",
        nixosOption: opt("config"),
      }),
    // Unlike nixpkgs, path lands in NAME.conf (SYSTEM_PATH=) and in the unit's ExecReload
    // (`bash -c "${SYSTEM_PATH}/bin/switch-to-configuration test"`): conf-safe strings only.
    path: z
      .union([formatted(f.absolutePath), NixRawSchema], {
        message: `expected ${f.absolutePath.expected}, as it is written to the container's conf file (SYSTEM_PATH=); or raw Nix ({"$nix": "…"})`,
      })
      .optional()
      .meta({
        description:
          "A prebuilt NixOS system (a store path or profile) to run instead of evaluating config. Exclusive with config and flake.",
        nixosOption: opt("path"),
      }),
    flake: formatted(f.flakeRef).optional().meta({
      description:
        "Flake URI of the container's configuration (its nixosConfigurations.container), instead of config. The provider runs `nixos-container update` to build and activate it. Exclusive with config and path.",
      nixosOption: opt("flake"),
      nixosSince: "25.11",
    }),
    nixpkgs: NixPathSchema.optional().meta({
      description: "The nixpkgs used to evaluate the container (an absolute path, or raw Nix such as pkgs.path).",
      nixosOption: opt("nixpkgs"),
      nixosDefault: "pkgs.path",
    }),
    specialArgs: NixAttrsSchema.optional().meta({
      description: "Extra arguments passed to the container's NixOS modules.",
      nixosOption: opt("specialArgs"),
      nixosDefault: {},
    }),
    additionalCapabilities: z.array(formatted(f.capability)).optional().meta({
      description: 'Extra capabilities for the container, e.g. ["CAP_NET_ADMIN"] (systemd-nspawn --capability). A change restarts a running container (a flag of its start script; updateStrategy "none" leaves it running with the old one).',
      nixosOption: opt("additionalCapabilities"),
      nixosDefault: [],
    }),
    ephemeral: z.boolean().optional().meta({
      description: "Start with an empty root in /run/nixos-containers/NAME that is removed at shutdown (systemd-nspawn --ephemeral). A change restarts a running container (a flag of its start script; updateStrategy \"none\" leaves it running with the old one).",
      nixosOption: opt("ephemeral"),
      nixosDefault: false,
    }),
    enableTun: z.boolean().optional().meta({
      description:
        "Allow /dev/net/tun and add CAP_NET_ADMIN (for VPNs inside the container). A change restarts a running container (the capability is a flag of its start script; updateStrategy \"none\" leaves it running with the old one).",
      nixosOption: opt("enableTun"),
      nixosDefault: false,
    }),
    copyResolvConf: z.boolean().optional().meta({
      description: "Copy the host's /etc/resolv.conf into the container at each start.",
      nixosOption: opt("copyResolvConf"),
      nixosDefault: true,
      nixosSince: "26.05",
    }),
    privateNetwork: z.boolean().optional().meta({
      description:
        "Give the container its own network stack (eth0 inside, ve-NAME on the host). The address, port and bridge options only take effect with it.",
      nixosOption: opt("privateNetwork"),
      nixosDefault: false,
    }),
    networkNamespace: formatted(f.absolutePath).optional().meta({
      description: "Join an existing network namespace (e.g. /run/netns/vpn). Exclusive with privateNetwork and interfaces.",
      nixosOption: opt("networkNamespace"),
      nixosSince: "25.05",
    }),
    privateUsers: z
      .union([
        z.enum(["no", "identity", "pick"], { message: 'expected "no", "identity", "pick" or a UID number' }),
        z.number().int("expected an integer UID").min(0).max(4294967295, "expected a UID from 0 to 4294967295"),
      ], { message: 'expected "no", "identity", "pick" or a UID number (a number, not a string of digits)' })
      .optional()
      .meta({
        description: 'User namespacing: "no", "identity", "pick", or the first host UID of the container\'s range.',
        nixosOption: opt("privateUsers"),
        nixosDefault: "no",
        nixosSince: "25.05",
      }),
    interfaces: z.array(formatted(f.interfaceName)).optional().meta({
      description: "Host network interfaces moved into the container.",
      nixosOption: opt("interfaces"),
      nixosDefault: [],
    }),
    macvlans: z.array(formatted(f.interfaceName)).optional().meta({
      description: "Host interfaces on which a macvlan interface is created for the container.",
      nixosOption: opt("macvlans"),
      nixosDefault: [],
    }),
    extraVeths: z.record(formatted(f.interfaceName), ExtraVethSchema).optional().meta({
      description: "Extra veth pairs, by interface name (systemd-nspawn --network-veth-extra; their addresses are set by the start scripts). A change restarts a running container (a flag of its start script; updateStrategy \"none\" leaves it running with the old one).",
      nixosOption: opt("extraVeths"),
      nixosDefault: {},
    }),
    autoStart: z.boolean().optional().meta({
      description: "Start the container at boot and when it is created.",
      nixosOption: opt("autoStart"),
      nixosDefault: false,
    }),
    restartIfChanged: z.boolean().optional().meta({
      description:
        "Let `nixos-rebuild switch` restart the container when its definition changed. Only has an effect with autoStart. When unset and updateStrategy is \"reload\", the provider sets it to false and reloads the container in place instead.",
      nixosOption: opt("restartIfChanged"),
      nixosDefault: true,
    }),
    timeoutStartSec: formatted(f.timeSpan).optional().meta({
      description: 'How long the container may take to start (systemd time span, e.g. "1min"; TimeoutStartSec=). A change takes effect at the next start: it restarts nothing.',
      nixosOption: opt("timeoutStartSec"),
      nixosDefault: "1min",
    }),
    bindMounts: z.record(z.string(), BindMountSchema).optional().meta({
      description: "Host directories mounted into the container, by mount point.",
      nixosOption: opt("bindMounts"),
      nixosDefault: {},
    }),
    allowedDevices: z.array(AllowedDeviceSchema).optional().meta({
      description: "Devices the container may access (DeviceAllow= of its unit). A change reaches a running container without a restart: the switch's daemon-reload applies it.",
      nixosOption: opt("allowedDevices"),
      nixosDefault: [],
    }),
    tmpfs: z.array(formatted(f.tmpfsMount)).optional().meta({
      description: 'Paths mounted as tmpfs inside the container, e.g. ["/var"] (systemd-nspawn --tmpfs). A change restarts a running container (a flag of its start script; updateStrategy "none" leaves it running with the old one).',
      nixosOption: opt("tmpfs"),
      nixosDefault: [],
    }),
    resources: ResourcesSchema.optional().meta({
      description:
        'Resource limits of the whole container (memory, CPU, tasks, IO), set on the host\'s unit container@NAME.service, e.g. { memoryMax: "1G", cpuQuota: "50%", tasksMax: 512 }. A changed limit is applied to the running container in place, without a restart, unless NixOS restarts it anyway (autoStart with restartIfChanged: true) or updateStrategy is "restart".',
      nixosOption: 'systemd.services."container@<name>".serviceConfig',
    }),
    secrets: SecretsSchema.optional(),
    extraFlags: z.array(formatted(f.nspawnFlag)).optional().meta({
      description:
        'Extra systemd-nspawn flags, one per item, e.g. ["--drop-capability=CAP_SYS_CHROOT"]. Each must be an option of systemd-nspawn (checked against its option list); options NixOS already passes or that a container option sets (-D, -M, --keep-unit, --bind, --private-network, …) are refused with the option to use instead, and limits belong in resources (--property= does nothing under NixOS\'s --keep-unit).',
      nixosOption: opt("extraFlags"),
      nixosDefault: [],
    }),
    ...networkFields,
    forwardPorts: z.array(ForwardPortSchema).optional().meta({
      description: "Ports forwarded from the host into the container. Requires privateNetwork.",
      nixosOption: opt("forwardPorts"),
      nixosDefault: [],
    }),
    localMacAddress: formatted(f.mac).optional().meta({
      description: "MAC address of eth0 in the container. Requires privateNetwork.",
      nixosOption: opt("localMacAddress"),
      nixosSince: "26.05",
    }),

    rebuildAction: RebuildActionSchema.default("switch").meta({
      description:
        'How changes are applied: "switch" (activate now and make it the boot default), "test" (activate now, not at boot), "boot" (at next boot only).',
    }),
    updateStrategy: UpdateStrategySchema.default("reload").meta({
      description:
        'What happens to a running container after its definition changed: "reload" activates the new system in place (systemctl reload), or restarts it when settings only a start applies changed: host-side settings of its conf (network, mounts, extraFlags) or the start settings of its unit (tmpfs, additionalCapabilities, enableTun, ephemeral, extraVeths); changed resources and allowedDevices are applied to it in place by the switch, and timeoutStartSec at its next start; "restart" always restarts it, also for a changed limit; "none" leaves it to NixOS (which restarts only autoStart containers with restartIfChanged), and the run warns when it keeps running with its old system or settings.',
    }),
    healthChecks: HealthChecksSchema.optional(),
    rollback: RollbackSchema,
    deleteData: z.boolean().default(false).meta({
      description:
        "On delete, also remove the container's state directory /var/lib/nixos-containers/NAME. NixOS keeps it by default.",
    }),
    adopt: z.boolean().default(false).meta({
      description:
        "Take over, on purpose, a container of the same name that already exists on the host and is managed by another Pulumi stack, or not by this provider at all (declared in the host's own configuration). Without it, create and update refuse before anything is written, naming the other owner. With it, the output says whose container was taken, the host records this stack as the owner, and the other stack's next refresh reports the takeover (managedBy). Set it back to false once the takeover is done: two stacks that both keep it take the container from each other on every change.",
    }),
    rebuildTimeoutSeconds: z.number().int().min(10).max(86400).default(1800).meta({
      description: "Longest time one nixos-rebuild may take before it is reported as hung.",
    }),
  })
  .strict();

export type NixosContainerInputs = z.input<typeof NixosContainerInputsSchema>;
export type NixosContainerArgs = z.output<typeof NixosContainerInputsSchema>;
export type ForwardPort = z.output<typeof ForwardPortSchema>;
export type BindMount = z.output<typeof BindMountSchema>;
export type ExtraVeth = z.output<typeof ExtraVethSchema>;
export type Resources = z.output<typeof ResourcesSchema>;

/** The NixOS options that are only honoured with privateNetwork = true (reference B.11). */
export const PRIVATE_NETWORK_ONLY = [
  "forwardPorts",
  "hostAddress",
  "hostAddress6",
  "localAddress",
  "localAddress6",
  "hostBridge",
  "localMacAddress",
] as const;
