/**
 * The host lock: a lease directory under /run/lock, taken atomically with
 * mkdir and renewed by every step of a round. Two `pulumi up` runs, from one
 * machine or two, never interleave on a host; a run that dies without
 * releasing it blocks others only until its lease expires (or the host
 * reboots, since /run is a tmpfs).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Host } from "../host/host";
import { HostError } from "../errors";
import { LOCK_DIR } from "./layout";
import { parseReport, type ScriptReport } from "./protocol";
import { acquireAndInspect, releaseLock } from "./scripts";
import type { Progress } from "./progress";

export interface LockOptions {
  leaseSeconds: number;
  /** Give up waiting for another holder after this long. */
  waitSeconds: number;
  pollMs?: number;
}

export class HostLock {
  readonly token = randomBytes(12).toString("hex");
  readonly holder = `pulumi-nixos-containers@${hostname().replace(/[^A-Za-z0-9.-]/g, "_")}:pid${process.pid}`;

  constructor(
    private readonly host: Host,
    private readonly progress: Progress,
  ) {}

  /** Take the lock and inspect the host in the same round trip; waits while another run holds it. */
  async acquire(names: readonly string[], options: LockOptions): Promise<ScriptReport> {
    const start = Date.now();
    let announced = false;
    for (let attempt = 1; ; attempt++) {
      const script = acquireAndInspect({ token: this.token, holder: this.holder, leaseSeconds: options.leaseSeconds }, names);
      this.mayHold = true;
      const result = await this.host.exec(script, { privileged: true }).catch(async (e: Error) => {
        // Never reached the host: nothing was taken, and there is nothing to give back (a
        // warning about it would only hide the real error).
        if ((e as { code?: unknown }).code === "connect") this.mayHold = false;
        // Lost while taking it: the lease may be ours now. Give it back (only if it is ours), or
        // every later run would wait for it to expire.
        else await this.release();
        throw e;
      });
      const report = parseReport(result.stdout);
      const lock = report.fields.get("LOCK") ?? "";
      if (lock.startsWith("acquired") || lock.startsWith("renewed") || lock.startsWith("stale-taken")) {
        if (lock.startsWith("stale-taken")) this.progress.warn(`${this.host.label}: took over an expired lock left by ${lock.slice("stale-taken ".length)}`);
        if (!report.complete) throw new HostError(this.host.id, "preflight", `${this.host.label}: inspecting the host failed: ${result.stderr.trim() || result.stdout.trim()}`);
        return report;
      }
      if (!lock.startsWith("busy")) {
        throw new HostError(this.host.id, "lock", `${this.host.label}: could not take the deployment lock: ${(result.stderr || result.stdout).trim() || `exit ${result.code}`}`);
      }
      const [, expiry, ...holder] = lock.split(" ");
      const waited = (Date.now() - start) / 1000;
      if (waited >= options.waitSeconds) {
        throw new HostError(
          this.host.id,
          "lock",
          `${this.host.label}: another deployment (${holder.join(" ")}) has held the lock for more than ${Math.round(waited)} s; it expires at ${new Date(Number(expiry) * 1000).toISOString()}. Wait for it, or if that run is gone, remove ${LOCK_DIR} on the host.`,
        );
      }
      if (!announced) {
        this.progress.status(`${this.host.label}: waiting for the deployment lock held by ${holder.join(" ")} (expires ${new Date(Number(expiry) * 1000).toISOString()})`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, Math.min(options.pollMs ?? 1000 * Math.min(attempt, 5), 5000)));
    }
  }

  private released = false;
  /** False until a lock command may have reached the host. */
  private mayHold = false;

  /** The round's last command gave the lock back itself (scripts.afterSwitch). */
  markReleased(): void {
    this.released = true;
  }

  /** Give the lock back; a failure here only delays others until the lease expires. */
  async release(): Promise<void> {
    if (this.released || !this.mayHold) return;
    try {
      await this.host.exec(releaseLock(this.token), { privileged: true, timeoutMs: 30_000 });
    } catch (e) {
      this.progress.warn(`${this.host.label}: could not release the deployment lock (${(e as Error).message}); it expires by itself`);
    }
  }
}
