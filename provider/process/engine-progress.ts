/**
 * Where the dynamic front sends the engine's progress (deploy/progress.ts):
 *
 * - status: ephemeral, on the row of every resource of the round (the
 *   NixosHost, or each NixosContainer): the live phase, gone after the run.
 * - info, warn: kept, on the round's resource when it has one (a NixosHost,
 *   or a single container), else on the Stack, so a host's summary line is
 *   written once and not once per container.
 * - debug: Pulumi's debug severity, shown by `pulumi up --debug`.
 *
 * `PULUMI_NIXOS_CONTAINERS_LOG=debug` keeps everything: status and every line
 * of the remote commands as ordinary messages (shown live and under
 * `Diagnostics:`), for debugging.
 */
import type { Progress } from "../deploy/progress";
import type { LogSink } from "./engine-log";

export type Verbosity = "normal" | "debug";

export function verbosityFrom(env: NodeJS.ProcessEnv = process.env): Verbosity {
  return env.PULUMI_NIXOS_CONTAINERS_LOG?.trim().toLowerCase() === "debug" ? "debug" : "normal";
}

export class EngineProgress implements Progress {
  constructor(
    private readonly sink: LogSink,
    private readonly verbosity: Verbosity,
    /** The resources this reporter speaks for; none: the Stack. */
    private readonly urns: readonly string[] = [],
  ) {}

  about(urns: readonly string[]): Progress {
    return new EngineProgress(this.sink, this.verbosity, [...new Set(urns.filter(Boolean))]);
  }

  status(message: string): void {
    if (this.verbosity === "debug") return this.sink.send("info", message, this.single, false);
    for (const urn of this.urns.length > 0 ? this.urns : [""]) this.sink.send("info", message, urn, true);
  }

  info(message: string): void {
    this.sink.send("info", message, this.single, false);
  }

  warn(message: string): void {
    this.sink.send("warning", message, this.single, false);
  }

  debug(message: string): void {
    this.sink.send(this.verbosity === "debug" ? "info" : "debug", message, this.single, false);
  }

  /** A line kept after the run belongs to one row: the round's only resource, or the Stack. */
  private get single(): string {
    return this.urns.length === 1 ? this.urns[0] : "";
  }
}
