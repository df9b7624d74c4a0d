/**
 * From what Pulumi sends to a validated spec and its module. Every lifecycle
 * step goes through here, so they all agree on the container's name, its
 * defaults and the exact module text.
 */
import { validateContainer, formatProblems, type ContainerSpec, type Problem } from "../container/validate";
import { renderContainerModule } from "../container/module";
import { formatPath } from "../container/paths";

/** Pulumi's own bookkeeping keys (`__provider`) are not inputs. */
export function withoutInternalKeys(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => !k.startsWith("__")));
}

export interface Prepared {
  spec: ContainerSpec;
  module: string;
  warnings: Problem[];
}

export class InputError extends Error {
  constructor(
    readonly problems: Problem[],
    resource = "NixosContainer",
  ) {
    super(`invalid ${resource} inputs:\n${formatProblems(problems).map((l) => `  ${l}`).join("\n")}`);
    this.name = "InputError";
  }
}

/** Validate and render; throws InputError listing every problem. */
export function prepare(props: Record<string, unknown>): Prepared {
  const inputs = withoutInternalKeys(props);
  const { nixConfig, ...rest } = inputs;
  const result = validateContainer(rest);
  if (!result.spec) throw new InputError(result.errors);
  const module = renderContainerModule(result.spec);
  if (typeof nixConfig === "string" && nixConfig !== module) throw new InputError([nixConfigMismatch()]);
  return { spec: result.spec, module, warnings: result.warnings };
}

export function nixConfigMismatch(): Problem {
  return {
    path: ["nixConfig"],
    message:
      "does not match the module the provider renders from the other inputs. nixConfig is computed by the pulumi-nixos-containers SDK; do not set it yourself, and use the same package version in the program and the provider",
  };
}

export function problemToFailure(p: Problem): { property: string; reason: string } {
  return { property: formatPath(p.path), reason: p.message };
}
