/**
 * create and update: push the module through the host engine and report
 * what the host then runs.
 */
import type { LifecycleContext } from "./context";
import { prepare } from "./inputs";
import { configHash } from "../container/module";
import { outputsFor } from "./outputs";
import { resourceId } from "./identity";
import { redactorFor } from "../host/ssh/redact";
import type { ContainerChange, Owner } from "../deploy/change";
import { mustReachHost, ownerOf, withOwner } from "./owner";
import type { ContainerSpec } from "../container/validate";

export async function create(ctx: LifecycleContext, inputs: Record<string, unknown>): Promise<{ id: string; outs: Record<string, unknown> }> {
  const { spec, module } = prepare(inputs);
  const id = resourceId(spec.connection, spec.name);
  const outs = await guarded(spec.connection, () => push(ctx, "create", spec, module, ownerOf(inputs))).catch((e) => rethrowApplied(e, id, spec, module, inputs));
  return { id, outs: { ...outs, ...withOwner(inputs) } };
}

export async function update(ctx: LifecycleContext, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ outs: Record<string, unknown> }> {
  const { spec, module } = prepare(news);
  // configHash confirms the host has exactly this module (it is blank after a failed apply). A
  // change that sets out to adopt the container goes to the host whatever the state says: the
  // engine decides.
  if (olds.nixConfig === module && olds.configHash === configHash(module) && !mustReachHost(olds, spec.adopt) && sameDeploymentTarget(olds, spec)) {
    // Only provider-side settings changed (credentials, timeouts, strategy): nothing to do on the host.
    return { outs: { ...outputsFrom(olds), ...spec, nixConfig: module, ...withOwner(news) } };
  }
  const id = resourceId(spec.connection, spec.name);
  const outs = await guarded(spec.connection, () => push(ctx, "update", spec, module, ownerOf(news))).catch((e) => rethrowApplied(e, id, spec, module, news));
  return { outs: { ...outs, ...withOwner(news) } };
}

/**
 * A failure after the host already runs the new configuration (a unit failed
 * to start, a reload failed): tell Pulumi the resource exists, so its state
 * follows the host and the next `pulumi up` retries instead of orphaning it.
 */
function rethrowApplied(error: unknown, id: string, spec: ContainerSpec, module: string, inputs: Record<string, unknown>): never {
  if (error instanceof Error && (error as { applied?: boolean }).applied) {
    const properties = { ...outputsFor(spec, module, { name: spec.name, module, conf: null, status: "down" }), configHash: "", ...withOwner(inputs), __provider: inputs.__provider };
    throw Object.assign(error, { id, properties, reasons: [error.message] });
  }
  throw error;
}

async function push(ctx: LifecycleContext, kind: "create" | "update", spec: ContainerSpec, module: string, owner: Owner | undefined) {
  const change: ContainerChange = {
    name: spec.name,
    owner,
    kind,
    module,
    adopt: spec.adopt,
    rebuildAction: spec.rebuildAction,
    updateStrategy: spec.updateStrategy,
    flake: spec.flake !== undefined,
    rebuildTimeoutSeconds: spec.rebuildTimeoutSeconds,
  };
  const result = await ctx.engineFor(spec.connection).apply(change);
  return outputsFor(spec, module, result.state);
}

function sameDeploymentTarget(olds: Record<string, unknown>, spec: { connection: { host: string; port: number } }): boolean {
  const old = olds.connection as { host?: string; port?: number } | undefined;
  return old?.host === spec.connection.host && old?.port === spec.connection.port;
}

function outputsFrom(olds: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(olds).filter(([k]) => !k.startsWith("__")));
}

/** Errors leave the provider with every credential of the connection blanked out. */
export async function guarded<T>(connection: Parameters<typeof redactorFor>[0], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw redacted(connection, e);
  }
}

/** The error with every credential of the connection blanked out of its message and string fields. */
export function redacted(connection: Parameters<typeof redactorFor>[0], e: unknown): Error {
  const redact = redactorFor(connection);
  const error = e instanceof Error ? e : new Error(String(e));
  const clean = new Error(redact(error.message));
  clean.name = error.name;
  Object.assign(clean, Object.fromEntries(Object.entries(error).filter(([k]) => k !== "message" && k !== "stack").map(([k, v]) => [k, typeof v === "string" ? redact(v) : v])));
  return clean;
}
