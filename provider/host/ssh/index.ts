/**
 * The SSH transport: `acquireHost(connection)` gives a `Host` whose commands
 * run over one pooled, verified SSH connection per host.
 */
export { SshError, isSshError, commandSummary, type SshErrorCode, type SshErrorDetails } from "./errors";
export { SshHost } from "./ssh-host";
export { SshPool, defaultPool, acquireHost, closeAll, hostId, type SshPoolOptions, type AcquireOptions, type HostStats } from "./pool";
export { redact, redactorFor, makeRedactor, secretValues, REDACTED, type Redactor } from "./redact";
export { fingerprint, describeKey, publicKeyLine, type PublicKey } from "./host-key";
export { parseKnownHosts, matchKnownHosts, lookupName, type KnownHostsEntry } from "./known-hosts";
export { parseHostKeyPin, defaultKnownHostsFile } from "./host-key-check";
export type { SshLogger, SshLogLevel } from "./logger";
