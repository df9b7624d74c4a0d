/**
 * A container's secrets: files its services read at /run/secrets/<fileName>. They never reach
 * Nix: the module only bind-mounts the host directory that holds them (read-only, the
 * directory rather than each file, so a rotated file replaced by rename is seen by the running
 * container, reference deploy-safety.md H). The values go to the host over SSH on stdin
 * (provider/deploy/secrets.ts). Everything here is pure: the schema, where the files live, and
 * the checks that can be made before any host is touched.
 */
import { z } from "zod";
import "../inputs/meta";
import type { FormatCheck } from "./formats";
import { formatted } from "./fields";
import type { Problem } from "../inputs/problems";

/**
 * The host directory of every container's secrets: root-only (0700), under /var/lib so that
 * an autoStart container finds its secrets at boot (unlike /run/keys, which a reboot empties).
 */
export const SECRETS_DIR = "/var/lib/pulumi-nixos-containers/secrets";
/** Where the container sees its secrets directory. */
export const SECRETS_MOUNT = "/run/secrets";

export function secretsHostDir(container: string): string {
  return `${SECRETS_DIR}/${container}`;
}

export const secretFileName: FormatCheck = {
  test: (v) => /^[A-Za-z0-9._-]{1,200}$/.test(v) && v !== "." && v !== ".." && !v.startsWith("."),
  expected: "a file name of letters, digits, '.', '_' and '-' (no '/', not starting with '.'), e.g. \"db-password\"",
};

export const fileMode: FormatCheck = {
  test: (v) => /^0?[0-7]{3}$/.test(v),
  expected: 'an octal file mode as a string, e.g. "0400" or "0440" (no setuid, setgid or sticky bits)',
};

/** A user or group name as NixOS accepts it (users-groups.nix: at most 32 characters). */
const accountName: FormatCheck = {
  test: (v) => /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(v),
  expected: "a user or group name of the container (letters, digits, '_', '.', '-'), or a number",
};

/** A unit name as systemctl takes it ("postgresql.service", or "postgresql" for the service). */
export const unitName: FormatCheck = {
  test: (v) => /^[A-Za-z0-9:_.@\\-]{1,255}$/.test(v) && !v.startsWith("-") && !v.startsWith("."),
  expected: 'a systemd unit name inside the container, e.g. "postgresql.service"',
};

const account = (what: string) =>
  z.union([formatted(accountName), z.number().int(`expected a whole ${what} id`).min(0, `expected a ${what} id from 0 to 65535`).max(65535, `expected a ${what} id from 0 to 65535`)], {
    message: `expected ${accountName.expected}`,
  });

export const SecretFileSchema = z
  .object({
    value: z.string({ message: "expected the secret's content as a string" }).min(1, "must not be empty").meta({
      description:
        "The file's content. Always treated as a Pulumi secret, also when passed as a plain string: it is encrypted in the state, never logged, never written to /nix/store. Use a secret from stack config (config.requireSecret). (Not flagged `secret` in this schema: generated SDKs would then make a NixosHost's whole `containers` secret and its preview unreadable; the SDK and the provider mark each value secret by its path, lifecycle/codec.ts SECRET_PATHS.)",
    }),
    mode: formatted(fileMode).optional().meta({ description: 'File mode inside the container, an octal string. Default "0400".' }),
    owner: account("user").optional().meta({
      description:
        'Owner inside the container: a user name (looked up in the container\'s /etc/passwd on the host) or a uid. Default "root". With privateUsers the provider maps it into the container\'s uid range, so the owner inside reads the file.',
    }),
    group: account("group").optional().meta({ description: 'Group inside the container: a group name or a gid. Default "root".' }),
    restartUnits: z.array(formatted(unitName)).optional().meta({
      description: "Units inside the container restarted (when running) after this file changed: a rotation, a changed mode or owner, a repaired drift. Each must exist in the container.",
    }),
    reloadUnits: z.array(formatted(unitName)).optional().meta({
      description: "Units inside the container reloaded (systemctl reload, when running) after this file changed. Each must exist in the container.",
    }),
  })
  .strict()
  .meta({ description: "One secret file of the container: /run/secrets/<fileName> inside it." });

export const SecretsSchema = z.record(formatted(secretFileName), SecretFileSchema).meta({
  description:
    "Files for the container's services, outside /nix/store: by file name, each is /run/secrets/<fileName> inside the container (a read-only bind mount of the host directory /var/lib/pulumi-nixos-containers/secrets/<name>, which only root reads). Values go over the SSH connection on stdin and are secrets in the state. Changing a value, mode or owner rewrites the file and restarts or reloads the named units, without a rebuild; adding the first secret or removing the last changes the container's mounts (one rebuild, and a restart of a running container). See README \"Secrets\".",
});

export type SecretFile = z.output<typeof SecretFileSchema>;
export type Secrets = z.output<typeof SecretsSchema>;

/** Whether a container has secrets: then its module bind-mounts their directory. */
export function hasSecrets(secrets: Secrets | undefined): boolean {
  return secrets !== undefined && Object.keys(secrets).length > 0;
}

/** The defaults of a secret file, filled in where the host needs them. */
export function secretDefaults(s: SecretFile): Required<Omit<SecretFile, "value">> {
  return { mode: s.mode ?? "0400", owner: s.owner ?? "root", group: s.group ?? "root", restartUnits: s.restartUnits ?? [], reloadUnits: s.reloadUnits ?? [] };
}

/*
 * Users and groups every NixOS system has, and those nixpkgs service modules create when
 * enabled (nixos/modules/services/…: postgresql, mysql, nginx, grafana, prometheus). Only a
 * structured config can be checked: a config written as Nix text, a path or a flake is checked
 * on the host, against the container's /etc/passwd.
 */
const SYSTEM_USERS = ["root", "nobody"];
const SYSTEM_GROUPS = ["root", "wheel", "users", "nogroup", "keys"];
const MODULE_USERS: [string[], string][] = [
  [["services", "postgresql"], "postgres"],
  [["services", "mysql"], "mysql"],
  [["services", "nginx"], "nginx"],
  [["services", "grafana"], "grafana"],
  [["services", "prometheus"], "prometheus"],
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v) && !("$nix" in v);
const at = (v: unknown, path: string[]): unknown => path.reduce<unknown>((x, k) => (isObj(x) ? x[k] : undefined), v);

/** The users and groups a structured config certainly has; undefined when the config cannot be read here. */
function accountsOf(config: unknown): { users: Set<string>; groups: Set<string> } | undefined {
  if (config !== undefined && !isObj(config)) return undefined;
  const users = new Set(SYSTEM_USERS);
  const groups = new Set(SYSTEM_GROUPS);
  const declared = at(config, ["users", "users"]);
  if (declared !== undefined && !isObj(declared)) return undefined;
  for (const [name, user] of Object.entries(declared ?? {})) {
    const n = isObj(user) && typeof user.name === "string" ? user.name : name;
    users.add(n);
    if (isObj(user) && typeof user.group === "string") groups.add(user.group);
  }
  const declaredGroups = at(config, ["users", "groups"]);
  if (declaredGroups !== undefined && !isObj(declaredGroups)) return undefined;
  for (const name of Object.keys(declaredGroups ?? {})) groups.add(name);
  for (const [path, user] of MODULE_USERS) {
    const service = at(config, path);
    if (isObj(service) && service.enable === true) {
      const u = typeof service.user === "string" ? service.user : user;
      users.add(u);
      groups.add(typeof service.group === "string" ? service.group : u);
    }
  }
  return { users, groups };
}

/** What can be known wrong about the secrets before a host is touched. */
export function secretProblems(args: { secrets?: Secrets; config?: unknown; bindMounts?: Record<string, { mountPoint?: string }> }): Problem[] {
  const problems: Problem[] = [];
  if (!hasSecrets(args.secrets)) return problems;
  for (const [key, mount] of Object.entries(args.bindMounts ?? {})) {
    const point = (mount.mountPoint ?? key).replace(/\/+$/, "");
    if (point === SECRETS_MOUNT || point.startsWith(`${SECRETS_MOUNT}/`)) {
      problems.push({ path: ["bindMounts", key], message: `${SECRETS_MOUNT} is where the container's secrets are mounted; mount this elsewhere` });
    }
  }
  const accounts = accountsOf(args.config);
  if (!accounts) return problems;
  for (const [file, s] of Object.entries(args.secrets!)) {
    if (typeof s.owner === "string" && !accounts.users.has(s.owner)) {
      problems.push({
        path: ["secrets", file, "owner"],
        message: `the container has no user "${s.owner}": declare it in config.users.users."${s.owner}" (or give a uid); users known here: ${[...accounts.users].sort().join(", ")}`,
      });
    }
    if (typeof s.group === "string" && !accounts.groups.has(s.group)) {
      problems.push({
        path: ["secrets", file, "group"],
        message: `the container has no group "${s.group}": declare it in config.users.groups."${s.group}" (or give a gid); groups known here: ${[...accounts.groups].sort().join(", ")}`,
      });
    }
  }
  return problems;
}
