import { makeRedactor, redact, secretValues, REDACTED } from "../../../provider/host/ssh/redact";

const KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACBcZ2Vx0iYx1vBs8F+6n3Jp0w0v8m3LzTZ1QmFQm5C0UAAAAJgAAAAAAAAA",
  "short",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

describe("redact", () => {
  const conn = {
    host: "h",
    privateKey: KEY,
    privateKeyPassphrase: "pass-phrase-1",
    password: "pw-2",
    sudoPassword: "sudo-3",
    jumpHost: { host: "j", password: "jump-pw-4", privateKey: undefined },
  };

  test("replaces whole values of every secret field, also of the jump host", () => {
    const text = "a pass-phrase-1 b pw-2 c sudo-3 d jump-pw-4 e";
    expect(redact(text, conn)).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} d ${REDACTED} e`);
  });

  test("replaces each long line of a multi-line key, and the whole key", () => {
    const lines = KEY.split("\n");
    const out = redact(`x ${lines[1]} y ${lines[2]} z`, conn);
    expect(out).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(redact(`[${KEY}]`, conn)).toBe(`[${REDACTED}]`);
    // Lines of 20 characters or less are not secret material on their own.
    expect(redact("short -----END", conn)).toBe("short -----END");
  });

  test("longest secret first, so a secret containing another one is removed whole", () => {
    const r = makeRedactor(["abc", "xxabcxx"]);
    expect(r("1 xxabcxx 2 abc")).toBe(`1 ${REDACTED} 2 ${REDACTED}`);
  });

  test("regex metacharacters in secrets are literal", () => {
    const r = makeRedactor(["a.b*c(d)[e]$"]);
    expect(r("see a.b*c(d)[e]$ and axbbc")).toBe(`see ${REDACTED} and axbbc`);
  });

  test("no secrets: text unchanged; secretValues lists nothing for an empty connection", () => {
    expect(secretValues({ host: "h" } as never)).toEqual([]);
    expect(redact("nothing here", { host: "h" } as never)).toBe("nothing here");
  });
});
