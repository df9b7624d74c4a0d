/**
 * Progress. Deployment code reports what it does per host and container
 * through this one interface, at four levels that say who needs the line:
 *
 * - `status`: the phase a round is in (locking, writing, building,
 *   activating, done in X s). Live only: a user watches it while it runs and
 *   never needs it again.
 * - `info`: worth reading after the run: one summary line per host.
 * - `warn`: needs attention.
 * - `debug`: every line of the remote commands, for debugging.
 *
 * `about(urns)` scopes a reporter to the Pulumi resources a round's changes
 * belong to. Where the lines go (which resource's row, kept or ephemeral,
 * shown or not) is the front's choice: provider/process/engine-progress.ts
 * for Pulumi, a test's array, stderr for anything else.
 */
export interface Progress {
  status(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** The same reporter, for the resources (URNs) of the changes a round applies. */
  about(urns: readonly string[]): Progress;
}

/** For callers with no Pulumi engine (the CLI, scripts): what matters, on stderr. */
export const stderrProgress: Progress = {
  status: () => undefined,
  info: (message) => process.stderr.write(`nixos-containers: ${message}\n`),
  warn: (message) => process.stderr.write(`nixos-containers: warning: ${message}\n`),
  debug: () => undefined,
  about: () => stderrProgress,
};

export const silentProgress: Progress = { status: () => undefined, info: () => undefined, warn: () => undefined, debug: () => undefined, about: () => silentProgress };

/** Seconds since `start`, for "done in 12.3 s". */
export function elapsed(start: number): string {
  return seconds(Date.now() - start);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
