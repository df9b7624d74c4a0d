/**
 * How to reach a host: the `connection` input of NixosContainer. The zod
 * schema is the single source of the TypeScript types and of schema.json.
 */
import { z } from "zod";
import { isIP } from "node:net";
import "./meta";

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const KEY_LINE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

const secretString = z.string().min(1, "must not be empty");

export const TimeoutsSchema = z
  .object({
    connectSeconds: z.number().int().min(1).max(3600).default(15).meta({
      description: "Limit for one connection attempt: TCP connect, SSH handshake and authentication.",
    }),
    connectAttempts: z.number().int().min(1).max(100).default(3).meta({
      description: "Connection attempts before giving up, with backoff between them. Host key and authentication failures are never retried.",
    }),
    commandSeconds: z.number().int().min(1).max(86400).default(600).meta({
      description: "Default limit for one remote command (rebuilds have rebuildTimeoutSeconds).",
    }),
    keepaliveSeconds: z.number().int().min(0).max(3600).default(15).meta({
      description: "SSH keepalive interval; a peer that misses 3 keepalives is treated as gone. 0 turns keepalives off.",
    }),
  })
  .strict()
  .meta({ description: "Connection timeouts and retries." });

const hopFields = {
  host: z
    .string()
    .refine((h) => HOSTNAME.test(h) || isIP(h) !== 0, "expected a hostname or an IP address (no port, no user@)")
    .meta({ description: "Hostname or IP address of the NixOS host.", replaceOnChanges: true }),
  port: z.number().int().min(1).max(65535).default(22).meta({ description: "SSH port.", replaceOnChanges: true }),
  user: z.string().regex(USER, "expected a user name such as root or deploy").default("root").meta({
    description: "Login user. A user other than root needs sudo for the privileged steps.",
  }),
  privateKey: secretString.optional().meta({
    description: "Private key (OpenSSH or PEM text) to log in with.",
    secret: true,
  }),
  privateKeyPassphrase: secretString.optional().meta({ description: "Passphrase of privateKey.", secret: true }),
  password: secretString.optional().meta({ description: "Password to log in with (also answers keyboard-interactive prompts).", secret: true }),
  agentSocket: z.string().min(1).optional().meta({
    description: "Path of an ssh-agent socket to authenticate with, e.g. process.env.SSH_AUTH_SOCK.",
  }),
  hostKey: z
    .string()
    .refine((k) => KEY_LINE.test(k.trim()) || FINGERPRINT.test(k.trim()), 'expected a public key line ("ssh-ed25519 AAAA…") or a fingerprint ("SHA256:…")')
    .optional()
    .meta({
      description:
        "The host's public key (\"ssh-ed25519 AAAA…\") or its SHA256 fingerprint. When unset, knownHostsFile is used. A host presenting another key is refused.",
    }),
  knownHostsFile: z.string().min(1).optional().meta({
    description: "known_hosts file used when hostKey is unset; defaults to ~/.ssh/known_hosts.",
  }),
  insecureSkipHostKeyVerification: z.boolean().default(false).meta({
    description: "DANGEROUS: accept any host key. Anyone on the network path can then impersonate the host and receive your credentials.",
  }),
};

export const JumpHostSchema = z
  .object(hopFields)
  .strict()
  .meta({ description: "A bastion to connect through (like ssh -J); its host key is verified the same way." });

export const ConnectionSchema = z
  .object({
    ...hopFields,
    sudo: z.boolean().optional().meta({
      description: "Use sudo for privileged steps. Defaults to true for users other than root; false refuses to run them.",
    }),
    sudoPassword: secretString.optional().meta({
      description: "Password for sudo, fed on stdin (sudo -S); without it sudo must not ask (sudo -n).",
      secret: true,
    }),
    jumpHost: JumpHostSchema.optional(),
    timeouts: TimeoutsSchema.default({ connectSeconds: 15, connectAttempts: 3, commandSeconds: 600, keepaliveSeconds: 15 }),
  })
  .strict()
  .meta({ description: "How to reach the NixOS host over SSH." });

export type JumpHost = z.output<typeof JumpHostSchema>;
export type Connection = z.output<typeof ConnectionSchema>;
export type ConnectionInput = z.input<typeof ConnectionSchema>;
/** Keys whose values are credentials: secret in state, never logged. */
export const CONNECTION_SECRET_KEYS = ["privateKey", "privateKeyPassphrase", "password", "sudoPassword"] as const;
