/**
 * `pulumi import` of a container that already runs on a host: the engine calls read with an
 * id (`<host>[:<port>]/<name>`) and nothing else, and wants the inputs that describe the
 * container (from which Pulumi writes the program code) and its state. Both come from the
 * container's module on the host, read back into the inputs that render it byte for byte
 * (container/module-read.ts), so the next `pulumi up` of that code changes nothing. Nothing is
 * written to the host.
 *
 * The id carries no credentials: the front gives the connection (the plugin: the host and port
 * of the id, its provider configuration for the rest). The inputs name the host, its port and
 * user and how its key is checked, never a credential (Pulumi writes inputs into the program
 * code in clear), so the program reaches the host with the same provider configuration.
 *
 * The owner check is today's adopt's: a container another stack manages is not imported (it is
 * taken over with adopt: true, as ever), nor one the host's own configuration declares.
 */
import { ProviderError } from "../errors";
import type { Connection } from "../inputs/connection";
import { readContainerModule } from "../container/module-read";
import { validateContainer } from "../container/validate";
import type { Owner } from "../deploy/change";
import { describeOwner, sameStack } from "../deploy/ownership";
import { modulePath, ownerPath } from "../deploy/layout";
import type { LifecycleContext } from "./context";
import { recordedState } from "./codec";
import { resourceId } from "./identity";
import type { ResourceKind } from "./kinds";
import { recordOf } from "./model";
import { scrubbed } from "./resource";

type Props = Record<string, unknown>;

/** The connection settings an imported resource names (the others are credentials, or defaults). */
const NAMED = ["host", "port", "user", "hostKey", "knownHostsFile", "sudo", "jumpHost"] as const;

export interface Imported {
  id: string;
  props: Props;
  inputs: Props;
}

/** Where an import id points: `<host>[:<port>]/<name>`, as a NixosContainer's id reads. */
export function importTarget(id: string): { host: string; port: number; name: string } {
  const slash = id.lastIndexOf("/");
  const address = id.slice(0, slash);
  const name = id.slice(slash + 1);
  const withPort = /^([^:]+):(\d+)$/.exec(address);
  const [host, port] = withPort ? [withPort[1], Number(withPort[2])] : [address, 22];
  if (slash <= 0 || !name || !host) {
    throw new ProviderError(`the import id ${JSON.stringify(id)} is not <host>/<name> or <host>:<port>/<name> (e.g. 10.0.0.5/web)`);
  }
  return { host, port, name };
}

/**
 * The container at `id` as the inputs and state of a `kind` resource. `connectionFor` gives the
 * connection that reaches the id's host (credentials included); `owner` is the importing
 * resource's.
 */
export async function importResource(
  kind: ResourceKind,
  ctx: LifecycleContext,
  id: string,
  connectionFor: (host: string, port: number) => Connection,
  owner: Owner,
): Promise<Imported> {
  if (kind.shape !== "container") {
    throw new ProviderError(`pulumi import of a ${kind.name} is not supported: import each of its containers as a NixosContainer (pulumi import nixos:index:NixosContainer <name> <host>/<container>)`);
  }
  const { host, port, name } = importTarget(id);
  const connection = connectionFor(host, port);
  try {
    return await imported(kind, ctx, name, connection, owner);
  } catch (e) {
    throw scrubbed(e, ctx.redactorFor([connection]));
  }
}

async function imported(kind: ResourceKind, ctx: LifecycleContext, name: string, connection: Connection, owner: Owner): Promise<Imported> {
  const where = `${resourceId(connection, name)}`;
  const state = await ctx.engineFor(connection).read(name);
  if (state.module === null) {
    throw new ProviderError(
      state.conf === null
        ? `${where}: the host has no container "${name}"`
        : `${where}: container "${name}" is declared in the host's own configuration, not by a module of this provider (${modulePath(name)}), so there is no module to import. Declare it in the program with adopt: true to take it over, and remove it from the host's configuration.`,
    );
  }
  if (state.owner && !sameStack(state.owner, owner)) {
    throw new ProviderError(
      `${where}: container "${name}" is managed by another stack: ${describeOwner(state.owner)} (recorded in ${ownerPath(name)}). Nothing was imported. ` +
        `To take it over on purpose, declare it in this program with adopt: true (the other stack's next refresh then reports it as taken over).`,
    );
  }
  const named = Object.fromEntries(NAMED.filter((k) => connection[k] !== undefined).map((k) => [k, connection[k]])) as Props;
  const reading = readContainerModule(state.module, name, named);
  if ("problem" in reading) throw new ProviderError(`${where}: its module ${modulePath(name)} cannot be imported: ${reading.problem}`);

  const spec = validateContainer({ ...reading.inputs, connection: named }).spec!;
  // The state's owner is the host's record when it is this stack's (a lost state, a resource
  // renamed): a later delete then matches it; the next change records this resource.
  const recorded = recordOf("", spec, state.module, state);
  const props = recordedState(kind.shape, [{ ...spec, key: "", containers: [recorded] }], state.owner ?? owner)!;
  return { id: resourceId(spec.connection, name), props, inputs: { ...reading.inputs, connection: minimal(named) } };
}

/** The connection as a program would write it: without the settings that have their defaults. */
function minimal(connection: Props): Props {
  const defaults: Props = { port: 22, user: "root" };
  return Object.fromEntries(Object.entries(connection).filter(([k, v]) => defaults[k] !== v));
}
