/**
 * Coalescing: the changes Pulumi sends for one host within a short window
 * become one round, so a host gets one nixos-rebuild per run however many of
 * its containers changed. Rounds on one host never overlap; rounds on
 * different hosts run in parallel.
 */
import type { Host } from "../host/host";
import type { ContainerChange, ChangeResult, ChangeOutcome } from "./change";
import { runRound, type RoundOptions } from "./round";
import type { Progress } from "./progress";
import { HostSummary, newTally } from "./summary";

export interface SchedulerOptions extends RoundOptions {
  /** Wait this long after the last change arrived before starting a round. */
  quietMs: number;
  /** Never hold the first change back longer than this. */
  maxWaitMs: number;
  /** Off: every change gets its own round (the benchmark's "no coalescing" baseline). */
  coalesce: boolean;
  /**
   * Shared by the schedulers of all hosts: when any host last received a
   * change. Pulumi sends a run's changes as one burst across hosts, so a host
   * waits until the whole burst is quiet, not just its own share of it.
   */
  arrivals?: { last: number };
}

interface Waiting {
  change: ContainerChange;
  solo: boolean;
  resolve(result: ChangeResult): void;
  reject(error: Error): void;
}

export class HostScheduler {
  private queue: Waiting[] = [];
  private running = false;
  private timer?: NodeJS.Timeout;
  private firstArrival = 0;
  /** Rounds run so far (for tests and the benchmark). */
  rounds = 0;
  /** The rounds since the host's last summary line, and the resources they served. */
  private summary = new HostSummary();
  private summaryUrns = new Set<string>();

  constructor(
    private readonly host: Host,
    private readonly progress: Progress,
    private readonly options: SchedulerOptions,
  ) {}

  /** One container's change: it waits for the rest of its host's burst. */
  submit(change: ContainerChange): Promise<ChangeResult> {
    return this.submitBatch([change], { joinBurst: true }).then(([o]) => {
      if (o.error) throw o.error;
      return o.result!;
    });
  }

  /**
   * Changes to apply in one round; each settles on its own, so one failure never hides the
   * others. `joinBurst`: more changes for this host are coming from other resources of the
   * run (NixosContainer): wait until the burst is quiet. Otherwise (NixosHost: all of a host's
   * changes at once) nothing else is coming, so the round starts now.
   */
  submitBatch(changes: ContainerChange[], options: { joinBurst?: boolean } = {}): Promise<ChangeOutcome[]> {
    if (options.joinBurst && this.options.arrivals) this.options.arrivals.last = Date.now();
    const solo = options.joinBurst === true && !this.options.coalesce;
    const outcomes = changes.map(
      (change) =>
        new Promise<ChangeOutcome>((resolve) => {
          this.enqueue(change, solo, (result) => resolve({ name: change.name, result }), (error) => resolve({ name: change.name, error }));
        }),
    );
    this.schedule(options.joinBurst ? undefined : 0);
    return Promise.all(outcomes);
  }

  private enqueue(change: ContainerChange, solo: boolean, resolve: (r: ChangeResult) => void, reject: (e: Error) => void): boolean {
    if (this.queue.some((w) => w.change.name === change.name)) {
      reject(new Error(`${this.host.label}: container "${change.name}" already has a change waiting in this run`));
      return false;
    }
    this.queue.push({ change, solo, resolve, reject });
    return true;
  }

  private schedule(delayMs?: number): void {
    if (this.running) return;
    if (!this.timer) this.firstArrival = Date.now();
    clearTimeout(this.timer);
    if (delayMs === 0) this.timer = setTimeout(() => void this.flush(), 0);
    else this.arm();
  }

  /** Start the round when every host has been quiet for quietMs, or maxWaitMs after this host's first change. */
  private arm(): void {
    const now = Date.now();
    const lastArrival = Math.max(this.options.arrivals?.last ?? 0, this.firstArrival);
    const quietAt = lastArrival + this.options.quietMs;
    const deadline = this.firstArrival + this.options.maxWaitMs;
    const at = Math.min(quietAt, deadline);
    this.timer = setTimeout(() => {
      const stillBusy = Date.now() < Math.max(this.options.arrivals?.last ?? 0, this.firstArrival) + this.options.quietMs;
      if (stillBusy && Date.now() < deadline) this.arm();
      else void this.flush();
    }, Math.max(0, at - now));
  }

  /** Once nothing more is queued: one line for what this host's rounds did. */
  private reportSummary(): void {
    if (this.summary.empty) return;
    this.progress.about([...this.summaryUrns]).info(this.summary.line(this.host.label));
    this.summary = new HostSummary();
    this.summaryUrns = new Set();
  }

  private takeBatch(): Waiting[] {
    const first = this.queue[0];
    if (first.solo) return this.queue.splice(0, 1);
    const batch = this.queue.filter((w) => !w.solo && w.change.rebuildAction === first.change.rebuildAction);
    this.queue = this.queue.filter((w) => !batch.includes(w));
    return batch;
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.queue.length === 0) return;
    this.running = true;
    const batch = this.takeBatch();
    const urns = batch.map((w) => w.change.owner?.urn).filter((u): u is string => !!u);
    for (const u of urns) this.summaryUrns.add(u);
    try {
      this.rounds++;
      const tally = newTally();
      const settled = await runRound(this.host, batch.map((w) => w.change), this.progress.about(urns), this.options, tally);
      this.summary.add(
        tally,
        settled.map((s) => ({ change: s.change, ok: !!s.result, retrying: !!s.retrySolo, left: s.change.kind === "delete" && s.result?.state.module != null, health: s.health })),
      );
      for (const s of settled) {
        const waiting = batch.find((w) => w.change.name === s.change.name)!;
        if (s.retrySolo) this.queue.push({ ...waiting, solo: true });
        else if (s.result) waiting.resolve(s.result);
        else waiting.reject(s.error ?? new Error(`${this.host.label}: ${s.change.name}: no result`));
      }
    } catch (e) {
      this.summary.add(newTally(), batch.map((w) => ({ change: w.change, ok: false, retrying: false })));
      for (const w of batch) w.reject(e as Error);
    } finally {
      this.running = false;
      if (this.queue.length === 0) this.reportSummary();
      if (this.queue.length > 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
        // Changes that arrived during the round wait for a short quiet period too.
        this.schedule();
      }
    }
  }
}
