/**
 * Client authentication from the connection's credentials, in this order:
 * private key, ssh-agent (only the socket named by `agentSocket`), password,
 * keyboard-interactive answered with the password. Only methods the server
 * offers are tried; the methods tried are recorded for the error message,
 * never the secrets.
 */
import type { AuthHandlerMiddleware, AnyAuthMethod, AuthenticationType, ParsedKey, Prompt } from "ssh2";
import { SshError } from "./errors";

export interface AuthSettings {
  user: string;
  privateKey?: string;
  privateKeyPassphrase?: string;
  password?: string;
  agentSocket?: string;
}

/** Credentials checked once (the private key parsed and decrypted), reused by every attempt. */
export interface Credentials {
  user: string;
  key?: ParsedKey;
  agentSocket?: string;
  password?: string;
  /** Where these settings live in the input: `connection` or `connection.jumpHost`. */
  field: string;
}

type ParseKey = (data: string, passphrase?: string) => ParsedKey | ParsedKey[] | Error;

/**
 * Validates credentials before any network traffic: the key must parse and
 * decrypt, and at least one method must be configured.
 */
export function loadCredentials(settings: AuthSettings, field: string, hostId: string): Credentials {
  const creds: Credentials = { user: settings.user, field, agentSocket: settings.agentSocket, password: settings.password };
  if (settings.privateKey !== undefined) {
    // Loaded lazily: this module is imported by code that is serialized into Pulumi dynamic providers.
    const parseKey = (require("ssh2") as { utils: { parseKey: ParseKey } }).utils.parseKey;
    const parsed = parseKey(settings.privateKey, settings.privateKeyPassphrase);
    if (parsed instanceof Error) {
      const msg = parsed.message;
      if (/no passphrase given/i.test(msg)) {
        throw new SshError("auth", hostId, `${field}.privateKey is encrypted: set ${field}.privateKeyPassphrase (for ${hostId})`);
      }
      if (/passphrase/i.test(msg)) {
        throw new SshError(
          "auth",
          hostId,
          `${field}.privateKeyPassphrase does not decrypt ${field}.privateKey (wrong passphrase) for ${hostId}`,
        );
      }
      throw new SshError(
        "config",
        hostId,
        `${field}.privateKey is not a private key this transport can read (OpenSSH or PEM format expected, ` +
          `the key text itself, not a path): ${msg} (for ${hostId})`,
      );
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || !key.isPrivateKey()) {
      throw new SshError("config", hostId, `${field}.privateKey holds a public key; give the private key (for ${hostId})`);
    }
    creds.key = key;
  }
  if (!creds.key && !creds.agentSocket && creds.password === undefined) {
    throw new SshError(
      "config",
      hostId,
      `no credentials for ${hostId}: set ${field}.privateKey, ${field}.agentSocket or ${field}.password ` +
        `(the SSH agent is only used when ${field}.agentSocket is set, e.g. to the value of $SSH_AUTH_SOCK)`,
    );
  }
  return creds;
}

/** One attempt's authentication: the ssh2 handler plus what it tried. */
export interface AuthAttempt {
  handler: AuthHandlerMiddleware;
  /** Methods offered to the server, e.g. `publickey (connection.privateKey)`. */
  tried: string[];
  /** Methods the server said it accepts (from its last failure reply). */
  serverMethods: string[];
  /** Non-fatal problems met on the way (agent unreachable, ...). */
  notes: string[];
}

type Step = { server: AuthenticationType; label: string; make: () => AnyAuthMethod };

export function authAttempt(creds: Credentials): AuthAttempt {
  const { user, field } = creds;
  const steps: Step[] = [];
  if (creds.key) {
    const key = creds.key;
    steps.push({ server: "publickey", label: `publickey (${field}.privateKey)`, make: () => ({ type: "publickey", username: user, key }) });
  }
  if (creds.agentSocket) {
    const agent = creds.agentSocket;
    steps.push({ server: "publickey", label: `publickey (agent at ${field}.agentSocket)`, make: () => ({ type: "agent", username: user, agent }) });
  }
  if (creds.password !== undefined) {
    const password = creds.password;
    steps.push({ server: "password", label: `password (${field}.password)`, make: () => ({ type: "password", username: user, password }) });
    let rounds = 0;
    steps.push({
      server: "keyboard-interactive",
      label: `keyboard-interactive (${field}.password)`,
      make: () => ({
        type: "keyboard-interactive",
        username: user,
        prompt: (_name: string, _instructions: string, _lang: string, prompts: Prompt[], finish: (answers: string[]) => void) => {
          // Answer the first round of prompts with the password; give up on further rounds (OTP etc.).
          if (prompts.length === 0) return finish([]);
          rounds++;
          finish(prompts.map(() => (rounds === 1 ? password : "")));
        },
      }),
    });
  }

  const attempt: AuthAttempt = { handler: () => undefined, tried: [], serverMethods: [], notes: [] };
  let next = 0;
  let first = true;
  attempt.handler = (methodsLeft, _partial, callback) => {
    if (first) {
      first = false;
      // "none" first: it costs nothing and tells which methods the server accepts.
      return callback({ type: "none", username: user });
    }
    if (Array.isArray(methodsLeft)) attempt.serverMethods = methodsLeft.slice();
    while (next < steps.length) {
      const step = steps[next++];
      if (Array.isArray(methodsLeft) && !methodsLeft.includes(step.server)) continue;
      attempt.tried.push(step.label);
      return callback(step.make());
    }
    return callback(false as unknown as AnyAuthMethod);
  };
  return attempt;
}

export function authFailure(hostId: string, attempt: AuthAttempt, cause?: unknown): SshError {
  const tried = attempt.tried.length > 0 ? attempt.tried.join(", ") : "nothing the server accepts";
  const offers = attempt.serverMethods.length > 0 ? `; the server accepts: ${attempt.serverMethods.join(", ")}` : "";
  const notes = attempt.notes.length > 0 ? ` (${attempt.notes.join("; ")})` : "";
  return new SshError(
    "auth",
    hostId,
    `authentication refused by ${hostId}: tried ${tried}${offers}${notes}. ` +
      `Check the user name and that the public key is in the user's authorized_keys (or the password is right).`,
    { cause, details: { methodsTried: attempt.tried.slice() } },
  );
}
