/**
 * What the lifecycle functions need from the outside: a way to reach a host
 * and the per-host engines. The dynamic provider wires SSH; tests can wire a
 * local transport.
 */
import type { Connection } from "../host/connection";
import type { Host } from "../host/host";
import { EngineRegistry, defaultEngineOptions, type HostEngine } from "../host/engine";

export interface LifecycleContext {
  engineFor(connection: Connection): HostEngine;
}

export function contextFrom(hostFor: (connection: Connection) => Host, registry = new EngineRegistry(defaultEngineOptions())): LifecycleContext {
  return { engineFor: (connection) => registry.engineFor(hostFor(connection)) };
}
