/**
 * Reading nixos-rebuild's output. Exit codes differ between nixos-rebuild
 * versions (reference E.4, G.11), so the phase of a failure and the
 * containers it concerns are read from the text.
 */

export type RebuildPhase = "ok" | "evaluation" | "build" | "activation" | "lock" | "timeout" | "other";

export interface RebuildOutcome {
  phase: RebuildPhase;
  /** Container names the error text points at (their module file, option path or system name). */
  culprits: string[];
  /** Units named in `warning: the following units failed: …`. */
  failedUnits: string[];
  /** Container units switch-to-configuration stopped and started, or started. */
  startedUnits: string[];
  /** Container units it reported as changed but did not restart. */
  notRestartedUnits: string[];
}

const ACTIVATING = /^(activating the configuration\.\.\.|stopping the following units:|restarting systemd\.\.\.)/m;
const LOCK = /Could not acquire lock/;

function unitList(text: string, heading: RegExp): string[] {
  const units: string[] = [];
  for (const line of text.split("\n")) {
    const m = heading.exec(line);
    if (m) units.push(...m[1].split(",").map((u) => u.trim()).filter(Boolean));
  }
  return units;
}

/** Container names mentioned by an evaluation or build error. */
export function culpritsIn(text: string, candidates: readonly string[]): string[] {
  const found = new Set<string>();
  const fileRef = /pulumi-containers\/([A-Za-z0-9][A-Za-z0-9-]*)\.nix/g;
  for (const m of text.matchAll(fileRef)) if (m[1] !== "default") found.add(m[1]);
  for (const name of candidates) {
    const escaped = name.replace(/[-]/g, "\\-");
    const mentions = [
      new RegExp(`containers\\.(${escaped}|"${escaped}")\\.`),
      new RegExp(`nixos-system-${escaped}-`),
      new RegExp(`[Cc]ontainer name \`${escaped}\``),
      new RegExp(`container '${escaped}'`),
    ];
    if (mentions.some((re) => re.test(text))) found.add(name);
  }
  return [...found].filter((n) => candidates.includes(n)).sort();
}

export function readRebuildOutput(exitCode: number | null, text: string, candidates: readonly string[], timedOut = false): RebuildOutcome {
  const failedUnits = unitList(text, /^warning: the following units failed: (.*)$/);
  const startedUnits = [
    ...unitList(text, /^restarting the following units: (.*)$/),
    ...unitList(text, /^starting the following units: (.*)$/),
    ...unitList(text, /^the following new units were started: (.*)$/),
  ];
  const notRestartedUnits = unitList(text, /^NOT restarting the following changed units: (.*)$/);
  const base = { failedUnits, startedUnits, notRestartedUnits };
  if (timedOut) return { phase: "timeout", culprits: [], ...base };
  if (exitCode === 0) return { phase: "ok", culprits: [], ...base };
  if (LOCK.test(text)) return { phase: "lock", culprits: [], ...base };
  if (ACTIVATING.test(text) || failedUnits.length > 0 || exitCode === 4) {
    const culprits = failedUnits.map((u) => /^container@(.+)\.service$/.exec(u)?.[1]).filter((n): n is string => !!n && candidates.includes(n));
    return { phase: "activation", culprits, ...base };
  }
  const phase: RebuildPhase = /builder for|build of .* failed|Cannot build|failed to build|^error: .*build/m.test(text) || exitCode === 100 ? "build" : /error:/.test(text) ? "evaluation" : "other";
  return { phase, culprits: culpritsIn(text, candidates), ...base };
}

/** The part of nixos-rebuild's output worth showing: from the first error on, bounded. */
export function errorExcerpt(output: string, maxLines = 60): string {
  const lines = output.split("\n");
  const first = lines.findIndex((l) => /^(error|warning: the following units failed)/.test(l.trim()));
  const relevant = (first >= 0 ? lines.slice(first) : lines.slice(-maxLines)).filter((l) => !l.startsWith("__PULUMI"));
  const cut = relevant.length > maxLines ? [...relevant.slice(0, maxLines), `… (${relevant.length - maxLines} more lines)`] : relevant;
  return cut.join("\n").trimEnd();
}
