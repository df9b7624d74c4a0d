/**
 * NixosContainer: a NixOS declarative container on a NixOS host, managed
 * over SSH. The program renders the container's Nix module itself and passes
 * it as `nixConfig`, so `pulumi preview --diff` shows the Nix change line by
 * line without contacting any host.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NixosContainerArgs } from "./args";
import { dynamicResourceArgs, renderInProgram } from "./program-side";
import { OUTPUT_ONLY_KEYS } from "../provider/container/outputs";
import { dynamicType } from "../provider/lifecycle/kinds";

/** The type token Pulumi gives this dynamic resource (`pulumi-nodejs:dynamic/<module>:<type>`). */
export const NIXOS_CONTAINER_TYPE = dynamicType("NixosContainer");

/** What a NixosContainer reports, the same from the dynamic provider and the plugin (sdk/plugin.ts). */
export interface NixosContainerOutputs {
  /** The container name on the host. */
  readonly name: pulumi.Output<string>;
  /** The host it runs on (`host` or `host:port`). */
  readonly host: pulumi.Output<string>;
  /** The Nix module written to /etc/nixos/pulumi-containers/<name>.nix. */
  readonly nixConfig: pulumi.Output<string>;
  /** sha256 of the module as last read from the host. */
  readonly configHash: pulumi.Output<string>;
  /** "up" or "down". */
  readonly status: pulumi.Output<string>;
  /** The container's address, or null when it has none. */
  readonly ipAddress: pulumi.Output<string | null>;
  /** Where the module lives on the host. */
  readonly modulePath: pulumi.Output<string>;
  /** The NixOS system the container is set to run. */
  readonly systemPath: pulumi.Output<string | null>;
  /** null, or the stack (organization/project/stack) that took the container over on the host, as the last refresh found. */
  readonly managedBy: pulumi.Output<string | null>;
}

// The class's output properties, declared once (the interface merges into the class).
export interface NixosContainer extends NixosContainerOutputs {}

export class NixosContainer extends pulumi.dynamic.Resource {
  constructor(name: string, args: NixosContainerArgs, opts?: pulumi.CustomResourceOptions) {
    const containerName = args.name ?? name;
    const { connection: _connection, ...nixInputs } = args;
    const props: Record<string, unknown> = { ...args, name: containerName, nixConfig: renderInProgram(`NixosContainer "${name}"`, { ...nixInputs, name: containerName }) };
    for (const key of OUTPUT_ONLY_KEYS) props[key] = undefined;
    super(...dynamicResourceArgs("NixosContainer", name, props, opts));
  }
}
