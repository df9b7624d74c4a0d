/**
 * The Pulumi engine's Log RPC, from inside a provider process (the dynamic provider's or the plugin's).
 *
 * The engine starts the provider with its own gRPC address as an argument
 * (@pulumi/pulumi cmd/dynamic-provider main(args); the Node dynamic provider
 * itself ignores it). Through that address a message can name the resource it
 * belongs to (`urn`: it lands on that resource's row) and be `ephemeral`
 * (shown as the row's live status, never repeated under `Diagnostics:`).
 * Plain stderr has neither: the engine attaches it to the Stack and keeps it.
 */
import { dirname } from "node:path";
import { stderrProgress } from "../deploy/progress";

export type Severity = "debug" | "info" | "warning";

export interface LogSink {
  send(severity: Severity, message: string, urn: string, ephemeral: boolean): void;
  /** Resolves once every message sent so far has been delivered (or given up on). */
  drain(): Promise<void>;
}

/** The engine address among the provider process's arguments (host:port; flags such as -v=9 may come first). */
export function engineAddress(args: readonly string[] = process.argv.slice(2)): string | undefined {
  return args.find((a) => /^[^-][^\s]*:\d+$/.test(a));
}

/**
 * Messages in the order they were sent (the engine shows a row's last status,
 * so order matters), one RPC at a time. A message the engine cannot take goes
 * to stderr if it must not be lost (not for ephemeral status).
 */
export class EngineLog implements LogSink {
  private last: Promise<void> = Promise.resolve();
  private client?: { log(req: unknown, done: (err: Error | null) => void): void };
  private proto?: { LogRequest: new () => LogRequest; LogSeverity: Record<string, number> };
  private broken = false;

  constructor(private readonly address: string) {}

  send(severity: Severity, message: string, urn: string, ephemeral: boolean): void {
    this.last = this.last.then(() => this.deliver(severity, message, urn, ephemeral)).catch(() => fallback(severity, message, ephemeral));
  }

  drain(): Promise<void> {
    return this.last;
  }

  private deliver(severity: Severity, message: string, urn: string, ephemeral: boolean): Promise<void> {
    if (this.broken) return Promise.reject(new Error("the engine did not answer"));
    const { client, proto } = this.connect();
    const req = new proto.LogRequest();
    req.setSeverity(proto.LogSeverity[severity.toUpperCase()]);
    req.setMessage(message);
    req.setUrn(urn);
    req.setEphemeral(ephemeral);
    return new Promise((resolve, reject) =>
      client.log(req, (err) => {
        if (!err) return resolve();
        // One failure (no engine at that address) is enough: do not wait on every later line.
        this.broken = true;
        reject(err);
      }),
    );
  }

  private connect() {
    if (!this.client || !this.proto) {
      // The gRPC module and stubs @pulumi/pulumi itself uses (the stubs only accept its grpc-js).
      const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
      const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
      const { EngineClient } = require("@pulumi/pulumi/proto/engine_grpc_pb");
      this.proto = require("@pulumi/pulumi/proto/engine_pb");
      this.client = new EngineClient(this.address, grpc.credentials.createInsecure());
    }
    return { client: this.client!, proto: this.proto! };
  }
}

interface LogRequest {
  setSeverity(v: number): void;
  setMessage(v: string): void;
  setUrn(v: string): void;
  setEphemeral(v: boolean): void;
}

/** No engine: stderr, which Pulumi shows attached to the Stack. */
export const stderrSink: LogSink = {
  send: (severity, message, _urn, ephemeral) => fallback(severity, message, ephemeral),
  drain: () => Promise.resolve(),
};

function fallback(severity: Severity, message: string, ephemeral: boolean): void {
  if (ephemeral || severity === "debug") return;
  if (severity === "info") stderrProgress.info(message);
  else stderrProgress.warn(message);
}
