import { backoffMs, withConnectRetries } from "../../../provider/host/ssh/retry";
import { Semaphore } from "../../../provider/host/ssh/semaphore";
import { LineSplitter } from "../../../provider/host/ssh/lines";
import { SshError, commandSummary, isSshError } from "../../../provider/host/ssh/errors";

test("backoff is exponential from 0.5 s and capped at 5 s", () => {
  expect([1, 2, 3, 4, 5, 6, 20].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
});

describe("withConnectRetries", () => {
  const retryable = () => new SshError("connect", "h", "refused", { retryable: true });

  test("retries retryable errors up to the limit, then says how many attempts", async () => {
    const logs: string[] = [];
    let calls = 0;
    const p = withConnectRetries(3, "h", (_l, m) => logs.push(m), async () => {
      calls++;
      throw retryable();
    }, () => 1);
    await expect(p).rejects.toThrow(/refused \(gave up after 3 attempts/);
    expect(calls).toBe(3);
    expect(logs.filter((l) => l.startsWith("connecting to h (attempt"))).toEqual([
      "connecting to h (attempt 1/3)",
      "connecting to h (attempt 2/3)",
      "connecting to h (attempt 3/3)",
    ]);
    expect(logs.filter((l) => l.startsWith("retrying"))).toHaveLength(2);
  });

  test("never retries permanent errors (auth, host key)", async () => {
    let calls = 0;
    const p = withConnectRetries(5, "h", () => undefined, async () => {
      calls++;
      throw new SshError("auth", "h", "refused");
    }, () => 1);
    await expect(p).rejects.toMatchObject({ code: "auth" });
    expect(calls).toBe(1);
  });

  test("returns the first success", async () => {
    let calls = 0;
    const v = await withConnectRetries(5, "h", () => undefined, async () => {
      if (++calls < 3) throw retryable();
      return "ok";
    }, () => 1);
    expect(v).toBe("ok");
    expect(calls).toBe(3);
  });
});

test("semaphore limits concurrency and serves waiters in order", async () => {
  const s = new Semaphore(2);
  const order: number[] = [];
  await s.acquire();
  await s.acquire();
  const waiters = [3, 4].map((n) => s.acquire().then(() => order.push(n)));
  expect(s.queued).toBe(2);
  s.release();
  await waiters[0];
  expect(order).toEqual([3]);
  s.release();
  await waiters[1];
  expect(order).toEqual([3, 4]);
  expect(s.inUse).toBe(2);
  s.release();
  s.release();
  expect(s.inUse).toBe(0);
  await s.acquire();
  await s.acquire();
  const rejected = s.acquire();
  s.rejectAll(new Error("closed"));
  await expect(rejected).rejects.toThrow("closed");
});

test("line splitter handles chunk boundaries, CRLF and split UTF-8", () => {
  const lines: string[] = [];
  const sp = new LineSplitter((l) => lines.push(l));
  const bytes = Buffer.from("a\r\nbé\nc", "utf8");
  for (const b of bytes) sp.push(Buffer.from([b]));
  sp.end();
  expect(lines).toEqual(["a", "bé", "c"]);
});

test("errors: typed, identifiable, command summaries are one short line", () => {
  const e = new SshError("timeout", "root@h:22", "x");
  expect(isSshError(e)).toBe(true);
  expect(isSshError(new Error("x"))).toBe(false);
  expect(e).toBeInstanceOf(Error);
  expect(commandSummary("echo hi")).toBe("echo hi");
  expect(commandSummary("echo hi\nsecond line")).toBe("echo hi ...");
  expect(commandSummary("x".repeat(200))).toHaveLength(81);
});
