/**
 * The connection pool: one SSH connection per host identity, shared by
 * every caller in the process.
 *
 * Identity = address, port, user, host key settings (hostKey, knownHostsFile,
 * insecureSkipHostKeyVerification), credentials (compared through an HMAC
 * with a per-process random key, never stored in clear) and the jump host's
 * identity. Two callers that differ in any of these get separate connections,
 * so a connection authenticated with one credential, or opened without host
 * key verification, is never lent to a caller that did not ask for that.
 *
 * Lifetime: a connection is opened on the first exec, shared while in use,
 * and closed after `idleTimeoutMs` (default 5 s) without any channel in
 * flight, whether or not handles are still held; the next exec reconnects.
 * So the pool never keeps the Node process alive for more than
 * `idleTimeoutMs` after the last command. `closeAll()` closes everything now.
 * Connection settings (timeouts, keepalive) are those of the first caller.
 */
import { createHmac, randomBytes } from "crypto";
import { ConnectionSchema, type Connection, type ConnectionInput, type JumpHost } from "../../inputs/connection";
import { loadCredentials } from "./auth";
import type { Hop } from "./connect";
import { SshError } from "./errors";
import { silentLogger, type SshLogger } from "./logger";
import { PooledConnection, type HostCounters } from "./pooled-connection";
import { makeRedactor, secretValues } from "./redact";
import { SshHost } from "./ssh-host";

export interface SshPoolOptions {
  /** Concurrent channels per connection (OpenSSH MaxSessions defaults to 10). Default 8; more wait in a queue. */
  maxSessionsPerConnection?: number;
  /** Close a connection after this long without a channel in flight. Default 5000 ms. */
  idleTimeoutMs?: number;
  /** Receives connection progress (connecting, retrying, connected, warnings) unless a handle has its own logger. */
  logger?: SshLogger;
}

export interface AcquireOptions {
  /** Progress for connections this handle opens and its commands. */
  logger?: SshLogger;
  /** A human label, e.g. `host1 (127.0.0.11)`. Default: `user@address:port`. */
  label?: string;
}

export interface HostStats extends HostCounters {
  /** Connections to this host currently open. */
  open: number;
  /** Channels running now / waiting for a slot. */
  activeSessions: number;
  queuedSessions: number;
  /** Handles currently held. */
  handles: number;
}

type HopSettings = Pick<
  JumpHost,
  "host" | "port" | "user" | "privateKey" | "privateKeyPassphrase" | "password" | "agentSocket" | "hostKey" | "knownHostsFile" | "insecureSkipHostKeyVerification"
>;

export function hostId(hop: Pick<HopSettings, "host" | "port" | "user">): string {
  const host = hop.host.includes(":") ? `[${hop.host}]` : hop.host;
  return `${hop.user}@${host}:${hop.port}`;
}

export class SshPool {
  private readonly connections = new Map<string, PooledConnection>();
  private readonly counters = new Map<string, HostCounters>();
  private readonly hmacKey = randomBytes(32);
  private readonly maxSessions: number;
  private readonly idleTimeoutMs: number;
  private readonly logger: SshLogger;

  constructor(options: SshPoolOptions = {}) {
    this.maxSessions = options.maxSessionsPerConnection ?? 8;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5000;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * A `Host` for this connection, sharing the pooled SSH connection of its
   * identity. Validates the input and the credentials (the private key is
   * decrypted here) without touching the network: the connection opens on
   * the first exec.
   */
  acquireHost(input: ConnectionInput | Connection, options: AcquireOptions = {}): SshHost {
    const parsed = ConnectionSchema.safeParse(input);
    const roughId = typeof input?.host === "string" ? hostId({ host: input.host, port: input.port ?? 22, user: input.user ?? "root" }) : "?";
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${["connection", ...i.path.map(String)].join(".")}: ${i.message}`);
      throw new SshError("config", roughId, `invalid connection for ${roughId}: ${problems.join("; ")}`);
    }
    const connection = parsed.data;
    const redact = makeRedactor(secretValues(connection));
    const log = options.logger ?? this.logger;
    const pooled = this.pooled(connection, connection, "connection", redact, connection.jumpHost);
    pooled.handles++;
    let released = false;
    return new SshHost(pooled, connection, redact, log, options.label, () => {
      if (released) return;
      released = true;
      pooled.handles--;
    });
  }

  private identity(hop: HopSettings, jump: HopSettings | undefined): string {
    const part = (h: HopSettings) => ({
      host: h.host.toLowerCase(),
      port: h.port,
      user: h.user,
      hostKey: h.hostKey ?? null,
      knownHostsFile: h.knownHostsFile ?? null,
      insecure: h.insecureSkipHostKeyVerification,
      agentSocket: h.agentSocket ?? null,
      credentials: createHmac("sha256", this.hmacKey)
        .update(JSON.stringify([h.privateKey ?? null, h.privateKeyPassphrase ?? null, h.password ?? null]))
        .digest("hex"),
    });
    return JSON.stringify({ target: part(hop), jump: jump ? part(jump) : null });
  }

  private pooled(
    connection: Connection,
    hop: HopSettings,
    field: string,
    redact: (s: string) => string,
    jump: JumpHost | undefined,
  ): PooledConnection {
    const key = this.identity(hop, jump);
    const existing = this.connections.get(key);
    if (existing) return existing;

    const id = hostId(hop);
    const via = jump ? this.pooled(connection, jump, "connection.jumpHost", redact, undefined) : undefined;
    const resolved: Hop = {
      id,
      field,
      host: hop.host,
      port: hop.port,
      hostKey: hop.hostKey,
      knownHostsFile: hop.knownHostsFile,
      insecureSkipHostKeyVerification: hop.insecureSkipHostKeyVerification,
      credentials: loadCredentials(hop, field, id),
    };
    let counters = this.counters.get(id);
    if (!counters) {
      counters = { connectionsOpened: 0, sessionsOpened: 0 };
      this.counters.set(id, counters);
    }
    const pooled = new PooledConnection({
      hop: resolved,
      via,
      timeouts: connection.timeouts,
      redact,
      maxSessions: this.maxSessions,
      idleTimeoutMs: this.idleTimeoutMs,
      counters,
      log: this.logger,
    });
    this.connections.set(key, pooled);
    return pooled;
  }

  /** Counters and state per host id (`user@address:port`). */
  stats(): Record<string, HostStats> {
    const out: Record<string, HostStats> = {};
    for (const [id, c] of this.counters) {
      out[id] = { ...c, open: 0, activeSessions: 0, queuedSessions: 0, handles: 0 };
    }
    for (const conn of this.connections.values()) {
      const s = out[conn.id];
      if (conn.isOpen) s.open++;
      s.activeSessions += conn.activeSessions;
      s.queuedSessions += conn.queuedSessions;
      s.handles += conn.handles;
    }
    return out;
  }

  /** Closes every connection (targets first, then jump hosts); handles acquired before fail with `closed`. */
  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    const jumpHosts = new Set(all.map((c) => c.via).filter((c): c is PooledConnection => c !== undefined));
    await Promise.all(all.filter((c) => !jumpHosts.has(c)).map((c) => c.dispose()));
    await Promise.all([...jumpHosts].map((c) => c.dispose()));
  }
}

/**
 * The process-wide pool used by the provider. Pulumi ends the provider
 * process after a run, so connections may idle longer here: the waves of a
 * large run (Pulumi's --parallel, state checkpoints) then share one
 * connection per host.
 */
export const defaultPool = new SshPool({ idleTimeoutMs: 30_000 });

/** `defaultPool.acquireHost(connection, options)`. */
export function acquireHost(connection: ConnectionInput | Connection, options?: AcquireOptions): SshHost {
  return defaultPool.acquireHost(connection, options);
}

/** Closes every connection of the default pool. */
export function closeAll(): Promise<void> {
  return defaultPool.closeAll();
}
