/**
 * Where the provider keeps things on a NixOS host, and the one line the host
 * configuration needs. See docs/host-layout.md.
 */

/** The provider's directory of container modules, imported by the host configuration. */
export const MODULE_DIR = "/etc/nixos/pulumi-containers";
export const INDEX_FILE = `${MODULE_DIR}/default.nix`;
/** Previous module contents of an unfinished change, restored by the next run (crash safety). */
export const JOURNAL_DIR = "/var/lib/pulumi-nixos-containers/journal";
/**
 * Who manages each container (`<name>.json`): beside the module, not in it, because the module
 * must stay byte-identical to the nixConfig the program rendered.
 */
export const OWNER_DIR = "/var/lib/pulumi-nixos-containers/owners";
/** The provider's host lock: a lease directory, cleared by a reboot. */
export const LOCK_DIR = "/run/lock/pulumi-nixos-containers";
export const CONF_DIR = "/etc/nixos-containers";
export const STATE_DIR = "/var/lib/nixos-containers";
/** Each container's secret files (`<name>/`, bind-mounted at /run/secrets): see container/secrets.ts. */
export { SECRETS_DIR } from "../container/secrets";

export function modulePath(name: string): string {
  return `${MODULE_DIR}/${name}.nix`;
}

export function ownerPath(name: string): string {
  return `${OWNER_DIR}/${name}.json`;
}

/**
 * The line to add to configuration.nix. It tolerates a missing directory, so
 * the host still rebuilds before the provider has written anything.
 */
export const IMPORT_LINE = "imports = lib.optional (builtins.pathExists ./pulumi-containers) ./pulumi-containers;";

/**
 * The index imports every `<name>.nix` next to it, so adding or removing a
 * container is one file operation and the index never changes. Temporary
 * files start with a dot and are not matched.
 */
export const INDEX_TEXT = `# Managed by pulumi-nixos-containers: imports every container module in this directory.
# Do not edit; the provider rewrites this file.
{ lib, ... }:

let
  names = builtins.attrNames (builtins.readDir ./.);
  isContainerModule = name: name != "default.nix" && builtins.match "[A-Za-z0-9][A-Za-z0-9-]*[.]nix" name != null;
in
{
  imports = map (name: ./. + "/\${name}") (builtins.filter isContainerModule names);
  # Keep nixos-container and the container@ unit template when the last
  # container is removed (boot.enableContainers defaults to false then, NixOS 25.11+).
  boot.enableContainers = lib.mkDefault true;
}
`;

/** Unit name of a declarative container. */
export function unitName(name: string): string {
  return `container@${name}.service`;
}
