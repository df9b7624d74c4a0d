/**
 * The container module: the exact file written to
 * /etc/nixos/pulumi-containers/<name>.nix. A pure function of the validated
 * spec, so the program (for the preview diff), the provider (to check that
 * diff) and `nixos-containers render` all produce the same bytes.
 */
import { createHash } from "node:crypto";
import type { NixAttrs, NixValue } from "../nix/value";
import { raw, isRaw } from "../nix/value";
import { renderNix } from "../nix/render";
import { nixAttrName } from "../nix/escape";
import type { ContainerSpec } from "./validate";
import { unitSettings } from "./resources";
import { hasSecrets, secretsHostDir, SECRETS_MOUNT } from "./secrets";

/** Inputs that steer the provider and never reach NixOS. */
const DEPLOYMENT_ONLY = new Set([
  "name",
  "connection",
  "nixConfig",
  "rebuildAction",
  "updateStrategy",
  "deleteData",
  "adopt",
  "rebuildTimeoutSeconds",
  // What the provider checks after a change (health-schema.ts): nothing of it reaches NixOS.
  "healthChecks",
  "rollback",
  // Not an option of containers.<name>: settings of the host's unit (resources.ts).
  "resources",
  // Never Nix: files on the host, of which the module only mounts the directory (secrets.ts).
  "secrets",
]);

export const MODULE_HEADER_MARK = "# Managed by pulumi-nixos-containers.";

/** The configuration of a container given no config, path or flake: an empty NixOS module. */
const BARE_CONFIG = raw("{ ... }: { }");

export function renderContainerModule(spec: ContainerSpec): string {
  const options: NixAttrs = {};
  for (const [key, value] of Object.entries(spec)) {
    if (DEPLOYMENT_ONLY.has(key) || value === undefined) continue;
    options[key] = key === "config" ? containerConfig(value as ContainerSpec["config"]) : (value as NixValue);
  }
  // Without config, path or flake NixOS has no system to run and refuses the container
  // (`containers.<name>.path' has no value); like `nixos-container create` without
  // --config, the container then runs a bare NixOS.
  if (spec.config === undefined && spec.path === undefined && spec.flake === undefined) {
    options.config = BARE_CONFIG;
  }
  if (hasSecrets(spec.secrets)) {
    options.bindMounts = { ...(spec.bindMounts ?? {}), [SECRETS_MOUNT]: { hostPath: secretsHostDir(spec.name), isReadOnly: true } };
  }
  // In-place updates need NixOS to keep its hands off a changed autoStart
  // container; the provider then reloads it (reference G.4, E.3).
  if (spec.updateStrategy === "reload" && spec.autoStart === true && spec.restartIfChanged === undefined) {
    options.restartIfChanged = false;
  }
  const limits = unitSettings(spec.resources);
  return [
    `${MODULE_HEADER_MARK} Container "${spec.name}".`,
    "# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.",
    "{ lib, pkgs, ... }:",
    "",
    "{",
    `  containers.${nixAttrName(spec.name)} = ${renderNix(options, { indent: 2 })};`,
    ...(Object.keys(limits).length === 0
      ? []
      : [`  systemd.services.${nixAttrName(`container@${spec.name}`)}.serviceConfig = ${renderNix(limits, { indent: 2 })};`]),
    "}",
    "",
  ].join("\n");
}

/** sha256 of the module text: what refresh compares to detect a hand edit. */
export function configHash(moduleText: string): string {
  return "sha256:" + createHash("sha256").update(moduleText, "utf8").digest("hex");
}

/**
 * A structured config becomes a module function so raw Nix inside it
 * (`with pkgs; [ vim ]`) sees the container's own pkgs and lib; a string
 * or raw value is already a whole module and is used as written.
 */
function containerConfig(config: ContainerSpec["config"]): NixValue {
  if (typeof config === "string") return raw(config);
  if (config === undefined || isRaw(config)) return config ?? null;
  // It is the value of `config = ` inside `containers.<name> = {`, four spaces in.
  return raw(`{ config, lib, pkgs, ... }:\n    ${renderNix(config as NixAttrs, { indent: 4 })}`);
}
