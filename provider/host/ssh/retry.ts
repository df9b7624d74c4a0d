/**
 * Bounded connect retries: `connectAttempts` attempts, exponential backoff
 * 0.5 s, 1 s, 2 s, 4 s, then 5 s, only for errors marked `retryable`
 * (refused, reset, unreachable, timed out). Host key and authentication
 * failures are never retried.
 */
import { SshError, isSshError } from "./errors";
import type { SshLogger } from "./logger";

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 5000;

/** Delay after the n-th failed attempt (n >= 1). */
export function backoffMs(failedAttempt: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failedAttempt - 1));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withConnectRetries<T>(
  attempts: number,
  what: string,
  log: SshLogger,
  attempt: (n: number) => Promise<T>,
  delay: (failedAttempt: number) => number = backoffMs,
): Promise<T> {
  for (let n = 1; ; n++) {
    log("info", `connecting to ${what} (attempt ${n}/${attempts})`);
    try {
      return await attempt(n);
    } catch (e) {
      const retryable = isSshError(e) && e.retryable;
      if (!retryable || n >= attempts) {
        if (isSshError(e) && e.code === "connect" && n > 1) {
          throw new SshError(e.code, e.host, `${e.message} (gave up after ${n} attempts, connection.timeouts.connectAttempts)`, {
            cause: e,
            details: { ...e.details, attempts: n },
          });
        }
        throw e;
      }
      const wait = delay(n);
      log("info", `retrying ${what} in ${(wait / 1000).toFixed(1)} s (attempt ${n}/${attempts} failed: ${(e as Error).message})`);
      await sleep(wait);
    }
  }
}
