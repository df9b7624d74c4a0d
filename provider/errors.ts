/**
 * The provider's errors: one small hierarchy that every front maps to what its user sees.
 *
 *   ProviderError          anything the provider reports; keeps its class and `cause`
 *   ├─ InputError          what the user gave cannot be used: every problem at its property path
 *   ├─ UsageError          the CLI was called wrongly (exit 2)
 *   ├─ HostError           a host could not be used: every change on it failed (SshError is one)
 *   ├─ ChangeError         one container's change failed on its host; the others stand
 *   └─ PartialFailure      a step that did part of its work: `properties` is the state to record
 *
 * A Pulumi front shows an InputError as check failures (or a failed step naming the paths), a
 * PartialFailure as a failed step whose state Pulumi records (ErrorResourceInitFailed,
 * reference pulumi.md 9), and the rest as a failed step. Nothing here imports another layer.
 */
import { formatProblems, type Problem } from "./inputs/problems";

export class ProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
  }
}

export class InputError extends ProviderError {
  constructor(
    readonly problems: Problem[],
    /** What was invalid, e.g. "NixosContainer inputs". */
    what = "NixosContainer inputs",
  ) {
    super(`invalid ${what}:\n${formatProblems(problems).map((l) => `  ${l}`).join("\n")}`);
  }
}

export class UsageError extends ProviderError {}

/** Where on a host a deployment step was when it failed. */
export type ChangePhase = "preflight" | "write" | "evaluation" | "build" | "activation" | "update" | "health" | "lock" | "timeout" | "transport" | "refused";

export class HostError extends ProviderError {
  constructor(
    /** The host's identity (`user@address:port`). */
    readonly host: string,
    readonly phase: ChangePhase,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ChangeError extends ProviderError {
  constructor(
    readonly host: string,
    readonly container: string,
    readonly phase: ChangePhase,
    message: string,
    /** True when the host now runs the new configuration despite the error (activation failures). */
    readonly applied = false,
  ) {
    super(message);
  }
}

/**
 * A step that changed part of what it set out to change. `properties` is what the resource now
 * is (Pulumi records it as the state), `reasons` one line per failure; the first failure is the
 * cause.
 */
export class PartialFailure extends ProviderError {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether the host runs the new configuration although the change failed. */
export function wasApplied(error: unknown): boolean {
  return error instanceof ChangeError && error.applied;
}
