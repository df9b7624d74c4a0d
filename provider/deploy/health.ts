/**
 * Health checks: does the container work after its change? Each check runs inside the
 * container through `nixos-container run` (reference deploy-safety B: it needs no D-Bus inside,
 * only a running leader), every container of a host in parallel, over the round's connection.
 * A failing check is tried again every intervalSeconds until it passes or the container's
 * timeoutSeconds are up; a check that passed is not run again. What each check runs and how its
 * answer is read is here; the script is health-script.ts.
 */
import type { Host } from "../host/host";
import { HostError } from "../errors";
import { healthAttempt, parseAttempt, type ProbeBatch } from "./health-script";
import type { Progress } from "./progress";

/** A container's health checks, defaults applied (container/health-schema.ts). */
export interface HealthChecks {
  systemRunning: boolean;
  units?: string[];
  commands?: { argv: string[]; timeoutSeconds?: number }[];
  tcp?: { port: number; host?: string }[];
  http?: { port: number; host?: string; path?: string; expectStatus?: number[] }[];
  timeoutSeconds: number;
  intervalSeconds: number;
}

/** Why a container is not healthy: the check, what it found, and the last lines of its output. */
export interface HealthFailure {
  /** "unit api.service", "tcp 80", "activation", … */
  check: string;
  /** "failed", "refused", … */
  reason: string;
  /** How long it was tried (absent when it was not). */
  seconds?: number;
  output: string;
}

export interface HealthVerdict {
  ok: boolean;
  passed: number;
  total: number;
  failure?: HealthFailure;
}

/** The longest a single tcp or http try may wait for an answer: a dropped SYN must not eat the whole timeout. */
const CONNECT_TRY_SECONDS = 10;

interface Check {
  label: string;
  argv: string[];
  /** The longest one try may take. */
  seconds?: number;
  /** The reason it failed, from its exit status and output; undefined: it passed. */
  judge(status: number, output: string): string | undefined;
}

const lastLine = (output: string) => output.trimEnd().split("\n").pop() ?? "";
const timedOut = (status: number) => status === 124 || status === 137;

/** `bash -c CODE probe ARGS…`: a probe that needs only bash and systemctl (both in every NixOS system). */
const bash = (code: string, ...args: string[]) => ["bash", "-c", code, "probe", ...args];

const SYSTEM_RUNNING = `state=$(systemctl is-system-running --wait 2>&1)
[ "$state" = running ] && { echo running; exit 0; }
failed=$(systemctl --failed --plain --no-legend --no-pager 2>/dev/null | while read -r unit _; do printf '%s ' "$unit"; done)
failed=\${failed% }
for unit in $failed; do systemctl status "$unit" --no-pager --lines=8 2>&1; done
echo "failed units: \${failed:-none}"
echo "$state"
exit 1`;

const UNIT_ACTIVE = `state=$(systemctl is-active "$1" 2>&1) && exit 0
systemctl status "$1" --no-pager --lines=10 2>&1
echo "$state"
exit 3`;

const TCP_CONNECT = `exec 3<>"/dev/tcp/$1/$2"`;

/** HTTP/1.0 GET with bash alone; prints the status line. */
const HTTP_GET = `exec 3<>"/dev/tcp/$1/$2" || exit 7
printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: pulumi-nixos-containers health check\\r\\nConnection: close\\r\\n\\r\\n' "$3" "$4" >&3
IFS= read -r line <&3 || { echo "the connection was closed without an answer"; exit 8; }
echo "\${line%$'\\r'}"`;

function connectReason(status: number, output: string): string {
  if (timedOut(status)) return "no answer";
  if (/Connection refused/.test(output)) return "refused";
  if (/No route to host|Network is unreachable/.test(output)) return "unreachable";
  if (/Name or service not known|Temporary failure in name resolution/.test(output)) return "unknown host";
  return lastLine(output) || `exit ${status}`;
}

function checksOf(h: HealthChecks): Check[] {
  const checks: Check[] = [];
  if (h.systemRunning) {
    checks.push({
      label: "system",
      argv: bash(SYSTEM_RUNNING),
      judge: (status, output) => {
        if (status === 0) return undefined;
        if (timedOut(status)) return "still starting (systemctl is-system-running --wait did not return)";
        const lines = output.trimEnd().split("\n");
        const state = lines.pop() ?? "";
        const failed = /^failed units: (.*)$/.exec(lines.pop() ?? "")?.[1].trim();
        return failed && failed !== "none" ? `${state} (failed units: ${failed.split(/\s+/).join(", ")})` : state || `exit ${status}`;
      },
    });
  }
  for (const unit of h.units ?? []) {
    checks.push({ label: `unit ${unit}`, argv: bash(UNIT_ACTIVE, unit), judge: (status, output) => (status === 0 ? undefined : timedOut(status) ? "no answer" : lastLine(output) || "not active") });
  }
  for (const command of h.commands ?? []) {
    checks.push({
      label: `command ${command.argv.join(" ")}`.slice(0, 80),
      argv: command.argv,
      seconds: command.timeoutSeconds,
      judge: (status) => (status === 0 ? undefined : timedOut(status) ? `did not finish${command.timeoutSeconds ? ` within ${command.timeoutSeconds} s` : ""}` : status === 127 ? "not found (exit 127)" : `exited ${status}`),
    });
  }
  for (const tcp of h.tcp ?? []) {
    const host = tcp.host ?? "127.0.0.1";
    checks.push({
      label: `tcp ${tcp.host ? `${tcp.host}:` : ""}${tcp.port}`,
      argv: bash(TCP_CONNECT, host, String(tcp.port)),
      seconds: CONNECT_TRY_SECONDS,
      judge: (status, output) => (status === 0 ? undefined : connectReason(status, output)),
    });
  }
  for (const http of h.http ?? []) {
    const host = http.host ?? "127.0.0.1";
    const path = http.path ?? "/";
    const hostHeader = `${host.includes(":") ? `[${host}]` : host}${http.port === 80 ? "" : `:${http.port}`}`;
    const expected = http.expectStatus;
    checks.push({
      label: `http ${http.host ?? ""}:${http.port}${path}`,
      argv: bash(HTTP_GET, host, String(http.port), path, hostHeader),
      seconds: CONNECT_TRY_SECONDS,
      judge: (status, output) => {
        if (status !== 0) return connectReason(status, output);
        const code = Number(/^HTTP\/[0-9.]+ ([0-9]{3})/.exec(lastLine(output))?.[1]);
        if (!code) return `no HTTP answer (${lastLine(output).slice(0, 80) || "empty"})`;
        const ok = expected ? expected.includes(code) : code < 400;
        return ok ? undefined : `answered ${code} (expected ${expected ? expected.join(" or ") : "a status below 400"})`;
      },
    });
  }
  return checks;
}

/** How many checks a container has (the "2/3" of its progress). */
export function checkCount(h: HealthChecks): number {
  return checksOf(h).length;
}

export interface HealthTarget {
  name: string;
  checks: HealthChecks;
  /** Its resource's row: `web: health 2/3 ok` goes there. */
  progress: Progress;
}

interface Pending {
  target: HealthTarget;
  checks: Check[];
  passed: Set<number>;
  last: Map<number, { reason: string; output: string }>;
  started: number;
  deadline: number;
  nextAt: number;
  verdict?: HealthVerdict;
}

/**
 * Run the checks of every target until each has passed them all or its time is up. One host
 * command per attempt carries every container whose next try is due.
 */
export async function runHealthChecks(host: Host, targets: readonly HealthTarget[], progress: Progress): Promise<Map<string, HealthVerdict>> {
  const now = Date.now();
  const pending: Pending[] = targets.map((target) => ({
    target,
    checks: checksOf(target.checks),
    passed: new Set(),
    last: new Map(),
    started: now,
    deadline: now + target.checks.timeoutSeconds * 1000,
    nextAt: now,
  }));
  for (const p of pending) if (p.checks.length === 0) p.verdict = { ok: true, passed: 0, total: 0 };
  for (;;) {
    const open = pending.filter((p) => !p.verdict);
    if (open.length === 0) break;
    const wakeAt = Math.min(...open.map((p) => p.nextAt));
    if (wakeAt > Date.now()) await new Promise((r) => setTimeout(r, wakeAt - Date.now()));
    const due = open.filter((p) => p.nextAt <= Date.now());
    const attemptStart = Date.now();
    const batches: ProbeBatch[] = due.map((p) => {
      const left = Math.max(1, Math.ceil((p.deadline - attemptStart) / 1000));
      return {
        name: p.target.name,
        seconds: left,
        probes: p.checks.flatMap((c, index) => (p.passed.has(index) ? [] : [{ index, seconds: Math.min(c.seconds ?? left, left), argv: c.argv }])),
      };
    });
    const longest = Math.max(...batches.map((b) => b.seconds));
    const attempt = healthAttempt(batches);
    const result = await host.exec(attempt.script, { privileged: true, stdin: attempt.stdin, timeoutMs: (longest + 60) * 1000 });
    const { results, complete } = parseAttempt(result.stdout);
    if (!complete) throw new HostError(host.id, "activation", `${host.label}: the health checks did not run: ${(result.stderr || result.stdout).trim() || `exit ${result.code}`}`);
    for (const p of due) {
      const said = results.get(p.target.name);
      p.checks.forEach((check, index) => {
        if (p.passed.has(index)) return;
        const answer = said?.verdicts.get(index);
        const reason = answer ? check.judge(answer.status, answer.output) : couldNotEnter(said);
        if (reason === undefined) p.passed.add(index);
        else p.last.set(index, { reason, output: answer?.output ?? said?.other.join("\n") ?? "" });
      });
      for (const [index, { reason }] of p.last) if (!p.passed.has(index)) progress.debug(`${host.label}: ${p.target.name}: ${p.checks[index].label}: ${reason}`);
      const total = p.checks.length;
      p.target.progress.status(`${host.label}: ${p.target.name}: health ${p.passed.size}/${total} ok`);
      if (p.passed.size === total) p.verdict = { ok: true, passed: total, total };
      else if (Date.now() >= p.deadline) {
        const index = p.checks.findIndex((_c, i) => !p.passed.has(i));
        const last = p.last.get(index)!;
        const seconds = Math.round((Date.now() - p.started) / 1000);
        p.verdict = { ok: false, passed: p.passed.size, total, failure: { check: p.checks[index].label, reason: last.reason, seconds, output: last.output } };
      } else p.nextAt = Math.min(attemptStart + p.target.checks.intervalSeconds * 1000, p.deadline); // the last try at the deadline
    }
  }
  return new Map(pending.map((p) => [p.target.name, p.verdict!]));
}

/** Why no check of a container answered: nixos-container could not enter it, or its time ran out. */
function couldNotEnter(attempt: { status: number; other: string[] } | undefined): string {
  if (!attempt) return "not run";
  if (timedOut(attempt.status)) return "no answer (out of time)";
  const said = attempt.other.filter((l) => l.trim() !== "").pop();
  return `could not run inside the container (nixos-container run: ${said ?? `exit ${attempt.status}`})`;
}

/** The line a failed container's resource and its host's summary show: `health: tcp 80 refused after 60 s`. */
export function describeFailure(f: HealthFailure): string {
  return `${f.check} ${f.reason}${f.seconds === undefined ? "" : ` after ${f.seconds} s`}`;
}

/**
 * What a container whose activation failed is asked once, to name what failed inside it
 * (its systemd's failed units and their last lines), since the activation's own error only
 * says that the reload or restart failed.
 */
export const DIAGNOSIS: HealthChecks = { systemRunning: true, timeoutSeconds: 10, intervalSeconds: 10 };
