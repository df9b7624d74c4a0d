/** Helpers for tests that deploy to the simulated fleet through the real engine and SSH transport. */
import { readFileSync } from "node:fs";
import { Fleet, type ManifestHost } from "../hosts/helpers";
import { SshPool } from "../../provider/host/ssh";
import { HostEngine, defaultEngineOptions, type EngineOptions } from "../../provider/deploy/engine";
import type { ContainerChange } from "../../provider/deploy/change";
import type { Progress } from "../../provider/deploy/progress";
import { validateContainer, formatProblems, type ContainerSpec } from "../../provider/container/validate";
import { renderContainerModule } from "../../provider/container/module";

export function rootConnection(host: ManifestHost) {
  return { host: host.address, hostKey: host.hostKey, privateKey: readFileSync(host.users.root.privateKeyPath, "utf8") };
}

export class RecordingProgress implements Progress {
  readonly lines: string[] = [];
  /** Called for each line as it is reported (to trigger a fault at a precise step). */
  onLine?: (line: string) => void;
  info(m: string) {
    this.lines.push(m);
    this.onLine?.(m);
  }
  warn(m: string) {
    this.lines.push(`warning: ${m}`);
    this.onLine?.(m);
  }
  status(m: string) {
    this.info(m);
  }
  debug(m: string) {
    this.lines.push(`debug: ${m}`);
  }
  /** URNs each round was reported for, in order. */
  readonly scopes: string[][] = [];
  about(urns: readonly string[]) {
    this.scopes.push([...urns]);
    return this;
  }
}

/** A fresh engine for host I, with its own connection pool: like a separate `pulumi up` process. */
export function newEngine(fleet: Fleet, i: number, options: Partial<EngineOptions> = {}) {
  const pool = new SshPool({ idleTimeoutMs: 2000 });
  const host = fleet.host(i);
  const progress = new RecordingProgress();
  const engine = new HostEngine(pool.acquireHost(rootConnection(host), { label: host.name }), { ...defaultEngineOptions({}), progress, ...options });
  return { engine, pool, progress, host };
}

export function specFor(fleet: Fleet, i: number, args: Record<string, unknown>): ContainerSpec {
  const result = validateContainer({ connection: rootConnection(fleet.host(i)), ...args });
  if (!result.spec) throw new Error(formatProblems(result.errors).join("\n"));
  return result.spec;
}

export function changeFor(spec: ContainerSpec, kind: ContainerChange["kind"] = "create"): ContainerChange {
  return {
    name: spec.name,
    kind,
    module: kind === "delete" ? undefined : renderContainerModule(spec),
    adopt: spec.adopt,
    rebuildAction: spec.rebuildAction,
    updateStrategy: spec.updateStrategy,
    flake: spec.flake !== undefined,
    deleteData: spec.deleteData,
    rebuildTimeoutSeconds: spec.rebuildTimeoutSeconds,
    healthChecks: spec.healthChecks,
    rollback: spec.rollback ?? true,
  };
}

/** Rebuild events on host I since the given count. */
export function rebuilds(fleet: Fleet, i: number): { action: string; result: string; ts: string; seconds?: number }[] {
  return fleet.events(i).filter((e) => e.event === "rebuild");
}

export function unitOps(fleet: Fleet, i: number, name: string): string[] {
  return fleet
    .events(i)
    .filter((e) => e.event === "unit" && e.unit === `container@${name}.service`)
    .map((e) => e.op);
}
