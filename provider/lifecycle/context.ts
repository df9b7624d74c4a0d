/**
 * What the lifecycle functions need from the outside: a way to reach a host
 * and the per-host engines. The dynamic provider wires SSH; tests can wire a
 * local transport.
 */
import { createHash } from "node:crypto";
import type { Connection } from "../host/connection";
import type { Host } from "../host/host";
import { EngineRegistry, defaultEngineOptions, type HostEngine } from "../deploy/engine";

export interface LifecycleContext {
  engineFor(connection: Connection): HostEngine;
}

/**
 * One engine per distinct connection: resources that reach a host the same way share one
 * (one rebuild per round); a resource with other credentials or host key settings for the
 * same host gets its own, so it never runs over a connection it did not ask for (say, one
 * without host key verification). Rounds of two engines on one host are serialised by the
 * host lock.
 */
export function contextFrom(hostFor: (connection: Connection) => Host, registry = new EngineRegistry(defaultEngineOptions())): LifecycleContext {
  return {
    engineFor: (connection) => {
      const key = connectionKey(connection);
      return registry.existing(key) ?? registry.engineFor(hostFor(connection), key);
    },
  };
}

/** A digest of every connection setting (credentials included, so they are not kept as a map key). */
function connectionKey(connection: Connection): string {
  const canonical = JSON.stringify(connection, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
  return createHash("sha256").update(canonical).digest("hex");
}
