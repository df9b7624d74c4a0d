/**
 * The provider plugin's configuration (stack config `nixos:<key>`): connection settings that
 * resources may leave out. The credentials fill in what a resource's connection leaves unset,
 * the host key settings what it leaves to them; `pulumi import`, whose id names only a host,
 * reaches it with all of them. The same fields, and meanings, as Connection.
 */
import { ConnectionSchema } from "./connection";

export const ProviderConfigSchema = ConnectionSchema.pick({
  user: true,
  privateKey: true,
  privateKeyPassphrase: true,
  password: true,
  sudoPassword: true,
  agentSocket: true,
  hostKey: true,
  knownHostsFile: true,
}).partial();

/** The settings a resource's connection may leave to the configuration (user is not one: it defaults to root). */
export const CONFIG_CREDENTIALS = ["privateKey", "privateKeyPassphrase", "password", "sudoPassword", "agentSocket"] as const;
