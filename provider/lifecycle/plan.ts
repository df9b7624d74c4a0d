/**
 * diff and plan. `diff` answers Pulumi from the property bags (it also runs in preview, when
 * some values are unknown): only inputs count, so a new provider version alone is no change,
 * and a change to the resource's identity replaces it. `plan` decides, container by
 * container, what a step does on each host: create, update, secrets (only its secret files
 * change: no module, no rebuild), keep (nothing on the host) or delete.
 */
import { configHash } from "../container/module";
import { canonicalJson as canonical, comparable } from "./codec";
import { hostLabel } from "./identity";
import type { ResourceKind } from "./kinds";
import type { DeclaredHost, Entry, Recorded, RecordedHost } from "./model";
import type { HostSettings } from "../container/host-validate";
import { secretsDiffer } from "./secrets";

type Props = Record<string, unknown>;

export interface DiffOutcome {
  /**
   * false: nothing changed. undefined: something did (DIFF_UNKNOWN): the engine then diffs the
   * old and new inputs itself and keeps that detailed diff, so `pulumi preview --diff` prints
   * only the containers and properties that changed (a dynamic provider cannot send a detailed
   * diff of its own: reference pulumi.md 1.2). true for a NixosContainer (see kinds.ts).
   */
  changes: boolean | undefined;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export function diff(kind: ResourceKind, olds: Props, news: Props): DiffOutcome {
  const before = comparable(kind.shape, olds);
  const after = comparable(kind.shape, news);
  // In preview, inputs with unknown values come back from check without their defaults: a
  // property left unset there (connection.port) is no change of identity.
  const replaces = kind.identity.filter((path) => valueAt(after, path) !== undefined && valueAt(before, path) !== valueAt(after, path));
  const changed = replaces.length > 0 || canonical(before) !== canonical(after);
  return { changes: changed ? kind.changedAnswer : false, replaces, deleteBeforeReplace: replaces.length > 0 };
}


function valueAt(props: Props, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Props)[k] : undefined), props);
}

export type Step =
  | { kind: "create"; entry: Entry }
  | { kind: "update" | "secrets" | "keep"; entry: Entry; old: Recorded }
  | { kind: "delete"; old: Recorded };

/**
 * One host's part of a step: the settings of its round and what happens to each container;
 * or, for a host a targeted run leaves alone, its record as it is (`held`).
 */
export interface HostPlan {
  settings: HostSettings & { key: string };
  steps: Step[];
  held?: RecordedHost;
  /** A host no longer declared: once its containers are gone, the state forgets it. */
  leaving?: true;
}

/**
 * What to do on every host to go from what the state records to what is declared. Hosts are
 * matched by address and port; containers by name. A container is kept when the host has
 * exactly its module (configHash is blank after a failed apply) and no takeover is asked for.
 * `onlyHosts` (a targeted run) names the hosts that may change; the others are held as
 * recorded, and a declared host not named waits for a later run.
 */
export function plan(recorded: RecordedHost[], declared: DeclaredHost[], onlyHosts?: string[]): HostPlan[] {
  const targeted = (key: string) => onlyHosts === undefined || onlyHosts.includes(key);
  const held: HostPlan[] = recorded.filter((h) => !targeted(h.key)).map((h) => ({ settings: h, steps: [], held: h }));
  const before = new Map(recorded.filter((h) => targeted(h.key)).map((h) => [hostLabel(h.connection), h]));
  const plans: HostPlan[] = declared.filter((h) => targeted(h.key)).map((host) => {
    const old = before.get(hostLabel(host.connection));
    before.delete(hostLabel(host.connection));
    const byName = new Map((old?.containers ?? []).map((r) => [r.spec.name, r]));
    const steps: Step[] = host.entries.map((entry) => {
      const was = byName.get(entry.spec.name);
      byName.delete(entry.spec.name);
      if (!was) return { kind: "create", entry };
      const kind = !unchanged(was, entry) ? "update" : secretsDiffer(was.spec.secrets, entry.spec.secrets) ? "secrets" : "keep";
      return { kind, entry, old: was };
    });
    for (const was of byName.values()) steps.push({ kind: "delete", old: was });
    return { settings: host, steps };
  });
  // Hosts no longer declared: every container they had goes.
  for (const old of before.values()) plans.push({ settings: old, steps: old.containers.map((was) => ({ kind: "delete", old: was })), leaving: true });
  return [...plans, ...held];
}

function unchanged(old: Recorded, entry: Entry): boolean {
  return old.outputs.nixConfig === entry.module && old.outputs.configHash === configHash(entry.module) && !mustReachHost(old, entry.spec.adopt);
}

/**
 * Whether an update must reach the host although the module is unchanged: it adopts a
 * container another stack took over (managedBy), or turns adopt on. Without adopt, a container
 * another stack manages is left alone (its state keeps managedBy).
 */
function mustReachHost(old: Recorded, adopt: boolean): boolean {
  return adopt && (Boolean(old.outputs.managedBy) || !old.spec.adopt);
}
