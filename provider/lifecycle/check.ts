/**
 * check: validate and normalise what the program sent, with no host contact, and render each
 * container's module: the only rendering in the provider. The module the program rendered (the
 * preview's line diff) must be that one; create and update then write what check answered.
 * Defaults are filled in here, so an unchanged program gives identical inputs and no diff.
 */
import { renderContainerModule } from "../container/module";
import { formatPath, type Problem } from "../inputs/problems";
import type { Progress } from "../deploy/progress";
import { declaredInputs, entryPath, ownerIn, targeted, unchecked } from "./codec";
import type { ResourceKind } from "./kinds";
import type { DeclaredHost } from "./model";
import { unknownPaths, UNKNOWN } from "./unknown";

type Props = Record<string, unknown>;

export interface Failure {
  property: string;
  reason: string;
}

export interface CheckOutcome {
  inputs: Props;
  failures: Failure[];
  /** The failures as problems at their paths. */
  problems: Problem[];
  /** The declared hosts, when the inputs are valid and known. */
  declared?: DeclaredHost[];
}

/** `olds`: the inputs of the last step, which a run limited to some hosts keeps for the others (codec.ts `targeted`). */
export function check(kind: ResourceKind, news: Props, progress: Progress, olds: Props = {}): CheckOutcome {
  const target = targeted(kind.shape, news, olds);
  const { values, raw, given } = unchecked(kind.shape, target.news);
  const validation = kind.validate(raw);
  const errors = [...target.problems, ...validation.errors];
  const unknown = unknownPaths(raw).map((p) => formatPath(p));
  if (unknown.length > 0) return failed(values, certainProblems(errors, unknown));
  if (!validation.hosts || errors.length > 0) return failed(values, errors);

  for (const w of validation.warnings) progress.warn(`${formatPath(w.path)}: ${w.message}`);
  const problems: Problem[] = [];
  const declared = validation.hosts.map((host) => ({
    ...host,
    entries: host.entries.map(({ key, spec }) => {
      const module = renderContainerModule(spec);
      const program = given.get(host.key)?.get(key);
      if (typeof program === "string" && program !== UNKNOWN && program !== module) problems.push(nixConfigMismatch([...entryPath(kind.shape, host.key, key), "nixConfig"]));
      return { key, spec, module };
    }),
  }));
  if (problems.length > 0) return failed(values, problems);
  return { inputs: declaredInputs(kind.shape, declared, { owner: ownerIn(news), step: validation.step ?? {}, held: target.held }), failures: [], problems: [], declared };
}

function failed(values: Props, problems: Problem[]): CheckOutcome {
  return { inputs: values, failures: problems.map(toFailure), problems };
}

/**
 * During preview some values are not known yet: only what is certainly wrong (a problem at
 * a known value, not a rule spanning options). `unknown` holds the formatted paths of the
 * unknown values.
 */
function certainProblems(errors: Problem[], unknown: string[]): Problem[] {
  return errors.filter((p) => !p.rule && !unknown.some((u) => formatPath(p.path).startsWith(u) || u.startsWith(formatPath(p.path))));
}

function nixConfigMismatch(path: string[]): Problem {
  return {
    path,
    message:
      "does not match the module the provider renders from the other inputs. nixConfig is computed by the pulumi-nixos-containers SDK; do not set it yourself, and use the same package version in the program and the provider",
  };
}

function toFailure(p: Problem): Failure {
  return { property: formatPath(p.path), reason: p.message };
}
