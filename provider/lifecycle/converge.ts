/**
 * converge: carry out a plan on its hosts, all at once (or maxParallelHosts at a time), each
 * host in one round of the engine (provider/deploy: one connection, one nixos-rebuild, culprits
 * isolated), and record what every container now runs. Hosts with nothing to change are not
 * contacted. Each container settles on its own, and each host: a host that cannot be reached
 * fails its own changes only. A failed change leaves what its host still runs (the previous
 * record, or none); a change that failed after the host took its module is recorded with a
 * blank configHash, so the next run applies it again.
 */
import { wasApplied } from "../errors";
import type { ChangeOutcome, ContainerChange, Owner } from "../deploy/change";
import { silentProgress, type Progress } from "../deploy/progress";
import type { LifecycleContext } from "./context";
import { hostLabel } from "./identity";
import { atMost } from "./limit";
import { recordOf, type HostSettings, type Recorded, type RecordedHost } from "./model";
import type { HostPlan, Step } from "./plan";
import { DRIFTED, markedSecrets, secretChanges } from "./secrets";

export interface Failed {
  name: string;
  error: Error;
}

export interface HostOutcome {
  /** What the host now runs, as the state will record it. */
  host: RecordedHost;
  /** How many container changes went to the host (kept containers do not). */
  changes: number;
  failures: Failed[];
  /** The host left the resource and runs none of its containers any more: nothing to record. */
  gone: boolean;
}

export interface ConvergeOptions {
  owner?: Owner;
  /** Join the burst of changes other resources bring to the same host (kinds.ts joinsBurst). */
  joinBurst: boolean;
  /** At most this many hosts at once; undefined: every host at once. */
  maxParallelHosts?: number;
  /** The resource's reporter: how many of its hosts are done, while several converge. */
  progress?: Progress;
}

export async function converge(ctx: LifecycleContext, plans: HostPlan[], options: ConvergeOptions): Promise<HostOutcome[]> {
  const changing = plans.filter((p) => !p.held && p.steps.some((s) => s.kind !== "keep")).length;
  const progress = options.progress ?? silentProgress;
  let done = 0;
  let failed = 0;
  return atMost(options.maxParallelHosts, plans, async (p) => {
    const outcome = await convergeHost(ctx, p, options);
    if (outcome.changes === 0 || changing < 2) return outcome;
    done++;
    if (outcome.failures.length > 0) failed++;
    progress.status(`${done} of ${changing} hosts done${failed > 0 ? `, ${failed} with failures` : ""} (last: ${hostLabel(p.settings.connection)})`);
    return outcome;
  });
}

async function convergeHost(ctx: LifecycleContext, plan: HostPlan, options: ConvergeOptions): Promise<HostOutcome> {
  if (plan.held) return { host: plan.held, changes: 0, failures: [], gone: false };
  const changes = plan.steps.filter((s) => s.kind !== "keep").map((s) => changeFor(s, plan.settings, options.owner));
  const outcomes: ChangeOutcome[] =
    changes.length === 0
      ? []
      : await ctx
          .engineFor(plan.settings.connection)
          .applyBatch(changes, { joinBurst: options.joinBurst })
          .catch((e: unknown) => changes.map((c) => ({ name: c.name, error: e as Error })));
  const byName = new Map(outcomes.map((o) => [o.name, o]));
  const containers = plan.steps.map((s) => recordAfter(s, byName.get(nameOf(s)))).filter((r): r is Recorded => r !== undefined);
  const { key, connection, rebuildAction, rebuildTimeoutSeconds } = plan.settings;
  return {
    host: { key, connection, rebuildAction, rebuildTimeoutSeconds, containers },
    changes: changes.length,
    failures: outcomes.filter((o) => o.error).map((o) => ({ name: o.name, error: o.error! })),
    gone: plan.leaving === true && containers.length === 0,
  };
}

const nameOf = (step: Step) => (step.kind === "delete" ? step.old.spec.name : step.entry.spec.name);

/** What the state records for a container after its step. */
function recordAfter(step: Step, outcome: ChangeOutcome | undefined): Recorded | undefined {
  if (step.kind === "delete") return outcome?.error ? step.old : undefined; // not removed: still there
  const { entry } = step;
  if (step.kind === "keep") {
    // Nothing to do on the host (new provider-side settings): its last known state.
    const was = step.old.outputs;
    const kept = recordOf(entry.key, entry.spec, entry.module, { status: was.status, ipAddress: was.ipAddress ?? undefined, systemPath: was.systemPath ?? undefined });
    return { ...kept, outputs: { ...kept.outputs, managedBy: was.managedBy } };
  }
  if (step.kind === "secrets") {
    // Only its files changed: what the host runs is as recorded.
    const was = step.old.outputs;
    if (outcome?.result) {
      const r = recordOf(entry.key, entry.spec, entry.module, outcome.result.state);
      return { ...r, outputs: { ...r.outputs, managedBy: was.managedBy } };
    }
    // Written, but a unit did not restart: the next run writes them again (and restarts again).
    if (wasApplied(outcome?.error)) {
      const written = Object.fromEntries(secretChanges(step.old.spec.secrets, entry.spec.secrets).filter((f) => f.value !== undefined).map((f) => [f.file, DRIFTED.unsettled]));
      return { ...step.old, key: entry.key, spec: markedSecrets(entry.spec, written) };
    }
    return { ...step.old, key: entry.key };
  }
  if (outcome?.result) return recordOf(entry.key, entry.spec, entry.module, outcome.result.state);
  if (wasApplied(outcome?.error)) {
    const applied = recordOf(entry.key, entry.spec, entry.module, { module: entry.module });
    return { ...applied, outputs: { ...applied.outputs, configHash: "" } };
  }
  // Rolled back: the host still runs the old module.
  return step.kind === "update" ? { ...step.old, key: entry.key } : undefined;
}

function changeFor(step: Step, settings: HostSettings, owner: Owner | undefined): ContainerChange {
  const { rebuildAction, rebuildTimeoutSeconds } = settings;
  if (step.kind === "delete") {
    const { spec } = step.old;
    return { name: spec.name, kind: "delete", owner, deleteData: spec.deleteData === true, rebuildAction, updateStrategy: spec.updateStrategy ?? "reload", rebuildTimeoutSeconds };
  }
  const { spec, module } = step.entry;
  return {
    name: spec.name,
    kind: step.kind === "create" ? "create" : step.kind === "secrets" ? "secrets" : "update",
    owner,
    // A secrets-only change writes no module.
    module: step.kind === "secrets" ? undefined : module,
    adopt: spec.adopt,
    rebuildAction,
    updateStrategy: spec.updateStrategy,
    flake: spec.flake !== undefined,
    rebuildTimeoutSeconds,
    secrets: secretChanges(step.kind === "create" ? undefined : step.old.spec.secrets, spec.secrets),
    healthChecks: spec.healthChecks,
    rollback: spec.rollback ?? true,
  };
}
