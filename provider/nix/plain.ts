/**
 * What counts as a "plain object" in the Nix value model: an object literal or
 * `Object.create(null)`, i.e. something whose only meaning is its own
 * enumerable properties. Class instances (Date, Map, Buffer, Pulumi Outputs,
 * user classes) carry meaning that JSON and Nix cannot express, so they are
 * refused rather than flattened.
 *
 * The prototype test is realm-independent on purpose: jest runs modules in a
 * vm context, and values built there have that context's Object.prototype.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
