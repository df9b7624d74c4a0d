/**
 * The one line a host gets at the end of its work in a run:
 * `host1: 1 rebuild (switch) in 4.2 s, 10 containers: 8 unchanged, 2 updated`, and with health
 * checks `host2: 2 rebuilds (switch) in 8.1 s, 3 containers: 2 updated, 1 rolled back (web:
 * health: tcp 80 refused after 60 s); health checks: 2 passed, 1 failed`.
 * The scheduler adds up the rounds that follow each other without a pause
 * (a retry of one container on its own is part of the same work) and reports
 * once its queue is empty.
 */
import type { ContainerChange } from "./change";
import type { HealthOutcome } from "./health-gate";
import { seconds } from "./progress";

/** What one round measured, filled in by runRound. */
export interface RoundTally {
  rebuilds: number;
  rebuildMs: number;
  /** Containers the provider managed on the host when the round began (module files). */
  managedBefore?: number;
}

export const newTally = (): RoundTally => ({ rebuilds: 0, rebuildMs: 0 });

type Outcome = "created" | "updated" | "deleted" | "with secrets rotated" | "left in place" | "failed" | "rolled back" | "left stopped";
const PAST: Record<ContainerChange["kind"], Outcome> = { create: "created", update: "updated", delete: "deleted", secrets: "with secrets rotated" };

export class HostSummary {
  private rebuilds = 0;
  private rebuildMs = 0;
  private actions = new Set<string>();
  private managedBefore?: number;
  /** By container: its last outcome (a container retried alone counts once). */
  private outcomes = new Map<string, { kind: ContainerChange["kind"]; outcome: Outcome; health?: HealthOutcome }>();

  get empty(): boolean {
    return this.outcomes.size === 0;
  }

  /** `left`: a delete that let go of a container another resource manages now (it stays on the host). */
  add(tally: RoundTally, settled: { change: ContainerChange; ok: boolean; retrying: boolean; left?: boolean; health?: HealthOutcome }[]): void {
    this.rebuilds += tally.rebuilds;
    this.rebuildMs += tally.rebuildMs;
    // The first round saw the host before any change of this run.
    this.managedBefore ??= tally.managedBefore;
    for (const s of settled) {
      if (s.retrying) continue;
      if (tally.rebuilds > 0) this.actions.add(s.change.rebuildAction);
      const h = s.health;
      const outcome: Outcome = !s.ok ? (h?.outcome === "rolled back" || h?.outcome === "left stopped" ? h.outcome : "failed") : s.left ? "left in place" : PAST[s.change.kind];
      this.outcomes.set(s.change.name, { kind: s.change.kind, outcome, health: h });
    }
  }

  line(label: string): string {
    const rebuilds = this.rebuilds === 0 ? "no rebuild" : `${this.rebuilds} rebuild${this.rebuilds === 1 ? "" : "s"} (${[...this.actions].join(", ")}) in ${seconds(this.rebuildMs)}`;
    const all = [...this.outcomes.entries()];
    const count = (o: Outcome) => all.filter(([, x]) => x.outcome === o).length;
    // Containers there before that this run did not touch (updates and deletes were among them).
    const touchedBefore = [...this.outcomes.values()].filter((x) => x.kind !== "create").length;
    const unchanged = this.managedBefore === undefined ? undefined : Math.max(0, this.managedBefore - touchedBefore);
    // Which health check each container failed: `(web: health: tcp 80 refused after 60 s)`.
    const why = (o: Outcome) => {
      const reasons = all.filter(([, x]) => x.outcome === o && x.health && "summary" in x.health).map(([name, x]) => `${name}: health: ${(x.health as { summary: string }).summary}`);
      return reasons.length > 0 ? ` (${reasons.join("; ")})` : "";
    };
    const parts: [number | undefined, Outcome | "unchanged"][] = [
      [unchanged, "unchanged"],
      [count("created"), "created"],
      [count("updated"), "updated"],
      [count("with secrets rotated"), "with secrets rotated"],
      [count("deleted"), "deleted"],
      [count("left in place"), "left in place"],
      [count("rolled back"), "rolled back"],
      [count("left stopped"), "left stopped"],
      [count("failed"), "failed"],
    ];
    const total = (unchanged ?? 0) + this.outcomes.size;
    const counts = parts.filter(([n]) => n !== undefined && n > 0).map(([n, what]) => `${n} ${what}${what === "unchanged" ? "" : why(what)}`);
    const checked = all.filter(([, x]) => x.health && x.health.outcome !== "not running");
    const passed = checked.filter(([, x]) => x.health!.outcome === "passed").length;
    const health = checked.length === 0 ? "" : `; health checks: ${[passed > 0 && `${passed} passed`, checked.length > passed && `${checked.length - passed} failed`].filter(Boolean).join(", ")}`;
    return `${label}: ${rebuilds}, ${total} container${total === 1 ? "" : "s"}: ${counts.join(", ")}${health}`;
  }
}
