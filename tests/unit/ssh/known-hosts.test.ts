/**
 * known_hosts parsing and matching, checked against OpenSSH's own tools:
 * hashed lines come from `ssh-keygen -H`, fingerprints must equal
 * `ssh-keygen -lf`, and lookups agree with `ssh-keygen -F`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { fingerprint, describeKey, publicKeyLine, keyFromBlob } from "../../../provider/host/ssh/host-key";
import { lookupName, matchKnownHosts, parseKnownHosts, hostFieldMatches } from "../../../provider/host/ssh/known-hosts";
import { parseHostKeyPin, checkHostKey, hostKeyPolicy } from "../../../provider/host/ssh/host-key-check";
import { generateKeyPair, makeTempDir, sshKeygenFingerprint } from "../../support/sshd";

const dir = makeTempDir("known-hosts");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ed = generateKeyPair(dir, "ed", { comment: "ed-comment" });
const ec = generateKeyPair(dir, "ec", { type: "ecdsa" });
const rsa = generateKeyPair(dir, "rsa", { type: "rsa" });

function blobOf(line: string): Buffer {
  return Buffer.from(line.split(/\s+/)[1], "base64");
}

/** Lets OpenSSH hash a known_hosts file and returns the hashed text. */
function sshKeygenHash(text: string): string {
  const file = path.join(dir, `kh-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, text);
  const r = spawnSync("ssh-keygen", ["-H", "-f", file], { encoding: "utf8" });
  expect(r.status).toBe(0);
  return fs.readFileSync(file, "utf8");
}

describe("fingerprints", () => {
  test.each([
    ["ed25519", ed],
    ["ecdsa", ec],
    ["rsa", rsa],
  ])("%s fingerprint equals ssh-keygen -lf", (_name, k) => {
    const printed = sshKeygenFingerprint(k.publicKeyPath); // "256 SHA256:... comment (ED25519)"
    const key = keyFromBlob(blobOf(k.publicKey))!;
    expect(printed).toContain(fingerprint(key.blob));
    expect(printed).toContain(`(${describeKey(key).split("(")[1]}`);
    expect(publicKeyLine(key)).toBe(k.publicKey.split(/\s+/).slice(0, 2).join(" "));
  });
});

describe("known_hosts matching", () => {
  const edType = ed.publicKey.split(" ")[0];
  const edB64 = ed.publicKey.split(" ")[1];

  test("plain name, [host]:port, comma lists, wildcards and negation", () => {
    const text = [
      "# comment",
      "",
      `alpha.example,10.0.0.1 ${edType} ${edB64}`,
      `[beta.example]:2222 ${edType} ${edB64}`,
      `*.gamma.example,!bad.gamma.example ${edType} ${edB64}`,
      `garbage line`,
    ].join("\n");
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(3);
    expect(matchKnownHosts(entries, "alpha.example", 22).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "ALPHA.example", 22).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "10.0.0.1", 22).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "alpha.example", 2222).keys).toHaveLength(0); // port 2222 needs [host]:2222
    expect(matchKnownHosts(entries, "beta.example", 2222).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "beta.example", 22).keys).toHaveLength(0);
    expect(matchKnownHosts(entries, "x.gamma.example", 22).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "bad.gamma.example", 22).keys).toHaveLength(0);
    expect(lookupName("Host", 22)).toBe("host");
    expect(lookupName("host", 2200)).toBe("[host]:2200");
    expect(hostFieldMatches("h?st", "host")).toBe(true);
  });

  test("hashed entries written by ssh-keygen -H match, for port 22 and [host]:port", () => {
    const hashed = sshKeygenHash([`delta.example ${edType} ${edB64}`, `[127.0.0.1]:2201 ${edType} ${edB64}`].join("\n") + "\n");
    expect(hashed).toMatch(/^\|1\|/m);
    expect(hashed).not.toContain("delta.example");
    const entries = parseKnownHosts(hashed);
    expect(entries).toHaveLength(2);
    expect(matchKnownHosts(entries, "delta.example", 22).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "127.0.0.1", 2201).keys).toHaveLength(1);
    expect(matchKnownHosts(entries, "127.0.0.1", 22).keys).toHaveLength(0);
    expect(matchKnownHosts(entries, "other.example", 22).keys).toHaveLength(0);
  });

  test("@revoked lines are reported, @cert-authority lines skipped", () => {
    const text = [`@revoked * ${edType} ${edB64}`, `@cert-authority *.example ${edType} ${edB64}`, `host ${edType} ${edB64}`].join("\n");
    const m = matchKnownHosts(parseKnownHosts(text), "host", 22);
    expect(m.revoked).toHaveLength(1);
    expect(m.keys).toHaveLength(1);
  });

  test("a key line with a mismatching embedded type is ignored", () => {
    expect(parseKnownHosts(`host ssh-rsa ${edB64}`)).toHaveLength(0);
  });
});

describe("connection.hostKey pins", () => {
  test("accepts a public key line (with comment), a known_hosts line and a SHA256 fingerprint", () => {
    const key = keyFromBlob(blobOf(ed.publicKey))!;
    const pin = parseHostKeyPin(`${ed.publicKey}\n[h]:22 ${ec.publicKey}\n${fingerprint(key.blob)}`);
    expect(typeof pin).toBe("object");
    if (typeof pin === "string") return;
    expect(pin.keys).toHaveLength(2);
    expect(pin.fingerprints).toEqual([fingerprint(key.blob)]);
    // The fingerprint may carry base64 padding, as some tools print it.
    expect(parseHostKeyPin(fingerprint(key.blob) + "=")).toEqual({ keys: [], fingerprints: [fingerprint(key.blob)] });
  });

  test("rejects MD5 fingerprints, garbage and bad base64 with a message that does not echo the value", () => {
    for (const bad of ["MD5:12:34", "12:34:56:78", "not a key", "ssh-ed25519 !!!!", "ssh-rsa " + ed.publicKey.split(" ")[1]]) {
      const r = parseHostKeyPin(bad);
      expect(typeof r).toBe("string");
      expect(r as string).not.toContain(bad);
    }
  });

  test("mismatch error names both fingerprints and how to pin", () => {
    const policy = hostKeyPolicy({ host: "h", port: 2200, hostKey: ed.publicKey, insecureSkipHostKeyVerification: false }, "root@h:2200");
    const presented = keyFromBlob(blobOf(ec.publicKey))!;
    const err = checkHostKey(policy, presented, { host: "h", port: 2200, insecureSkipHostKeyVerification: false }, "root@h:2200")!;
    expect(err.code).toBe("host_key_mismatch");
    expect(err.message).toContain(fingerprint(blobOf(ed.publicKey)));
    expect(err.message).toContain(fingerprint(blobOf(ec.publicKey)));
    expect(err.message).toContain(`connection.hostKey: "${publicKeyLine(presented)}"`);
    expect(err.message).toContain("ssh-keyscan -p 2200 -t ecdsa h");
    expect(checkHostKey(policy, keyFromBlob(blobOf(ed.publicKey))!, { host: "h", port: 2200, insecureSkipHostKeyVerification: false }, "x")).toBeUndefined();
  });

  test("a missing known_hosts file makes the host unknown, and says so", () => {
    const policy = hostKeyPolicy(
      { host: "h", port: 22, knownHostsFile: path.join(dir, "nope"), insecureSkipHostKeyVerification: false },
      "root@h:22",
    );
    const err = checkHostKey(policy, keyFromBlob(blobOf(ed.publicKey))!, { host: "h", port: 22, insecureSkipHostKeyVerification: false }, "root@h:22")!;
    expect(err.code).toBe("host_key_unknown");
    expect(err.message).toContain("does not exist");
    expect(err.message).toContain("ssh-keyscan -t ed25519 h");
  });
});
