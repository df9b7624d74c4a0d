/**
 * The health gate of a round, after the containers were brought onto their new system: every
 * created or changed container with healthChecks that runs is checked (health.ts); one whose
 * activation failed counts as failed without a check. A container that fails:
 * - is rolled back (rollback, the default): its journalled module goes back, one more
 *   nixos-rebuild of the host applies it (the same store path as before, its previous conf and
 *   unit) and the container is reloaded or restarted onto it; the others keep their change;
 * - did not run before this run (created in it, or left stopped by an earlier one): nothing to go
 *   back to, so it is stopped and left, not deleted;
 * - has rollback false: it keeps the new configuration.
 * Either way its change fails, naming the check, its output and what the container runs now.
 * The round's journal entries of the checked containers live until the gate has settled them,
 * so a connection lost during the checks leaves the next run to put the previous modules back.
 */
import type { Host } from "../host/host";
import { ChangeError } from "../errors";
import type { ChangeResult, ContainerChange } from "./change";
import { DIAGNOSIS, describeFailure, runHealthChecks, type HealthFailure } from "./health";
import { parseConf, parseReport, type ScriptReport } from "./protocol";
import { errorExcerpt, type RebuildOutcome } from "./rebuild-output";
import { settleGate } from "./scripts";
import type { Progress } from "./progress";
import { unitName } from "./layout";
import { silentProgress as silent } from "./progress";

/** A container the gate decides on: what the switch and the steps after it left for it. */
export interface Gated {
  change: ContainerChange;
  result?: ChangeResult;
  /** Its activation failed (the container did not start, or its reload or restart failed). */
  error?: Error;
}

/** What the gate did with a container, for its host's summary line (summary.ts). */
export type HealthOutcome =
  | { outcome: "passed" | "not running" }
  | { outcome: "rolled back" | "left stopped" | "kept" | "rollback failed"; summary: string };

export interface GateSettled {
  result?: ChangeResult;
  error?: Error;
  health: HealthOutcome;
}

/** The round's own steps (round.ts), to apply the previous modules. */
export interface RoundSteps {
  rebuild(names: string[]): Promise<{ outcome: RebuildOutcome; report: ScriptReport; output: string }>;
  revert(names: string[]): Promise<void>;
  /** Reload or restart running containers onto what the last rebuild declared (bringOntoNewSystem). */
  bringOnto(changes: ContainerChange[], before: ScriptReport, after: ScriptReport, outcome: RebuildOutcome): Promise<{ report: ScriptReport; failures: Map<string, string> }>;
}

export interface GateContext {
  action: string;
  progress: Progress;
  /** The round's inspection before anything was written (what ran before). */
  before: ScriptReport;
  /** The report of the round's last rebuild (the new confs and units). */
  after: ScriptReport;
  lockToken: string;
}

/** The changes of a round the gate checks: created or updated, with healthChecks, and activated (not boot). */
export function gatedChanges(changes: readonly ContainerChange[], action: string): ContainerChange[] {
  return action === "boot" ? [] : changes.filter((c) => c.kind !== "delete" && c.healthChecks !== undefined);
}

/** How each gated container settled, and whether the round's lock was given back (its last step). */
export async function healthGate(host: Host, gated: Gated[], ctx: GateContext, steps: RoundSteps): Promise<{ settled: Map<string, GateSettled>; released: boolean }> {
  const settled = new Map<string, GateSettled>();
  const rowOf = (c: ContainerChange) => (c.owner ? ctx.progress.about([c.owner.urn]) : ctx.progress);
  const failures = new Map<string, HealthFailure>();
  const toCheck: Gated[] = [];
  const failedActivation = gated.filter((g) => g.error);
  for (const g of gated) {
    if (g.error) continue;
    if (g.result?.state.status === "up") toCheck.push(g);
    else {
      // Nothing runs to check (not autoStart and not started): its checks run when a change finds it running.
      rowOf(g.change).status(`${host.label}: ${g.change.name}: not running, no health checks`);
      settled.set(g.change.name, { result: g.result, health: { outcome: "not running" } });
    }
  }
  if (toCheck.length + failedActivation.length > 0) {
    if (toCheck.length > 0) ctx.progress.status(`${host.label}: health checks of ${toCheck.map((g) => g.change.name).join(", ")}`);
    // Those whose activation failed are asked once what failed inside them, with the others' checks.
    const verdicts = await runHealthChecks(
      host,
      [
        ...toCheck.map((g) => ({ name: g.change.name, checks: g.change.healthChecks!, progress: rowOf(g.change) })),
        ...failedActivation.map((g) => ({ name: g.change.name, checks: DIAGNOSIS, progress: silent })),
      ],
      ctx.progress,
    );
    for (const g of toCheck) {
      const v = verdicts.get(g.change.name)!;
      if (v.ok) settled.set(g.change.name, { result: g.result, health: { outcome: "passed" } });
      else failures.set(g.change.name, v.failure!);
    }
    for (const g of failedActivation) {
      const inside = verdicts.get(g.change.name)?.failure;
      const activation = withoutLabel(host, g.error!.message);
      ctx.progress.debug(`${host.label}: ${g.change.name}: ${activation}`);
      // Degraded inside: name its failed units; else (it does not run) the activation's own error.
      const degraded = inside && inside.check === "system" && !/^could not run/.test(inside.reason);
      failures.set(g.change.name, {
        check: "activation",
        reason: degraded ? `failed: system ${inside.reason}` : `failed: ${activation.split("\n")[0].replace(/:$/, "")}`,
        output: degraded ? inside.output : activation.split("\n").slice(1).join("\n"),
      });
    }
  }

  const stop: string[] = [];
  const toRollBack: ContainerChange[] = [];
  for (const g of gated) {
    const failure = failures.get(g.change.name);
    if (!failure) continue;
    const { name } = g.change;
    const what = failedMessage(host, name, failure);
    rowOf(g.change).status(`${host.label}: ${name}: health: ${describeFailure(failure)}`);
    const ranBefore = ctx.before.containers.get(name)?.active === "active";
    if (g.change.rollback === false) {
      settled.set(name, {
        error: new ChangeError(host.id, name, "health", `${what}\nrollback is off (rollback: false): ${name} keeps the new configuration. The next pulumi up applies it again and checks it again.`, true),
        health: { outcome: "kept", summary: describeFailure(failure) },
      });
    } else if (g.change.kind === "create" || !ranBefore) {
      stop.push(name);
      const why = g.change.kind === "create" ? "was created in this run" : "did not run before this run";
      settled.set(name, {
        error: new ChangeError(
          host.id,
          name,
          "health",
          `${what}\n${name} ${why}, so there is no previous system to go back to: it is left stopped, not deleted (its module stays on the host, its data in /var/lib/nixos-containers/${name}; \`nixos-containers logs ${name}\` shows its journal). The next pulumi up starts it and checks it again.`,
          true,
        ),
        health: { outcome: "left stopped", summary: describeFailure(failure) },
      });
    } else toRollBack.push(g.change);
  }

  const startAgain: string[] = [];
  if (toRollBack.length > 0) {
    const names = toRollBack.map((c) => c.name);
    ctx.progress.status(`${host.label}: rolling back ${names.join(", ")}`);
    await steps.revert(names);
    const run = await steps.rebuild(names);
    if (run.outcome.phase !== "ok" && run.outcome.phase !== "activation") {
      for (const c of toRollBack) {
        const failure = failures.get(c.name)!;
        settled.set(c.name, {
          error: new ChangeError(
            host.id,
            c.name,
            "health",
            `${failedMessage(host, c.name, failure)}\nrolling it back failed: nixos-rebuild ${ctx.action} with its previous module failed at ${run.outcome.phase}:\n${errorExcerpt(run.output)}\nThe host still runs the new configuration of ${c.name}; the next pulumi up applies it again.`,
            true,
          ),
          health: { outcome: "rollback failed", summary: describeFailure(failure) },
        });
      }
    } else {
      // Back onto the previous system even where the strategy leaves running containers alone.
      const back = await steps.bringOnto(
        toRollBack.map((c) => ({ ...c, kind: "update", updateStrategy: c.updateStrategy === "none" ? "reload" : c.updateStrategy })),
        ctx.after,
        run.report,
        run.outcome,
      );
      for (const c of toRollBack) {
        const failure = failures.get(c.name)!;
        const facts = back.report.containers.get(c.name) ?? {};
        const system = (facts.conf && parseConf(facts.conf).get("SYSTEM_PATH")) || facts.profile || "its previous system";
        const ranBefore = ctx.before.containers.get(c.name)?.active === "active";
        if (ranBefore && facts.active !== "active") startAgain.push(c.name);
        const problem = back.failures.get(c.name) ?? (run.outcome.culprits.includes(c.name) ? `${unitName(c.name)} failed to start` : undefined);
        settled.set(c.name, {
          error: new ChangeError(
            host.id,
            c.name,
            "health",
            `${failedMessage(host, c.name, failure)}\nrolled back to ${system}${problem ? ` (but: ${problem})` : ""}: its previous module, conf and unit are applied again; the other containers of the run keep their change. The next pulumi up tries the new configuration again.`,
          ),
          health: { outcome: "rolled back", summary: describeFailure(failure) },
        });
      }
    }
  }

  // Stop the created ones that failed (after the rollback's switch, which starts autoStart
  // containers), start again what ran before and did not come back, end the round's journal.
  const result = await host.exec(settleGate(stop, startAgain, gated.map((g) => g.change.name), ctx.lockToken), { privileged: true, timeoutMs: 5 * 60 * 1000 });
  const report = parseReport(result.stdout);
  for (const did of report.actions) {
    if (did.status === 0) continue;
    const s = settled.get(did.name);
    if (s?.error) s.error.message += `\n(${did.action} of ${did.name} failed, exit ${did.status})`;
  }
  return { settled, released: report.fields.get("LOCK") === "released" };
}

function failedMessage(host: Host, name: string, failure: HealthFailure): string {
  const output = lastLines(failure.output, 20);
  return `${host.label}: ${name} failed its health checks: ${describeFailure(failure)}${output ? `:\n${output.replace(/^/gm, "  | ").replace(/ +$/gm, "")}` : ""}`;
}

function lastLines(text: string, n: number): string {
  const tail = text.trimEnd().split("\n").slice(-n).join("\n");
  return tail.trim() === "" ? "" : tail;
}

/** An error of the round starts with the host's label; the gate's message names it once. */
function withoutLabel(host: Host, message: string): string {
  return message.startsWith(`${host.label}: `) ? message.slice(host.label.length + 2) : message;
}
