/**
 * read (refresh) of a NixosHost: every container of the host in one round trip. A
 * container whose module is gone leaves the state (the next `pulumi up` creates it again);
 * one whose module was edited on the host shows up as a changed nixConfig under its key,
 * which the next `pulumi up` overwrites.
 */
import type { LifecycleContext } from "./context";
import { prepareHost, entryInputs, hostInputs } from "./host-inputs";
import { containersOf, entryOutputs } from "./host-apply";
import { hostInputSubset } from "./host-diff";
import { hostLabel } from "./identity";
import { guarded } from "./apply";
import { stackOf, takenOverBy, takenOverWarning, withOwner } from "./owner";
import type { Progress } from "../deploy/progress";
import type { ReadOutcome } from "./read";

export async function readHost(ctx: LifecycleContext, id: string, props: Record<string, unknown>, progress: Progress): Promise<ReadOutcome> {
  // The state's nixConfig may be a hand edit found by an earlier refresh: render afresh instead.
  const prepared = prepareHost(hostInputSubset(props), { ignoreNixConfig: true });
  const { connection } = prepared.host;
  return guarded(connection, async () => {
    const states = await ctx.engineFor(connection).readAll(prepared.entries.map((e) => e.spec.name));
    const outputs: Record<string, unknown> = {};
    const inputs: Record<string, unknown> = {};
    const last = containersOf(props);
    prepared.entries.forEach((entry, i) => {
      const state = states[i];
      if (state.module === null) return; // gone from the host
      const other = takenOverBy(props, state);
      if (other) {
        // Not drift: the state keeps this stack's last module, so the next up leaves it alone.
        progress.warn(takenOverWarning(id, entry.spec.name, other));
        outputs[entry.key] = { ...last[entry.key], managedBy: stackOf(other) };
        inputs[entry.key] = { ...entryInputs(entry.spec, entry.module), nixConfig: last[entry.key]?.nixConfig ?? entry.module };
        return;
      }
      outputs[entry.key] = { ...last[entry.key], ...entryOutputs(entry.spec, entry.module, state) };
      inputs[entry.key] = { ...entryInputs(entry.spec, entry.module), nixConfig: state.module };
    });
    const host = hostInputs(prepared.host);
    return {
      id,
      props: { ...host, host: hostLabel(connection), containers: outputs, ...withOwner(props) },
      inputs: { ...host, containers: inputs, ...withOwner(props) },
    };
  });
}
