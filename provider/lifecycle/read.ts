/**
 * read (refresh): what is on the host now. A missing module means the
 * container is gone; a module that differs from the state shows up as a
 * changed nixConfig and configHash, which the next `pulumi up` overwrites.
 * A container another stack has taken over is no drift: the state keeps
 * this stack's last configuration and says who manages it now (managedBy),
 * so the next `pulumi up` has nothing to change and leaves it to them.
 */
import type { LifecycleContext } from "./context";
import { prepare, withoutInternalKeys } from "./inputs";
import { outputsFor } from "./outputs";
import { guarded } from "./apply";
import { stackOf, takenOverBy, takenOverWarning, withOwner } from "./owner";
import { OUTPUT_ONLY_KEYS } from "../container/outputs";
import type { Progress } from "../deploy/progress";

export interface ReadOutcome {
  id?: string;
  props?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

export async function read(ctx: LifecycleContext, id: string, props: Record<string, unknown>, progress: Progress, oldInputs?: Record<string, unknown>): Promise<ReadOutcome> {
  const stateInputs = withoutInternalKeys(oldInputs ?? props);
  // The state's nixConfig may be a hand edit found by an earlier refresh: render afresh instead.
  const { spec, module } = prepare({ ...inputSubset(stateInputs), nixConfig: undefined });
  return guarded(spec.connection, async () => {
    const state = await ctx.engineFor(spec.connection).read(spec.name);
    if (state.module === null) return {};
    const other = takenOverBy(props, state);
    if (other) {
      progress.warn(takenOverWarning(id, spec.name, other));
      return { id, props: { ...props, managedBy: stackOf(other) }, inputs: { ...inputSubset(stateInputs), ...withOwner(oldInputs ?? props) } };
    }
    const outs = { ...outputsFor(spec, module, state), ...withOwner(props) };
    // Inputs as the host has them: a hand-edited module appears as a changed nixConfig.
    return { id, props: outs, inputs: { ...inputSubset(stateInputs), nixConfig: state.module, ...withOwner(oldInputs ?? props) } };
  });
}

/** The input properties of a state object (outputs also hold status, configHash, …). */
export function inputSubset(props: Record<string, unknown>): Record<string, unknown> {
  const outputOnly = new Set(OUTPUT_ONLY_KEYS);
  return Object.fromEntries(Object.entries(props).filter(([k]) => !outputOnly.has(k) && !k.startsWith("__")));
}

