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
import { OWNER_KEY, SECRET_OUTSIDE_CREDENTIALS, SECRET_PROPERTIES } from "../provider/lifecycle/codec";
import { dynamicType, type KindName } from "../provider/lifecycle/kinds";
import { providerFor } from "./provider";
import { ownerInput } from "./owner";

/**
 * The arguments of pulumi.dynamic.Resource for a resource of `kind`: its provider, the
 * properties with credentials secret and the owner added, options that keep the credentials
 * secret in the outputs too.
 */
export function dynamicResourceArgs(kind: KindName, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
  const withSecrets = secretFilesIn(kind, props);
  // A NixosFleet's connections sit beside its hosts: its class makes them secret there (secretCredentials).
  const connection = kind === "NixosFleet" ? {} : { connection: secretCredentials(props.connection as NixosContainerArgs["connection"]) };
  const withOwner = { ...withSecrets, ...connection, [OWNER_KEY]: ownerInput(dynamicType(kind), name, opts) };
  const options = pulumi.mergeOptions(opts, { additionalSecretOutputs: [...SECRET_PROPERTIES] });
  return [providerFor(kind), name, withOwner, options, "nixos", kind] as const;
}

/**
 * The module, rendered from the resolved inputs (everything but the
 * connection, which never reaches Nix). Invalid inputs give no module here:
 * the provider's check then reports each problem with its property path.
 */
export function renderInProgram(what: string, inputs: Record<string, unknown>): pulumi.Output<string | undefined> {
  // A secret's value never reaches the module: only which files there are (the module mounts their directory).
  const { secrets, ...rest } = inputs;
  // Taken from the object itself when it is one, so a value not known yet (a password another
  // resource of the run makes) does not hide the module's line diff in the preview.
  const placeholders = (names: string[]) => Object.fromEntries(names.map((f) => [f, { value: "-" }]));
  const files =
    secrets === undefined || secrets === null
      ? undefined
      : isPlainObject(secrets)
        ? placeholders(Object.keys(secrets))
        : pulumi.unsecret(pulumi.output(secrets as pulumi.Input<Record<string, unknown>>).apply((s) => (s ? placeholders(Object.keys(s)) : undefined)));
  const resolved = pulumi.output({ ...rest, secrets: files });
  return pulumi.all([resolved, pulumi.output(pulumi.isSecret(resolved))]).apply(([values, secret]) => {
    if (secret) {
      throw new Error(
        `${what}: a secret value was passed in its configuration. ${SECRET_OUTSIDE_CREDENTIALS}`,
      );
    }
    const result = validateContainer({ ...values, connection: { host: "placeholder.invalid" } });
    return result.spec ? renderContainerModule(result.spec) : undefined;
  });
}

/**
 * A secret file's value is secret in the state even when the program passes a plain string;
 * the file names, modes, owners and units stay readable in the preview.
 */
/** The properties of a resource of `kind` with each secret file's value secret (lifecycle/codec.ts SECRET_PATHS). */
function secretFilesIn(kind: KindName, props: Record<string, unknown>): Record<string, unknown> {
  const inContainers = (containers: unknown) => mapEntries(containers, (c) => ({ ...c, secrets: secretFiles(c.secrets) }));
  if (kind === "NixosContainer") return { ...props, secrets: secretFiles(props.secrets) };
  if (kind === "NixosHost") return { ...props, containers: inContainers(props.containers) };
  return { ...props, hosts: mapEntries(props.hosts, (h) => ({ ...h, containers: inContainers(h.containers) })) };
}

function secretFiles(secrets: unknown): unknown {
  if (secrets === undefined || secrets === null) return secrets;
  if (pulumi.Output.isInstance(secrets) || secrets instanceof Promise) return pulumi.secret(secrets as pulumi.Input<unknown>);
  return mapEntries(secrets, (file) => ({ ...file, value: pulumi.secret(file.value as pulumi.Input<string>) }), (whole) => pulumi.secret(whole));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !pulumi.Output.isInstance(v) && !(v instanceof Promise);

/** Each entry of a record through `f`; an entry that is an Output or a Promise (its parts unknown here) through `whole`. */
function mapEntries(record: unknown, f: (entry: Record<string, unknown>) => Record<string, unknown>, whole: (entry: unknown) => unknown = (e) => e): unknown {
  if (!isPlainObject(record)) return record;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, isPlainObject(v) ? f(v) : v === undefined || v === null ? v : whole(v)]));
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
