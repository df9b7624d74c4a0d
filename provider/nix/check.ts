/**
 * The validator: finds everything in a value that has no Nix rendering, and
 * says where. Nothing is ever dropped or converted silently; the only lenient
 * rules are the JSON ones: an object member whose value is `undefined` is
 * omitted, and `null` is Nix `null`.
 *
 * Messages are `path: message`, with the path written like a Nix attribute
 * path plus list indexes: `config.services.nginx.port: NaN cannot be
 * represented in Nix`, `config.users."a b".list[2]: ...`.
 */
import type { NixValue } from "./types";
import { isPlainObject } from "./plain";
import { RAW_KEY } from "./raw";
import { textProblem } from "./escape";
import { numberProblem } from "./number";
import { ProviderError } from "../errors";

/**
 * Deeper values are refused: rendering and checking recurse, and no Nix
 * configuration is anywhere near this deep, so the limit only turns a stack
 * overflow into a clear message.
 */
export const MAX_NIX_DEPTH = 1000;

/** A value that cannot be rendered to Nix: each problem with its path. */
export class NixValueError extends ProviderError {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/** `path: message` lines for every part of `v` that cannot be rendered; empty if none. */
export function checkNixValue(v: unknown, path = "value"): string[] {
  const problems: string[] = [];
  const onStack = new Map<object, string>();

  const report = (at: string, message: string): void => {
    problems.push(`${at || "value"}: ${message}`);
  };

  const visit = (x: unknown, at: string, depth: number): void => {
    switch (typeof x) {
      case "boolean":
        return;
      case "string": {
        const problem = textProblem(x);
        if (problem) report(at, `string ${problem}`);
        return;
      }
      case "number": {
        const problem = numberProblem(x);
        if (problem) report(at, problem);
        return;
      }
      case "bigint":
        report(at, `a bigint cannot be a Nix value here (Pulumi cannot serialize it); use a number within ±(2^53-1), or raw Nix: nix\`\${${x}n}\``);
        return;
      case "undefined":
        report(at, "undefined cannot be represented in Nix (use null; object members that are undefined are omitted)");
        return;
      case "function":
        report(at, "a function cannot be represented in Nix (write Nix functions as raw Nix, e.g. nix`x: x`)");
        return;
      case "symbol":
        report(at, "a symbol cannot be represented in Nix");
        return;
    }
    if (x === null) return;
    const obj = x as object;
    if (depth >= MAX_NIX_DEPTH) {
      report(at, `nesting deeper than ${MAX_NIX_DEPTH} levels cannot be rendered`);
      return;
    }
    const seenAt = onStack.get(obj);
    if (seenAt !== undefined) {
      report(at, `cyclic structure: this is the same object as its ancestor ${seenAt || "value"}`);
      return;
    }
    if (Array.isArray(obj)) {
      onStack.set(obj, at);
      for (let i = 0; i < obj.length; i++) {
        const itemPath = `${at}[${i}]`;
        if (!(i in obj)) report(itemPath, "an empty array slot cannot be represented in a Nix list (use null, or leave it out)");
        else if (obj[i] === undefined) report(itemPath, "undefined cannot be represented in a Nix list (use null, or leave it out)");
        else visit(obj[i], itemPath, depth + 1);
      }
      onStack.delete(obj);
      return;
    }
    if (!isPlainObject(obj)) {
      report(at, nonPlainMessage(obj));
      return;
    }
    for (const sym of Object.getOwnPropertySymbols(obj)) {
      if (Object.prototype.propertyIsEnumerable.call(obj, sym)) {
        report(at, `the property keyed by ${String(sym)} cannot be represented in Nix (attribute names are strings)`);
      }
    }
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
    if (keys.includes(RAW_KEY)) {
      checkRaw(obj, keys, at);
      return;
    }
    onStack.set(obj, at);
    for (const k of keys) {
      const memberPath = joinPath(at, k);
      const nameProblem = textProblem(k);
      if (nameProblem) report(memberPath, `attribute name ${nameProblem}`);
      else visit(obj[k], memberPath, depth + 1);
    }
    onStack.delete(obj);
  };

  const checkRaw = (obj: Record<string, unknown>, keys: string[], at: string): void => {
    const others = keys.filter((k) => k !== RAW_KEY);
    const text = obj[RAW_KEY];
    if (others.length > 0) {
      report(at, `an object with "${RAW_KEY}" is raw Nix and must have no other keys (found: ${others.map((k) => JSON.stringify(k)).join(", ")})`);
    } else if (typeof text !== "string") {
      report(joinPath(at, RAW_KEY), `raw Nix must be a string, got ${describe(text)} (an attribute named "${RAW_KEY}" can only be written in raw Nix)`);
    } else if (text.trim() === "") {
      report(at, "raw Nix expression is empty");
    } else {
      const problem = textProblem(text);
      if (problem) report(at, `raw Nix ${problem}`);
    }
  };

  visit(v, path, 0);
  return problems;
}

/** Type guard form of `checkNixValue`. */
export function isNixValue(v: unknown): v is NixValue {
  return checkNixValue(v).length === 0;
}

/** Throws a `NixValueError` listing every problem, unless `v` can be rendered. */
export function assertNixValue(v: unknown, path = "value"): asserts v is NixValue {
  const problems = checkNixValue(v, path);
  if (problems.length > 0) throw new NixValueError(problems);
}

/** Appends an attribute name to a path, quoted (JSON-style) unless it is a plain identifier. */
export function joinPath(path: string, key: string): string {
  const part = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(key) ? key : JSON.stringify(key);
  return path === "" ? part : `${path}.${part}`;
}

function nonPlainMessage(obj: object): string {
  if ((obj as { __pulumiOutput?: unknown }).__pulumiOutput === true) {
    return "a Pulumi Output cannot be rendered directly; render inside .apply() (or pulumi.all(...).apply())";
  }
  const name = (obj as { constructor?: { name?: unknown } }).constructor?.name;
  const what = typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object with a custom prototype";
  const hint =
    name === "Date" ? " (convert it, e.g. to an ISO string)" :
    name === "Map" ? " (use a plain object)" :
    name === "Set" ? " (use an array)" :
    name === "Promise" ? " (await it first)" : "";
  return `${what} cannot be represented in Nix; only plain objects, arrays, strings, numbers, booleans and null can${hint}`;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}
