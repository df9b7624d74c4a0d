/**
 * What every Pulumi front wires in its provider process (the dynamic provider's, the plugin's):
 * the SSH transport and the redaction of credentials as the lifecycle's context, progress to the
 * engine's Log RPC (the engine's address is among the process's arguments), and operations that
 * deliver every message before their step ends. One per process: one SSH pool and one engine per
 * host, shared by every resource of a run.
 */
import { contextFrom, hostLabel, type LifecycleContext, type ResourceOps } from "../lifecycle";
import { acquireHost, makeRedactor, secretValues } from "../host/ssh";
import { EngineRegistry, defaultEngineOptions } from "../deploy/engine";
import type { Progress } from "../deploy/progress";
import type { Connection } from "../inputs/connection";
import { EngineLog, engineAddress, stderrSink } from "./engine-log";
import { EngineProgress, verbosityFrom } from "./engine-progress";

export interface ProviderProcess {
  context: LifecycleContext;
  progress: Progress;
  /** The same operations, each resolving only once its messages reached the engine (the run may end with it). */
  delivering(ops: ResourceOps): ResourceOps;
}

export interface ProcessOptions {
  /** The connection a host is reached by, from the one a resource gives (the plugin fills in its provider configuration). */
  complete?: (connection: Connection) => Connection;
  /** Credentials of the process itself (the plugin's configuration), blanked out of every error like a resource's own. */
  secrets?: readonly string[];
}

export function providerProcess(options: ProcessOptions = {}): ProviderProcess {
  const complete = options.complete ?? ((c: Connection) => c);
  const address = engineAddress();
  const sink = address ? new EngineLog(address) : stderrSink;
  const progress = new EngineProgress(sink, verbosityFrom());
  const context = contextFrom(
    (connection: Connection) =>
      acquireHost(complete(connection), {
        label: hostLabel(connection),
        // Connecting and retrying is live status of the run (the connection serves every resource of the host).
        logger: (level, message) => (level === "warn" || level === "error" ? progress.warn(message) : level === "info" ? progress.status(message) : progress.debug(message)),
      }),
    (connections, values = []) =>
      makeRedactor([...(options.secrets ?? []), ...connections.flatMap((c) => (c && typeof c === "object" ? secretValues(c) : [])), ...values]),
    new EngineRegistry({ ...defaultEngineOptions(), progress }),
  );
  const delivering = (ops: ResourceOps): ResourceOps => {
    const delivered = <A extends unknown[], T>(op: (...args: A) => T) =>
      (async (...args: A) => {
        try {
          return await op(...args);
        } finally {
          await sink.drain();
        }
      }) as unknown as (...args: A) => T;
    return Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, delivered(op)])) as unknown as ResourceOps;
  };
  return { context, progress, delivering };
}
