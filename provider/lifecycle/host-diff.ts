/**
 * diff for a NixosHost: only inputs count. A new host address or port replaces the
 * NixosHost (its containers move: delete first, as for a NixosContainer); any other
 * change, to any container or to the set of containers, is one update of the host.
 *
 * When something changed, `changes` is left undefined (DIFF_UNKNOWN): the engine then
 * diffs the old and new inputs itself and keeps that detailed diff, so `pulumi preview
 * --diff` prints only the containers and properties that changed, not the whole host
 * (a dynamic provider cannot send a detailed diff of its own: reference pulumi.md 1.2).
 */
import { inputSubset } from "./read";
import { canonical, type DiffOutcome } from "./diff";

export function diffHost(olds: Record<string, unknown>, news: Record<string, unknown>): Omit<DiffOutcome, "changes"> & { changes: false | undefined } {
  const before = hostInputSubset(olds);
  const after = hostInputSubset(news);
  const replaces: string[] = [];
  const oldConnection = (before.connection ?? {}) as Record<string, unknown>;
  const newConnection = (after.connection ?? {}) as Record<string, unknown>;
  for (const key of ["host", "port"]) if (oldConnection[key] !== newConnection[key]) replaces.push(`connection.${key}`);
  const changes = replaces.length > 0 || canonical(before) !== canonical(after);
  return { changes: changes ? undefined : false, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** The inputs of a NixosHost state or input object: each container entry without its outputs. */
export function hostInputSubset(props: Record<string, unknown>): Record<string, unknown> {
  const { host: _label, containers, ...rest } = inputSubset(props) as Record<string, unknown> & { containers?: Record<string, Record<string, unknown>> };
  const entries = Object.fromEntries(Object.entries(containers ?? {}).map(([k, c]) => [k, c && typeof c === "object" ? inputSubset(c) : c]));
  return { ...rest, containers: entries };
}
