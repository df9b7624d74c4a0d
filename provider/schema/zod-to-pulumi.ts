/**
 * Translation of the provider's zod schemas into Pulumi package-schema
 * property specs. It understands exactly the zod constructs the schemas use
 * and throws on anything else, so a new construct cannot slip through
 * undocumented.
 */
import { z } from "zod";
import "../inputs/meta";
import type { OptionMeta } from "../inputs/meta";

type AnySchema = z.core.$ZodType;

export interface PropertySpec {
  type?: string;
  $ref?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
  oneOf?: PropertySpec[];
  description?: string;
  default?: unknown;
  secret?: boolean;
  replaceOnChanges?: boolean;
  language?: { nixos: NixosPropertyInfo };
}

/**
 * The package's own extension of a property (Pulumi keeps `language.<name>`
 * for tools and ignores names it does not know). `default` is the documented
 * default where schema `default` cannot carry it: see `propertySpec`.
 */
export interface NixosPropertyInfo {
  option?: string;
  since?: string;
  default?: unknown;
}

export interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}

export interface EnumTypeSpec {
  type: "string";
  description?: string;
  enum: { value: string; name: string }[];
}

/** Named types: every zod object and enum that has a name here becomes `#/types/<token>`. */
export class TypeRegistry {
  readonly types: Record<string, ObjectTypeSpec | EnumTypeSpec> = {};
  private readonly names = new Map<AnySchema, string>();

  constructor(private readonly pkg: string) {}

  name(schema: AnySchema, typeName: string): void {
    this.names.set(schema, `${this.pkg}:index:${typeName}`);
  }

  tokenOf(schema: AnySchema): string | undefined {
    return this.names.get(schema);
  }
}

function metaOf(schema: AnySchema): Partial<OptionMeta> {
  return (z.globalRegistry.get(schema) as Partial<OptionMeta> | undefined) ?? {};
}

function def(schema: AnySchema): { type: string; [k: string]: unknown } {
  return schema._zod.def as { type: string };
}

/** Peel optional/default wrappers, collecting their metadata and default. */
function peel(schema: AnySchema): { inner: AnySchema; optional: boolean; defaultValue?: unknown; meta: Partial<OptionMeta> } {
  let s = schema;
  let optional = false;
  let defaultValue: unknown;
  let meta: Partial<OptionMeta> = { ...metaOf(s) };
  for (;;) {
    const d = def(s);
    if (d.type === "optional" || d.type === "nullable") optional = true;
    else if (d.type === "default") {
      optional = true;
      const v = d.defaultValue;
      defaultValue = typeof v === "function" ? (v as () => unknown)() : v;
    } else break;
    s = d.innerType as AnySchema;
    meta = { ...metaOf(s), ...meta };
  }
  return { inner: s, optional, defaultValue, meta };
}

export function propertySpec(registry: TypeRegistry, schema: AnySchema): { spec: PropertySpec; required: boolean } {
  const { inner, optional, defaultValue, meta } = peel(schema);
  const spec: PropertySpec = { ...typeSpec(registry, inner) };
  if (meta.description) spec.description = meta.description;
  // Schema `default` is what generated SDKs fill in when the property is unset,
  // so it carries only the provider's own defaults, and only scalars (Pulumi's
  // schema validation refuses array, object and Any defaults). NixOS's defaults
  // are left unset on purpose (the option stays out of the module): they, and
  // non-scalar defaults, are documented under language.nixos.default.
  const schemaDefault = defaultValue !== undefined && isScalar(spec, registry) ? defaultValue : undefined;
  const documentedDefault = defaultValue !== undefined ? defaultValue : (meta.nixosDefault ?? meta.providerDefault);
  if (schemaDefault !== undefined) spec.default = schemaDefault;
  if (meta.secret) spec.secret = true;
  if (meta.replaceOnChanges) spec.replaceOnChanges = true;
  const nixos: NixosPropertyInfo = {
    ...(meta.nixosOption && { option: meta.nixosOption }),
    ...(meta.nixosSince && { since: meta.nixosSince }),
    ...(schemaDefault === undefined && documentedDefault !== undefined && { default: documentedDefault }),
  };
  if (Object.keys(nixos).length > 0) spec.language = { nixos };
  return { spec, required: !optional };
}

/** The types a schema `default` may have: boolean, integer, number, string, and enums of them. */
function isScalar(spec: PropertySpec, registry: TypeRegistry): boolean {
  if (spec.$ref?.startsWith("#/types/")) return "enum" in (registry.types[spec.$ref.slice("#/types/".length)] ?? {});
  return spec.type === "boolean" || spec.type === "integer" || spec.type === "number" || spec.type === "string";
}

/**
 * Whether a value of this property can hold a secret. Generated SDKs honour
 * `secret` only on a resource's own properties, not inside object types, so a
 * resource property that holds secrets is marked secret as a whole (as
 * pulumi-command marks its `connection`).
 */
export function holdsSecret(spec: PropertySpec, types: Record<string, ObjectTypeSpec | EnumTypeSpec>, seen = new Set<string>()): boolean {
  if (spec.secret) return true;
  if (spec.items) return holdsSecret(spec.items, types, seen);
  if (spec.additionalProperties) return holdsSecret(spec.additionalProperties, types, seen);
  if (spec.oneOf) return spec.oneOf.some((s) => holdsSecret(s, types, seen));
  if (!spec.$ref?.startsWith("#/types/")) return false;
  const token = spec.$ref.slice("#/types/".length);
  const type = types[token];
  if (seen.has(token) || !type || !("properties" in type)) return false;
  seen.add(token);
  return Object.values(type.properties).some((p) => holdsSecret(p, types, seen));
}

function typeSpec(registry: TypeRegistry, schema: AnySchema): PropertySpec {
  const d = def(schema);
  const token = registry.tokenOf(schema);
  if (token) {
    registerType(registry, token, schema);
    return { $ref: `#/types/${token}` };
  }
  switch (d.type) {
    case "string":
      return { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "number":
      return { type: isInteger(schema) ? "integer" : "number" };
    case "enum":
      return { type: "string" };
    case "array":
      return { type: "array", items: typeSpec(registry, d.element as AnySchema) };
    case "record":
      return { type: "object", additionalProperties: typeSpec(registry, d.valueType as AnySchema) };
    case "custom":
      return { $ref: "pulumi.json#/Any" };
    case "union": {
      const options = (d.options as AnySchema[]).map((o) => typeSpec(registry, o));
      if (options.some((o) => o.$ref === "pulumi.json#/Any")) return { $ref: "pulumi.json#/Any" };
      return { oneOf: options };
    }
    case "pipe":
      return typeSpec(registry, d.in as AnySchema);
    default:
      throw new Error(`zod-to-pulumi: unsupported zod type "${d.type}"`);
  }
}

function isInteger(schema: AnySchema): boolean {
  const checks = (def(schema).checks ?? []) as { _zod: { def: { check: string; format?: string } } }[];
  return checks.some((c) => c._zod.def.check === "number_format" && /int/.test(c._zod.def.format ?? ""));
}

function registerType(registry: TypeRegistry, token: string, schema: AnySchema): void {
  if (registry.types[token]) return;
  const d = def(schema);
  const description = metaOf(schema).description;
  if (d.type === "enum") {
    const values = Object.values(d.entries as Record<string, string>);
    registry.types[token] = {
      type: "string",
      ...(description && { description }),
      enum: values.map((value) => ({ value, name: value[0].toUpperCase() + value.slice(1) })),
    };
    return;
  }
  if (d.type !== "object") throw new Error(`zod-to-pulumi: named type ${token} must be an object or an enum`);
  const placeholder: ObjectTypeSpec = { type: "object", properties: {} };
  registry.types[token] = placeholder;
  const { properties, required } = objectProperties(registry, schema);
  Object.assign(placeholder, { ...(description && { description }), properties, ...(required.length > 0 && { required }) });
}

export function objectProperties(registry: TypeRegistry, schema: AnySchema): { properties: Record<string, PropertySpec>; required: string[] } {
  const shape = def(schema).shape as Record<string, AnySchema>;
  const properties: Record<string, PropertySpec> = {};
  const required: string[] = [];
  for (const [key, value] of Object.entries(shape)) {
    const { spec, required: isRequired } = propertySpec(registry, value);
    properties[key] = spec;
    if (isRequired) required.push(key);
  }
  return { properties, required };
}
