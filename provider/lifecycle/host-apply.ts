/**
 * create, update and delete of a NixosHost: the changes to all of the host's containers
 * go to the engine as one batch, so the host gets one connection and one nixos-rebuild
 * whatever `--parallel` is. Each container settles on its own: a failed one is left as it
 * was on the host (the round rolls it back) and the state records exactly what every
 * container now runs, so the next `pulumi up` retries only what failed.
 */
import type { LifecycleContext } from "./context";
import type { ChangeOutcome, ContainerChange, Owner } from "../deploy/change";
import type { ContainerSpec } from "../container/validate";
import { configHash } from "../container/module";
import { prepareHost, hostInputs, withoutHostSettings, type PreparedEntry, type PreparedHost } from "./host-inputs";
import { outputsFor } from "./outputs";
import { hostLabel } from "./identity";
import { redacted } from "./apply";
import { mustReachHost, ownerOf, withOwner } from "./owner";
import { hostInputSubset } from "./host-diff";

type Props = Record<string, unknown>;
type EntryOutputs = Record<string, unknown> & { name: string; nixConfig?: string; configHash?: string };

export async function createHost(ctx: LifecycleContext, inputs: Props): Promise<{ id: string; outs: Props }> {
  const prepared = prepareHost(inputs);
  const id = hostLabel(prepared.host.connection);
  const planned = prepared.entries.map((e) => ({ entry: e, kind: "create" as const }));
  const outs = await converge(ctx, prepared, planned, {}, inputs);
  return { id, outs };
}

export async function updateHost(ctx: LifecycleContext, olds: Props, news: Props): Promise<{ outs: Props }> {
  const prepared = prepareHost(news);
  const before = containersOf(olds);
  const byName = new Map(Object.values(before).map((o) => [o.name, o]));
  const planned: Planned[] = [];
  for (const entry of prepared.entries) {
    const old = byName.get(entry.spec.name);
    // configHash confirms the host has exactly this module (it is blank after a failed apply),
    // unless this change sets out to adopt it (mustReachHost).
    const unchanged = old && old.nixConfig === entry.module && old.configHash === configHash(entry.module) && !mustReachHost(old, entry.spec.adopt);
    planned.push({ entry, kind: !old ? "create" : unchanged ? "keep" : "update" });
  }
  const wanted = new Set(prepared.entries.map((e) => e.spec.name));
  for (const old of byName.values()) if (!wanted.has(old.name)) planned.push({ old, kind: "delete" });
  return { outs: await converge(ctx, prepared, planned, before, news) };
}

export async function deleteHost(ctx: LifecycleContext, props: Props): Promise<void> {
  // props are the state (outputs): each container's inputs without its reported state.
  const prepared = prepareHost(hostInputSubset(props), { ignoreNixConfig: true });
  const planned: Planned[] = Object.values(containersOf(props)).map((old) => ({ old, kind: "delete" }));
  if (planned.length === 0) return;
  const outcomes = await applyAll(ctx, prepared, planned.map((p) => changeFor(p, prepared, ownerOf(props))));
  const failed = outcomes.filter((o) => o.error);
  if (failed.length > 0) throw summarise(prepared, failed, outcomes.length, "removing");
}

type Planned = { entry: PreparedEntry; kind: "create" | "update" | "keep" } | { old: EntryOutputs; kind: "delete" };

/** Apply the plan in one round and build the outputs from what each container now runs. */
async function converge(ctx: LifecycleContext, prepared: PreparedHost, planned: Planned[], before: Record<string, EntryOutputs>, inputs: Props): Promise<Props> {
  const owner = ownerOf(inputs);
  const changes = planned.filter((p) => p.kind !== "keep").map((p) => changeFor(p, prepared, owner));
  const outcomes = changes.length === 0 ? [] : await applyAll(ctx, prepared, changes);
  const outcome = new Map(outcomes.map((o) => [o.name, o]));

  const containers: Record<string, EntryOutputs> = {};
  const oldKeyOf = (name: string) => Object.keys(before).find((k) => before[k].name === name);
  for (const p of planned) {
    if (p.kind === "delete") {
      // A container that could not be removed is still there: keep it in the state.
      if (outcome.get(p.old.name)?.error) containers[oldKeyOf(p.old.name)!] = p.old;
      continue;
    }
    const { entry } = p;
    const old = before[oldKeyOf(entry.spec.name) ?? ""];
    if (p.kind === "keep") {
      // Nothing to do on the host: new provider-side settings, the last known state.
      const last = { status: old.status === "up" ? "up" : "down", ipAddress: (old.ipAddress as string | null) ?? undefined, systemPath: (old.systemPath as string | null) ?? undefined } as const;
      containers[entry.key] = { ...old, ...entryOutputs(entry.spec, entry.module, last), managedBy: old.managedBy ?? null };
      continue;
    }
    const o = outcome.get(entry.spec.name)!;
    if (o.result) containers[entry.key] = entryOutputs(entry.spec, entry.module, o.result.state);
    else if ((o.error as { applied?: boolean }).applied) {
      // The host runs the new module, but something after the switch failed: record it with a
      // blank configHash, so the next run applies it again.
      containers[entry.key] = { ...entryOutputs(entry.spec, entry.module, { module: entry.module }), configHash: "" };
    } else if (old) containers[entry.key] = old; // rolled back: the host still runs the old module
  }
  const outs = { ...hostInputs(prepared.host), host: hostLabel(prepared.host.connection), containers, ...withOwner(inputs) };
  const failed = outcomes.filter((o) => o.error);
  if (failed.length > 0) {
    const error = summarise(prepared, failed, outcomes.length, "applying");
    // A partial update (reference pulumi.md 9): Pulumi records these properties as the state.
    throw Object.assign(error, { id: hostLabel(prepared.host.connection), properties: { ...outs, __provider: inputs.__provider }, reasons: failed.map((f) => `${f.name}: ${f.error!.message}`) });
  }
  return outs;
}

/** One round for the whole batch; every outcome's error with the connection's credentials blanked out. */
async function applyAll(ctx: LifecycleContext, prepared: PreparedHost, changes: ContainerChange[]): Promise<ChangeOutcome[]> {
  const { connection } = prepared.host;
  const outcomes = await ctx
    .engineFor(connection)
    .applyBatch(changes)
    .catch((e: unknown) => changes.map((c) => ({ name: c.name, error: e as Error })));
  return outcomes.map((o) => (o.error ? { ...o, error: redacted(connection, o.error) } : o));
}

function changeFor(p: Planned, prepared: PreparedHost, owner: Owner | undefined): ContainerChange {
  const { rebuildAction, rebuildTimeoutSeconds } = prepared.host;
  if (p.kind === "delete") {
    return {
      name: p.old.name,
      kind: "delete",
      owner,
      deleteData: p.old.deleteData === true,
      rebuildAction,
      updateStrategy: (p.old.updateStrategy as ContainerChange["updateStrategy"]) ?? "reload",
      rebuildTimeoutSeconds,
    };
  }
  const { spec, module } = p.entry;
  return {
    name: spec.name,
    kind: p.kind === "create" ? "create" : "update",
    owner,
    module,
    adopt: spec.adopt,
    rebuildAction,
    updateStrategy: spec.updateStrategy,
    flake: spec.flake !== undefined,
    rebuildTimeoutSeconds,
  };
}

/** A container's outputs inside a NixosHost: those of a NixosContainer, without the host's settings. */
export function entryOutputs(spec: ContainerSpec, module: string, state: Partial<Parameters<typeof outputsFor>[2]>): EntryOutputs {
  return withoutHostSettings(outputsFor(spec, module, { name: spec.name, module: null, conf: null, status: "down", ...state })) as EntryOutputs;
}

export function containersOf(props: Props): Record<string, EntryOutputs> {
  const c = props.containers;
  return c && typeof c === "object" && !Array.isArray(c) ? (c as Record<string, EntryOutputs>) : {};
}

function summarise(prepared: PreparedHost, failed: ChangeOutcome[], total: number, doing: string): Error {
  const label = hostLabel(prepared.host.connection);
  const head = `${label}: ${failed.length} of ${total} container change${total === 1 ? "" : "s"} failed while ${doing} them; the others were applied`;
  return new Error([head, ...failed.map((f) => `- ${f.name}: ${f.error!.message}`)].join("\n"));
}
