/**
 * The one line a host gets at the end of its work in a run:
 * `host1: 1 rebuild (switch) in 4.2 s, 10 containers: 8 unchanged, 2 updated`.
 * The scheduler adds up the rounds that follow each other without a pause
 * (a retry of one container on its own is part of the same work) and reports
 * once its queue is empty.
 */
import type { ContainerChange } from "./change";
import { seconds } from "./progress";

/** What one round measured, filled in by runRound. */
export interface RoundTally {
  rebuilds: number;
  rebuildMs: number;
  /** Containers the provider managed on the host when the round began (module files). */
  managedBefore?: number;
}

export const newTally = (): RoundTally => ({ rebuilds: 0, rebuildMs: 0 });

type Outcome = "created" | "updated" | "deleted" | "secrets rotated" | "left in place" | "failed";
const PAST: Record<ContainerChange["kind"], Outcome> = { create: "created", update: "updated", delete: "deleted", secrets: "secrets rotated" };

export class HostSummary {
  private rebuilds = 0;
  private rebuildMs = 0;
  private actions = new Set<string>();
  private managedBefore?: number;
  /** By container: its last outcome (a container retried alone counts once). */
  private outcomes = new Map<string, { kind: ContainerChange["kind"]; outcome: Outcome }>();

  get empty(): boolean {
    return this.outcomes.size === 0;
  }

  /** `left`: a delete that let go of a container another resource manages now (it stays on the host). */
  add(tally: RoundTally, settled: { change: ContainerChange; ok: boolean; retrying: boolean; left?: boolean }[]): void {
    this.rebuilds += tally.rebuilds;
    this.rebuildMs += tally.rebuildMs;
    // The first round saw the host before any change of this run.
    this.managedBefore ??= tally.managedBefore;
    for (const s of settled) {
      if (s.retrying) continue;
      if (tally.rebuilds > 0) this.actions.add(s.change.rebuildAction);
      this.outcomes.set(s.change.name, { kind: s.change.kind, outcome: !s.ok ? "failed" : s.left ? "left in place" : PAST[s.change.kind] });
    }
  }

  line(label: string): string {
    const rebuilds = this.rebuilds === 0 ? "no rebuild" : `${this.rebuilds} rebuild${this.rebuilds === 1 ? "" : "s"} (${[...this.actions].join(", ")}) in ${seconds(this.rebuildMs)}`;
    const count = (o: Outcome) => [...this.outcomes.values()].filter((x) => x.outcome === o).length;
    // Containers there before that this run did not touch (updates and deletes were among them).
    const touchedBefore = [...this.outcomes.values()].filter((x) => x.kind !== "create").length;
    const unchanged = this.managedBefore === undefined ? undefined : Math.max(0, this.managedBefore - touchedBefore);
    const parts: [number | undefined, string][] = [
      [unchanged, "unchanged"],
      [count("created"), "created"],
      [count("updated"), "updated"],
      [count("secrets rotated"), "with secrets rotated"],
      [count("deleted"), "deleted"],
      [count("left in place"), "left in place"],
      [count("failed"), "failed"],
    ];
    const total = (unchanged ?? 0) + this.outcomes.size;
    const counts = parts.filter(([n]) => n !== undefined && n > 0).map(([n, what]) => `${n} ${what}`);
    return `${label}: ${rebuilds}, ${total} container${total === 1 ? "" : "s"}: ${counts.join(", ")}`;
  }
}
