/**
 * The containers a stack manages, from its exported state (`pulumi stack
 * export --show-secrets`): pure, no I/O. Three resource types hold containers:
 * NixosContainer (one container per resource), NixosHost (its `containers`
 * output, by name) and NixosFleet (per host of its `hosts` output, its
 * connection in `connections`). Secret values arrive decrypted in Pulumi's
 * secret envelope and are unwrapped here, in memory only.
 */
import type { ConnectionInput } from "../../inputs/connection";
import { hostLabel } from "../../lifecycle/identity";
import { dynamicType } from "../../lifecycle/kinds";
import { ProviderError } from "../../errors";
import type { Secrets } from "../../container/secrets";

export const CONTAINER_TYPE = dynamicType("NixosContainer");
export const HOST_TYPE = dynamicType("NixosHost");
export const FLEET_TYPE = dynamicType("NixosFleet");

/** Pulumi's marker of a secret value in exported state (sdk/go/common/resource/sig). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** A managed container: where it is, how to reach it, and what the stack last deployed. */
export interface Target {
  /** The host's name for people: the inventory's host name (`host1` of `host1/web`) or the address label. */
  host: string;
  /** The host as the provider labels it (address, with `:port` when not 22). */
  hostLabel: string;
  name: string;
  connection: ConnectionInput;
  /** What the stack last recorded. */
  deployed: { systemPath: string | null; configHash: string | null; status: string | null; ipAddress: string | null };
  /** Its secret files as the stack last recorded them (values in memory only, to compare digests). */
  secrets?: Secrets;
  urn: string;
}

interface StateResource {
  urn: string;
  type: string;
  outputs?: Record<string, unknown>;
  delete?: boolean;
}

/** The stack's state cannot be used (secrets still encrypted, no connection). */
export class StateError extends ProviderError {}

/** Unwraps Pulumi's secret envelopes, recursively. */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG] === SECRET_VALUE) {
    if (typeof record.plaintext !== "string") {
      throw new StateError("the stack's secrets are still encrypted: read the state with `pulumi stack export --show-secrets`");
    }
    return revealSecrets(JSON.parse(record.plaintext));
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v)]));
}

/** The resource's own name: the last `::` part of its URN. */
function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

function target(urn: string, hostName: string, connection: ConnectionInput, c: Record<string, unknown>): Target | undefined {
  const name = str(c.name);
  if (!name) return undefined;
  return {
    host: hostName,
    hostLabel: hostLabel({ host: connection.host, port: connection.port ?? 22 }),
    name,
    connection,
    deployed: { systemPath: str(c.systemPath), configHash: str(c.configHash), status: str(c.status), ipAddress: str(c.ipAddress) },
    ...(c.secrets && typeof c.secrets === "object" ? { secrets: revealSecrets(c.secrets) as Secrets } : {}),
    urn,
  };
}

function connectionOf(value: unknown, urn: string): ConnectionInput {
  const connection = revealSecrets(value) as ConnectionInput | undefined;
  if (!connection || typeof connection.host !== "string") throw new StateError(`${urn} has no connection in the stack's state; run \`pulumi refresh\``);
  return connection;
}

/** Each container of a host's `containers` output. */
function hostTargets(urn: string, hostName: string, connection: ConnectionInput, containers: unknown): Target[] {
  return Object.entries((revealSecrets(containers) ?? {}) as Record<string, Record<string, unknown>>).flatMap(([key, c]) => target(urn, hostName, connection, { name: key, ...c }) ?? []);
}

/** Every container of NixosContainer, NixosHost and NixosFleet resources in an exported deployment. */
export function targetsFromState(exported: unknown): Target[] {
  const resources = ((exported as { deployment?: { resources?: StateResource[] } })?.deployment?.resources ?? []).filter((r) => !r.delete);
  const out: Target[] = [];
  for (const r of resources) {
    if (!r.outputs) continue;
    if (r.type === CONTAINER_TYPE) {
      const outputs = r.outputs;
      const connection = connectionOf(outputs.connection, r.urn);
      const own = resourceName(r.urn);
      const name = str(outputs.name);
      // The Fleet names its resources `<inventory host>/<container>`: that host name is what people call it.
      const hostName = name && own.endsWith(`/${name}`) ? own.slice(0, -name.length - 1) : hostLabel({ host: connection.host, port: connection.port ?? 22 });
      const t = target(r.urn, hostName, connection, outputs);
      if (t) out.push(t);
    } else if (r.type === HOST_TYPE) {
      const outputs = r.outputs;
      const own = resourceName(r.urn);
      const hostName = own.includes("/") ? (str(outputs.host) ?? own) : own;
      out.push(...hostTargets(r.urn, hostName, connectionOf(outputs.connection, r.urn), outputs.containers));
    } else if (r.type === FLEET_TYPE) {
      // The fleet's host names are what people call its hosts (the inventory's, with a Fleet).
      const hosts = (r.outputs.hosts ?? {}) as Record<string, Record<string, unknown>>;
      const connections = (revealSecrets(r.outputs.connections) ?? {}) as Record<string, unknown>;
      for (const [hostName, h] of Object.entries(hosts)) out.push(...hostTargets(r.urn, hostName, connectionOf(connections[hostName], r.urn), h.containers));
    }
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
}
