/**
 * converge: carry out a plan on its hosts, all at once, each host in one round of the engine
 * (provider/deploy: one connection, one nixos-rebuild, culprits isolated), and record what every
 * container now runs. Each container settles on its own: a failed change leaves what its host
 * still runs (the previous record, or none); a change that failed after the host took its
 * module is recorded with a blank configHash, so the next run applies it again.
 */
import { wasApplied } from "../errors";
import type { ChangeOutcome, ContainerChange, Owner } from "../deploy/change";
import type { LifecycleContext } from "./context";
import { recordOf, type HostSettings, type Recorded, type RecordedHost } from "./model";
import type { HostPlan, Step } from "./plan";

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
}

export interface ConvergeOptions {
  owner?: Owner;
  /** Join the burst of changes other resources bring to the same host (kinds.ts joinsBurst). */
  joinBurst: boolean;
}

export function converge(ctx: LifecycleContext, plans: HostPlan[], options: ConvergeOptions): Promise<HostOutcome[]> {
  return Promise.all(plans.map((p) => convergeHost(ctx, p, options)));
}

async function convergeHost(ctx: LifecycleContext, plan: HostPlan, options: ConvergeOptions): Promise<HostOutcome> {
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
  const { connection, rebuildAction, rebuildTimeoutSeconds } = plan.settings;
  return {
    host: { connection, rebuildAction, rebuildTimeoutSeconds, containers },
    changes: changes.length,
    failures: outcomes.filter((o) => o.error).map((o) => ({ name: o.name, error: o.error! })),
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
    kind: step.kind === "create" ? "create" : "update",
    owner,
    module,
    adopt: spec.adopt,
    rebuildAction,
    updateStrategy: spec.updateStrategy,
    flake: spec.flake !== undefined,
    rebuildTimeoutSeconds,
    healthChecks: spec.healthChecks,
    rollback: spec.rollback ?? true,
  };
}
