/**
 * check for a NixosHost: validate and normalise every container, with no host contact.
 * Problems carry paths like `containers.web.forwardPorts[0].hostPort`.
 */
import { validateHost } from "../container/host-validate";
import { renderContainerModule } from "../container/module";
import { formatPath } from "../container/paths";
import type { Progress } from "../deploy/progress";
import { nixConfigMismatch, problemToFailure, withoutInternalKeys } from "./inputs";
import { entryInputs, hostInputs } from "./host-inputs";
import { unknownPaths, UNKNOWN } from "./unknown";
import { withOwner } from "./owner";
import { certainFailures, type CheckOutcome } from "./check";

export function checkHost(news: Record<string, unknown>, progress: Progress): CheckOutcome {
  const inputs = withoutInternalKeys(news);
  const containers = (inputs.containers ?? {}) as Record<string, Record<string, unknown>>;
  const rendered: Record<string, unknown> = {};
  const given: Record<string, unknown> = {};
  if (containers && typeof containers === "object" && !Array.isArray(containers)) {
    for (const [key, entry] of Object.entries(containers)) {
      if (entry && typeof entry === "object" && !Array.isArray(entry)) {
        const { nixConfig, ...rest } = entry;
        rendered[key] = rest;
        given[key] = nixConfig;
      } else rendered[key] = entry;
    }
  }
  const result = validateHost({ ...inputs, containers: Array.isArray(containers) || typeof containers !== "object" ? containers : rendered });
  const unknown = unknownPaths({ ...inputs, containers: rendered }).map((p) => formatPath(p));
  if (unknown.length > 0) return { inputs, failures: certainFailures(result.errors, unknown) };
  if (!result.spec) return { inputs, failures: result.errors.map(problemToFailure) };

  for (const w of result.warnings) progress.warn(`${formatPath(w.path)}: ${w.message}`);
  const entries: Record<string, unknown> = {};
  const failures = [];
  for (const { key, spec } of result.spec.entries) {
    const module = renderContainerModule(spec);
    if (typeof given[key] === "string" && given[key] !== UNKNOWN && given[key] !== module) {
      failures.push(problemToFailure({ ...nixConfigMismatch(), path: ["containers", key, "nixConfig"] }));
    }
    entries[key] = entryInputs(spec, module);
  }
  if (failures.length > 0) return { inputs, failures };
  return { inputs: { ...hostInputs(result.spec), containers: entries, ...withOwner(news) }, failures: [] };
}
