/**
 * A round's work on the containers' secret files (the shell is secrets-scripts.ts):
 *
 *   stage   before the module write: journal each directory, write the new and changed files
 *           (values on stdin), remove the undeclared ones. A secrets-only change (kind
 *           "secrets") is settled right there: its units restarted or reloaded, no rebuild. Its
 *           units and owners are checked first, so a wrong one refuses it with nothing written.
 *   settle  at the end of a round with a rebuild (inside scripts.afterSwitch, under the lock):
 *           owners now that the container's users exist, the units of changed files, the
 *           directories of removed containers.
 *   revert  a container whose change is rolled back gets its journalled files back (scripts.ts
 *           revertModules and the journal recovery call restore_secrets).
 *
 * No value ever reaches a progress line, an error or a command line.
 */
import type { Host } from "../host/host";
import type { ContainerChange, SecretFileChange } from "./change";
import { ChangeError, HostError } from "../errors";
import type { Progress } from "./progress";
import { shellQuote as sq } from "../host/shell";
import { SECRETS_FUNCS, checkSecrets, secretsPayload, settleSecrets, writeSecrets, type SecretsStep, type SettleStep } from "./secrets-scripts";

/** What became of one container's secrets in a round. */
export interface SecretsOutcome {
  /** Files written before their owner existed in the container (settle gives it to them). */
  pending: string[];
  /** Units acted on, for the progress line. */
  did: { unit: string; action: string; status: number }[];
  problems: string[];
  warnings: string[];
}

const hasSecretWork = (c: ContainerChange) => c.kind === "secrets" || ((c.kind === "create" || c.kind === "update") && (c.secrets?.length ?? 0) > 0);
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

/** Lines of a secrets script's output, by container. */
function outcomes(stdout: string): Map<string, SecretsOutcome> {
  const by = new Map<string, SecretsOutcome>();
  const of = (name: string) => {
    let o = by.get(name);
    if (!o) by.set(name, (o = { pending: [], did: [], problems: [], warnings: [] }));
    return o;
  };
  for (const line of stdout.split("\n")) {
    const [keyword, name, ...rest] = line.split(" ");
    switch (keyword) {
      case "SECRETPENDING":
        of(name).pending.push(rest[0]);
        break;
      case "SECRETNOUSER":
        of(name).problems.push(`secrets.${rest[0]}.${rest[1]}: the container has no ${rest[1] === "owner" ? "user" : "group"} "${rest[2]}" (its /etc/${rest[1] === "owner" ? "passwd" : "group"}); declare it in the container's config, or give a number`);
        break;
      case "SECRETMISSING":
        of(name).problems.push(`the unit ${rest[0]} named in restartUnits or reloadUnits of its secrets does not exist in the container (systemctl there: Unit ${rest[0]} not found)`);
        break;
      case "SECRETDID": {
        const [unit, action, status] = rest;
        of(name).did.push({ unit, action, status: Number(status) });
        if (Number(status) !== 0) of(name).problems.push(`${action} of ${unit} inside the container after its secret changed failed (exit ${status})`);
        break;
      }
      case "SECRETFAIL":
        of(name).problems.push(decode(rest[0]));
        break;
    }
  }
  return by;
}

/**
 * Stage the secrets of a batch (see above). Returns each container's outcome; `fail` is told
 * about every change refused or failed here, which then goes no further in the round.
 */
export async function stageSecrets(host: Host, changes: ContainerChange[], progress: Progress, fail: (name: string, e: Error) => void): Promise<Map<string, SecretsOutcome>> {
  const working = changes.filter(hasSecretWork);
  if (working.length === 0) return new Map();
  const refused = new Set<string>();
  const only = working.filter((c) => c.kind === "secrets");
  if (only.length > 0) {
    const result = await host.exec(checkSecrets(only.map(stepOf)), { privileged: true });
    if (!result.stdout.includes("END")) throw new HostError(host.id, "write", `${host.label}: checking the secrets' units and owners failed: ${result.stderr.trim() || `exit ${result.code}`}`);
    for (const [name, o] of outcomes(result.stdout)) {
      if (o.problems.length === 0) continue;
      refused.add(name);
      fail(name, new ChangeError(host.id, name, "refused", `${host.label}: ${name}: nothing was written: ${o.problems.join("; ")}`));
    }
  }
  const steps = working.filter((c) => !refused.has(c.name)).map(stepOf);
  if (steps.length === 0) return new Map();
  const files = steps.reduce((n, s) => n + s.files.filter((f) => f.value !== undefined).length, 0);
  progress.status(`${host.label}: secrets: writing ${plural(files, "file")} for ${steps.map((s) => s.name).join(", ")}`);
  const result = await host.exec(writeSecrets(steps), { privileged: true, stdin: secretsPayload(steps) });
  const by = outcomes(result.stdout);
  if (result.code !== 0 || !result.stdout.includes("\nEND")) {
    // The journal puts every directory back as it was; the changes go no further.
    await host.exec(restoreScript(steps.map((s) => s.name)), { privileged: true }).catch(() => undefined);
    const said = [...by.values()].flatMap((o) => o.problems).join("; ") || result.stderr.trim() || `exit ${result.code}`;
    throw new HostError(host.id, "write", `${host.label}: writing the secret files of ${steps.map((s) => s.name).join(", ")} failed, nothing was changed: ${said}`);
  }
  for (const s of steps.filter((s) => s.settleNow)) {
    const o = by.get(s.name);
    for (const d of o?.did ?? []) if (d.status === 0 && !d.action.startsWith("skipped")) progress.status(`${host.label}: ${s.name}: ${d.action === "restart" ? "restarted" : "reloaded"} ${d.unit} (its secret changed)`);
    if (o && o.problems.length > 0) fail(s.name, new ChangeError(host.id, s.name, "activation", `${host.label}: ${s.name}: the secret files were written, but ${o.problems.join("; ")}`, true));
  }
  return by;
}

function stepOf(c: ContainerChange): SecretsStep {
  return { name: c.name, files: c.secrets ?? [], settleNow: c.kind === "secrets" };
}

function restoreScript(names: string[]): string {
  return `set -u\n${SECRETS_FUNCS}\n${names.map((n) => `restore_secrets ${sq(n)}`).join("\n")}\necho END\n`;
}

/**
 * The shell of the settle step for the containers a round brought onto their new system.
 * `restarted`: containers that the round (re)started, whose services read their files afresh.
 */
export function settleTail(changes: ContainerChange[], restarted: (name: string) => boolean, staged: Map<string, SecretsOutcome>): string {
  const steps: SettleStep[] = changes
    .filter((c) => c.kind !== "secrets")
    .map((c) => {
      const files: SecretFileChange[] = c.kind === "delete" ? [] : (c.secrets ?? []);
      return { name: c.name, files, actOnChanged: c.kind !== "create" && !restarted(c.name), late: staged.get(c.name)?.pending ?? [], remove: files.length === 0 };
    });
  return settleSecrets(steps);
}

/** What the settle step reported: problems (the change failed after it was applied) and warnings, by container. */
export function settleOutcomes(stdout: string, progress: Progress, label: string): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  for (const [name, o] of outcomes(stdout)) {
    for (const d of o.did) if (d.status === 0 && !d.action.startsWith("skipped")) progress.status(`${label}: ${name}: ${d.action === "restart" ? "restarted" : "reloaded"} ${d.unit} (its secret changed)`);
    const unresolved = o.pending.filter((f) => !o.problems.some((p) => p.startsWith(`secrets.${f}.`)));
    if (unresolved.length > 0) {
      progress.warn(
        `${label}: ${name}: the owner of ${unresolved.map((f) => `/run/secrets/${f}`).join(", ")} is not known yet (the container has not run, or privateUsers "pick" has not chosen its uid range): ${unresolved.length === 1 ? "it belongs" : "they belong"} to the container's root until the next pulumi up after the container started`,
      );
    }
    if (o.problems.length > 0) problems.set(name, o.problems);
  }
  return problems;
}
