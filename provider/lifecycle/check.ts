/**
 * check: validate and normalise the inputs, with no host contact. Defaults
 * are filled in here, so an unchanged program produces identical inputs and
 * never shows a diff.
 */
import { validateContainer, type Problem } from "../container/validate";
import { renderContainerModule } from "../container/module";
import type { Progress } from "../deploy/progress";
import { formatPath } from "../container/paths";
import { nixConfigMismatch, problemToFailure, withoutInternalKeys } from "./inputs";
import { unknownPaths, UNKNOWN } from "./unknown";
import { withOwner } from "./owner";

export interface CheckOutcome {
  inputs: Record<string, unknown>;
  failures: { property: string; reason: string }[];
}

export function check(news: Record<string, unknown>, progress: Progress): CheckOutcome {
  const inputs = withoutInternalKeys(news);
  const { nixConfig, ...rest } = inputs;
  const result = validateContainer(rest);
  const unknown = unknownPaths(rest).map((p) => formatPath(p));

  if (unknown.length > 0) return { inputs, failures: certainFailures(result.errors, unknown) };
  if (!result.spec) return { inputs, failures: result.errors.map(problemToFailure) };

  for (const w of result.warnings) progress.warn(`${result.spec.name}: ${formatPath(w.path)}: ${w.message}`);
  const module = renderContainerModule(result.spec);
  if (typeof nixConfig === "string" && nixConfig !== UNKNOWN && nixConfig !== module) {
    return { inputs, failures: [problemToFailure(nixConfigMismatch())] };
  }
  return { inputs: { ...result.spec, nixConfig: module, ...withOwner(news) }, failures: [] };
}

/**
 * During preview some values are not known yet: only what is certainly wrong (a problem at
 * a known value, not a rule spanning options). `unknown` holds the formatted paths of the
 * unknown values.
 */
export function certainFailures(errors: Problem[], unknown: string[]): CheckOutcome["failures"] {
  return errors
    .filter((p) => !p.rule && !unknown.some((u) => formatPath(p.path).startsWith(u) || u.startsWith(formatPath(p.path))))
    .map(problemToFailure);
}
