/**
 * Failures of a deployment step on a host. A `ChangeError` belongs to one
 * container's change; a `HostError` stops every change on that host. Both
 * carry the host and the phase, and a message that says what to do.
 */
export type ChangePhase = "preflight" | "write" | "evaluation" | "build" | "activation" | "update" | "lock" | "timeout" | "transport" | "refused";

export class HostError extends Error {
  constructor(
    readonly host: string,
    readonly phase: ChangePhase,
    message: string,
  ) {
    super(message);
    this.name = "HostError";
  }
}

export class ChangeError extends Error {
  constructor(
    readonly host: string,
    readonly container: string,
    readonly phase: ChangePhase,
    message: string,
    /** True when the host now runs the new configuration despite the error (activation failures). */
    readonly applied = false,
  ) {
    super(message);
    this.name = "ChangeError";
  }
}

/** The part of nixos-rebuild's output worth showing: from the first error on, bounded. */
export function errorExcerpt(output: string, maxLines = 60): string {
  const lines = output.split("\n");
  const first = lines.findIndex((l) => /^(error|warning: the following units failed)/.test(l.trim()));
  const relevant = (first >= 0 ? lines.slice(first) : lines.slice(-maxLines)).filter((l) => !l.startsWith("__PULUMI"));
  const cut = relevant.length > maxLines ? [...relevant.slice(0, maxLines), `… (${relevant.length - maxLines} more lines)`] : relevant;
  return cut.join("\n").trimEnd();
}
