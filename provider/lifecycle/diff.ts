/**
 * diff: what changed between the state (old outputs) and the new inputs.
 * Only inputs count, so a new provider version alone is no change; the name
 * and the host's address and port replace the container, deleting first
 * (the same name cannot exist twice on one host).
 */
import { inputSubset } from "./read";

export interface DiffOutcome {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export function diff(olds: Record<string, unknown>, news: Record<string, unknown>): DiffOutcome {
  const before = inputSubset(olds);
  const after = inputSubset(news);
  const replaces: string[] = [];
  if (before.name !== after.name) replaces.push("name");
  const oldConnection = (before.connection ?? {}) as Record<string, unknown>;
  const newConnection = (after.connection ?? {}) as Record<string, unknown>;
  for (const key of ["host", "port"]) if (oldConnection[key] !== newConnection[key]) replaces.push(`connection.${key}`);
  const changes = replaces.length > 0 || canonical(before) !== canonical(after);
  return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** JSON with sorted keys and undefined members dropped, for comparison. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, v[k]])) : v,
  );
}
