/**
 * Progress lines. Deployment code reports what it does per host and
 * container through this one interface; where the lines go (stderr of the
 * provider process, which Pulumi shows; a test's array) is the caller's choice.
 */
export interface Progress {
  info(message: string): void;
  warn(message: string): void;
}

export const stderrProgress: Progress = {
  info: (message) => process.stderr.write(`nixos-containers: ${message}\n`),
  warn: (message) => process.stderr.write(`nixos-containers: warning: ${message}\n`),
};

export const silentProgress: Progress = { info: () => undefined, warn: () => undefined };

/** Seconds since `start`, for "rebuilding (12.3 s)". */
export function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}
