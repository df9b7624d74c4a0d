/**
 * The dynamic provider's implementation, loaded by name inside the Pulumi provider process
 * (see sdk/provider.ts). Module state here is per process: one SSH pool and one engine per
 * host, shared by every resource of a run. A front adds no deployment logic: it wires SSH and
 * the engine's log into the lifecycle and serves each kind's operations as they are.
 */
import { KINDS, contextFrom, hostLabel, resourceOps, type KindName, type ResourceOps } from "../lifecycle";
import { acquireHost, makeRedactor, secretValues } from "../host/ssh";
import { EngineRegistry, defaultEngineOptions } from "../deploy/engine";
import type { Connection } from "../inputs/connection";
import { EngineLog, engineAddress, stderrSink } from "./engine-log";
import { EngineProgress, verbosityFrom } from "./engine-progress";

const address = engineAddress();
const sink = address ? new EngineLog(address) : stderrSink;
const progress = new EngineProgress(sink, verbosityFrom());

const context = contextFrom(
  (connection: Connection) =>
    acquireHost(connection, {
      label: hostLabel(connection),
      // Connecting and retrying is live status of the run (the connection serves every resource of the host).
      logger: (level, message) => (level === "warn" || level === "error" ? progress.warn(message) : level === "info" ? progress.status(message) : progress.debug(message)),
    }),
  (connections) => makeRedactor(connections.flatMap((c) => (c && typeof c === "object" ? secretValues(c) : []))),
  new EngineRegistry({ ...defaultEngineOptions(), progress }),
);

/** Every message of a step reaches the engine before the step ends (the run may end with it). */
function delivering(ops: ResourceOps): ResourceOps {
  const delivered = <A extends unknown[], T>(op: (...args: A) => T) =>
    (async (...args: A) => {
      try {
        return await op(...args);
      } finally {
        await sink.drain();
      }
    }) as unknown as (...args: A) => T;
  return Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, delivered(op)])) as unknown as ResourceOps;
}

/** Each resource kind's operations, by the kind's name (sdk/provider.ts calls these). */
export const fronts = Object.fromEntries(Object.values(KINDS).map((kind) => [kind.name, delivering(resourceOps(kind, context, progress))])) as Record<KindName, ResourceOps>;

/**
 * The entry points that provider text serialized by release 0.1.0 calls: `check` … `remove` of
 * a NixosContainer, `hostCheck` … `hostRemove` of a NixosHost. Pulumi keeps a resource's
 * serialized provider in its state and runs that text for refresh and destroy until the
 * resource's next update, so these names stay.
 */
function release010Name(kind: KindName, op: keyof ResourceOps): string {
  const name = op === "delete" ? "remove" : op;
  return kind === "NixosHost" ? `host${name[0].toUpperCase()}${name.slice(1)}` : name;
}
for (const kind of ["NixosContainer", "NixosHost"] as const) {
  for (const op of Object.keys(fronts[kind]) as (keyof ResourceOps)[]) {
    (module.exports as Record<string, unknown>)[release010Name(kind, op)] = (...args: unknown[]) => (fronts[kind][op] as (...a: unknown[]) => unknown)(...args);
  }
}
