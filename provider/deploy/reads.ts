/**
 * Batched reads for refresh: every container asked about within a short
 * window is read in one round trip. Reads take no lock: they only look.
 */
import type { Host } from "../host/host";
import type { ContainerState } from "./change";
import { parseReport } from "./protocol";
import { readContainers } from "./scripts";
import { stateFrom } from "./round";
import { HostError } from "../errors";

export class HostReader {
  private pending = new Map<string, { resolve(s: ContainerState): void; reject(e: Error): void }[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly host: Host,
    private readonly windowMs = 30,
  ) {}

  read(name: string): Promise<ContainerState> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(name) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(name, waiters);
      this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    const fail = (error: Error) => {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    };
    let result;
    try {
      result = await this.host.exec(readContainers([...batch.keys()]), { privileged: true });
    } catch (e) {
      // A read changes nothing on the host, so a lost connection only needs saying so.
      const message = `${this.host.label}: reading the state of ${[...batch.keys()].join(", ")} failed; nothing on the host was changed, try again. (${(e as Error).message})`;
      return fail(new HostError(this.host.id, "transport", message, { cause: e }));
    }
    const report = parseReport(result.stdout);
    if (!report.complete) return fail(new HostError(this.host.id, "transport", `${this.host.label}: reading container state failed: ${result.stderr.trim() || `exit ${result.code}`}`));
    for (const [name, waiters] of batch) {
      const state = stateFrom(name, report.containers.get(name) ?? {}, null);
      for (const w of waiters) w.resolve(state);
    }
  }
}
