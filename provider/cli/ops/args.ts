/** Command-line options of the operations commands (node:util parseArgs; `--` ends them). */
import { parseArgs } from "node:util";
import type { StackOptions } from "./stack";
import { UsageError } from "../../errors";


type Spec = Record<string, { type: "string" | "boolean"; short?: string }>;

const STACK_OPTIONS: Spec = { stack: { type: "string", short: "s" }, cwd: { type: "string", short: "C" } };

export interface Parsed {
  stack: StackOptions;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The arguments after `--`, verbatim. */
  rest: string[] | undefined;
}

export function parseOptions(command: string, args: readonly string[], spec: Spec = {}): Parsed {
  const dash = args.indexOf("--");
  const before = dash >= 0 ? args.slice(0, dash) : [...args];
  try {
    const { values, positionals } = parseArgs({ args: before, options: { ...STACK_OPTIONS, ...spec }, allowPositionals: true, strict: true });
    const v = values as Record<string, string | boolean | undefined>;
    return {
      stack: { stack: v.stack as string | undefined, cwd: v.cwd as string | undefined },
      values: v,
      positionals,
      rest: dash >= 0 ? args.slice(dash + 1) : undefined,
    };
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
}

/** A non-negative integer option, or a usage error naming it. */
export function countOption(command: string, option: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${command}: ${option} expects a whole number, got "${String(value)}"`);
  return n;
}
