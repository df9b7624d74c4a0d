/**
 * The hosts of some targets, each reached over the provider's SSH pool (host
 * keys verified, jump hosts, sudo; secrets never printed): one connection per
 * host, hosts worked on in parallel, a host that fails is a result, not a crash.
 */
import type { Host } from "../../host/host";
import { SshPool } from "../../host/ssh";
import type { Target } from "./targets";

export interface HostGroup {
  /** The host's name for people (Target.host). */
  name: string;
  targets: Target[];
}

export type HostOutcome<T> = { group: HostGroup; value: T; error?: undefined } | { group: HostGroup; error: Error; value?: undefined };

/** Targets grouped by connection (same host, same login): one SSH connection each. */
export function groupByHost(targets: readonly Target[]): HostGroup[] {
  const groups = new Map<string, HostGroup>();
  for (const t of targets) {
    const key = JSON.stringify(t.connection);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { name: t.host, targets: [] }));
    g.targets.push(t);
  }
  return [...groups.values()];
}

/** One pool per CLI run: it closes every connection at the end, so the process can exit. */
export class HostSet {
  private readonly pool = new SshPool({ idleTimeoutMs: 60_000 });

  host(target: Target): Host {
    return this.pool.acquireHost(target.connection, { label: target.host === target.hostLabel ? target.host : `${target.host} (${target.hostLabel})` });
  }

  /** `work` on every host at once; each host's result or error. */
  forEach<T>(groups: readonly HostGroup[], work: (host: Host, group: HostGroup) => Promise<T>): Promise<HostOutcome<T>[]> {
    return Promise.all(
      groups.map(async (group): Promise<HostOutcome<T>> => {
        let host: Host | undefined;
        try {
          host = this.host(group.targets[0]);
          return { group, value: await work(host, group) };
        } catch (e) {
          return { group, error: e as Error };
        } finally {
          await host?.close();
        }
      }),
    );
  }

  stats() {
    return this.pool.stats();
  }

  close(): Promise<void> {
    return this.pool.closeAll();
  }
}

/**
 * Prints the error of each host that failed (its containers are not listed)
 * and hands the others to `each`; the exit status: 1 when a host or an `each` failed.
 */
export function reportOutcomes<T>(outcomes: readonly HostOutcome<T>[], each: (value: T, group: HostGroup) => boolean): number {
  let code = 0;
  for (const o of outcomes) {
    if (o.error) {
      process.stderr.write(`nixos-containers: ${o.group.name}: ${o.error.message}\n`);
      code = 1;
    } else if (!each(o.value, o.group)) {
      code = 1;
    }
  }
  return code;
}
