/**
 * The command-line options of systemd-nspawn, as its own option table
 * (src/nspawn/nspawn.c, `static const struct option options[]` and the
 * getopt string "+hD:u:abL:M:jS:Z:qi:xp:nUE:P") declares them. An option
 * outside this table makes systemd-nspawn exit with "unrecognized option",
 * which on NixOS means the container's unit fails to start after the rebuild.
 * The table was read from nspawn.c of the systemd 254/255 era (it has
 * --image-policy); an option a newer systemd added belongs here, with its
 * argument kind, once it is checked against that release's nspawn.c.
 */

/** Whether an option takes a value: `--opt=VALUE` (required), `--opt[=VALUE]` (optional), or `--opt` alone (none). */
export type NspawnArgument = "required" | "optional" | "none";

export const NSPAWN_OPTIONS: Readonly<Record<string, NspawnArgument>> = {
  help: "none",
  version: "none",
  directory: "required",
  template: "required",
  ephemeral: "none",
  user: "required",
  "private-network": "none",
  "as-pid2": "none",
  boot: "none",
  uuid: "required",
  "read-only": "none",
  capability: "required",
  "ambient-capability": "required",
  "drop-capability": "required",
  "no-new-privileges": "required",
  "link-journal": "required",
  bind: "required",
  "bind-ro": "required",
  tmpfs: "required",
  overlay: "required",
  "overlay-ro": "required",
  inaccessible: "required",
  machine: "required",
  hostname: "required",
  slice: "required",
  setenv: "required",
  "selinux-context": "required",
  "selinux-apifs-context": "required",
  quiet: "none",
  "share-system": "none",
  register: "required",
  "keep-unit": "none",
  "network-interface": "required",
  "network-macvlan": "required",
  "network-ipvlan": "required",
  "network-veth": "none",
  "network-veth-extra": "required",
  "network-bridge": "required",
  "network-zone": "required",
  "network-namespace-path": "required",
  personality: "required",
  image: "required",
  volatile: "optional",
  port: "required",
  property: "required",
  "private-users": "optional",
  "private-users-chown": "optional",
  "private-users-ownership": "required",
  "kill-signal": "required",
  settings: "required",
  chdir: "required",
  "pivot-root": "required",
  "notify-ready": "required",
  "root-hash": "required",
  "root-hash-sig": "required",
  "verity-data": "required",
  "system-call-filter": "required",
  rlimit: "required",
  "oom-score-adjust": "required",
  "cpu-affinity": "required",
  "resolv-conf": "required",
  timezone: "required",
  console: "required",
  pipe: "none",
  "oci-bundle": "required",
  "no-pager": "none",
  "set-credential": "required",
  "load-credential": "required",
  "bind-user": "required",
  "suppress-sync": "required",
  "image-policy": "required",
};

/**
 * The one-letter options, by the long option they stand for. `-j` is
 * `--link-journal=try-guest`, `-U` is `--private-users=pick` (plus
 * `--private-users-ownership=auto`); `-L` and `-Z` are the SELinux contexts.
 */
export const NSPAWN_SHORT: Readonly<Record<string, { long: string; argument: NspawnArgument }>> = {
  h: { long: "help", argument: "none" },
  D: { long: "directory", argument: "required" },
  u: { long: "user", argument: "required" },
  a: { long: "as-pid2", argument: "none" },
  b: { long: "boot", argument: "none" },
  L: { long: "selinux-apifs-context", argument: "required" },
  M: { long: "machine", argument: "required" },
  j: { long: "link-journal", argument: "none" },
  S: { long: "slice", argument: "required" },
  Z: { long: "selinux-context", argument: "required" },
  q: { long: "quiet", argument: "none" },
  i: { long: "image", argument: "required" },
  x: { long: "ephemeral", argument: "none" },
  p: { long: "port", argument: "required" },
  n: { long: "network-veth", argument: "none" },
  U: { long: "private-users", argument: "none" },
  E: { long: "setenv", argument: "required" },
  P: { long: "pipe", argument: "none" },
};
