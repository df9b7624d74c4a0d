/**
 * One connect attempt to one hop: open a stream (TCP, or a direct-tcpip
 * channel through a jump host), then the SSH handshake with host key
 * verification and authentication over it. Every failure becomes an SshError
 * that says whether another attempt may help (`retryable`).
 */
import * as net from "net";
import type { Duplex } from "stream";
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import { authAttempt, authFailure, type Credentials } from "./auth";
import { SshError } from "./errors";
import { checkHostKey, hostKeyPolicy, preferredHostKeyAlgorithms, type HostKeySettings } from "./host-key-check";
import { describeKey, keyFromBlob, type PublicKey } from "./host-key";
import type { SshLogger } from "./logger";
import type { Redactor } from "./redact";

export interface Hop extends HostKeySettings {
  /** `user@host:port`, used in every message. */
  id: string;
  /** Where this hop's settings live in the input: `connection` or `connection.jumpHost`. */
  field: string;
  credentials: Credentials;
}

export interface AttemptContext {
  /** Epoch ms by which this attempt (TCP + handshake + auth) must be done. */
  deadline: number;
  /** `timeouts.connectSeconds`, for messages. */
  timeoutSeconds: number;
  keepaliveMs: number;
  log: SshLogger;
  redact: Redactor;
}

const RETRYABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed (temporary)",
};

function socketError(hop: Hop, err: NodeJS.ErrnoException, redact: Redactor): SshError {
  const code = err.code ?? "";
  const words = SOCKET_WORDS[code] ?? redact(err.message);
  return new SshError("connect", hop.id, `cannot connect to ${hop.id}: ${words}${code ? ` (${code})` : ""}`, {
    cause: err,
    retryable: RETRYABLE_SOCKET_CODES.has(code),
  });
}

function remaining(ctx: AttemptContext): number {
  return Math.max(1, ctx.deadline - Date.now());
}

function connectTimeout(hop: Hop, ctx: AttemptContext, stage: string): SshError {
  return new SshError(
    "connect",
    hop.id,
    `cannot connect to ${hop.id}: timed out after ${ctx.timeoutSeconds} s ${stage} (connection.timeouts.connectSeconds)`,
    { retryable: true },
  );
}

/** Opens a TCP connection to the hop, within the attempt's deadline. */
export function openTcp(hop: Hop, ctx: AttemptContext): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: hop.host, port: hop.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(connectTimeout(hop, ctx, "opening the TCP connection"));
    }, remaining(ctx));
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(socketError(hop, err, ctx.redact));
    });
  });
}

/** Asks a connected jump host to open a TCP stream to the hop (`ssh -J`). */
export function openTunnel(bastion: Client, bastionId: string, hop: Hop, ctx: AttemptContext): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(connectTimeout(hop, ctx, `waiting for jump host ${bastionId} to forward`)), remaining(ctx));
    try {
      bastion.forwardOut("127.0.0.1", 0, hop.host, hop.port, (err, stream) => {
        clearTimeout(timer);
        if (err) {
          const reason = (err as Error & { reason?: number | string }).reason;
          // 1 = administratively prohibited (AllowTcpForwarding no), 2 = connect failed (target refused / unreachable)
          const prohibited = reason === 1 || reason === "ADMINISTRATIVELY_PROHIBITED";
          reject(
            new SshError(
              "connect",
              hop.id,
              prohibited
                ? `jump host ${bastionId} refused to forward to ${hop.host}:${hop.port} (is AllowTcpForwarding enabled there?)`
                : `jump host ${bastionId} cannot reach ${hop.host}:${hop.port}: ${ctx.redact(err.message)}`,
              { cause: err, retryable: !prohibited },
            ),
          );
          return;
        }
        resolve(stream);
      });
    } catch (e) {
      clearTimeout(timer);
      reject(new SshError("connect", hop.id, `jump host ${bastionId} connection is closed`, { cause: e, retryable: true }));
    }
  });
}

const SUPPORTED_HOST_KEY_ALGORITHMS = new Set([
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
  "ssh-dss",
]);

export interface Handshaken {
  client: Client;
  presented: PublicKey;
}

/**
 * SSH handshake over an open stream: key exchange, host key verification
 * (a refusal ends the connection before any authentication request is sent),
 * then authentication. Resolves with a ready client.
 */
export function handshake(hop: Hop, stream: Duplex, ctx: AttemptContext): Promise<Handshaken> {
  const policy = hostKeyPolicy(hop, hop.id);
  const preferred = preferredHostKeyAlgorithms(policy).filter((a) => SUPPORTED_HOST_KEY_ALGORITHMS.has(a));
  const auth = authAttempt(hop.credentials);
  // Loaded lazily: this module is imported by code that is serialized into Pulumi dynamic providers.
  const { Client: ClientCtor } = require("ssh2") as typeof import("ssh2");
  const client = new ClientCtor();

  return new Promise((resolve, reject) => {
    let settled = false;
    let hostKeyError: SshError | undefined;
    let presented: PublicKey | undefined;
    let kexDone = false;

    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners("ready");
      client.end();
      stream.destroy();
      reject(err);
    };

    client.on("handshake", () => (kexDone = true));
    client.on("error", (err: Error & { level?: string; code?: unknown }) => {
      if (settled) return;
      if (err.level === "agent") {
        auth.notes.push(`the agent at ${hop.field}.agentSocket could not be used: ${ctx.redact(err.message)}`);
        return;
      }
      if (hostKeyError) return fail(hostKeyError);
      if (err.level === "client-authentication") return fail(authFailure(hop.id, auth, err));
      if (err.level === "client-timeout") {
        return fail(connectTimeout(hop, ctx, kexDone ? "authenticating" : "waiting for the SSH handshake"));
      }
      if (err.level === "client-socket") return fail(socketError(hop, err as NodeJS.ErrnoException, ctx.redact));
      if (kexDone && auth.tried.length > 0) {
        // The server hung up during authentication (e.g. MaxAuthTries reached).
        auth.notes.push(`the server said: ${ctx.redact(err.message)}`);
        return fail(authFailure(hop.id, auth, err));
      }
      const lost = /Connection lost before handshake|ECONNRESET|reset/i.test(err.message);
      return fail(
        new SshError("connect", hop.id, `SSH handshake with ${hop.id} failed: ${ctx.redact(err.message)}`, {
          cause: err,
          retryable: lost,
        }),
      );
    });
    client.on("close", () => {
      if (hostKeyError) return fail(hostKeyError);
      if (kexDone && auth.tried.length > 0) return fail(authFailure(hop.id, auth));
      fail(new SshError("connect", hop.id, `${hop.id} closed the connection during the SSH handshake`, { retryable: true }));
    });
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      client.removeAllListeners("handshake");
      resolve({ client, presented: presented! });
    });

    const config: ConnectConfig = {
      sock: stream,
      username: hop.credentials.user,
      readyTimeout: remaining(ctx),
      keepaliveInterval: ctx.keepaliveMs,
      keepaliveCountMax: 3,
      authHandler: auth.handler,
      hostVerifier: (blob: Buffer): boolean => {
        const key = keyFromBlob(blob);
        if (!key) {
          hostKeyError = new SshError("connect", hop.id, `${hop.id} presented a host key this transport cannot read`);
          return false;
        }
        presented = key;
        if (policy.kind === "insecure") {
          ctx.log(
            "warn",
            `WARNING: host key verification is DISABLED for ${hop.id} (${hop.field}.insecureSkipHostKeyVerification: true): ` +
              `accepting ${describeKey(key)} unchecked; anyone on the network path can impersonate this host. ` +
              `Pin it instead: ${hop.field}.hostKey.`,
          );
          return true;
        }
        hostKeyError = checkHostKey(policy, key, hop, hop.id);
        return hostKeyError === undefined;
      },
    };
    if (preferred.length > 0) {
      config.algorithms = { serverHostKey: { remove: preferred, prepend: preferred } as never };
    }
    try {
      client.connect(config);
    } catch (e) {
      fail(new SshError("connect", hop.id, `cannot start SSH to ${hop.id}: ${ctx.redact((e as Error).message)}`, { cause: e }));
    }
  });
}
