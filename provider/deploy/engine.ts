/**
 * The host engine: what the lifecycle layer calls. One engine per host per
 * process, so every resource of a run that targets a host shares its
 * scheduler (one rebuild per round) and its reader (one round trip per
 * refresh batch).
 */
import type { Host } from "../host/host";
import type { ContainerChange, ChangeResult, ChangeOutcome, ContainerState } from "./change";
import { HostScheduler, type SchedulerOptions } from "./scheduler";
import { HostReader } from "./reads";
import { stderrProgress, type Progress } from "./progress";

export interface EngineOptions extends SchedulerOptions {
  progress: Progress;
}

/** Defaults; `PULUMI_NIXOS_CONTAINERS_COALESCE=0` turns coalescing off (the benchmark's baseline). */
export function defaultEngineOptions(env: NodeJS.ProcessEnv = process.env): EngineOptions {
  return {
    progress: stderrProgress,
    coalesce: env.PULUMI_NIXOS_CONTAINERS_COALESCE !== "0",
    quietMs: Number(env.PULUMI_NIXOS_CONTAINERS_QUIET_MS ?? 250),
    maxWaitMs: Number(env.PULUMI_NIXOS_CONTAINERS_MAX_WAIT_MS ?? 2000),
    arrivals: { last: 0 },
    lockWaitSeconds: Number(env.PULUMI_NIXOS_CONTAINERS_LOCK_WAIT_SECONDS ?? 1800),
  };
}

export class HostEngine {
  private readonly scheduler: HostScheduler;
  private readonly reader: HostReader;

  constructor(
    readonly host: Host,
    options: EngineOptions,
  ) {
    this.scheduler = new HostScheduler(host, options.progress, options);
    this.reader = new HostReader(host);
  }

  /** One container's change; coalesced with the others that reach this host in the same burst. */
  apply(change: ContainerChange): Promise<ChangeResult> {
    return this.scheduler.submit(change);
  }

  /** Every change of a batch in one round (see HostScheduler.submitBatch); each change settles on its own. */
  applyBatch(changes: ContainerChange[], options: { joinBurst?: boolean } = {}): Promise<ChangeOutcome[]> {
    return this.scheduler.submitBatch(changes, options);
  }

  read(name: string): Promise<ContainerState> {
    return this.reader.read(name);
  }

  /** Several containers in one round trip. */
  readAll(names: string[]): Promise<ContainerState[]> {
    return Promise.all(names.map((n) => this.reader.read(n)));
  }

  get rounds(): number {
    return this.scheduler.rounds;
  }
}

/** Engines by host identity, for the life of the process. */
export class EngineRegistry {
  private readonly engines = new Map<string, HostEngine>();

  constructor(private readonly options: EngineOptions = defaultEngineOptions()) {}

  /**
   * `key` (default: the host's id) must also tell apart connections that differ in credentials
   * or host key settings, or a resource would run over another one's connection.
   */
  engineFor(host: Host, key: string = host.id): HostEngine {
    let engine = this.engines.get(key);
    if (!engine) this.engines.set(key, (engine = new HostEngine(host, this.options)));
    return engine;
  }

  /** The engine registered under `key`, if any. */
  existing(key: string): HostEngine | undefined {
    return this.engines.get(key);
  }
}
