/**
 * Host key verification, on by default. A hop is checked against its pinned
 * `hostKey` (key lines or SHA256 fingerprints), otherwise against its
 * known_hosts file; `insecureSkipHostKeyVerification: true` is the only way
 * to skip the check. The verdict is reached during the key exchange, before
 * any authentication request is sent.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SshError } from "./errors";
import {
  algorithmsForKeyType,
  describeKey,
  fingerprint,
  isKeyType,
  keysEqual,
  parseKeyFields,
  publicKeyLine,
  type PublicKey,
} from "./host-key";
import { lookupName, matchKnownHosts, parseKnownHosts, type KnownHostsMatch } from "./known-hosts";

/** The fields of a hop (target or jump host) that verification reads. */
export interface HostKeySettings {
  host: string;
  port: number;
  hostKey?: string;
  knownHostsFile?: string;
  insecureSkipHostKeyVerification: boolean;
}

export type HostKeyPolicy =
  | { kind: "insecure" }
  | { kind: "pinned"; keys: PublicKey[]; fingerprints: string[] }
  | { kind: "known_hosts"; file: string; exists: boolean; match: KnownHostsMatch };

export interface ParsedPin {
  keys: PublicKey[];
  fingerprints: string[];
}

const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/**
 * Parses `connection.hostKey`: one or more entries (one per line), each an
 * OpenSSH public key line (`ssh-ed25519 AAAA... [comment]`), a known_hosts
 * line (`host ssh-ed25519 AAAA...`), or a `SHA256:<base64>` fingerprint.
 * Returns a message (without the value) when it cannot be parsed.
 */
export function parseHostKeyPin(value: string): ParsedPin | string {
  const keys: PublicKey[] = [];
  const fingerprints: string[] = [];
  const entries = value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (entries.length === 0) return "connection.hostKey is empty";
  for (const entry of entries) {
    const fp = FINGERPRINT.exec(entry);
    if (fp) {
      fingerprints.push(`SHA256:${fp[1]}`);
      continue;
    }
    if (/^(MD5:|[0-9a-f]{2}:)/i.test(entry)) {
      return "connection.hostKey: only SHA256 fingerprints are accepted (`ssh-keygen -lf <key.pub>` prints them), or the public key line itself";
    }
    const fields = entry.split(/\s+/);
    if (fields[0].startsWith("@")) return "connection.hostKey: @revoked / @cert-authority lines belong in a known_hosts file";
    const at = isKeyType(fields[0]) ? 0 : isKeyType(fields[1] ?? "") ? 1 : -1;
    const key = at < 0 ? undefined : parseKeyFields(fields[at], fields[at + 1] ?? "");
    if (!key) {
      return 'connection.hostKey must be an OpenSSH public key line ("ssh-ed25519 AAAA..."), or a "SHA256:..." fingerprint';
    }
    keys.push(key);
  }
  return { keys, fingerprints };
}

function expandHome(file: string): string {
  return file === "~" || file.startsWith("~/") ? path.join(os.homedir(), file.slice(1)) : file;
}

export function defaultKnownHostsFile(): string {
  return path.join(os.homedir(), ".ssh", "known_hosts");
}

/** Decides how a hop is verified. Reads the known_hosts file (once per connect attempt). */
export function hostKeyPolicy(hop: HostKeySettings, hostId: string): HostKeyPolicy {
  if (hop.hostKey !== undefined) {
    const pin = parseHostKeyPin(hop.hostKey);
    if (typeof pin === "string") throw new SshError("config", hostId, `${pin} (for ${hostId})`);
    return { kind: "pinned", ...pin };
  }
  if (hop.insecureSkipHostKeyVerification) return { kind: "insecure" };
  const file = expandHome(hop.knownHostsFile ?? defaultKnownHostsFile());
  let text = "";
  let exists = true;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new SshError("config", hostId, `cannot read known_hosts file ${file}: ${(e as Error).message}`);
    }
    exists = false;
  }
  return { kind: "known_hosts", file, exists, match: matchKnownHosts(parseKnownHosts(text), hop.host, hop.port) };
}

/** Host key algorithms to offer first (the types we hold keys for), like ssh's HostKeyAlgorithms ordering. */
export function preferredHostKeyAlgorithms(policy: HostKeyPolicy): string[] {
  const keys = policy.kind === "pinned" ? policy.keys : policy.kind === "known_hosts" ? policy.match.keys : [];
  const out: string[] = [];
  for (const k of keys) for (const a of algorithmsForKeyType(k.type)) if (!out.includes(a)) out.push(a);
  return out;
}

function keyscanCommand(hop: HostKeySettings, presented: PublicKey): string {
  const port = hop.port === 22 ? "" : `-p ${hop.port} `;
  const t = presented.type;
  const short = t === "ssh-rsa" ? "rsa" : t === "ssh-dss" ? "dsa" : t.startsWith("ecdsa-") ? "ecdsa" : t.replace(/^ssh-/, "");
  return `ssh-keyscan ${port}-t ${short} ${hop.host}`;
}

function howToPin(hop: HostKeySettings, presented: PublicKey): string {
  return (
    `If you have checked out of band that this is the host's key (ssh-keygen -lf on the host), pin it: ` +
    `connection.hostKey: "${publicKeyLine(presented)}" (or add the output of \`${keyscanCommand(hop, presented)}\` to your known_hosts)`
  );
}

/** Returns an error to refuse the connection, or undefined to accept the presented key. */
export function checkHostKey(
  policy: HostKeyPolicy,
  presented: PublicKey,
  hop: HostKeySettings,
  hostId: string,
): SshError | undefined {
  const presentedFp = fingerprint(presented.blob);
  const details = { presentedFingerprint: presentedFp, presentedKey: publicKeyLine(presented) };
  if (policy.kind === "insecure") return undefined;

  if (policy.kind === "pinned") {
    if (policy.keys.some((k) => keysEqual(k, presented)) || policy.fingerprints.includes(presentedFp)) return undefined;
    const expected = [...policy.keys.map(describeKey), ...policy.fingerprints];
    return new SshError(
      "host_key_mismatch",
      hostId,
      `HOST KEY MISMATCH for ${hostId}: expected ${expected.join(" or ")} (connection.hostKey), ` +
        `but the host presented ${describeKey(presented)}. Refused before authenticating: this may be an impersonation, ` +
        `or the host key was changed. ${howToPin(hop, presented)}.`,
      { details: { ...details, expectedFingerprints: expected } },
    );
  }

  const { match, file } = policy;
  if (match.revoked.some((k) => keysEqual(k, presented))) {
    return new SshError(
      "host_key_revoked",
      hostId,
      `host key of ${hostId} is REVOKED: ${describeKey(presented)} is marked @revoked in ${file}. Refused before authenticating.`,
      { details },
    );
  }
  if (match.keys.some((k) => keysEqual(k, presented))) return undefined;
  const name = lookupName(hop.host, hop.port);
  if (match.keys.length === 0) {
    const where = policy.exists ? `${file} has no entry for ${name}` : `${file} does not exist`;
    return new SshError(
      "host_key_unknown",
      hostId,
      `host key of ${hostId} is unknown: connection.hostKey is not set and ${where}. ` +
        `The host presented ${describeKey(presented)}. Refused before authenticating. ${howToPin(hop, presented)}.`,
      { details: { ...details, expectedFingerprints: [] } },
    );
  }
  const expected = match.keys.map(describeKey);
  return new SshError(
    "host_key_mismatch",
    hostId,
    `HOST KEY MISMATCH for ${hostId}: ${file} expects ${expected.join(" or ")} for ${name}, ` +
      `but the host presented ${describeKey(presented)}. Refused before authenticating: this may be an impersonation, ` +
      `or the host key was changed (then remove the old line: ssh-keygen -R '${name}' -f ${file}). ${howToPin(hop, presented)}.`,
    { details: { ...details, expectedFingerprints: expected } },
  );
}
