/**
 * What every resource of this SDK does in the program before it is registered: render each
 * container's module (so the preview shows it as a line diff without contacting a host), mark
 * the connection's credentials secret, add the owner, and register with its kind's provider.
 */
import * as pulumi from "@pulumi/pulumi";
import type { NixosContainerArgs } from "./args";
import { validateContainer } from "../provider/container/validate";
import { renderContainerModule } from "../provider/container/module";
import { CONNECTION_SECRET_KEYS } from "../provider/inputs/connection";
import { OWNER_KEY, SECRET_PROPERTIES } from "../provider/lifecycle/codec";
import { dynamicType, type KindName } from "../provider/lifecycle/kinds";
import { providerFor } from "./provider";
import { ownerInput } from "./owner";

/**
 * The arguments of pulumi.dynamic.Resource for a resource of `kind`: its provider, the
 * properties with credentials secret and the owner added, options that keep the credentials
 * secret in the outputs too.
 */
export function dynamicResourceArgs(kind: KindName, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
  // A NixosFleet's connections sit in its hosts: its class makes them secret there (secretCredentials).
  const connection = kind === "NixosFleet" ? {} : { connection: secretCredentials(props.connection as NixosContainerArgs["connection"]) };
  const withOwner = { ...props, ...connection, [OWNER_KEY]: ownerInput(dynamicType(kind), name, opts) };
  const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: [...SECRET_PROPERTIES] });
  return [providerFor(kind), name, withOwner, options, "nixos", kind] as const;
}

/**
 * The module, rendered from the resolved inputs (everything but the
 * connection, which never reaches Nix). Invalid inputs give no module here:
 * the provider's check then reports each problem with its property path.
 */
export function renderInProgram(what: string, inputs: Record<string, unknown>): pulumi.Output<string | undefined> {
  const resolved = pulumi.output(inputs);
  return pulumi.all([resolved, pulumi.output(pulumi.isSecret(resolved))]).apply(([values, secret]) => {
    if (secret) {
      throw new Error(
        `${what}: a secret value was passed in its configuration. Everything in a container's Nix configuration is written to /nix/store on the host, world-readable and visible to every container there. Keep secrets out of config: put them in a file on the host (e.g. with agenix or sops-nix) and bind-mount it (bindMounts, isReadOnly: true).`,
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
export function secretCredentials(connection: NixosContainerArgs["connection"]): unknown {
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
