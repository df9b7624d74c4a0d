/**
 * SSH public keys as the wire-format blob the server presents, their
 * SHA256 fingerprints (byte for byte what `ssh-keygen -lf` prints) and
 * OpenSSH public key lines.
 */
import { createHash } from "crypto";

export interface PublicKey {
  /** Key type as written in the blob, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`. */
  type: string;
  /** The SSH wire-format public key (what a `ssh-ed25519 AAAA...` line base64-encodes). */
  blob: Buffer;
}

/** Key types this transport can verify and negotiate. */
export const KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "ssh-dss",
] as const;

/** Reads the key type string at the start of a wire-format blob. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString("latin1");
}

/** `SHA256:<base64 without padding>` of the blob, as `ssh-keygen -lf` prints. */
export function fingerprint(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The label ssh-keygen puts in parentheses: ED25519, RSA, ECDSA, DSA. */
export function keyTypeLabel(type: string): string {
  if (type === "ssh-ed25519") return "ED25519";
  if (type === "ssh-rsa") return "RSA";
  if (type === "ssh-dss") return "DSA";
  if (type.startsWith("ecdsa-")) return "ECDSA";
  return type.toUpperCase();
}

/** `SHA256:... (ED25519)` */
export function describeKey(key: PublicKey): string {
  return `${fingerprint(key.blob)} (${keyTypeLabel(key.type)})`;
}

/** `ssh-ed25519 AAAA...`: the line to pin in `connection.hostKey`. */
export function publicKeyLine(key: PublicKey): string {
  return `${key.type} ${key.blob.toString("base64")}`;
}

export function keyFromBlob(blob: Buffer): PublicKey | undefined {
  const type = blobKeyType(blob);
  return type === undefined ? undefined : { type, blob };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses `<type> <base64>`; returns undefined unless the blob is well-formed and of that type. */
export function parseKeyFields(type: string, base64: string): PublicKey | undefined {
  if (!BASE64.test(base64)) return undefined;
  const blob = Buffer.from(base64, "base64");
  if (blobKeyType(blob) !== type) return undefined;
  return { type, blob };
}

export function isKeyType(word: string): boolean {
  return (KEY_TYPES as readonly string[]).includes(word) || /^(sk-|ssh-|ecdsa-)/.test(word);
}

/** Host key algorithms to offer first, so the server presents a key of a type we know. */
export function algorithmsForKeyType(type: string): string[] {
  if (type === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [type];
}

export function keysEqual(a: PublicKey, b: PublicKey): boolean {
  return a.blob.equals(b.blob);
}
