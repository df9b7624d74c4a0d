/**
 * Option reference in Markdown, rendered from schema.json (not from zod), so
 * the docs show exactly the public contract.
 */
import type { PackageSchema } from "./package-schema";
import type { PropertySpec, ObjectTypeSpec, EnumTypeSpec } from "./zod-to-pulumi";

function typeName(spec: PropertySpec, schema: PackageSchema): string {
  if (spec.$ref === "pulumi.json#/Any") return "any";
  if (spec.$ref) {
    const token = spec.$ref.replace("#/types/", "");
    const short = token.split(":").pop()!;
    const type = schema.types[token];
    if (type && "enum" in type) return (type as EnumTypeSpec).enum.map((e) => `"${e.value}"`).join(" | ");
    return `[${short}](#${short.toLowerCase()})`;
  }
  if (spec.oneOf) return spec.oneOf.map((s) => typeName(s, schema)).join(" | ");
  if (spec.type === "array") return `list of ${typeName(spec.items!, schema)}`;
  if (spec.type === "object" && spec.additionalProperties) return `map of ${typeName(spec.additionalProperties, schema)}`;
  return spec.type ?? "any";
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function propertyRows(properties: Record<string, PropertySpec>, required: string[], schema: PackageSchema, withNixos: boolean): string[] {
  const header = withNixos
    ? ["| Property | Type | Default | NixOS option | Description |", "| --- | --- | --- | --- | --- |"]
    : ["| Property | Type | Default | Description |", "| --- | --- | --- | --- |"];
  const rows = Object.entries(properties).map(([key, spec]) => {
    const flags = [required.includes(key) ? "**required**" : "", spec.secret ? "**secret**" : "", spec.replaceOnChanges ? "replaces on change" : ""]
      .filter(Boolean)
      .join(", ");
    const name = `\`${key}\`${flags ? ` (${flags})` : ""}`;
    // Defaults schema `default` cannot carry are documented under language.nixos (see propertySpec).
    const shown = spec.default !== undefined ? spec.default : spec.language?.nixos.default;
    const def = shown === undefined ? "" : `\`${JSON.stringify(shown)}\``;
    const nixos = spec.language?.nixos;
    const option = nixos?.option ? `\`${nixos.option}\`${nixos.since ? ` (NixOS ${nixos.since}+)` : ""}` : "";
    const cells = withNixos
      ? [name, cell(typeName(spec, schema)), def, option, cell(spec.description ?? "")]
      : [name, cell(typeName(spec, schema)), def, cell(spec.description ?? "")];
    return `| ${cells.join(" | ")} |`;
  });
  return [...header, ...rows];
}

export function renderOptionsMarkdown(schema: PackageSchema, headingLevel = 2): string {
  const h = "#".repeat(headingLevel);
  const resource = Object.values(schema.resources)[0];
  const inputKeys = new Set(Object.keys(resource.inputProperties));
  const outputsOnly = Object.fromEntries(Object.entries(resource.properties).filter(([k]) => !inputKeys.has(k)));
  const lines: string[] = [
    `${h} NixosContainer inputs`,
    "",
    "Options without a default in this table are left out of the module when unset, so NixOS applies its own default. Options marked with a NixOS version need a host at that version or later.",
    "",
    ...propertyRows(resource.inputProperties, resource.requiredInputs, schema, true),
    "",
    `${h} NixosContainer outputs`,
    "",
    "Every input is also an output. In addition:",
    "",
    ...propertyRows(outputsOnly, resource.required, schema, false),
    "",
    `${h} Provider configuration`,
    "",
    "Settings of the provider plugin (`pulumi-resource-nixos`, for Python, YAML and Go programs, and TypeScript programs that use it), from stack config: `pulumi config set nixos:<key> …`, secrets with `--secret` (a key from stdin: `pulumi config set --secret nixos:privateKey < ~/.ssh/id_ed25519`). The TypeScript SDK's dynamic provider does not read them.",
    "",
    ...propertyRows(Object.fromEntries(Object.entries(schema.config.variables).map(([k, v]) => [`nixos:${k}`, v])), [], schema, false),
  ];
  // The resources that hold several containers (NixosHost) or hosts (NixosFleet): their own inputs.
  for (const [token, other] of Object.entries(schema.resources).slice(1)) {
    const kind = token.split(":").pop();
    lines.push("", `${h} ${kind} inputs`, "", other.description, "", ...propertyRows(other.inputProperties, other.requiredInputs, schema, false));
  }
  for (const [token, type] of Object.entries(schema.types)) {
    if (!("properties" in type)) continue;
    const object = type as ObjectTypeSpec;
    lines.push("", `${h}# ${token.split(":").pop()}`, "", object.description ?? "", "", ...propertyRows(object.properties, object.required ?? [], schema, false));
  }
  return lines.join("\n") + "\n";
}
