/**
 * From what Pulumi sends for a NixosHost to a validated host spec and each container's
 * module: the NixosHost counterpart of inputs.ts, through the same container validation
 * and rendering.
 */
import { validateHost, type HostSpec } from "../container/host-validate";
import { HOST_LEVEL_KEYS } from "../container/host-schema";
import { renderContainerModule } from "../container/module";
import type { ContainerSpec } from "../container/validate";
import { InputError, nixConfigMismatch, withoutInternalKeys } from "./inputs";

export interface PreparedEntry {
  key: string;
  spec: ContainerSpec;
  module: string;
}

export interface PreparedHost {
  host: HostSpec;
  entries: PreparedEntry[];
}

/** Validate and render every container; throws InputError listing every problem. */
export function prepareHost(props: Record<string, unknown>, options: { ignoreNixConfig?: boolean } = {}): PreparedHost {
  const inputs = withoutInternalKeys(props);
  const containers = (inputs.containers ?? {}) as Record<string, Record<string, unknown>>;
  const stripped = Object.fromEntries(Object.entries(containers).map(([k, c]) => [k, c && typeof c === "object" ? withoutNixConfig(c) : c]));
  const result = validateHost({ ...inputs, containers: stripped });
  if (!result.spec) throw new InputError(result.errors, "NixosHost");
  const entries = result.spec.entries.map(({ key, spec }) => ({ key, spec, module: renderContainerModule(spec) }));
  if (!options.ignoreNixConfig) {
    const mismatched = entries.filter((e) => typeof containers[e.key]?.nixConfig === "string" && containers[e.key].nixConfig !== e.module);
    if (mismatched.length > 0) throw new InputError(mismatched.map((e) => ({ ...nixConfigMismatch(), path: ["containers", e.key, "nixConfig"] })), "NixosHost");
  }
  return { host: result.spec, entries };
}

/** A container's entry in the NixosHost inputs, normalised: its spec without the host's settings, and its module. */
export function entryInputs(spec: ContainerSpec, module: string): Record<string, unknown> {
  return { ...withoutHostSettings(spec), nixConfig: module };
}

/** A container's properties without the settings its NixosHost holds once for all of them. */
export function withoutHostSettings(props: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => !(HOST_LEVEL_KEYS as readonly string[]).includes(k)));
}

/** The host-level inputs, normalised. */
export function hostInputs(host: HostSpec): Record<string, unknown> {
  return { connection: host.connection, rebuildAction: host.rebuildAction, rebuildTimeoutSeconds: host.rebuildTimeoutSeconds };
}

function withoutNixConfig(entry: Record<string, unknown>): Record<string, unknown> {
  const { nixConfig: _ignored, ...rest } = entry;
  return rest;
}
