/**
 * One deployment round on one host: lock, inspect, write every module of the
 * batch, one nixos-rebuild, isolate the containers an evaluation error names
 * (roll their files back and rebuild the rest), bring running containers onto
 * their new system, report, unlock. Nothing here knows about SSH or Pulumi.
 */
import { createHash } from "node:crypto";
import type { Host } from "../host/host";
import type { ContainerChange, ChangeResult, ContainerState } from "./change";
import { ChangeError, HostError } from "../errors";
import { HostLock } from "./lock";
import { IMPORT_LINE, INDEX_TEXT, modulePath, unitName } from "./layout";
import { parseReport, hostSideSettings, addressFromConf, parseConf, type ContainerFacts, type ScriptReport } from "./protocol";
import { errorExcerpt, readRebuildOutput, type RebuildOutcome } from "./rebuild-output";
import * as scripts from "./scripts";
import { elapsed, type Progress } from "./progress";
import { unitChange } from "./unit-change";
import type { RoundTally } from "./summary";
import { settleOutcomes, settleTail, stageSecrets, type SecretsOutcome } from "./secrets";
import { gatedChanges, healthGate, type HealthOutcome, type RoundSteps } from "./health-gate";
import { leaveMessage, ownerRecord, ownerVerdict, parseOwnerRecord, refusalMessage, takeoverMessage, type OwnerVerdict } from "./ownership";

export interface RoundOptions {
  lockWaitSeconds: number;
  /** Extra lease beyond the rebuild timeout, for the steps around it. */
  leaseMarginSeconds?: number;
  /** Retries when the host's own switch lock is held by someone else. */
  switchLockRetries?: number;
}

export type Settled = { change: ContainerChange; result?: ChangeResult; error?: Error; retrySolo?: boolean; health?: HealthOutcome };

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** `tally` collects what the host's summary line reports (summary.ts). */
export async function runRound(host: Host, changes: ContainerChange[], progress: Progress, options: RoundOptions, tally?: RoundTally): Promise<Settled[]> {
  const names = changes.map((c) => c.name);
  const action = changes[0].rebuildAction;
  const timeout = Math.max(...changes.map((c) => c.rebuildTimeoutSeconds));
  const lock = new HostLock(host, progress);
  const settled = new Map<string, Settled>(changes.map((c) => [c.name, { change: c }]));
  const fail = (name: string, error: Error) => (settled.get(name)!.error = error);
  const roundStart = Date.now();

  progress.status(`${host.label}: ${describeBatch(changes)}: locking`);
  let step: RoundStep = "write";
  const before = await lock.acquire(names, { leaseSeconds: timeout * 2 + (options.leaseMarginSeconds ?? 600), waitSeconds: options.lockWaitSeconds });
  try {
    if (before.recovered.length > 0) {
      progress.warn(`${host.label}: restored ${before.recovered.join(", ")} from an earlier run that was interrupted before it finished`);
    }
    checkHostSetup(host, before);
    if (tally) tally.managedBefore = Number(before.fields.get("MANAGED") ?? 0);

    const active = changes.filter((c) => {
      const facts = before.containers.get(c.name) ?? {};
      const verdict = ownerVerdict(c, parseOwnerRecord(facts.owner), facts.module != null);
      if (verdict.kind === "leave") {
        // Another resource manages it now: this one lets go of it without touching the host.
        const message = leaveMessage(c, verdict.other);
        progress.warn(`${host.label}: ${message}`);
        settled.get(c.name)!.result = { state: stateFrom(c.name, facts, null), postAction: "none", warnings: [message] };
        return false;
      }
      const refusal = refuse(host, c, facts, verdict, before.recovered.includes(c.name));
      if (refusal) fail(c.name, refusal);
      else if (verdict.kind === "write" && verdict.takeover) progress.warn(`${host.label}: ${takeoverMessage(c.name, verdict.takeover, c.owner)}`);
      return !refusal;
    });
    if (active.length === 0) return [...settled.values()];

    // Secret files first (secrets.ts): in place before the services that read them start. A
    // secrets-only change is done with that: no module, no rebuild.
    const staged = await stageSecrets(host, active, progress, fail);
    const rebuilding = active.filter((c) => c.kind !== "secrets" && !settled.get(c.name)!.error);
    for (const c of active.filter((c) => c.kind === "secrets" && !settled.get(c.name)!.error)) {
      settled.get(c.name)!.result = { state: stateFrom(c.name, before.containers.get(c.name) ?? {}, null), postAction: "none", warnings: [] };
    }
    if (rebuilding.length === 0) return [...settled.values()];

    await writeModules(host, rebuilding, progress);

    step = "rebuild";
    let remaining = rebuilding;
    let outcome: RebuildOutcome;
    let after: ScriptReport;
    let rebuildOutput = "";
    let bootDefault: string | undefined;
    /** One nixos-rebuild of the round, counted in the tally, its phases on the rows. */
    const rebuild = async (names: string[], what: string) => {
      const started = Date.now();
      progress.status(`${host.label}: nixos-rebuild ${action} (${what})`);
      const run = await runRebuild(host, action, timeout, names, progress);
      if (tally) {
        tally.rebuilds++;
        tally.rebuildMs += Date.now() - started;
      }
      progress.status(`${host.label}: nixos-rebuild ${action} ${run.outcome.phase === "ok" ? "done" : `failed (${run.outcome.phase})`} in ${elapsed(started)}`);
      return run;
    };
    for (let lockRetry = 0; ; ) {
      const run = await rebuild(remaining.map((c) => c.name), `${remaining.length} container${remaining.length === 1 ? "" : "s"}`);
      outcome = run.outcome;
      after = run.report;
      rebuildOutput = run.output;
      const profile = after.fields.get("SYSPROFILE");
      bootDefault ??= profile && /^system-[0-9]+-link$/.test(profile) ? profile : undefined;
      if (outcome.phase === "ok" || outcome.phase === "activation") break;
      if (outcome.phase === "lock" && lockRetry++ < (options.switchLockRetries ?? 5)) {
        progress.status(`${host.label}: another nixos-rebuild holds the switch lock; retrying in ${2 * lockRetry} s`);
        await new Promise((r) => setTimeout(r, 2000 * lockRetry));
        continue;
      }
      // Nothing was activated: roll back the containers the error names, keep the rest.
      const culprits = remaining.filter((c) => outcome.culprits.includes(c.name));
      const blamed = culprits.length > 0 ? culprits : remaining;
      // nixos-rebuild switch/boot sets the boot default before it activates: put back the one
      // from before the round's first rebuild too.
      await revert(host, blamed.map((c) => c.name), bootDefault);
      const excerpt = errorExcerpt(run.output);
      const failure =
        outcome.phase === "timeout"
          ? `nixos-rebuild ${action} did not finish within ${timeout} s (rebuildTimeoutSeconds) and was stopped on the host`
          : outcome.phase === "lock"
            ? `nixos-rebuild ${action} could not activate: another process holds the switch lock of the host (/run/nixos/switch-to-configuration.lock), also after ${lockRetry - 1} retries`
            : `nixos-rebuild ${action} failed at ${outcome.phase}`;
      for (const c of blamed) {
        const why =
          culprits.length > 0
            ? `the error names this container; its change was rolled back and the other containers of the batch were rebuilt without it`
            : `the change was rolled back`;
        fail(c.name, new ChangeError(host.id, c.name, outcome.phase === "lock" ? "lock" : (outcome.phase as "evaluation"), `${host.label}: ${failure} (${why}):\n${excerpt}`));
        // An error that names nobody may still be one container's: retry each alone to find it
        // (not for a hang or a held lock, which would only repeat).
        if (culprits.length === 0 && remaining.length > 1 && outcome.phase !== "timeout" && outcome.phase !== "lock") settled.get(c.name)!.retrySolo = true;
      }
      remaining = remaining.filter((c) => !blamed.includes(c));
      if (culprits.length === 0 || remaining.length === 0) {
        if (culprits.length === 0 && remaining.length === 0 && blamed.length > 1) {
          progress.warn(`${host.label}: the rebuild error names no container; retrying each of ${blamed.map((c) => c.name).join(", ")} on its own to find the one at fault`);
        }
        // revert() has emptied their journal entries: nothing of the round is pending on the host.
        return [...settled.values()];
      }
    }

    const activationFailed = new Set(outcome.phase === "activation" ? outcome.culprits : []);
    const otherFailedUnits = outcome.failedUnits.filter((u) => !remaining.some((c) => unitName(c.name) === u));
    for (const c of remaining.filter((c) => activationFailed.has(c.name))) {
      fail(
        c.name,
        new ChangeError(host.id, c.name, "activation", `${host.label}: the new configuration is active, but ${unitName(c.name)} failed to start or stop:\n${errorExcerpt(rebuildOutput)}`, true),
      );
    }
    const succeeding = remaining.filter((c) => !activationFailed.has(c.name));
    // Containers with health checks keep their journal entries (and the round its lock) until checked.
    const gated = gatedChanges(remaining, action);
    step = "after";
    const final = await bringOntoNewSystem(
      host,
      action,
      succeeding,
      before,
      after,
      outcome,
      progress,
      remaining.filter((c) => !gated.includes(c)).map((c) => c.name),
      gated.length === 0 ? lock.token : undefined,
      staged,
    );
    if (final.report.fields.get("LOCK") === "released") lock.markReleased();
    for (const c of succeeding) {
      const s = settled.get(c.name)!;
      const problem = final.failures.get(c.name);
      if (problem) s.error = new ChangeError(host.id, c.name, c.flake ? "update" : "activation", `${host.label}: ${problem}`, true);
      else
        s.result = {
          state: stateFrom(c.name, final.report.containers.get(c.name) ?? {}, c.kind === "delete" ? null : (c.module ?? null)),
          postAction: final.actions.get(c.name) ?? "none",
          warnings: otherFailedUnits.length > 0 ? [`units that are not this container's failed during activation: ${otherFailedUnits.join(", ")}`] : [],
        };
    }
    if (otherFailedUnits.length > 0) progress.warn(`${host.label}: activation reported failed units: ${otherFailedUnits.join(", ")}`);
    if (gated.length > 0) {
      step = "health";
      const entries = gated.map((c) => settled.get(c.name)!);
      const handed = entries.map((s) => ({ change: s.change, result: s.result, error: s.error }));
      for (const s of entries) s.result = undefined; // settled by the gate, or by a lost connection
      const steps: RoundSteps = {
        rebuild: (names) => rebuild(names, `rolling back ${names.join(", ")}`),
        revert: (names) => revert(host, names),
        bringOnto: (cs, old, now, how) => bringOntoNewSystem(host, action, cs, old, now, how, progress, [], undefined, new Map()),
      };
      const gate = await healthGate(host, handed, { action, progress, before, after, lockToken: lock.token }, steps);
      if (gate.released) lock.markReleased();
      for (const s of entries) Object.assign(s, gate.settled.get(s.change.name));
    }
    progress.status(`${host.label}: done in ${elapsed(roundStart)}`);
    return [...settled.values()];
  } catch (e) {
    const error = describeTransportFailure(host, step, action, e as Error);
    for (const s of settled.values()) if (!s.result && !s.error) s.error = error;
    return [...settled.values()];
  } finally {
    await lock.release();
  }
}

/** Where a round was when it failed: what the host is left with depends on it. */
type RoundStep = "write" | "rebuild" | "after" | "health";

/**
 * A lost connection (or a transport timeout) says which step it interrupted
 * and what the host is left with, instead of only the command's first line.
 */
function describeTransportFailure(host: Host, step: RoundStep, action: string, e: Error): Error {
  // The transport's failures carry a code (ssh/errors.ts); other errors are already specific.
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !["connection_lost", "timeout", "connect", "closed"].includes(code)) return e;
  const consequence =
    step === "write"
      ? "while writing the container modules. The previous modules were put back, or, if the host could not be reached again, the next run puts them back from the journal before doing anything else"
      : step === "rebuild"
        ? `during nixos-rebuild ${action}. The host may still finish that rebuild on its own; the next run waits for it, restores the previous modules from the journal and applies the change again`
        : step === "health"
          ? `while checking the health of the changed containers after nixos-rebuild ${action}: the new configuration is active; the next run puts the previous modules of the containers with healthChecks back from the journal, applies their change again and checks it again`
          : `after nixos-rebuild ${action} (bringing the containers onto their new system): the new configuration is active; the next run finishes the job`;
  return new HostError(host.id, "transport", `${host.label}: the connection was lost ${consequence}. (${e.message})`);
}

function describeBatch(changes: ContainerChange[]): string {
  const by = (kind: string) => changes.filter((c) => c.kind === kind).map((c) => c.name);
  return ["create", "update", "secrets", "delete"]
    .map((k) => [k, by(k)] as const)
    .filter(([, n]) => n.length > 0)
    .map(([k, n]) => `${k === "secrets" ? "write the secrets of" : k} ${n.join(", ")}`)
    .join("; ");
}

function checkHostSetup(host: Host, report: ScriptReport): void {
  if (report.fields.get("IMPORTED") !== "yes") {
    throw new HostError(
      host.id,
      "preflight",
      `${host.label}: the host configuration does not import the provider's container modules, so nothing would be applied. Add this line to /etc/nixos/configuration.nix (inside the top-level attribute set; merge it with an existing imports list), then run nixos-rebuild switch once:\n  ${IMPORT_LINE}`,
    );
  }
  if (report.fields.get("WRITABLE") === "no") {
    throw new HostError(
      host.id,
      "preflight",
      `${host.label}: ${modulePath("").replace(/\/\.nix$/, "")} is not writable (a read-only or full file system, or its permissions); nothing was changed`,
    );
  }
}

/** A change the host's current state forbids, decided before anything is written. */
function refuse(host: Host, change: ContainerChange, facts: ContainerFacts, verdict: OwnerVerdict, recovered: boolean): Error | undefined {
  if (verdict.kind === "refuse") return new ChangeError(host.id, change.name, "refused", `${host.label}: ${refusalMessage(change, verdict.other)}`);
  // A container whose module the journal just took back was this provider's (an interrupted
  // create whose rebuild still ran on the host): creating it again is no takeover.
  if (change.kind === "create" && facts.module == null && facts.conf != null && !change.adopt && !recovered) {
    return new ChangeError(
      host.id,
      change.name,
      "refused",
      `${host.label}: a container named "${change.name}" already exists on this host (/etc/nixos-containers/${change.name}.conf) and is not managed by pulumi-nixos-containers. Choose another name, remove it from the host's configuration, or set adopt: true to take it over (its definition elsewhere must then be removed, or NixOS will report conflicting definitions).`,
    );
  }
  return undefined;
}

async function writeModules(host: Host, changes: ContainerChange[], progress: Progress): Promise<void> {
  const files = changes.map((c) => (c.kind === "delete" ? { name: c.name } : { name: c.name, text: c.module!, owner: c.owner && ownerRecord(c.owner) }));
  const payload = Buffer.concat([Buffer.from(INDEX_TEXT, "utf8"), ...files.filter((f) => f.text !== undefined).map((f) => Buffer.from(f.text!, "utf8"))]);
  const script = scripts.writeModules(
    files.map((f) => (f.text === undefined ? { name: f.name } : { name: f.name, bytes: Buffer.byteLength(f.text, "utf8"), sha256: sha256(f.text), owner: f.owner })),
    Buffer.byteLength(INDEX_TEXT, "utf8"),
    sha256(INDEX_TEXT),
  );
  const written = files.filter((f) => f.text !== undefined).map((f) => modulePath(f.name));
  const removed = files.filter((f) => f.text === undefined).map((f) => modulePath(f.name));
  const count = (n: number) => `${n} module${n === 1 ? "" : "s"}`;
  progress.status(`${host.label}: ${[written.length > 0 && `writing ${count(written.length)}`, removed.length > 0 && `removing ${count(removed.length)}`].filter(Boolean).join(", ")}`);
  progress.debug(`${host.label}: ${[written.length > 0 && `writing ${written.join(", ")}`, removed.length > 0 && `removing ${removed.join(", ")}`].filter(Boolean).join("; ")}`);
  const result = await host.exec(script, { privileged: true, stdin: payload }).catch(async (e: Error) => {
    // Cut mid-write: some modules of the round may already be in place. Put them back now if the
    // host answers again (else the journal lets the next run do it first).
    await revert(host, files.map((f) => f.name)).catch(() => undefined);
    throw e;
  });
  const report = parseReport(result.stdout);
  if (result.code !== 0 || !report.complete) {
    await revert(host, files.map((f) => f.name)).catch(() => undefined);
    throw new HostError(host.id, "write", `${host.label}: writing the container modules failed, nothing was changed: ${(result.stderr || report.other.join("\n")).trim() || `exit ${result.code}`}`);
  }
}

/** The phases of nixos-rebuild a user watches, by the line that starts each. */
const REBUILD_PHASES: [RegExp, string][] = [
  [/^waiting for /, "waiting for an earlier rebuild to finish"],
  [/^building /, "building"],
  [/^(activating the configuration|stopping the following units|restarting systemd)/, "activating"],
];

async function runRebuild(host: Host, action: string, timeoutSeconds: number, names: string[], progress: Progress) {
  // After the mark comes the script's report (module texts in base64), not rebuild output.
  let reportStarted = false;
  const result = await host.exec(scripts.rebuild(action, timeoutSeconds, names), {
    privileged: true,
    // Up to timeout + 40 s waiting for an earlier, orphaned rebuild, then the rebuild itself.
    timeoutMs: (2 * timeoutSeconds + 100) * 1000,
    onStdoutLine: (line) => {
      if (reportStarted || (reportStarted = line.startsWith(scripts.REBUILD_MARK))) return;
      progress.debug(`${host.label}: | ${line}`);
      const phase = REBUILD_PHASES.find(([re]) => re.test(line))?.[1];
      if (phase) progress.status(`${host.label}: nixos-rebuild ${action}: ${phase}`);
    },
  });
  const [output, tail = ""] = result.stdout.split(`${scripts.REBUILD_MARK} `);
  const exit = Number(tail.split("\n")[0]);
  const timedOut = exit === 124 || exit === 137;
  return { output, outcome: readRebuildOutput(Number.isNaN(exit) ? result.code : exit, output, names, timedOut), report: parseReport(tail) };
}

async function revert(host: Host, names: string[], profileLink?: string): Promise<void> {
  if (names.length === 0) return;
  const result = await host.exec(scripts.revertModules(names, profileLink), { privileged: true });
  if (!parseReport(result.stdout).complete) throw new HostError(host.id, "write", `${host.label}: rolling back ${names.join(", ")} failed: ${result.stderr.trim()}`);
}

/**
 * After the switch: a running container that NixOS did not restart still
 * runs its old system, its old conf and its old start settings (reference
 * E.3); reload or restart it as its update strategy says, update flake
 * containers, remove data of deleted ones. With updateStrategy "none" it is
 * left as it runs, and said so.
 */
async function bringOntoNewSystem(
  host: Host,
  action: string,
  changes: ContainerChange[],
  before: ScriptReport,
  after: ScriptReport,
  outcome: RebuildOutcome,
  progress: Progress,
  journalled: string[],
  /** Give the lock back at the end (the round's last step). */
  lockToken: string | undefined,
  /** The secret files staged for this round (secrets.ts): settled after the switch. */
  staged: Map<string, SecretsOutcome>,
) {
  const actions = new Map<string, scripts.PostAction | "started-by-switch">();
  const steps: scripts.PostStep[] = changes.map((c) => {
    const old = before.containers.get(c.name) ?? {};
    const now = after.containers.get(c.name) ?? {};
    if (c.kind === "delete") return { name: c.name, action: "none", awaitStop: action !== "boot", deleteData: c.deleteData && action !== "boot" };
    if (action === "boot") return { name: c.name, action: "none" };
    const running = now.active === "active";
    const unit = unitChange(old.unitFile, now.unitFile);
    // What only a restart brings to a container that ran before the switch: its conf's host-side
    // settings (read by the start script) and its unit's start settings (unit-change.ts). One
    // without a conf before cannot have run: the switch started it with the new ones.
    const reasons =
      old.conf == null
        ? []
        : [
            ...(hostSideSettings(old.conf) !== hostSideSettings(now.conf) ? [`its host-side settings (${c.name}.conf)`] : []),
            ...(unit.restart.length > 0 ? [`its start settings (${unit.restart.join(", ")} of ${unitName(c.name)})`] : []),
          ];
    if (c.flake) {
      // nixos-container update builds the flake and reloads; new start settings need a restart after it.
      const restart = running && reasons.length > 0 && c.updateStrategy !== "none";
      if (running && reasons.length > 0 && !restart) progress.warn(`${host.label}: ${keepsOld(c.name, reasons, true)}`);
      return { name: c.name, action: "update", restartAfter: restart };
    }
    if (outcome.startedUnits.includes(unitName(c.name))) {
      actions.set(c.name, "started-by-switch");
      return { name: c.name, action: "none" };
    }
    const systemChanged = (old.conf ?? null) !== (now.conf ?? null);
    if (!running || (!systemChanged && reasons.length + unit.applied.length + unit.later.length === 0)) return { name: c.name, action: "none" };
    if (c.updateStrategy === "none") {
      if (reasons.length > 0 || systemChanged) progress.warn(`${host.label}: ${keepsOld(c.name, reasons.length > 0 ? reasons : ["its system"], reasons.length > 0)}`);
      return { name: c.name, action: "none" };
    }
    if (c.updateStrategy === "restart") return { name: c.name, action: "restart" };
    if (reasons.length > 0) {
      progress.status(`${host.label}: ${c.name}: ${reasons.join(" and ")} changed; restarting it`);
      return { name: c.name, action: "restart" };
    }
    if (systemChanged) return { name: c.name, action: "reload" };
    // Only settings the switch has applied already, or that apply at the unit's next step.
    progress.status(
      `${host.label}: ${c.name}: ${[
        ...(unit.applied.length > 0 ? [`${unit.applied.join(", ")} applied to the running container by the switch's daemon-reload`] : []),
        ...(unit.later.length > 0 ? [`${unit.later.join(", ")} take${unit.later.length === 1 ? "s" : ""} effect at its next start or stop`] : []),
      ].join("; ")}, no restart`,
    );
    return { name: c.name, action: "none" };
  });
  const acting = steps.filter((s) => s.action !== "none");
  if (acting.length > 0) progress.status(`${host.label}: ${acting.map((s) => `${s.action} ${s.name}`).join(", ")}`);
  const restarted = (name: string) => actions.get(name) === "started-by-switch" || steps.some((s) => s.name === name && (s.action === "restart" || s.restartAfter === true));
  const tail = settleTail(changes, restarted, staged);
  const result = await host.exec(scripts.afterSwitch(steps, journalled, lockToken, tail), { privileged: true, timeoutMs: 15 * 60 * 1000 });
  const report = parseReport(result.stdout);
  const failures = new Map<string, string>();
  for (const [name, problems] of settleOutcomes(result.stdout, progress, host.label)) failures.set(name, problems.join("; "));
  const outputFor = stepOutputs(result.stdout);
  for (const [name, text] of outputFor) for (const line of text.split("\n")) if (line) progress.debug(`${host.label}: ${name}: | ${line}`);
  for (const did of report.actions) {
    if (did.status === 0) actions.set(did.name, did.action as scripts.PostAction);
    else failures.set(did.name, `${did.action} of ${did.name} failed (exit ${did.status}):\n${outputFor.get(did.name) ?? ""}`.trimEnd());
  }
  for (const [name, outcomeText] of report.data) {
    if (outcomeText !== "removed") failures.set(name, `its data in /var/lib/nixos-containers/${name} was kept: the container is ${outcomeText.replace("kept-", "")}`);
  }
  if (!report.complete) throw new HostError(host.id, "activation", `${host.label}: the steps after nixos-rebuild did not finish: ${result.stderr.trim()}`);
  return { report, actions, failures };
}

/** What updateStrategy "none" leaves a running container with, and how to apply it by hand. */
function keepsOld(name: string, what: string[], restart: boolean): string {
  const how = restart ? `restart it to apply (systemctl restart ${unitName(name)} on the host, or nixos-containers restart ${name})` : `reload it to activate it in place (systemctl reload ${unitName(name)})`;
  return `${name} keeps running with the old ${what.map((w) => w.replace(/^its /, "")).join(" and ")}: updateStrategy is "none"; ${how}`;
}

/** The indented `  | ` lines printed before each `DID name …` line. */
function stepOutputs(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let buffer: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith("  | ")) buffer.push(line.slice(4));
    else if (line.startsWith("DID ")) {
      out.set(line.split(" ")[1], buffer.join("\n"));
      buffer = [];
    }
  }
  return out;
}

export function stateFrom(name: string, facts: ContainerFacts, module: string | null | undefined): ContainerState {
  const conf = facts.conf ?? null;
  const vars = conf ? parseConf(conf) : undefined;
  const systemPath = vars?.get("SYSTEM_PATH") || (facts.profile ?? undefined);
  return {
    name,
    module: facts.module !== undefined ? facts.module : (module ?? null),
    conf,
    ...(facts.owner !== undefined && { owner: parseOwnerRecord(facts.owner) }),
    status: conf === null && facts.active !== "active" ? "gone" : facts.active === "active" || facts.active === "reloading" ? "up" : "down",
    ...(systemPath && { systemPath }),
    ...(addressFromConf(conf) && { ipAddress: addressFromConf(conf) }),
    ...(facts.secrets !== undefined && { secrets: facts.secrets }),
  };
}
