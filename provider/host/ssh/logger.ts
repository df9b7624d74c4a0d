/**
 * The progress/log hook of the transport. Messages are already redacted and
 * never contain credentials; the caller decides where they go (Pulumi log,
 * console, a test array).
 */
export type SshLogLevel = "debug" | "info" | "warn" | "error";
export type SshLogger = (level: SshLogLevel, message: string) => void;

export const silentLogger: SshLogger = () => undefined;
