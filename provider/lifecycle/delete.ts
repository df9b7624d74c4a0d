/** delete: remove the module, rebuild, wait until the container has stopped; data only on request. */
import type { LifecycleContext } from "./context";
import { prepare } from "./inputs";
import { inputSubset } from "./read";
import { guarded } from "./apply";
import { ownerOf } from "./owner";

export async function remove(ctx: LifecycleContext, props: Record<string, unknown>): Promise<void> {
  const { spec } = prepare({ ...inputSubset(props), nixConfig: undefined });
  await guarded(spec.connection, () =>
    ctx.engineFor(spec.connection).apply({
      name: spec.name,
      owner: ownerOf(props),
      kind: "delete",
      deleteData: spec.deleteData,
      rebuildAction: spec.rebuildAction,
      updateStrategy: spec.updateStrategy,
      rebuildTimeoutSeconds: spec.rebuildTimeoutSeconds,
    }),
  );
}
