/**
 * module.ts read backwards: the inputs of a container from its module file, for `pulumi import`
 * of a container that already runs on a host. Only a module the provider wrote can be read (its
 * header, its layout); the inputs are kept only if they render that module again byte for byte,
 * so the next `pulumi up` has nothing to change.
 *
 * What the module does not hold takes its default: the connection (the caller's), and the
 * settings that steer the provider (rebuildAction, deleteData, adopt, rebuildTimeoutSeconds),
 * except updateStrategy: an autoStart container's module without restartIfChanged was not
 * written with the default "reload" (which writes restartIfChanged = false), so it is "restart".
 */
import type { NixAttrs, NixValue } from "../nix/types";
import { isRaw } from "../nix/raw";
import { nixAttrName } from "../nix/escape";
import { attrNameOf, readAttrs, readNix } from "../nix/read";
import { MODULE_HEADER_MARK, renderContainerModule } from "./module";
import { UNIT_DIRECTIVES } from "./resources";
import { validateContainer } from "./validate";

type Inputs = Record<string, unknown>;

export type ModuleReading = { inputs: Inputs } | { problem: string };

/** The prefix module.ts gives a config object: a module function whose body is the object. */
const CONFIG_FUNCTION = "{ config, lib, pkgs, ... }:\n    ";
const BARE_CONFIG = "{ ... }: { }";

/**
 * The inputs (without connection) that render `module` for the container `name`; or why there
 * are none. `connection` only stands in for validation: it never reaches the module.
 */
export function readContainerModule(module: string, name: string, connection: Inputs): ModuleReading {
  const header = `${MODULE_HEADER_MARK} Container "${name}".\n`;
  if (!module.startsWith(header)) {
    return { problem: `it does not start with the provider's header (${JSON.stringify(header.trim())}): it was not written by pulumi-nixos-containers` };
  }
  const start = module.indexOf("\n{\n");
  const members = start < 0 || !module.endsWith("\n}\n") ? undefined : readAttrs(module.slice(start + 1, -1), 0);
  const container = members?.find((m) => m.name === `containers.${nixAttrName(name)}`);
  const unit = members?.find((m) => m.name === `systemd.services.${nixAttrName(`container@${name}`)}.serviceConfig`);
  const options = container && readAttrs(container.value, 2);
  if (!options || members!.length !== (unit ? 2 : 1)) return { problem: "its layout is not the one the provider writes (edited by hand?)" };

  const inputs: Inputs = { name };
  for (const { name: written, value } of options) {
    const key = attrNameOf(written);
    if (key === undefined) return { problem: `its option ${written} is not one the provider writes` };
    inputs[key] = key === "config" ? configOf(value) : readNix(value, 4);
  }
  if (unit) {
    const limits = readNix(unit.value, 2);
    const byDirective = new Map(Object.entries(UNIT_DIRECTIVES).map(([field, directive]) => [directive as string, field]));
    if (limits === null || typeof limits !== "object" || Array.isArray(limits) || isRaw(limits)) return { problem: "its unit settings are not the ones the provider writes" };
    const resources: Inputs = {};
    for (const [directive, v] of Object.entries(limits as NixAttrs)) {
      const field = byDirective.get(directive);
      if (!field) return { problem: `its unit setting ${directive} is not one the provider writes` };
      resources[field] = v;
    }
    inputs.resources = resources;
  }
  if (inputs.config === BARE_CONFIG && inputs.path === undefined && inputs.flake === undefined) delete inputs.config;

  // restartIfChanged = false beside autoStart is what updateStrategy "reload" writes by itself.
  const candidates: Inputs[] =
    inputs.autoStart === true && inputs.restartIfChanged === false
      ? [withoutKey(inputs, "restartIfChanged"), inputs]
      : inputs.autoStart === true && inputs.restartIfChanged === undefined
        ? [{ ...inputs, updateStrategy: "restart" }]
        : [inputs];
  for (const candidate of candidates) {
    const { spec } = validateContainer({ ...candidate, connection });
    if (spec && renderContainerModule(spec) === module) return { inputs: candidate };
  }
  const { errors } = validateContainer({ ...candidates[0], connection });
  return {
    problem:
      errors.length > 0
        ? `what it declares is not valid input: ${errors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; ")}`
        : "no inputs render it again exactly (edited by hand, or written by another version of the provider)",
  };
}

/**
 * A config object is rendered as a module function around it; its body read back is the object
 * (raw Nix inside it stays raw). Anything else is a whole module, kept as the string it is.
 */
function configOf(text: string): NixValue {
  if (text.startsWith(CONFIG_FUNCTION)) {
    const body = readNix(text.slice(CONFIG_FUNCTION.length), 4);
    if (body !== null && typeof body === "object" && !Array.isArray(body) && !isRaw(body)) return body;
  }
  return text;
}

function withoutKey(inputs: Inputs, key: string): Inputs {
  const { [key]: _dropped, ...rest } = inputs;
  return rest;
}
