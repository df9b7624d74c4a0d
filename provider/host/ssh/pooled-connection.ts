/**
 * One SSH connection per host identity, shared by every caller: channels are
 * multiplexed over it within a per-connection session limit, it is
 * (re)established on demand, and it is closed when idle.
 *
 * Reconnects: a connection found dead (closed, keepalive timeout) is
 * re-established for the next exec. A command whose channel could not even be
 * opened because the connection had just died is sent once more over a new
 * connection (it never started). A command whose channel was open when the
 * connection died fails with `connection_lost` and is never re-run.
 */
import type { Client, ClientChannel } from "ssh2";
import { SshError, isSshError } from "./errors";
import { handshake, openTcp, openTunnel, type AttemptContext, type Hop } from "./connect";
import { NotStartedError, SessionRefusedError, runOnChannel, type ChannelOutcome, type ChannelRun } from "./exec";
import { describeKey } from "./host-key";
import type { SshLogger } from "./logger";
import type { Redactor } from "./redact";
import { sleep, withConnectRetries } from "./retry";
import { Semaphore } from "./semaphore";
import { startSession, type SessionRun, type SessionStart } from "./session";

export interface ConnectTimeouts {
  connectSeconds: number;
  connectAttempts: number;
  keepaliveSeconds: number;
}

/** Counters per host id, for tests and benchmarks. */
export interface HostCounters {
  /** SSH connections established (handshake and auth done). */
  connectionsOpened: number;
  /** Exec channels opened. */
  sessionsOpened: number;
}

export interface PooledConnectionOptions {
  hop: Hop;
  /** The jump host's pooled connection, when the hop is reached through one. */
  via?: PooledConnection;
  timeouts: ConnectTimeouts;
  redact: Redactor;
  maxSessions: number;
  idleTimeoutMs: number;
  counters: HostCounters;
  /** Used when the caller passes no logger of its own. */
  log: SshLogger;
}

interface Live {
  client: Client;
  dead: boolean;
}

export type ExecRequest = Omit<ChannelRun, "connectionDead" | "onReleased" | "hostId" | "redact">;

/**
 * Waits before asking again when the server refuses a session channel. A
 * session slot of the server is freed a moment after our side sees the
 * channel close, so a refusal at the limit is usually gone in milliseconds.
 */
const SESSION_RETRY_DELAYS_MS = [50, 100, 200, 400, 800, 1600];

export class PooledConnection {
  readonly id: string;
  private live?: Live;
  private connecting?: Promise<Live>;
  private readonly slots: Semaphore;
  /** Channels in flight plus tunnels open through this connection. */
  private busy = 0;
  private idleTimer?: NodeJS.Timeout;
  private disposed = false;
  /** Handles (SshHost) currently holding this connection. */
  handles = 0;

  constructor(private readonly o: PooledConnectionOptions) {
    this.id = o.hop.id;
    this.slots = new Semaphore(o.maxSessions);
  }

  /** The jump host's connection, if this one goes through it. */
  get via(): PooledConnection | undefined {
    return this.o.via;
  }

  get label(): string {
    return this.o.via ? `${this.id} via ${this.o.via.id}` : this.id;
  }

  get isOpen(): boolean {
    return this.live !== undefined && !this.live.dead;
  }

  get activeSessions(): number {
    return this.slots.inUse;
  }

  get queuedSessions(): number {
    return this.slots.queued;
  }

  /** Runs one command on a session slot, connecting first if needed. */
  async exec(req: ExecRequest, log: SshLogger = this.o.log): Promise<ChannelOutcome> {
    let reconnected = false;
    let refusals = 0;
    for (;;) {
      this.assertOpen();
      const releaseSlot = await this.takeSlot();
      let live: Live;
      try {
        this.assertOpen();
        live = await this.ensureLive(log);
      } catch (e) {
        releaseSlot();
        throw e;
      }
      try {
        const outcome = await runOnChannel(live.client, {
          ...req,
          hostId: this.id,
          redact: this.o.redact,
          connectionDead: () => live.dead,
          onReleased: releaseSlot,
        });
        this.o.counters.sessionsOpened++;
        return outcome;
      } catch (e) {
        if (e instanceof SessionRefusedError) {
          if (refusals >= SESSION_RETRY_DELAYS_MS.length) {
            throw new SshError(
              "connect",
              this.id,
              `${this.id} keeps refusing to open a session (${e.description}): its sshd MaxSessions is lower than ` +
                `this pool's ${this.slots.limit} channels per connection (SshPool maxSessionsPerConnection)`,
              { cause: e },
            );
          }
          await sleep(SESSION_RETRY_DELAYS_MS[refusals++]);
          continue;
        }
        if (!(e instanceof NotStartedError)) {
          this.o.counters.sessionsOpened++; // the channel was open (timeout, connection lost while running, ...)
          throw e;
        }
        this.markDead(live);
        if (reconnected || this.disposed) {
          throw new SshError("connection_lost", this.id, `connection to ${this.id} was lost and could not be used again`, {
            cause: e.cause,
          });
        }
        reconnected = true;
        log("info", `connection to ${this.label} was lost; reconnecting (the command had not started)`);
      }
    }
  }

  /** Waits for a session slot; the returned function gives it back (once, however often it is called). */
  private async takeSlot(): Promise<() => void> {
    await this.slots.acquire();
    this.busy++;
    this.cancelIdle();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.slots.release();
      this.busy--;
      this.maybeIdle();
    };
  }

  /** Opens an interactive channel (session.ts) on a session slot, held until the channel closes. */
  async session(req: Omit<SessionRun, "hostId" | "redact" | "onReleased">, log: SshLogger = this.o.log): Promise<SessionStart> {
    this.assertOpen();
    const releaseSlot = await this.takeSlot();
    try {
      const live = await this.ensureLive(log);
      const start = await startSession(live.client, { ...req, hostId: this.id, redact: this.o.redact, onReleased: releaseSlot });
      this.o.counters.sessionsOpened++;
      return start;
    } catch (e) {
      releaseSlot();
      throw e;
    }
  }

  /** Connects this (jump host) connection if needed, with its own attempts; its failures are final for the target. */
  async ready(log: SshLogger): Promise<void> {
    this.assertOpen();
    try {
      await this.ensureLive(log);
    } catch (e) {
      // The jump host already used its own attempts: the target must not multiply them.
      if (isSshError(e)) throw new SshError(e.code, e.host, e.message, { cause: e.cause, details: e.details, retryable: false });
      throw e;
    }
  }

  /** Opens a direct-tcpip stream through this connection (this is the jump host). */
  async tunnel(target: Hop, ctx: AttemptContext, log: SshLogger): Promise<ClientChannel> {
    this.assertOpen();
    this.busy++;
    this.cancelIdle();
    try {
      const live = await this.ensureLive(log);
      const stream = await openTunnel(live.client, this.id, target, ctx);
      stream.once("close", () => {
        this.busy--;
        this.maybeIdle();
      });
      return stream;
    } catch (e) {
      this.busy--;
      this.maybeIdle();
      if (isSshError(e) && e.host === this.id) {
        throw new SshError(e.code, e.host, e.message, { cause: e.cause, details: e.details, retryable: false });
      }
      throw e;
    }
  }

  private assertOpen(): void {
    if (this.disposed) throw new SshError("closed", this.id, `the SSH connection pool for ${this.id} was closed`);
  }

  private ensureLive(log: SshLogger): Promise<Live> {
    if (this.live && !this.live.dead) return Promise.resolve(this.live);
    if (!this.connecting) {
      this.connecting = this.connect(log).finally(() => (this.connecting = undefined));
    }
    return this.connecting;
  }

  private async connect(log: SshLogger): Promise<Live> {
    const { hop, via, timeouts, redact } = this.o;
    const what = this.label;
    const live = await withConnectRetries(timeouts.connectAttempts, what, log, async () => {
      // The jump host connects first, within its own budget; this attempt's budget starts after.
      if (via) await via.ready(log);
      const ctx: AttemptContext = {
        deadline: Date.now() + timeouts.connectSeconds * 1000,
        timeoutSeconds: timeouts.connectSeconds,
        keepaliveMs: timeouts.keepaliveSeconds * 1000,
        log,
        redact,
      };
      const stream = via ? await via.tunnel(hop, ctx, log) : await openTcp(hop, ctx);
      const { client, presented } = await handshake(hop, stream, ctx);
      const record: Live = { client, dead: false };
      client.on("error", (err: Error) => {
        record.dead = true;
        log("warn", `connection to ${what} failed: ${redact(err.message)}`);
      });
      client.on("close", () => {
        if (!record.dead) log("info", `connection to ${what} closed`);
        record.dead = true;
        if (this.live === record) this.live = undefined;
      });
      const how = hop.hostKey !== undefined ? `${hop.field}.hostKey` : hop.insecureSkipHostKeyVerification ? "NOT verified" : "known_hosts";
      log("info", `connected to ${what} (host key ${describeKey(presented)}, ${how})`);
      return record;
    });
    if (this.disposed) {
      live.client.end();
      throw new SshError("closed", this.id, `the SSH connection pool for ${this.id} was closed`);
    }
    this.o.counters.connectionsOpened++;
    this.live = live;
    return live;
  }

  private markDead(live: Live): void {
    live.dead = true;
    if (this.live === live) this.live = undefined;
    try {
      live.client.end();
    } catch {
      /* already gone */
    }
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private maybeIdle(): void {
    if (this.busy > 0 || this.disposed || !this.live) return;
    this.cancelIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.busy > 0 || !this.live) return;
      this.o.log("debug", `closing idle connection to ${this.label}`);
      this.markDead(this.live);
    }, this.o.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** Closes the connection for good; queued and later execs fail with `closed`. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.cancelIdle();
    this.slots.rejectAll(new SshError("closed", this.id, `the SSH connection pool for ${this.id} was closed`));
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const live = this.live;
    this.live = undefined;
    if (!live || live.dead) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        live.client.destroy();
        resolve();
      }, 1000);
      timer.unref();
      live.client.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      live.dead = true;
      live.client.end();
    });
  }
}
