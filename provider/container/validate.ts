/**
 * Validation of NixosContainer inputs: every problem, each with the property
 * path and what to do about it, before any host is touched.
 */
import { z } from "zod";
import { NixosContainerInputsSchema, type NixosContainerArgs } from "./schema";
import { crossFieldProblems } from "./rules";
import { nameProblem } from "./names";
import { absolutePath } from "./formats";
import { nearestName } from "./suggest";
import { formatPath, type Problem } from "../inputs/problems";
import { knownKeysAt, withoutNulls } from "./schema-walk";
import { extraFlagProblems } from "./extra-flags";
import { secretProblems } from "./secrets";

/** The resources fields, qualified, so that a limit written at the top level (memoryLimit) finds its place. */
const RESOURCE_NAMES = knownKeysAt(NixosContainerInputsSchema, ["resources"]).map((k) => `resources.${k}`);

export { formatProblems, type Problem } from "../inputs/problems";

/** Validated inputs, with the container name resolved and defaults applied. */
export type ContainerSpec = NixosContainerArgs & { name: string };

export interface ValidationResult {
  spec?: ContainerSpec;
  errors: Problem[];
  warnings: Problem[];
}

/**
 * Validate raw inputs. `defaultName` (the Pulumi resource name) is used when
 * `name` is unset. `null` on a structured option means "unset", as JavaScript
 * and YAML callers write it; inside `config` and `specialArgs` it is Nix `null`.
 */
export function validateContainer(input: unknown, defaultName?: string): ValidationResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { errors: [{ path: [], message: "expected an object with the NixosContainer arguments" }], warnings: [] };
  }
  const parsed = NixosContainerInputsSchema.safeParse(withoutNulls(NixosContainerInputsSchema, input), { reportInput: true });
  const errors: Problem[] = parsed.success ? [] : parsed.error.issues.flatMap(describeIssue);

  const rawName = (input as { name?: unknown }).name;
  const name = typeof rawName === "string" ? rawName : defaultName;
  if (name === undefined) errors.push({ path: ["name"], message: "a container name is required" });
  else {
    const problem = nameProblem(name);
    if (problem) errors.push({ path: ["name"], message: problem });
  }

  if (!parsed.success || name === undefined) return { errors: sortProblems(errors), warnings: [] };
  errors.push(...bindMountKeyProblems(parsed.data), ...extraFlagProblems(parsed.data.extraFlags ?? []), ...secretProblems(parsed.data));
  const cross = crossFieldProblems(parsed.data, name);
  errors.push(...cross.errors);
  if (errors.length > 0) return { errors: sortProblems(errors), warnings: cross.warnings };
  return { spec: { ...parsed.data, name }, errors: [], warnings: cross.warnings };
}

function bindMountKeyProblems(args: NixosContainerArgs): Problem[] {
  return Object.entries(args.bindMounts ?? {})
    .filter(([key, mount]) => mount.mountPoint === undefined && !absolutePath.test(key))
    .map(([key]) => ({
      path: ["bindMounts", key],
      message: `without mountPoint, the attribute name is the mount point and must be ${absolutePath.expected}`,
    }));
}

function describeIssue(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const known = knownKeysAt(NixosContainerInputsSchema, path);
        const suggestion = nearestName(key, path.length === 0 ? [...known, ...RESOURCE_NAMES] : known);
        const hint = suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; known properties: ${known.join(", ")}` : "";
        return { path: [...path, key], message: `unknown property${hint}` };
      });
    case "invalid_type":
      return [{ path, message: describeTypeIssue(issue, path[0] === "connection" || path[0] === "secrets") }];
    case "invalid_key":
      // A record key that fails its format (extraVeths names): say what a valid key looks like.
      return [{ path, message: issue.issues.map((i) => i.message).join("; ") || "invalid key" }];
    case "invalid_union":
      return [{ path, message: issue.message.replace(/^Invalid input$/, "value has the wrong shape") }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** Values under `connection` and `secrets` may be credentials put in the wrong place: never echo them. */
function describeTypeIssue(issue: z.core.$ZodIssueInvalidType, sensitive: boolean): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) return "is required";
  const expected = issue.message.startsWith("Invalid input") ? `expected ${article(issue.expected)}` : issue.message;
  if (sensitive) return `${expected}, got ${Array.isArray(input) ? "a list" : input === null ? "null" : `a ${typeof input}`}`;
  if (typeof input === "string" && (issue.expected === "number" || issue.expected === "int") && input.trim() !== "" && !Number.isNaN(Number(input))) {
    return `${expected}, got the string ${JSON.stringify(input)}; write ${input.trim()} without quotes`;
  }
  if (typeof input === "string" && issue.expected === "boolean" && /^(true|false)$/i.test(input)) {
    return `${expected}, got the string ${JSON.stringify(input)}; write ${input.toLowerCase()} without quotes`;
  }
  return `${expected}, got ${describeValue(input)}`;
}

function article(type: string): string {
  if (type === "int") return "an integer";
  if (type === "object") return "an object";
  if (type === "array") return "a list";
  return `a ${type}`;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => formatPath(a.path).localeCompare(formatPath(b.path)));
}
