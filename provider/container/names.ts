/**
 * Container names. The name is used unescaped in the unit `container@NAME`,
 * the interface `ve-NAME`, paths, the machined name and `NAME.containers` in
 * /etc/hosts, and it is the container's default hostname
 * (reference/nixos-containers.md B.2, B.9, B.10, G.8).
 */

/** A hostname label: what NixOS, nixos-container and systemd all accept. */
export const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Interface names derive from the name (`ve-NAME`); older kernels cap them at 15 bytes. */
export const PRIVATE_NETWORK_NAME_LIMIT = 11;

/** `default` would be the provider's own index file, `pulumi-containers/default.nix`. */
const RESERVED = new Set(["default"]);

/** Why a name is refused, or undefined when it is fine. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "the container name must not be empty";
  if (name.length > 63) return `"${name.slice(0, 20)}…" is ${name.length} characters long; NixOS allows at most 63 (it is the container's hostname)`;
  if (name.includes("_")) return `"${name}" contains '_': NixOS refuses underscores in container names ("Names containing underscores are not allowed in nixos-containers"); use '-' instead`;
  if (name.includes(".")) return `"${name}" contains '.': a container name is a single hostname label; use '-' instead`;
  if (name.startsWith("-") || name.endsWith("-")) return `"${name}" must start and end with a letter or digit`;
  if (!NAME_PATTERN.test(name)) return `"${name}" may only contain letters, digits and '-' (it becomes the hostname, the unit container@NAME and the interface ve-NAME)`;
  if (RESERVED.has(name)) return `"${name}" is reserved: /etc/nixos/pulumi-containers/default.nix is the provider's index file; choose another name`;
  return undefined;
}
