/**
 * results.json -> results.md (tables, targets met or not, where the time
 * goes) and chart.png (create wall time vs H×C for every variant and the
 * lower bound).
 */
import { drawChart, type Series } from "./chart";

export type Variant = "h" | "f" | "f10" | "a" | "a-par" | "a-fast" | "b" | "b-default" | "c";
export type Scenario = "create" | "change-one" | "change-all" | "destroy" | "preview" | "noop-up";
export interface Stat {
  max: number;
  mean: number;
}

export interface RunRecord {
  variant: Variant;
  scenario: Scenario;
  hosts: number;
  perHost: number;
  containers: number;
  /** --parallel the engine ran with (Pulumi variants). */
  parallel?: number;
  ok: boolean;
  error?: string;
  wallS: number;
  /** R × 1 round + SSH connection setup. */
  lowerBoundS: number;
  /** Hosts the scenario changes; the per-host stats are over these. */
  targetHosts: number;
  sessions: Stat;
  connections: Stat;
  rebuilds: Stat;
  /** Sessions on hosts the scenario does not change (should be 0). */
  otherHostsSessions: number;
  /** Every SSH connection opened during the run (preview). */
  sshConnectionsTotal?: number;
  /** How long the simulated rebuilds took (evaluation + R), over all rebuilds. */
  simRebuildS: Stat;
  providerPeakMb?: number;
  providerRssMaxMb?: number;
  cliCpuS?: number;
  /** CPU seconds used by the simulated hosts (sessions, rebuilds) during the run. */
  hostsCpuS?: number;
  machineBusy?: number;
  loadBefore?: number;
  log?: string;
  roundsSeen?: number;
  firstRoundS?: number;
  roundSpreadS?: number;
  /** Spread of the hosts' first rounds: how closely together the operations reached the provider. */
  firstRoundSpreadS?: number;
  hostsWithSeveralRebuilds?: number;
  engineDoneS?: number;
  profile: {
    firstSessionS?: number;
    lastRebuildEndS?: number;
    roundPreS?: number;
    roundPostS?: number;
    /** From the first to the last SSH session on the changed hosts: the provider's work there (the last session, the lock release, is short). */
    hostSpanS?: number;
  };
}

export interface Results {
  date: string;
  /** The provider code measured: a commit, or a commit + working tree. */
  code?: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; kernel: string; hostname: string; node: string; pulumi: string };
  rebuildSeconds: number;
  /** Rc: each container of a host adds this to its rebuild. */
  secondsPerContainer?: number;
  quietMs: number;
  defaultParallel: number;
  sizes: string[];
  variants: Variant[];
  connectMs: Record<string, number>;
  runs: RunRecord[];
  durationS?: number;
}

export function variantLabel(v: Variant, r: Pick<Results, "defaultParallel">): string {
  switch (v) {
    case "h":
      return `(h) NixosHost per host, Pulumi's defaults (--parallel ${r.defaultParallel})`;
    case "f":
      return "(f) one NixosFleet, hosts at once inside its step, Pulumi's defaults";
    case "f10":
      return "(f10) one NixosFleet with maxParallelHosts 10, Pulumi's defaults";
    case "a":
      return `(a) provider, Pulumi's default --parallel ${r.defaultParallel}`;
    case "a-par":
      return "(a) provider, --parallel = number of containers";
    case "a-fast":
      return "(a) provider, --parallel = containers, PULUMI_SKIP_CHECKPOINTS=true";
    case "b":
      return "(b) coalescing off, --parallel = containers";
    case "b-default":
      return `(b) coalescing off, default --parallel ${r.defaultParallel}`;
    case "c":
      return "(c) ssh + nixos-rebuild per container";
  }
}

/** Shorter labels for the chart's legend. */
function legendLabel(v: Variant, r: Pick<Results, "defaultParallel">): string {
  switch (v) {
    case "h":
      return `(h) NixosHost, defaults`;
    case "f":
      return "(f) NixosFleet, defaults";
    case "f10":
      return "(f10) NixosFleet, maxParallelHosts 10";
    case "a":
      return `(a) provider, default --parallel (${r.defaultParallel})`;
    case "a-par":
      return "(a) provider, --parallel = containers";
    case "a-fast":
      return "(a) the same + PULUMI_SKIP_CHECKPOINTS";
    case "b":
      return "(b) coalescing off, --parallel = containers";
    case "b-default":
      return `(b) coalescing off, default --parallel (${r.defaultParallel})`;
    case "c":
      return "(c) ssh + nixos-rebuild per container";
  }
}

const COLORS: Record<Variant, [number, number, number]> = {
  h: [0, 0, 0],
  f: [227, 119, 194],
  f10: [188, 189, 34],
  a: [31, 119, 180],
  "a-par": [44, 160, 44],
  "a-fast": [23, 190, 207],
  b: [255, 127, 14],
  "b-default": [148, 103, 189],
  c: [214, 39, 40],
};

const f1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : x.toFixed(1));
const f2 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : x.toFixed(2));
const sizeOf = (r: { hosts: number; perHost: number }) => `${r.hosts}×${r.perHost}`;
const cell = (s: string) => s.replace(/\s+/g, " ").replace(/\|/g, "\\|").slice(0, 200);
const mm = (s: Stat) => (s.max === s.mean ? `${s.max}` : `${s.max} / ${f2(s.mean)}`);

export function chartFromResults(results: Results): Buffer {
  const creates = results.runs.filter((r) => r.scenario === "create" && r.ok);
  const series: Series[] = results.variants
    .map((v) => ({
      label: legendLabel(v, results),
      color: COLORS[v],
      points: creates.filter((r) => r.variant === v).map((r) => [r.containers, r.wallS] as [number, number]),
    }))
    .filter((s) => s.points.length > 0);
  const bounds = new Map<number, number>();
  for (const r of results.runs) if (r.scenario === "create") bounds.set(r.containers, r.lowerBoundS);
  series.push({ label: "lower bound: R + SSH connect", color: [110, 110, 110], dashed: true, points: [...bounds.entries()] });
  const ticks = new Map<number, string>();
  for (const r of results.runs) if (r.scenario === "create") ticks.set(r.containers, `${r.hosts}×${r.perHost}`);
  return drawChart({
    title: `Create from empty: wall time vs hosts × containers (R = ${results.rebuildSeconds} s)`,
    subtitle: `${results.date.slice(0, 10)}, simulated NixOS hosts sharing ${results.machine.cpus} CPUs, Pulumi ${results.machine.pulumi}`,
    xLabel: "containers (hosts × containers per host)",
    yLabel: "wall time (s)",
    series,
    xTickLabels: ticks,
  });
}

export function markdownFromResults(results: Results): string {
  const out: string[] = [];
  const runs = results.runs;
  const find = (v: Variant, s: Scenario, size?: string) => runs.find((r) => r.variant === v && r.scenario === s && (size === undefined || sizeOf(r) === size));
  const sizes = [...new Set(runs.filter((r) => r.scenario === "create").map(sizeOf))];
  const largest = sizes[sizes.length - 1];
  const smallest = sizes[0];
  const m = results.machine;
  out.push(`# Benchmark: pulumi-nixos-containers on the simulated fleet`);
  out.push("");
  out.push(
    `${results.date.slice(0, 16).replace("T", " ")} UTC · provider ${results.code ?? "?"} · ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB, Linux ${m.kernel}, Node ${m.node}, Pulumi ${m.pulumi} · ` +
      `R(n) = ${results.rebuildSeconds} s + n × ${results.secondsPerContainer ?? 0} s per simulated rebuild of a host with n containers (plus the simulator's own evaluation) · quiet window ${results.quietMs} ms · ` +
      `Pulumi's default --parallel here: ${results.defaultParallel} · SSH connect + trivial command: ${Object.entries(results.connectMs).map(([s, ms]) => `${ms} ms (${s.replace("x", "×")})`).join(", ")}` +
      (results.durationS ? ` · benchmark took ${(results.durationS / 60).toFixed(1)} min` : ""),
  );
  out.push("");
  out.push(`Variants: ${results.variants.map((v) => variantLabel(v, results)).join("; ")}. Lower bound = R × 1 round + SSH connect. Pulumi commands run with \`--skip-preview\`; wall time is the whole CLI command.`);
  out.push("");

  // Create summary
  out.push(`## Create from empty: wall time in seconds (× lower bound)`);
  out.push("");
  out.push(`| H×C | containers | lower bound | ${results.variants.map((v) => variantLabel(v, results)).join(" | ")} |`);
  out.push(`| --- | ---: | ---: | ${results.variants.map(() => "---:").join(" | ")} |`);
  for (const size of sizes) {
    const any = runs.find((r) => sizeOf(r) === size)!;
    const cells = results.variants.map((v) => {
      const r = find(v, "create", size);
      if (!r) return "–";
      if (!r.ok) return `failed`;
      return `${f1(r.wallS)} (${f1(r.wallS / r.lowerBoundS)}×)`;
    });
    out.push(`| ${size} | ${any.containers} | ${f1(any.lowerBoundS)} | ${cells.join(" | ")} |`);
  }
  out.push("");
  out.push(`![wall time vs H×C](chart.png)`);
  out.push("");

  // All runs
  out.push(`## Every run`);
  out.push("");
  out.push(`Per-host figures are max / mean over the hosts the scenario changes (one host for change-one). "sim rebuild" is how long the simulated \`nixos-rebuild\` itself took (max), i.e. R plus evaluation under load.`);
  out.push("");
  out.push(`| scenario | H×C | variant | --parallel | wall s | × bound | SSH conns/host | SSH sessions/host | rebuilds/host | sim rebuild s | provider peak MB | other hosts' sessions |`);
  out.push(`| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  const order: Scenario[] = ["create", "change-one", "change-all", "destroy"];
  for (const scenario of [...order, "noop-up" as Scenario])
    for (const size of sizes)
      for (const v of results.variants) {
        const r = find(v, scenario, size);
        if (!r) continue;
        out.push(
          `| ${scenario} | ${size} | ${v} | ${v === "c" ? "–" : (r.parallel ?? "–")} | ${r.ok ? f1(r.wallS) : `failed: ${cell(r.error ?? "")}`} | ${f1(r.wallS / r.lowerBoundS)} | ${mm(r.connections)} | ${mm(r.sessions)} | ${mm(r.rebuilds)} | ${f1(r.simRebuildS.max)} | ${r.providerPeakMb !== undefined ? r.providerPeakMb.toFixed(0) : "–"} | ${r.otherHostsSessions} |`,
        );
      }
  out.push("");

  // What Pulumi's engine does to coalescing
  const pa = find("a", "create", largest);
  const pp = find("a-par", "create", largest);
  const pf = find("a-fast", "create", largest);
  const pd = find("a-par", "destroy", largest);
  if (pa?.ok && (pp?.ok || pf?.ok)) {
    out.push(`## Pulumi's --parallel and state checkpoints (create ${largest})`);
    out.push("");
    out.push(
      `Pulumi runs at most --parallel resource operations at once (default ${results.defaultParallel} here: 4 × CPUs, or \`PULUMI_PARALLEL\`). ` +
        `With the default, the ${pa.containers} creates reach the provider in waves of ${results.defaultParallel} and every wave becomes a round on its host: ` +
        `${f1(pa.wallS)} s, ${f2(pa.rebuilds.mean)} rebuilds per host on average (max ${pa.rebuilds.max}), up to ${pa.connections.max} SSH connections per host (the pooled connection closes after 5 s idle between waves).` +
        (pp?.ok ? ` With --parallel ${pp.parallel}: ${f1(pp.wallS)} s, ${f2(pp.rebuilds.mean)} rebuilds per host (max ${pp.rebuilds.max})` : "") +
        (pd?.ok ? `; its destroy still needed ${f2(pd.rebuilds.mean)} (max ${pd.rebuilds.max}) rebuilds per host` : "") +
        (pp?.ok ? `, because the engine writes the whole state file before and after every step, one step at a time, so operations still trickle in (they were announced over ${f1(pp.roundSpreadS)} s).` : ".") +
        (pf?.ok
          ? ` With PULUMI_SKIP_CHECKPOINTS=true as well: ${f1(pf.wallS)} s, ${f2(pf.rebuilds.mean)} rebuilds per host (max ${pf.rebuilds.max}); the first rounds of all hosts started within ${f1(pf.firstRoundSpreadS)} s` +
            (pf.hostsWithSeveralRebuilds ? `, and ${pf.hostsWithSeveralRebuilds} of ${pf.targetHosts} hosts needed a second round for a create that arrived after their 250 ms quiet window had closed.` : ".")
          : ""),
    );
    out.push("");
  }

  // Preview
  const preview = runs.find((r) => r.scenario === "preview");
  const noop = preview && find(preview.variant, "noop-up", sizeOf(preview));
  if (preview) {
    out.push(`## Preview cost`);
    out.push("");
    out.push(
      `\`pulumi preview\` of ${preview.containers} unchanged containers (${sizeOf(preview)}): **${f1(preview.wallS)} s**, **${preview.sshConnectionsTotal ?? 0} SSH connections** (${preview.sessions.max === 0 ? "none: preview never contacts a host" : "TARGET MISSED: preview must not connect"}), provider peak ${preview.providerPeakMb?.toFixed(0) ?? "?"} MB.` +
        (noop ? ` For comparison, \`pulumi up\` with nothing to change: ${f1(noop.wallS)} s, ${noop.sshConnectionsTotal ?? 0} SSH connections. That is Pulumi's own fixed cost for a stack of this size (CLI, program, ${preview.containers} check/diff calls, state).` : ""),
    );
    out.push("");
  }

  // Targets
  out.push(`## Targets (issues 7 and 12)`);
  out.push("");
  const targetRows: string[] = [];
  const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
  for (const v of ["h", "f", "f10", "a", "a-par", "a-fast"] as Variant[]) {
    const ups = runs.filter((r) => r.variant === v && r.ok && order.includes(r.scenario));
    if (ups.length === 0) continue;
    const worstConn = Math.max(...ups.map((r) => r.connections.max));
    const worstRebuild = Math.max(...ups.map((r) => r.rebuilds.max));
    const bad = ups.filter((r) => r.connections.max > 1 || r.rebuilds.max > 1).map((r) => `${r.scenario} ${sizeOf(r)}: ${r.connections.max} conns, ${r.rebuilds.max} rebuilds (mean ${f2(r.rebuilds.mean)})`);
    targetRows.push(
      `| 1 SSH connection and 1 rebuild per host per \`pulumi up\` | ${variantLabel(v, results)} | worst host: ${worstConn} connections, ${worstRebuild} rebuilds (ratio ${worstRebuild}×) | ${met(worstConn <= 1 && worstRebuild <= 1)}${bad.length ? `: ${bad.join("; ")}` : ""} |`,
    );
  }
  for (const v of ["a", "a-par", "a-fast"] as Variant[]) {
    const r = find(v, "create", largest);
    if (!r || !r.ok) continue;
    const ratio = r.wallS / r.lowerBoundS;
    const noopRun = find(v, "noop-up", largest);
    const beyond = noopRun?.ok ? ` (minus Pulumi's no-op up of ${f1(noopRun.wallS)} s: ${f1(r.wallS - noopRun.wallS)} s = ${f2((r.wallS - noopRun.wallS) / r.lowerBoundS)}×)` : "";
    targetRows.push(`| create ${largest} within 1.3× the lower bound (${f1(r.lowerBoundS)} s) | ${variantLabel(v, results)} | ${f1(r.wallS)} s = ${f2(ratio)}×${beyond} | ${met(ratio <= 1.3)} |`);
  }
  for (const v of ["a", "a-par", "a-fast"] as Variant[]) {
    for (const size of sizes) {
      const r = find(v, "change-one", size);
      if (!r || !r.ok) continue;
      const ratio = r.wallS / r.lowerBoundS;
      const noopRun = find(v, "noop-up", size);
      const span = r.profile.hostSpanS;
      const beyond =
        (noopRun?.ok ? `; Pulumi's no-op up of the same stack: ${f1(noopRun.wallS)} s` : "") +
        (span !== undefined ? `; the provider's round on the host, first session to lock release, + connect: ${f1(span + r.lowerBoundS - results.rebuildSeconds)} s = ${f2((span + r.lowerBoundS - results.rebuildSeconds) / r.lowerBoundS)}×` : "");
      targetRows.push(`| change one container (${size}) within 1.5× (R + connect = ${f1(r.lowerBoundS)} s) | ${variantLabel(v, results)} | ${f1(r.wallS)} s = ${f2(ratio)}×${beyond} | ${met(ratio <= 1.5)} |`);
    }
  }
  // Issue 12: NixosHost under Pulumi's defaults against the shell loop and NixosContainer.
  const h = (s: Scenario, size: string) => find("h", s, size);
  for (const size of sizes) {
    for (const scenario of ["create", "destroy"] as Scenario[]) {
      const mine = h(scenario, size);
      const loop = find("c", scenario, size);
      if (!mine?.ok || !loop?.ok) continue;
      const speedup = loop.wallS / mine.wallS;
      targetRows.push(`| ${scenario} ${size} at least 3× faster than the ssh loop | ${variantLabel("h", results)} | ${f1(mine.wallS)} s against ${f1(loop.wallS)} s = ${f2(speedup)}× | ${met(speedup >= 3)} |`);
    }
  }
  {
    const hostCreate = h("create", largest);
    const floor = h("noop-up", largest);
    if (hostCreate?.ok && floor?.ok) {
      const rounds = Math.ceil(hostCreate.hosts / results.defaultParallel);
      const rn = results.rebuildSeconds + (results.secondsPerContainer ?? 0) * hostCreate.perHost;
      const budget = floor.wallS + rounds * rn + (hostCreate.lowerBoundS - rn);
      targetRows.push(
        `| create ${largest} within 1.3× of (no-op up ${f1(floor.wallS)} s + ${rounds} × R(${hostCreate.perHost}) ${f1(rn)} s + connect) = ${f1(budget)} s | ${variantLabel("h", results)} | ${f1(hostCreate.wallS)} s = ${f2(hostCreate.wallS / budget)}× | ${met(hostCreate.wallS <= 1.3 * budget)} |`,
      );
    }
    for (const scenario of ["noop-up", "preview"] as Scenario[]) {
      const mine = h(scenario, largest);
      const theirs = find("a", scenario, largest);
      if (!mine?.ok || !theirs?.ok) continue;
      targetRows.push(`| \`pulumi ${scenario === "noop-up" ? "up" : "preview"}\` of ${largest} with nothing to change, 3× faster than with NixosContainer | ${variantLabel("h", results)} | ${f1(mine.wallS)} s against ${f1(theirs.wallS)} s = ${f2(theirs.wallS / mine.wallS)}× | ${met(theirs.wallS / mine.wallS >= 3)} |`);
    }
  }
  for (const v of ["h", "f", "a", "a-par", "a-fast"] as Variant[]) {
    const small = find(v, "create", smallest);
    const big = find(v, "create", largest);
    if (!small?.providerPeakMb || !big?.providerPeakMb || smallest === largest) continue;
    const growth = big.providerPeakMb - small.providerPeakMb;
    targetRows.push(
      `| provider memory grows < 50 MB from ${smallest} to ${largest} | ${variantLabel(v, results)} | ${small.providerPeakMb.toFixed(0)} → ${big.providerPeakMb.toFixed(0)} MB peak (VmHWM): +${growth.toFixed(0)} MB = ${f2(growth / 50)}× the budget | ${met(growth < 50)} |`,
    );
  }
  if (preview) targetRows.push(`| preview opens no SSH connection | – | ${preview.sshConnectionsTotal ?? 0} connections | ${met((preview.sshConnectionsTotal ?? 0) === 0)} |`);
  out.push(`| target | variant | measured | result |`);
  out.push(`| --- | --- | --- | --- |`);
  out.push(...targetRows);
  out.push("");

  out.push(...fleetSection(results, sizes));

  // Profile
  out.push(`## Where the time goes (create ${largest})`);
  out.push("");
  out.push(`Seconds from the start of the CLI command. First SSH session: the CLI, the program and the first \`create\` calls until the provider's first command on a host. Round phases are medians over the rounds of all hosts: lock+inspect+write before the rebuild starts, the simulated rebuild itself, and the after-switch step + lock release after it ends. "Engine done": the CLI prints its summary; the rest is the CLI saving state and exiting.`);
  out.push("");
  out.push(`| variant | wall | first SSH session | first round announced | rounds announced (spread s) | round: before rebuild | rebuild (sim, max) | round: after rebuild | last rebuild ends | engine done | CLI tree CPU s | hosts CPU s | machine busy |`);
  out.push(`| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const v of results.variants) {
    const r = find(v, "create", largest);
    if (!r || !r.ok) continue;
    out.push(
      `| ${v} | ${f1(r.wallS)} | ${f1(r.profile.firstSessionS)} | ${f1(r.firstRoundS)} | ${r.roundsSeen ?? "–"} (${f1(r.roundSpreadS)}) | ${f2(r.profile.roundPreS)} | ${f1(r.simRebuildS.max)} | ${f2(r.profile.roundPostS)} | ${f1(r.profile.lastRebuildEndS)} | ${f1(r.engineDoneS)} | ${f1(r.cliCpuS)} | ${f1(r.hostsCpuS)} | ${r.machineBusy !== undefined ? `${(r.machineBusy * 100).toFixed(0)}%` : "–"} |`,
    );
  }
  out.push("");
  return out.join("\n") + "\n";
}

/**
 * Issue 22: the NixosFleet (f) against the shell loop (c) and one NixosHost per host (h), its
 * targets computed, maxParallelHosts against all hosts at once (f10), and where the time of
 * the change that reaches every host goes.
 */
function fleetSection(results: Results, sizes: string[]): string[] {
  const runs = results.runs;
  const find = (v: Variant, s: Scenario, size: string) => runs.find((r) => r.variant === v && r.scenario === s && sizeOf(r) === size && r.ok);
  if (!runs.some((r) => r.variant === "f")) return [];
  const out: string[] = [];
  const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
  const scenarios: Scenario[] = ["create", "change-one", "change-all", "destroy", "noop-up", "preview"];

  out.push(`## NixosFleet (issue 22): wall time in seconds`);
  out.push("");
  out.push(`| H×C | variant | ${scenarios.join(" | ")} |`);
  out.push(`| --- | --- | ${scenarios.map(() => "---:").join(" | ")} |`);
  for (const size of sizes) {
    for (const v of ["f", "f10", "h", "c"] as Variant[]) {
      if (!runs.some((r) => r.variant === v && sizeOf(r) === size)) continue;
      out.push(`| ${size} | ${v} | ${scenarios.map((sc) => f1(find(v, sc, size)?.wallS)).join(" | ")} |`);
    }
  }
  out.push("");

  const rows: string[] = [];
  const ratios = new Map<string, number>();
  for (const size of sizes) {
    const f = find("f", "change-all", size);
    const c = find("c", "change-all", size);
    if (!f || !c) continue;
    const ratio = f.wallS / c.wallS;
    ratios.set(size, ratio);
    rows.push(`| change one container on every host (${size}) within 1.3× of the ssh loop | ${f1(f.wallS)} s against ${f1(c.wallS)} s = ${f2(ratio)}× | ${met(ratio <= 1.3)} |`);
  }
  const byHosts = [...ratios].map(([size, ratio]) => ({ hosts: Number(size.split("×")[0]), perHost: Number(size.split("×")[1]), ratio }));
  const ten = byHosts.find((r) => r.hosts === 10 && r.perHost === 10);
  const twenty = byHosts.find((r) => r.hosts === 20 && r.perHost === 10);
  if (ten && twenty) rows.push(`| that ratio does not grow from 10 to 20 hosts | ${f2(ten.ratio)}× → ${f2(twenty.ratio)}× | ${met(twenty.ratio <= ten.ratio)} |`);
  for (const size of sizes) {
    for (const scenario of ["create", "destroy"] as Scenario[]) {
      const f = find("f", scenario, size);
      const c = find("c", scenario, size);
      if (!f || !c) continue;
      rows.push(`| ${scenario} ${size} at least 3× faster than the ssh loop | ${f1(f.wallS)} s against ${f1(c.wallS)} s = ${f2(c.wallS / f.wallS)}× | ${met(c.wallS / f.wallS >= 3)} |`);
    }
  }
  {
    const ups = runs.filter((r) => r.variant === "f" && r.ok && ["create", "change-one", "change-all", "destroy"].includes(r.scenario));
    const exact = (r: RunRecord) => r.connections.max === 1 && r.connections.mean === 1 && r.rebuilds.max === 1 && r.rebuilds.mean === 1 && r.otherHostsSessions === 0;
    const bad = ups.filter((r) => !exact(r)).map((r) => `${r.scenario} ${sizeOf(r)}: ${mm(r.connections)} conns, ${mm(r.rebuilds)} rebuilds per changed host, ${r.otherHostsSessions} sessions on the others`);
    if (ups.length > 0) rows.push(`| every scenario: exactly one connection and one rebuild per changed host, none on the others | ${ups.length} runs${bad.length ? `: ${bad.join("; ")}` : ", each exactly so"} | ${met(bad.length === 0)} |`);
  }
  for (const size of sizes.filter((s) => Number(s.split("×")[0]) * Number(s.split("×")[1]) >= 200)) {
    for (const scenario of ["noop-up", "preview"] as Scenario[]) {
      const f = find("f", scenario, size);
      const h = find("h", scenario, size);
      if (!f || !h) continue;
      // On a shared machine the wall time follows the load; the CPU time of the CLI's process tree does not.
      const cpu = f.cliCpuS !== undefined && h.cliCpuS !== undefined ? `; CPU of the CLI's process tree ${f1(f.cliCpuS)} s against ${f1(h.cliCpuS)} s` : "";
      const load = f.loadBefore !== undefined && h.loadBefore !== undefined ? `; load average before ${f1(f.loadBefore)} and ${f1(h.loadBefore)}` : "";
      rows.push(`| \`pulumi ${scenario === "noop-up" ? "up" : "preview"}\` of ${size} with nothing to change no slower than with one NixosHost per host | ${f1(f.wallS)} s against ${f1(h.wallS)} s = ${f2(f.wallS / h.wallS)}×${cpu}${load} | ${met(f.wallS <= h.wallS)} |`);
    }
  }
  out.push(`### Targets`);
  out.push("");
  out.push(`| target | measured (f: NixosFleet; c: the ssh loop; h: NixosHost per host) | result |`);
  out.push(`| --- | --- | --- |`);
  out.push(...rows);
  out.push("");

  const limited = sizes.map((size) => ({ size, all: find("f", "change-all", size), ten: find("f10", "change-all", size), allCreate: find("f", "create", size), tenCreate: find("f10", "create", size) })).filter((x) => x.all && x.ten);
  if (limited.length > 0) {
    out.push(`### maxParallelHosts: all hosts at once (f) or 10 at a time (f10)`);
    out.push("");
    out.push(`| H×C | change all: f | f10 | create: f | f10 | provider peak MB (create): f | f10 |`);
    out.push(`| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const x of limited) {
      out.push(
        `| ${x.size} | ${f1(x.all!.wallS)} | ${f1(x.ten!.wallS)} | ${f1(x.allCreate?.wallS)} | ${f1(x.tenCreate?.wallS)} | ${x.allCreate?.providerPeakMb?.toFixed(0) ?? "–"} | ${x.tenCreate?.providerPeakMb?.toFixed(0) ?? "–"} |`,
      );
    }
    out.push("");
  }

  out.push(`### Where the time goes (change one container on every host)`);
  out.push("");
  out.push(
    `Seconds from the start of the command. Rounds announced: the first and the spread of the hosts' first rounds (from the live status); round phases are medians over the hosts (lock+inspect+write before the rebuild, after-switch + release after it); "sim rebuild" the slowest simulated rebuild (R(n) plus evaluation on the shared CPUs).`,
  );
  out.push("");
  out.push(`| H×C | variant | wall | first SSH session | first round | hosts' first rounds spread | before rebuild | sim rebuild (max) | after rebuild | last rebuild ends | engine done | hosts CPU s | machine busy | load before |`);
  out.push(`| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const size of sizes) {
    for (const v of ["f", "f10", "h", "c"] as Variant[]) {
      const r = find(v, "change-all", size);
      if (!r) continue;
      out.push(
        `| ${size} | ${v} | ${f1(r.wallS)} | ${f1(r.profile.firstSessionS)} | ${f1(r.firstRoundS)} | ${f1(r.firstRoundSpreadS)} | ${f2(r.profile.roundPreS)} | ${f1(r.simRebuildS.max)} | ${f2(r.profile.roundPostS)} | ${f1(r.profile.lastRebuildEndS)} | ${f1(r.engineDoneS)} | ${f1(r.hostsCpuS)} | ${r.machineBusy !== undefined ? `${(r.machineBusy * 100).toFixed(0)}%` : "–"} | ${r.loadBefore !== undefined ? r.loadBefore.toFixed(1) : "–"} |`,
      );
    }
  }
  out.push("");
  return out;
}
