/**
 * The cost of health checks (issue 24): on H hosts x C containers (default 10x10) deployed by
 * the benchmark program, `change-one` (one container of host1 changes) three ways, each
 * BENCH_HEALTH_SAMPLES times (default 5) in turn:
 *   - without checks;
 *   - with one passing command check on the changed container;
 *   - with one failing command check: the container is rolled back (one more rebuild of host1).
 * It reports the wall time of each `pulumi up` (median and all samples), the rebuilds and SSH
 * sessions on host1 and the sessions on the other hosts (which must stay 0). The failing check's
 * wait is its timeoutSeconds (BENCH_HEALTH_TIMEOUT, default 10), part of the wall time.
 *
 * Run (root, after `make setup build`; scripts/bench.sh runs it after the main benchmark):
 *   npx tsc -p bench/tsconfig.json && node .bench/build/health.js
 * Knobs: BENCH_HEALTH_SIZE (HxC, default 10x10), BENCH_HEALTH_SAMPLES, BENCH_HEALTH_TIMEOUT,
 * BENCH_HEALTH_FRONTEND (host: one NixosHost per host, as Fleet builds them; container: one
 * NixosContainer each), BENCH_SUBNET (default 127.0.153), BENCH_REBUILD_SECONDS (R0, default 3),
 * BENCH_SECONDS_PER_CONTAINER (Rc, default 0.3), BENCH_OUT (default .bench; results in
 * <out>/health-results.json and health-results.md).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { BenchFleet, ROOT } from "./lib/fleet";
import { BenchProject, BenchStack, type CliRun } from "./lib/pulumi";
import type { HealthPlan } from "./spec";

const OUT = process.env.BENCH_OUT ?? join(ROOT, ".bench");
const BUILD = __dirname;
const [HOSTS, PER_HOST] = (process.env.BENCH_HEALTH_SIZE ?? "10x10").split("x").map(Number);
const SAMPLES = Number(process.env.BENCH_HEALTH_SAMPLES ?? 5);
const TIMEOUT = Number(process.env.BENCH_HEALTH_TIMEOUT ?? 10);
const FRONTEND = (process.env.BENCH_HEALTH_FRONTEND ?? "host") as "host" | "container";
const SUBNET = process.env.BENCH_SUBNET ?? "127.0.153";
const R = Number(process.env.BENCH_REBUILD_SECONDS ?? 3);
const RC = Number(process.env.BENCH_SECONDS_PER_CONTAINER ?? 0.3);

type Scenario = "without" | "passing" | "failing";
const LABEL: Record<Scenario, string> = {
  without: "change-one, no health checks",
  passing: "change-one, one passing command check",
  failing: "change-one, one failing command check (rolled back)",
};

interface Sample {
  wallS: number;
  rebuildsHost1: number;
  sessionsHost1: number;
  otherHostsSessions: number;
  ok: boolean;
  /** From the CLI's live lines: the checks (start to verdict), and the rollback (its rebuild and the reload). */
  checksS?: number;
  rollbackS?: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function log(message: string): void {
  process.stdout.write(`[bench-health ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** When the CLI printed the first line matching `re` (after `from` ms), in ms since the run started. */
function at(run: CliRun, re: RegExp, from = 0): number | undefined {
  return run.lines.find((l) => l.t >= from && re.test(l.text))?.t;
}

/** How long the checks took (from the round's "health checks of" to c01's verdict) and the rollback after them. */
function phases(run: CliRun): { checksS?: number; rollbackS?: number } {
  const start = at(run, /: health checks of c01/);
  if (start === undefined) return {};
  const verdict = at(run, /c01: health: |c01: health 1\/1 ok/, start);
  const rollback = at(run, /: rolling back c01/, start);
  const back = rollback === undefined ? undefined : at(run, /nixos-rebuild switch done in/, rollback);
  return {
    checksS: verdict === undefined ? undefined : (verdict - start) / 1000,
    rollbackS: rollback === undefined || back === undefined ? undefined : (back - rollback) / 1000,
  };
}

/** Did the run do what the scenario says? (Otherwise its time measures something else.) */
function asExpected(scenario: Scenario, run: CliRun): boolean {
  const text = run.lines.map((l) => l.text).join("\n");
  if (scenario === "without") return run.code === 0 && !/: health \d/.test(text);
  if (scenario === "passing") return run.code === 0 && /c01: health 1\/1 ok/.test(text);
  return run.code !== 0 && /c01 failed its health checks: command test -e \/etc\/bench-missing exited 1/.test(text) && /rolled back to \/nix\/store\//.test(text);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  rmSync(join(OUT, "health-work"), { recursive: true, force: true });
  const fleet = new BenchFleet(join(OUT, "health-fleet"), SUBNET, R, RC);
  const project = new BenchProject(join(OUT, "health-work"), BUILD);
  project.prepare();
  const stack = new BenchStack(project, "health");
  const samples: Record<Scenario, Sample[]> = { without: [], passing: [], failing: [] };
  let createS = NaN;
  try {
    fleet.down();
    log(`fleet: ${HOSTS} hosts on ${SUBNET}, R(n) = ${R} s + n × ${RC} s`);
    fleet.up(HOSTS);
    const hosts = fleet.hosts().slice(0, HOSTS);
    await stack.init();
    stack.configure(hosts, PER_HOST, {}, FRONTEND);
    log(`pulumi up: ${HOSTS * PER_HOST} containers (${FRONTEND === "host" ? "one NixosHost per host" : "one NixosContainer each"})`);
    createS = (await stack.mustRun(["up", "--yes", "--skip-preview", "--parallel", String(HOSTS * PER_HOST)])).wallMs / 1000;

    let revision = 0;
    for (let i = 0; i < SAMPLES; i++) {
      for (const scenario of ["without", "passing", "failing"] as Scenario[]) {
        revision++;
        const health: HealthPlan = scenario === "without" ? {} : { "host1/c01": scenario === "passing" ? "pass" : "fail" };
        stack.configure(hosts, PER_HOST, { "host1/c01": revision }, FRONTEND, { health, healthTimeoutSeconds: TIMEOUT });
        const mark = fleet.mark();
        const run = await stack.run(["up", "--yes", "--skip-preview", "--parallel", String(HOSTS * PER_HOST)], { sample: false });
        await new Promise((r) => setTimeout(r, 800)); // the hosts' loggers flush, sshd reaps the sessions
        const activity = fleet.activitySince(mark);
        const host1 = activity.find((a) => a.host === "host1")!;
        const sample: Sample = {
          wallS: run.wallMs / 1000,
          rebuildsHost1: host1.rebuilds,
          sessionsHost1: host1.sessions,
          otherHostsSessions: activity.filter((a) => a.host !== "host1").reduce((n, a) => n + a.sessions, 0),
          ok: asExpected(scenario, run),
          ...phases(run),
        };
        samples[scenario].push(sample);
        const detail = [sample.checksS !== undefined && `checks ${sample.checksS.toFixed(1)} s`, sample.rollbackS !== undefined && `rollback rebuild ${sample.rollbackS.toFixed(1)} s`].filter(Boolean).join(", ");
        log(`${LABEL[scenario]}: ${sample.wallS.toFixed(1)} s${detail ? ` (${detail})` : ""}, host1: ${sample.rebuildsHost1} rebuild(s), ${sample.sessionsHost1} sessions${sample.ok ? "" : " (NOT as expected: see the run's output)"}`);
        if (!sample.ok) log(run.lines.map((l) => l.text).slice(-40).join("\n"));
      }
    }
  } finally {
    await stack.run(["destroy", "--yes", "--skip-preview", "--parallel", String(HOSTS * PER_HOST)], { sample: false }).catch(() => undefined);
    await stack.remove().catch(() => undefined);
    fleet.down();
  }

  const row = (s: Scenario) => {
    const v = samples[s];
    return {
      scenario: LABEL[s],
      medianWallS: median(v.map((x) => x.wallS)),
      wallS: v.map((x) => x.wallS),
      rebuildsHost1: median(v.map((x) => x.rebuildsHost1)),
      sessionsHost1: median(v.map((x) => x.sessionsHost1)),
      otherHostsSessions: Math.max(...v.map((x) => x.otherHostsSessions)),
      checksS: v.some((x) => x.checksS !== undefined) ? median(v.flatMap((x) => (x.checksS === undefined ? [] : [x.checksS]))) : undefined,
      rollbackS: v.some((x) => x.rollbackS !== undefined) ? median(v.flatMap((x) => (x.rollbackS === undefined ? [] : [x.rollbackS]))) : undefined,
      asExpected: v.every((x) => x.ok),
    };
  };
  const rows = (["without", "passing", "failing"] as Scenario[]).map(row);
  const results = {
    size: `${HOSTS}x${PER_HOST}`,
    frontend: FRONTEND,
    rebuildSeconds: R,
    secondsPerContainer: RC,
    healthTimeoutSeconds: TIMEOUT,
    samples: SAMPLES,
    cpus: cpus().length,
    createS,
    rows,
    passingCostS: rows[1].medianWallS - rows[0].medianWallS,
    failingCostS: rows[2].medianWallS - rows[0].medianWallS,
  };
  writeFileSync(join(OUT, "health-results.json"), JSON.stringify(results, null, 2) + "\n");
  const md = [
    `## Health checks, change-one at ${results.size} (${FRONTEND === "host" ? "NixosHost per host" : "NixosContainer each"}, R(n) = ${R} s + n × ${RC} s)`,
    "",
    "| scenario | wall s (median) | samples | checks s | rollback rebuild s | rebuilds on host1 | sessions on host1 | sessions on other hosts | as expected |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.medianWallS.toFixed(1)} | ${r.wallS.map((w) => w.toFixed(1)).join(", ")} | ${r.checksS?.toFixed(1) ?? ""} | ${r.rollbackS?.toFixed(1) ?? ""} | ${r.rebuildsHost1} | ${r.sessionsHost1} | ${r.otherHostsSessions} | ${r.asExpected ? "yes" : "NO"} |`,
    ),
    "",
    "Checks s: from the round's `health checks of c01` to c01's verdict, as the CLI printed them (median); rollback rebuild s: from `rolling back c01` to the end of that rebuild.",
    "",
    `A passing check costs ${results.passingCostS.toFixed(1)} s of wall time over the same change without checks (median against median). A failing one ` +
      `costs ${results.failingCostS.toFixed(1)} s more: its timeoutSeconds (${TIMEOUT} s) and one more rebuild of host1 for the rollback ` +
      `(R(${PER_HOST}) = ${(R + RC * PER_HOST).toFixed(1)} s), and nothing on the other hosts. Create of all ${HOSTS * PER_HOST} containers (no checks): ${createS.toFixed(1)} s. ${SAMPLES} samples each, on ${results.cpus} CPUs.`,
    "",
  ].join("\n");
  writeFileSync(join(OUT, "health-results.md"), md);
  process.stdout.write("\n" + md);
}

main().catch((e) => {
  process.stderr.write(`bench-health: ${(e as Error).stack ?? (e as Error).message}\n`);
  process.exitCode = 1;
});
