/**
 * What the lifecycle decides about a container's secret files: which files a step writes (new,
 * or changed in value, mode or owner), whether a step is secrets-only, and what refresh records
 * for a file changed or removed on the host. Drift is recorded in the state as a marker in
 * place of the file's value (the value stays a secret there, so the preview shows which secret
 * differs, never a value); the next `pulumi up` then sees that secret as changed and writes it
 * again. The file's content never comes back from the host: only its sha256, compared here with
 * the sha256 of the value in the state.
 */
import { createHash } from "node:crypto";
import { secretDefaults, type SecretFile, type Secrets } from "../container/secrets";
import type { ContainerSpec } from "../container/validate";
import type { SecretFileChange } from "../deploy/change";
import type { HostSecretFile } from "../deploy/protocol";

/** The value refresh records for a file that is not what the state says (never a value a program sets). */
export const DRIFTED = {
  changed: "\u0000pulumi-nixos-containers: changed on the host since it was written",
  missing: "\u0000pulumi-nixos-containers: missing on the host",
  extra: "\u0000pulumi-nixos-containers: on the host but not declared",
  unsettled: "\u0000pulumi-nixos-containers: written, but its units did not restart",
} as const;

const same = (a: SecretFile | undefined, b: SecretFile | undefined): boolean => {
  if (!a || !b) return a === b;
  const x = secretDefaults(a);
  const y = secretDefaults(b);
  return a.value === b.value && Number.parseInt(x.mode, 8) === Number.parseInt(y.mode, 8) && String(x.owner) === String(y.owner) && String(x.group) === String(y.group);
};

/** Whether two sets of secrets differ in what the host has (files, values, modes, owners). */
export function secretsDiffer(old: Secrets | undefined, now: Secrets | undefined): boolean {
  const a = old ?? {};
  const b = now ?? {};
  const files = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...files].some((f) => !same(a[f], b[f]));
}

/** Every declared file as the host gets it; the value only where the host does not have it yet. */
export function secretChanges(old: Secrets | undefined, now: Secrets | undefined): SecretFileChange[] {
  return Object.entries(now ?? {}).map(([file, s]) => ({
    file,
    ...secretDefaults(s),
    ...(!same(old?.[file], s) && { value: s.value }),
  }));
}

/** The spec with the given files recorded as `why` (drift, or a change whose units did not restart). */
export function markedSecrets(spec: ContainerSpec, files: Record<string, string>): ContainerSpec {
  if (Object.keys(files).length === 0) return spec;
  const secrets: Secrets = { ...(spec.secrets ?? {}) };
  for (const [file, why] of Object.entries(files)) secrets[file] = { ...(secrets[file] ?? {}), value: why };
  return { ...spec, secrets };
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** Which of the recorded files differ on the host, and how (nothing when the container declares no secrets). */
export function secretsDrift(recorded: Secrets | undefined, onHost: HostSecretFile[] | null | undefined): Record<string, string> {
  if (onHost === undefined || !recorded || Object.keys(recorded).length === 0) return {};
  const files = new Map((onHost ?? []).map((f) => [f.file, f]));
  const drift: Record<string, string> = {};
  for (const [file, s] of Object.entries(recorded)) {
    if ((Object.values(DRIFTED) as string[]).includes(s.value)) continue; // already recorded
    const f = files.get(file);
    if (!f) drift[file] = DRIFTED.missing;
    else if (f.sha256 !== sha256(s.value) || !attributesMatch(s, f)) drift[file] = DRIFTED.changed;
  }
  for (const file of files.keys()) if (!(file in recorded)) drift[file] = DRIFTED.extra;
  return drift;
}

function attributesMatch(s: SecretFile, f: HostSecretFile): boolean {
  const d = secretDefaults(s);
  const is = (want: string | number, have: { name: string; id: number }) => (typeof want === "number" ? want === have.id : want === have.name || (want === "root" && have.id === 0));
  return Number.parseInt(d.mode, 8) === Number.parseInt(f.mode, 8) && is(d.owner, f.owner) && is(d.group, f.group);
}

/** How the host's copy of each declared file stands, for people (`nixos-containers status`): never a value. */
export function secretsStanding(declared: Secrets | undefined, onHost: HostSecretFile[] | null | undefined): { file: string; standing: string }[] {
  const drift = secretsDrift(declared, onHost ?? []);
  const names = [...new Set([...Object.keys(declared ?? {}), ...(onHost ?? []).map((f) => f.file)])].sort();
  return names.map((file) => {
    const d = drift[file];
    const recorded = declared?.[file]?.value;
    const standing =
      d === DRIFTED.missing
        ? "missing on the host"
        : d === DRIFTED.changed
          ? "changed on the host (content, mode or owner): the next pulumi up writes it again"
          : d === DRIFTED.extra || declared?.[file] === undefined
            ? "not declared: the next pulumi up removes it"
            : recorded !== undefined && (Object.values(DRIFTED) as string[]).includes(recorded)
              ? "differs from the program (recorded by a refresh): the next pulumi up writes it again"
              : "current";
    return { file, standing };
  });
}
