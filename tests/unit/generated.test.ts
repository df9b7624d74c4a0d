/**
 * schema.json is the public contract. These tests prove that the zod schema
 * (the validator and the TypeScript types), schema.json and the docs agree.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { generatedArtefacts } from "../../provider/schema/generate";
import { NixosContainerInputsSchema } from "../../provider/container/schema";
import { ConnectionSchema, CONNECTION_SECRET_KEYS } from "../../provider/inputs/connection";
import type { NixosContainerArgs } from "../../sdk/args";

const ROOT = join(__dirname, "..", "..");
const schema = JSON.parse(readFileSync(join(ROOT, "schema.json"), "utf8"));
const resource = schema.resources["nixos:index:NixosContainer"];

it.each(generatedArtefacts(ROOT).map((a) => [a.path.slice(ROOT.length + 1), a] as const))("%s is up to date (make generate)", (_name, artefact) => {
  expect(readFileSync(artefact.path, "utf8")).toBe(artefact.content);
});

/** zod's own JSON Schema view, independent of the generator under test. */
function jsonSchemaOf(s: z.ZodType) {
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as { properties: Record<string, { default?: unknown }>; required?: string[] };
}

describe("schema.json agrees with the zod schema", () => {
  const inputs = jsonSchemaOf(NixosContainerInputsSchema);

  it("has exactly the same input properties", () => {
    expect(Object.keys(resource.inputProperties).sort()).toEqual(Object.keys(inputs.properties).sort());
  });

  it("has the same required inputs", () => {
    expect([...resource.requiredInputs].sort()).toEqual([...(inputs.required ?? [])].filter((k) => inputs.properties[k].default === undefined).sort());
  });

  it("has the same connection properties, with exactly the credentials secret", () => {
    const connection = schema.types["nixos:index:Connection"];
    expect(Object.keys(connection.properties).sort()).toEqual(Object.keys(jsonSchemaOf(ConnectionSchema).properties).sort());
    const secret = Object.entries(connection.properties as Record<string, { secret?: boolean }>).filter(([, p]) => p.secret).map(([k]) => k);
    expect(secret.sort()).toEqual([...CONNECTION_SECRET_KEYS].sort());
    const jump = schema.types["nixos:index:JumpHost"];
    expect(Object.entries(jump.properties as Record<string, { secret?: boolean }>).filter(([, p]) => p.secret).map(([k]) => k).sort()).toEqual(
      CONNECTION_SECRET_KEYS.filter((k) => k !== "sudoPassword").sort(),
    );
  });

  it("gives every property a description", () => {
    const missing: string[] = [];
    for (const [k, p] of Object.entries(resource.properties as Record<string, { description?: string }>)) if (!p.description) missing.push(k);
    for (const [t, type] of Object.entries(schema.types as Record<string, { properties?: Record<string, { description?: string }> }>))
      for (const [k, p] of Object.entries(type.properties ?? {})) if (!p.description) missing.push(`${t}.${k}`);
    expect(missing).toEqual([]);
  });

  it("covers every per-container option of NixOS (reference/nixos-containers.md section A)", () => {
    const options = [
      "config", "path", "flake", "nixpkgs", "specialArgs", "additionalCapabilities", "ephemeral", "enableTun", "copyResolvConf",
      "privateNetwork", "networkNamespace", "privateUsers", "interfaces", "macvlans", "extraVeths", "autoStart", "restartIfChanged",
      "timeoutStartSec", "bindMounts", "allowedDevices", "tmpfs", "extraFlags", "hostBridge", "forwardPorts", "hostAddress",
      "hostAddress6", "localAddress", "localAddress6", "localMacAddress",
    ];
    for (const o of options) expect(resource.inputProperties[o]?.language?.nixos?.option).toBe(`containers.<name>.${o}`);
  });

  it("replaces on the name and the host's address and port", () => {
    expect(resource.inputProperties.name.replaceOnChanges).toBe(true);
    const connection = schema.types["nixos:index:Connection"].properties;
    expect(connection.host.replaceOnChanges).toBe(true);
    expect(connection.port.replaceOnChanges).toBe(true);
    expect(connection.user.replaceOnChanges).toBeUndefined();
  });
});

describe("the SDK argument type agrees with schema.json", () => {
  // Compile-time: a key missing from either side fails type checking of this file.
  type SdkKeys = keyof NixosContainerArgs;
  type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
  const sdkKeysMatch: Exact<SdkKeys, Exclude<keyof z.input<typeof NixosContainerInputsSchema>, "nixConfig">> = true;

  it("has every input but nixConfig (which the SDK computes)", () => {
    expect(sdkKeysMatch).toBe(true);
    const sdkKeys: Record<SdkKeys, true> = Object.fromEntries(Object.keys(resource.inputProperties).filter((k) => k !== "nixConfig").map((k) => [k, true])) as never;
    expect(Object.keys(sdkKeys).length).toBe(Object.keys(resource.inputProperties).length - 1);
  });
});

describe("the docs agree with schema.json", () => {
  const docs = readFileSync(join(ROOT, "docs", "options.md"), "utf8");
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  it.each(Object.keys(resource.inputProperties))("documents %s in docs/options.md and the README", (key) => {
    expect(docs).toContain(`| \`${key}\``);
    expect(readme).toContain(`| \`${key}\``);
  });

  // Schema `default` carries only the provider's scalar defaults (Pulumi refuses the others, and
  // NixOS's must stay unset): the docs still give every default, from zod's own view of them.
  const defaults = Object.entries(jsonSchemaOf(NixosContainerInputsSchema).properties as Record<string, { default?: unknown; nixosDefault?: unknown }>)
    .map(([key, p]) => [key, p.default !== undefined ? p.default : p.nixosDefault] as const)
    .filter(([, d]) => d !== undefined);
  it.each(defaults)("gives the default of %s in docs/options.md and the README", (key, d) => {
    for (const text of [docs, readme]) {
      const row = text.split("\n").find((line) => line.startsWith(`| \`${key}\``));
      expect(row).toContain(`| \`${JSON.stringify(d)}\` |`);
    }
  });

  it("puts in schema `default` only the provider's own scalar defaults", () => {
    const schemaDefaults = Object.entries(resource.inputProperties as Record<string, { default?: unknown }>)
      .filter(([, p]) => p.default !== undefined)
      .map(([key, p]) => [key, p.default]);
    const own = Object.entries(jsonSchemaOf(NixosContainerInputsSchema).properties).filter(([, p]) => p.default !== undefined && typeof p.default !== "object");
    expect(Object.fromEntries(schemaDefaults)).toEqual(Object.fromEntries(own.map(([key, p]) => [key, p.default])));
  });
});
