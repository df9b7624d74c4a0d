/**
 * Removes credentials from text before it is shown: every error message,
 * every log line and every stderr the transport surfaces goes through a
 * redactor built from the connection it concerns.
 */
import type { Connection, ConnectionInput, JumpHost } from "../../inputs/connection";

export const REDACTED = "[secret]";

/** Lines of a multi-line secret (a private key) longer than this are redacted one by one too. */
const MIN_LINE = 20;

type SecretSource = Partial<Pick<Connection, "privateKey" | "privateKeyPassphrase" | "password" | "sudoPassword">> & {
  jumpHost?: Partial<Pick<JumpHost, "privateKey" | "privateKeyPassphrase" | "password">>;
};

/** Every secret string of a connection (and of its jump host), whole and, for keys, line by line. */
export function secretValues(connection: SecretSource | ConnectionInput): string[] {
  const c = connection as SecretSource;
  const values = new Set<string>();
  const add = (v: string | undefined) => {
    if (typeof v !== "string" || v.length === 0) return;
    values.add(v);
    const trimmed = v.trim();
    if (trimmed.length > 0) values.add(trimmed);
    if (v.includes("\n")) {
      for (const line of v.split(/\r?\n/)) {
        const l = line.trim();
        if (l.length > MIN_LINE) values.add(l);
      }
    }
  };
  for (const hop of [c, c.jumpHost]) {
    if (!hop) continue;
    add(hop.privateKey);
    add(hop.privateKeyPassphrase);
    add(hop.password);
  }
  add(c.sudoPassword);
  return [...values];
}

export type Redactor = (text: string) => string;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Builds a redactor for a fixed set of secret values (longest first, one pass). */
export function makeRedactor(values: readonly string[]): Redactor {
  const sorted = [...new Set(values.filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  const pattern = new RegExp(sorted.map(escapeRegExp).join("|"), "g");
  return (text) => (typeof text === "string" ? text.replace(pattern, REDACTED) : text);
}

/** Replaces every known secret of `connection` in `text` with `[secret]`. */
export function redact(text: string, connection: SecretSource | ConnectionInput): string {
  return makeRedactor(secretValues(connection))(text);
}

/** A redactor for a connection, built once. */
export function redactorFor(connection: SecretSource | ConnectionInput): Redactor {
  return makeRedactor(secretValues(connection));
}
