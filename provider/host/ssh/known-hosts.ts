/**
 * OpenSSH known_hosts, read the way `ssh` reads it (sshd(8) "SSH_KNOWN_HOSTS
 * FILE FORMAT"): comma-separated host patterns with `*`, `?` and `!`
 * negation, `[host]:port` for ports other than 22, hashed `|1|salt|hash`
 * names (HMAC-SHA1), and `@revoked` markers. `@cert-authority` lines are
 * skipped: host certificates are not supported.
 */
import { createHmac } from "crypto";
import { isKeyType, parseKeyFields, type PublicKey } from "./host-key";

export interface KnownHostsEntry {
  marker?: "revoked" | "cert-authority";
  /** The host field as written (patterns or a hashed name). */
  hosts: string;
  key: PublicKey;
  /** 1-based line number, for messages. */
  line: number;
}

export interface KnownHostsMatch {
  /** Keys the host may present. */
  keys: PublicKey[];
  /** Keys marked `@revoked` for this host. */
  revoked: PublicKey[];
}

/** Parses known_hosts text; malformed lines are skipped, as ssh does. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostsEntry["marker"];
    if (fields[0].startsWith("@")) {
      const m = fields.shift()!;
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else return;
    }
    if (fields.length < 3 || !isKeyType(fields[1])) return;
    const key = parseKeyFields(fields[1], fields[2]);
    if (!key) return;
    entries.push({ marker, hosts: fields[0], key, line: i + 1 });
  });
  return entries;
}

/** The name ssh looks up: `host` on port 22, `[host]:port` otherwise. */
export function lookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Glob match with `*` and `?`, as OpenSSH match_pattern(). */
function globMatch(text: string, pattern: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "s",
  );
  return re.test(text);
}

function hashedMatch(name: string, field: string): boolean {
  const parts = field.split("|"); // ["", "1", salt, hash]
  if (parts.length !== 4 || parts[1] !== "1") return false;
  const salt = Buffer.from(parts[2], "base64");
  const expected = Buffer.from(parts[3], "base64");
  const actual = createHmac("sha1", salt).update(name).digest();
  return expected.length === actual.length && expected.equals(actual);
}

/** Does the host field of an entry match the lookup name? (negations win, as in OpenSSH) */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith("|")) return hashedMatch(name, field);
  let positive = false;
  for (const raw of field.split(",")) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === "") continue;
    if (globMatch(name, pattern)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** The keys (and revoked keys) that known_hosts lists for `host` on `port`. */
export function matchKnownHosts(entries: readonly KnownHostsEntry[], host: string, port: number): KnownHostsMatch {
  const name = lookupName(host, port);
  const keys: PublicKey[] = [];
  const revoked: PublicKey[] = [];
  for (const e of entries) {
    if (e.marker === "cert-authority") continue;
    if (e.marker === "revoked") {
      // Scoped by its host patterns like any line (`@revoked * ...` revokes a key everywhere).
      if (hostFieldMatches(e.hosts, name)) revoked.push(e.key);
      continue;
    }
    if (hostFieldMatches(e.hosts, name)) keys.push(e.key);
  }
  return { keys, revoked };
}
