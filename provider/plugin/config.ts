/**
 * The plugin's configuration: stack config in the `nixos:` namespace, which the engine hands a
 * provider plugin as the environment variable PULUMI_CONFIG (JSON, the namespace stripped,
 * secrets decrypted; @pulumi/pulumi's provider server has no other way in). It holds connection
 * settings that resources leave out: credentials, so that a program (or one written by `pulumi
 * import`) need not name them, and what `pulumi import` needs to reach a host whose id carries
 * only its address.
 *
 *   pulumi config set --secret nixos:privateKey < ~/.ssh/deploy_ed25519
 *   pulumi config set nixos:hostKey "ssh-ed25519 AAAA…"      # or nixos:knownHostsFile
 */
import type { z } from "zod";
import { ConnectionSchema, type Connection } from "../inputs/connection";
import { CONFIG_CREDENTIALS as CREDENTIALS, ProviderConfigSchema } from "../inputs/provider-config";
import { ProviderError } from "../errors";

export type ConnectionDefaults = z.output<typeof ProviderConfigSchema>;

export interface ProviderConfig {
  defaults: ConnectionDefaults;
  /** The configuration's credentials, for redaction. */
  secrets: string[];
  /** What is wrong with it (each setting named), thrown when a connection needs it. */
  problem?: ProviderError;
}

export function providerConfig(env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(env.PULUMI_CONFIG || "{}");
  } catch {
    // The engine writes it; nothing to configure when it cannot be read.
  }
  const defaults: ConnectionDefaults = {};
  const problems: string[] = [];
  for (const [key, field] of Object.entries(ProviderConfigSchema.shape)) {
    if (raw[key] === undefined) continue;
    const parsed = field.safeParse(raw[key]);
    if (parsed.success) (defaults as Record<string, unknown>)[key] = parsed.data;
    else problems.push(`nixos:${key}: ${parsed.error.issues[0]?.message ?? "invalid"} (pulumi config set nixos:${key} …)`);
  }
  const secrets = CREDENTIALS.flatMap((k) => (typeof defaults[k] === "string" ? [defaults[k] as string] : []));
  const problem = problems.length > 0 ? new ProviderError(`invalid provider configuration (stack config nixos:*):\n${problems.map((p) => `  ${p}`).join("\n")}`) : undefined;
  return { defaults, secrets, problem };
}

/**
 * The connection a host is reached by: the resource's own settings, and from the configuration
 * the credentials it leaves unset, and its host key settings when it names none.
 */
export function completed(connection: Connection, config: ProviderConfig): Connection {
  if (config.problem) throw config.problem;
  const out: Record<string, unknown> = { ...connection };
  for (const key of CREDENTIALS) if (out[key] === undefined && config.defaults[key] !== undefined) out[key] = config.defaults[key];
  if (out.hostKey === undefined && out.knownHostsFile === undefined) {
    if (config.defaults.hostKey !== undefined) out.hostKey = config.defaults.hostKey;
    if (config.defaults.knownHostsFile !== undefined) out.knownHostsFile = config.defaults.knownHostsFile;
  }
  return out as Connection;
}

/**
 * The connection `pulumi import` reaches a host by: the host and port its id names, the user and
 * host key settings of the configuration (its credentials join at the connection, `completed`).
 */
export function importConnection(host: string, port: number, config: ProviderConfig): Connection {
  if (config.problem) throw config.problem;
  const { user, hostKey, knownHostsFile } = config.defaults;
  const parsed = ConnectionSchema.safeParse({ host, port, ...(user && { user }), ...(hostKey && { hostKey }), ...(knownHostsFile && { knownHostsFile }) });
  if (!parsed.success) throw new ProviderError(`the import id's host ${JSON.stringify(host)}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}
