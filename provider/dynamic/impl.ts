/**
 * The dynamic provider's implementation, loaded by name inside the Pulumi provider process
 * (see sdk/provider.ts). A front adds no deployment logic: it serves each kind's operations, on
 * the process's wiring (provider/process), as they are.
 */
import { KINDS, resourceOps, type KindName, type ResourceOps } from "../lifecycle";
import { providerProcess } from "../process/wiring";

const { context, progress, delivering } = providerProcess();

/** Each resource kind's operations, by the kind's name (sdk/provider.ts calls these). */
export const fronts = Object.fromEntries(Object.values(KINDS).map((kind) => [kind.name, delivering(resourceOps(kind, context, progress))])) as Record<KindName, ResourceOps>;

/**
 * The entry points that provider text serialized by release 0.1.0 calls: `check` … `remove` of
 * a NixosContainer, `hostCheck` … `hostRemove` of a NixosHost. Pulumi keeps a resource's
 * serialized provider in its state and runs that text for refresh and destroy until the
 * resource's next update, so these names stay.
 */
function release010Name(kind: KindName, op: keyof ResourceOps): string {
  const name = op === "delete" ? "remove" : op;
  return kind === "NixosHost" ? `host${name[0].toUpperCase()}${name.slice(1)}` : name;
}
for (const kind of ["NixosContainer", "NixosHost"] as const) {
  for (const op of Object.keys(fronts[kind]) as (keyof ResourceOps)[]) {
    (module.exports as Record<string, unknown>)[release010Name(kind, op)] = (...args: unknown[]) => (fronts[kind][op] as (...a: unknown[]) => unknown)(...args);
  }
}
