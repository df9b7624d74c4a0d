/**
 * NixosContainer: a NixOS declarative container on a NixOS host, managed
 * over SSH. The program renders the container's Nix module itself and passes
 * it as `nixConfig`, so `pulumi preview --diff` shows the Nix change line by
 * line without contacting any host.
 */
import * as pulumi from "@pulumi/pulumi";
import { provider } from "./provider";
import type { NixosContainerArgs } from "./args";
import { validateContainer } from "../provider/container/validate";
import { renderContainerModule } from "../provider/container/module";
import { CONNECTION_SECRET_KEYS } from "../provider/host/connection";
import { OWNER_KEY, ownerInput } from "./owner";
import { OUTPUT_ONLY_KEYS } from "../provider/container/outputs";

/** The type token Pulumi gives this dynamic resource (`pulumi-nodejs:dynamic/<module>:<type>`). */
export const NIXOS_CONTAINER_TYPE = "pulumi-nodejs:dynamic/nixos:NixosContainer";


export class NixosContainer extends pulumi.dynamic.Resource {
  /** The container name on the host. */
  declare readonly name: pulumi.Output<string>;
  /** The host it runs on (`host` or `host:port`). */
  declare readonly host: pulumi.Output<string>;
  /** The Nix module written to /etc/nixos/pulumi-containers/<name>.nix. */
  declare readonly nixConfig: pulumi.Output<string>;
  /** sha256 of the module as last read from the host. */
  declare readonly configHash: pulumi.Output<string>;
  /** "up" or "down". */
  declare readonly status: pulumi.Output<string>;
  /** The container's address, or null when it has none. */
  declare readonly ipAddress: pulumi.Output<string | null>;
  /** Where the module lives on the host. */
  declare readonly modulePath: pulumi.Output<string>;
  /** The NixOS system the container is set to run. */
  declare readonly systemPath: pulumi.Output<string | null>;
  /** null, or the stack (organization/project/stack) that took the container over on the host, as the last refresh found. */
  declare readonly managedBy: pulumi.Output<string | null>;

  constructor(name: string, args: NixosContainerArgs, opts?: pulumi.CustomResourceOptions) {
    const containerName = args.name ?? name;
    const { connection, ...nixInputs } = args;
    const props: Record<string, unknown> = {
      ...args,
      name: containerName,
      connection: secretCredentials(connection),
      nixConfig: renderInProgram(name, { ...nixInputs, name: containerName }),
    };
    for (const key of OUTPUT_ONLY_KEYS) props[key] = undefined;
    props[OWNER_KEY] = ownerInput(NIXOS_CONTAINER_TYPE, name, opts);
    super(provider, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection"] }), "nixos", "NixosContainer");
  }
}

/**
 * The module, rendered from the resolved inputs (everything but the
 * connection, which never reaches Nix). Invalid inputs give no module here:
 * the provider's check then reports each problem with its property path.
 */
function renderInProgram(resourceName: string, inputs: Record<string, unknown>): pulumi.Output<string | undefined> {
  const resolved = pulumi.output(inputs);
  return pulumi.all([resolved, pulumi.output(pulumi.isSecret(resolved))]).apply(([values, secret]) => {
    if (secret) {
      throw new Error(
        `NixosContainer "${resourceName}": a secret value was passed in its configuration. Everything in a container's Nix configuration is written to /nix/store on the host, world-readable and visible to every container there. Keep secrets out of config: put them in a file on the host (e.g. with agenix or sops-nix) and bind-mount it (bindMounts, isReadOnly: true).`,
      );
    }
    const result = validateContainer({ ...values, connection: { host: "placeholder.invalid" } });
    return result.spec ? renderContainerModule(result.spec) : undefined;
  });
}

/**
 * Credentials are secret in state even when the program passes plain
 * strings. Only they are: the host, port and user stay readable in diffs.
 */
function secretCredentials(connection: NixosContainerArgs["connection"]): unknown {
  if (pulumi.Output.isInstance(connection) || connection instanceof Promise) return pulumi.secret(connection);
  const hop = (h: object): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...h };
    for (const key of CONNECTION_SECRET_KEYS) if (out[key] !== undefined) out[key] = pulumi.secret(out[key] as pulumi.Input<string>);
    return out;
  };
  const top = hop(connection as object);
  const jump = top.jumpHost;
  if (jump && typeof jump === "object" && !pulumi.Output.isInstance(jump) && !(jump instanceof Promise)) top.jumpHost = hop(jump);
  else if (jump !== undefined) top.jumpHost = pulumi.secret(jump as pulumi.Input<object>);
  return top;
}
