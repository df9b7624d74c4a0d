/** Shared bits of the SSH transport tests (real sshd, no mocks). */
import { isSshError, SshPool, type SshError, type SshErrorCode, type SshPoolOptions } from "../../../provider/host/ssh";

export interface LoggedPool {
  pool: SshPool;
  logs: string[];
}

export function loggedPool(options: SshPoolOptions = {}): LoggedPool {
  const logs: string[] = [];
  const pool = new SshPool({ ...options, logger: (level, message) => logs.push(`${level}: ${message}`) });
  return { pool, logs };
}

/** Awaits a promise that must reject with an SshError of `code`; returns the error. */
export async function expectSshError(promise: Promise<unknown>, code: SshErrorCode): Promise<SshError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (e) {
    if (!isSshError(e)) throw new Error(`expected SshError ${code}, got: ${String(e)}`);
    if (e.code !== code) throw new Error(`expected SshError ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected SshError ${code}, but it resolved: ${JSON.stringify(result)}`);
}

/** Same for a synchronous call. */
export function expectSshErrorSync(fn: () => unknown, code: SshErrorCode): SshError {
  try {
    fn();
  } catch (e) {
    if (!isSshError(e)) throw new Error(`expected SshError ${code}, got: ${String(e)}`);
    if (e.code !== code) throw new Error(`expected SshError ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected SshError ${code}, but it returned`);
}

/** sshd log lines that show an authentication request reached the server. */
export const AUTH_TRACES = /userauth-request|Accepted |Failed |Postponed |authenticating user|Invalid user/;
