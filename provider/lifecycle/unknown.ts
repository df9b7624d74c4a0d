/** Values Pulumi does not know yet during preview arrive as this sentinel string (reference pulumi.md 1.5). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Paths (as arrays) of every unknown value inside `value`. */
export function unknownPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === UNKNOWN) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, [...path, i]));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, [...path, k]));
  return [];
}
