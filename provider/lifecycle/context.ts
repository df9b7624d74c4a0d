/**
 * What the lifecycle needs from the outside: a way to reach a host (the per-host engines) and
 * to blank credentials out of what it reports. The front wires the transport (SSH); tests can
 * wire a local one. The lifecycle itself knows nothing of SSH.
 */
import { createHash } from "node:crypto";
import type { Connection } from "../inputs/connection";
import type { Host } from "../host/host";
import { EngineRegistry, defaultEngineOptions, type HostEngine } from "../deploy/engine";

export type Redactor = (text: string) => string;

export interface LifecycleContext {
  engineFor(connection: Connection): HostEngine;
  /** A redactor for every credential of these connections (as given in a resource's properties), and for other secret values. */
  redactorFor(connections: unknown[], values?: string[]): Redactor;
}

/**
 * One engine per distinct connection: resources that reach a host the same way share one
 * (one rebuild per round); a resource with other credentials or host key settings for the
 * same host gets its own, so it never runs over a connection it did not ask for (say, one
 * without host key verification). Rounds of two engines on one host are serialised by the
 * host lock.
 */
export function contextFrom(
  hostFor: (connection: Connection) => Host,
  redactorFor: LifecycleContext["redactorFor"],
  registry = new EngineRegistry(defaultEngineOptions()),
): LifecycleContext {
  return {
    engineFor: (connection) => {
      const key = connectionKey(connection);
      return registry.existing(key) ?? registry.engineFor(hostFor(connection), key);
    },
    redactorFor,
  };
}

/** A digest of every connection setting (credentials included, so they are not kept as a map key). */
function connectionKey(connection: Connection): string {
  const canonical = JSON.stringify(connection, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
  return createHash("sha256").update(canonical).digest("hex");
}
