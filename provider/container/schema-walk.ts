/**
 * Walking a zod schema along a property path: which keys an object accepts
 * (for "did you mean") and where `null` means "unset". Only the wrappers this
 * project uses are handled: object, optional, default, record, array, union.
 */
import { z } from "zod";

type AnySchema = z.core.$ZodType;

function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: AnySchema };
    if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType) s = def.innerType;
    else return s;
  }
}

function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, AnySchema> };
  return def.type === "object" ? def.shape : undefined;
}

function child(schema: AnySchema, segment: PropertyKey): AnySchema | undefined {
  const s = unwrap(schema);
  const def = s._zod.def as { type: string; shape?: Record<string, AnySchema>; valueType?: AnySchema; element?: AnySchema; options?: AnySchema[] };
  if (def.type === "object") return def.shape?.[String(segment)];
  if (def.type === "record") return def.valueType;
  if (def.type === "array") return def.element;
  if (def.type === "union") {
    for (const option of def.options ?? []) {
      const found = child(option, segment);
      if (found) return found;
    }
  }
  return undefined;
}

/** The property names accepted at `path`, or [] when it is not an object. */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let s: AnySchema | undefined = schema;
  for (const segment of path) {
    s = s && child(s, segment);
  }
  const shape = s && objectShape(s);
  return shape ? Object.keys(shape) : [];
}

/**
 * A copy of `value` without null-valued properties, descending only into the
 * schema's own objects, lists and maps (never into free-form Nix values).
 */
export function withoutNulls(schema: AnySchema, value: unknown): unknown {
  const s = unwrap(schema);
  const def = s._zod.def as { type: string; shape?: Record<string, AnySchema>; valueType?: AnySchema; element?: AnySchema };
  if (def.type === "object" && def.shape && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === null) continue;
      const sub = def.shape[key];
      out[key] = sub ? withoutNulls(sub, v) : v;
    }
    return out;
  }
  if (def.type === "record" && def.valueType && isPlainObject(value)) {
    const valueType = def.valueType;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNulls(valueType, v)]));
  }
  if (def.type === "array" && def.element && Array.isArray(value)) {
    const element = def.element;
    return value.map((v) => withoutNulls(element, v));
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
