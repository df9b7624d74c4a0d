/**
 * `pulumi-nixos-containers/plugin`: NixosContainer and NixosHost served by the provider plugin
 * (`pulumi-resource-nixos`) instead of the dynamic provider, for TypeScript programs that want
 * it: what other languages use, no provider code serialized into the state, `pulumi import`.
 * The arguments are the same, the `nix` template included; the plugin's check renders each
 * module, refuses secrets in config and marks the credentials secret, so nothing here does.
 *
 * Moving a stack made with `pulumi-nixos-containers` is one import line: each resource here
 * carries an alias to its dynamic-provider type, so Pulumi updates it in place (same id, no
 * replace) and the plugin finds nothing to change on the host (README, "Moving to the provider
 * plugin"). The plugin must be installed: `pulumi plugin install resource nixos <version>
 * --file <tarball>`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NixosContainerArgs } from "./args";
import type { HostContainerOutputs, NixosHostArgs } from "./nixos-host";
import type { NixosContainerOutputs } from "./nixos-container";
import { OUTPUT_ONLY_KEYS } from "../provider/container/outputs";
import { SECRET_PROPERTIES } from "../provider/lifecycle/codec";
import { dynamicType, type KindName } from "../provider/lifecycle/kinds";
import { resourceToken } from "../provider/schema/package-schema";

export type { NixosContainerArgs } from "./args";
export type { NixosHostArgs, HostContainerArgs, HostContainerOutputs } from "./nixos-host";
export { nix, raw, isRaw, type NixValue, type NixRaw, type NixAttrs } from "../provider/nix/value";
export { hostsFromConfig, type HostConnection } from "./stack-hosts";

/** The plugin at this package's version, the credentials secret in the outputs, and the alias from the dynamic provider's type. */
function pluginOptions(kind: KindName, opts?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
  const { version } = require("pulumi-nixos-containers/package.json") as { version: string };
  return pulumi.mergeOptions(opts, { version, additionalSecretOutputs: [...SECRET_PROPERTIES], aliases: [{ type: dynamicType(kind) }] });
}

// The output properties of sdk/nixos-container.ts (the interface merges into the class).
export interface NixosContainer extends NixosContainerOutputs {}

export class NixosContainer extends pulumi.CustomResource {
  constructor(name: string, args: NixosContainerArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = { ...args, nixConfig: undefined };
    for (const key of OUTPUT_ONLY_KEYS) props[key] = undefined;
    super(resourceToken("NixosContainer"), name, props, pluginOptions("NixosContainer", opts));
  }
}

export class NixosHost extends pulumi.CustomResource {
  /** The host (`host` or `host:port`). */
  declare readonly host: pulumi.Output<string>;
  /** Every container of the host with its state: `host.containers["web"].status`. */
  declare readonly containers: pulumi.Output<Record<string, HostContainerOutputs>>;

  constructor(name: string, args: NixosHostArgs, opts?: pulumi.CustomResourceOptions) {
    super(resourceToken("NixosHost"), name, { ...args, host: undefined }, pluginOptions("NixosHost", opts));
  }
}
