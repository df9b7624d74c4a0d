/**
 * `preview-md`: the JSON of `pulumi preview --json` in, Markdown for a
 * pull-request comment out. Pure: no I/O, no clock, deterministic order.
 *
 * Per host and container it says what happens (create / update / replace /
 * delete) and, for updates and replaces, shows a unified diff of the Nix
 * module (`nixConfig`) from the old to the new inputs. Other resources are
 * only counted. Secret values never appear: Pulumi blinds them as
 * `"[secret]"` in this JSON, and credential fields are withheld even when
 * they arrive in clear.
 *
 * The shape of the input (reference pulumi.md section 6, and a real capture in
 * tests/unit/golden/preview-md/preview.json):
 *   { steps: [{ op, urn, provider?, oldState?, newState?, diffReasons?,
 *               replaceReasons?, detailedDiff }], changeSummary, duration,
 *     diagnostics?, config? }
 * `same` steps are left out by the CLI unless `--show-sames` (the root stack
 * is always there), and a replacement is one logical `replace` step unless
 * `--show-replacement-steps` adds `create-replacement` / `delete-replaced`.
 */

import { splitLines, unifiedDiff } from "./line-diff";
import { FLEET_TYPE, HOST_TYPE, expandFleetStep, expandHostStep } from "./preview-md-host";
import { ProviderError } from "../errors";
import { dynamicType } from "../lifecycle/kinds";
import type { Json, Obj, State, Step } from "./preview-json";

/** The type token of a NixosContainer (sdk/nixos-container.ts). */
export const CONTAINER_TYPE = dynamicType("NixosContainer");
/** How Pulumi serializes a value that is unknown during preview. */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const BLINDED = "[secret]";
const COMPUTED = "(computed during the update)";

/**
 * Properties whose values are credentials wherever they occur (the
 * connection and its jumpHost): never printed, even in clear. Covers
 * CONNECTION_SECRET_KEYS of provider/host/connection.ts (a unit test checks).
 */
export const CREDENTIAL_KEYS: readonly string[] = ["privateKey", "privateKeyPassphrase", "password", "sudoPassword"];

/** The input is not the JSON of `pulumi preview --json`. */
export class PreviewJsonError extends ProviderError {
  constructor(message: string) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// Reading the preview JSON
// ---------------------------------------------------------------------------

function isObject(value: Json): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value Pulumi blinded: "[secret]", or a secret signature object (with or without its value). */
function isBlinded(value: Json): boolean {
  return value === BLINDED || (isObject(value) && value[SECRET_SIG_KEY] === SECRET_SIG_VALUE);
}

function isUnknown(value: Json): boolean {
  return value === UNKNOWN_SENTINEL;
}

/** A string that is really there: not blinded, not unknown. */
function clearString(value: Json): string | undefined {
  return typeof value === "string" && !isBlinded(value) && !isUnknown(value) ? value : undefined;
}

function readState(value: Json, where: string): State | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new PreviewJsonError(`${where} is not an object`);
  return {
    type: typeof value.type === "string" ? value.type : undefined,
    id: typeof value.id === "string" ? value.id : undefined,
    inputs: isObject(value.inputs) ? value.inputs : {},
    outputs: isObject(value.outputs) ? value.outputs : {},
  };
}

/** `urn:pulumi:<stack>::<project>::<parent$...$type>::<name>` (the name may itself contain "::"). */
function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) return { type: "", name: urn };
  const qualified = parts[2];
  return { type: qualified.slice(qualified.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

interface Preview {
  steps: Step[];
  errors: number;
  maybeCorrupt: boolean;
  /** Every clear credential value found anywhere in the input, to scrub from the output. */
  leaked: string[];
}

function readPreview(json: Json): Preview {
  if (Array.isArray(json)) {
    throw new PreviewJsonError("expected the JSON object printed by `pulumi preview --json`, got an array");
  }
  if (!isObject(json)) {
    throw new PreviewJsonError(`expected the JSON object printed by \`pulumi preview --json\`, got ${json === null ? "null" : typeof json}`);
  }
  if (!("steps" in json) && !("changeSummary" in json)) {
    const hint = "deployment" in json ? " (this looks like `pulumi stack export` output)" : "";
    throw new PreviewJsonError(`not \`pulumi preview --json\` output: no "steps" or "changeSummary"${hint}`);
  }
  const rawSteps = json.steps ?? [];
  if (!Array.isArray(rawSteps)) throw new PreviewJsonError(`not \`pulumi preview --json\` output: "steps" is not an array`);
  const steps = rawSteps.map((raw, i): Step => {
    const where = `steps[${i}]`;
    if (!isObject(raw)) throw new PreviewJsonError(`${where} is not an object`);
    if (typeof raw.op !== "string" || typeof raw.urn !== "string") throw new PreviewJsonError(`${where} has no "op" and "urn"`);
    const old = readState(raw.oldState, `${where}.oldState`);
    const nu = readState(raw.newState, `${where}.newState`);
    const reasons = Array.isArray(raw.replaceReasons) ? raw.replaceReasons.filter((r): r is string => typeof r === "string") : [];
    return { op: raw.op, urn: raw.urn, type: nu?.type ?? old?.type ?? parseUrn(raw.urn).type, old, new: nu, replaceReasons: reasons };
  });
  const diagnostics = Array.isArray(json.diagnostics) ? json.diagnostics : [];
  const errors = diagnostics.filter((d) => isObject(d) && d.severity === "error").length;
  const leaked = new Set<string>();
  for (const step of steps) for (const state of [step.old, step.new]) if (state) collectLeaks([state.inputs, state.outputs], false, leaked);
  return { steps, errors, maybeCorrupt: json.maybeCorrupt === true, leaked: [...leaked] };
}

/** Clear strings under credential keys, and the values of secret signature objects. */
function collectLeaks(value: Json, credential: boolean, into: Set<string>): void {
  if (typeof value === "string") {
    if (credential && !isBlinded(value) && !isUnknown(value)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectLeaks(item, credential, into);
  } else if (isObject(value)) {
    const sig = value[SECRET_SIG_KEY] === SECRET_SIG_VALUE;
    for (const [key, item] of Object.entries(value)) {
      if (sig && key === "plaintext" && typeof item === "string") {
        into.add(item);
        try {
          collectLeaks(JSON.parse(item), true, into);
        } catch {
          // not JSON: the string itself is already collected
        }
      } else if (!(sig && key === SECRET_SIG_KEY)) {
        collectLeaks(item, credential || sig || CREDENTIAL_KEYS.includes(key), into);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// One container change
// ---------------------------------------------------------------------------

const UNKNOWN_HOST = "(unknown host)";

interface ContainerChange {
  op: string;
  urn: string;
  name: string;
  oldName?: string;
  host: string;
  oldHost?: string;
  step: Step;
}

function hostOfConnection(connection: Json): string | undefined {
  if (!isObject(connection)) return undefined;
  const host = clearString(connection.host);
  if (host === undefined) return undefined;
  const port = connection.port;
  const plainPort = typeof port === "number" || (typeof port === "string" && /^\d+$/.test(port)) ? String(port) : undefined;
  return plainPort === undefined || plainPort === "22" ? host : `${host}:${plainPort}`;
}

function newHost(state: State | undefined): string | undefined {
  if (!state) return undefined;
  return hostOfConnection(state.inputs.connection) ?? hostOfConnection(state.outputs.connection) ?? clearString(state.outputs.host);
}

function oldHost(state: State | undefined): string | undefined {
  if (!state) return undefined;
  const id = clearString(state.id);
  const fromId = id !== undefined && id.includes("/") ? id.slice(0, id.lastIndexOf("/")) : undefined;
  return newHost(state) ?? fromId;
}

function nameOf(state: State | undefined): string | undefined {
  if (!state) return undefined;
  const id = clearString(state.id);
  return clearString(state.inputs.name) ?? clearString(state.outputs.name) ?? (id?.includes("/") ? id.slice(id.lastIndexOf("/") + 1) : undefined);
}

function containerChange(step: Step, op: string): ContainerChange {
  const newName = nameOf(step.new);
  const oldName = nameOf(step.old);
  const name = newName ?? oldName ?? parseUrn(step.urn).name;
  const fromHost = oldHost(step.old);
  const host = newHost(step.new) ?? fromHost ?? UNKNOWN_HOST;
  return {
    op,
    urn: step.urn,
    name,
    oldName: oldName !== undefined && oldName !== name ? oldName : undefined,
    host,
    oldHost: step.new && fromHost !== undefined && fromHost !== host ? fromHost : undefined,
    step,
  };
}

/** The old and new Nix module: text, or why there is none to show. */
type ModuleText = { text: string } | { note: string };

function moduleText(state: State | undefined, side: "old" | "new"): ModuleText {
  if (!state) return { note: side === "new" ? COMPUTED : "(none)" };
  const value = [state.inputs.nixConfig, state.outputs.nixConfig].find((v) => v !== undefined && v !== null);
  if (value === undefined || value === null || isUnknown(value)) return { note: COMPUTED };
  if (isBlinded(value)) return { note: "(secret: not shown)" };
  if (typeof value !== "string") return { note: "(not text)" };
  return { text: value };
}

// ---------------------------------------------------------------------------
// Input changes other than nixConfig
// ---------------------------------------------------------------------------

interface InputChange {
  path: string;
  from: string;
  to: string;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

function joinPath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** The value with every secret or credential replaced by "[secret]", for printing. */
function sanitize(value: Json): Json {
  if (isBlinded(value)) return BLINDED;
  if (Array.isArray(value)) return value.map(sanitize);
  if (isObject(value)) {
    const out: Obj = {};
    for (const key of Object.keys(value).sort()) {
      if (key.startsWith("__") || value[key] === undefined) continue;
      out[key] = CREDENTIAL_KEYS.includes(key) ? BLINDED : sanitize(value[key]);
    }
    return out;
  }
  return value;
}

const MAX_VALUE_CHARS = 120;

function showValue(value: Json, secret: boolean): string {
  if (value === undefined) return "(unset)";
  if (secret || isBlinded(value)) return BLINDED;
  if (isUnknown(value)) return COMPUTED;
  let text = JSON.stringify(sanitize(value)) ?? String(value);
  if (text.length > MAX_VALUE_CHARS) text = text.slice(0, MAX_VALUE_CHARS - 1) + "…";
  return code(text);
}

function inputChanges(old: Json, nu: Json, path: string, secret: boolean, out: InputChange[]): void {
  if (secret) {
    // A credential: say that it changed, never what it is. Two blinded values cannot be compared.
    if (isBlinded(old) && isBlinded(nu)) return;
    if (!deepEqual(old, nu)) out.push({ path, from: showValue(old, true), to: showValue(nu, true) });
    return;
  }
  if (isBlinded(old) || isBlinded(nu)) {
    if (isBlinded(old) && isBlinded(nu)) return;
    out.push({ path, from: showValue(old, old !== undefined), to: showValue(nu, nu !== undefined) });
    return;
  }
  if (isObject(old) && isObject(nu)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(nu)])].filter((k) => !k.startsWith("__")).sort();
    for (const key of keys) inputChanges(old[key], nu[key], joinPath(path, key), CREDENTIAL_KEYS.includes(key), out);
    return;
  }
  if (Array.isArray(old) && Array.isArray(nu)) {
    for (let i = 0; i < Math.max(old.length, nu.length); i++) inputChanges(old[i], nu[i], `${path}[${i}]`, false, out);
    return;
  }
  if (!deepEqual(old, nu)) out.push({ path, from: showValue(old, false), to: showValue(nu, false) });
}

function changedInputs(step: Step): InputChange[] {
  const strip = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([k]) => k !== "nixConfig" && !k.startsWith("__")));
  const newInputs = strip(step.new?.inputs ?? {});
  let oldInputs = strip(step.old?.inputs ?? {});
  if (Object.keys(oldInputs).length === 0 && step.old) {
    // State without inputs: compare the outputs that are also inputs.
    oldInputs = Object.fromEntries(Object.entries(strip(step.old.outputs)).filter(([k]) => k in newInputs));
  }
  const out: InputChange[] = [];
  inputChanges(oldInputs, newInputs, "", false, out);
  return out;
}

// ---------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------

/** An inline code span that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fenced block whose fence is longer than any backtick run in the text. */
function fenced(info: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  const body = text.endsWith("\n") ? text : text + "\n";
  return `${fence}${info}\n${body}${fence}`;
}

function lineCount(text: string): string {
  const n = splitLines(text).length;
  return n === 1 ? "1 line" : `${n} lines`;
}

function listWords(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

const OP_ORDER = ["create", "update", "replace", "delete"];

function compareOps(a: string, b: string): number {
  const ia = OP_ORDER.indexOf(a);
  const ib = OP_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? OP_ORDER.length : ia) - (ib === -1 ? OP_ORDER.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "create" -> "to create"; the engine's other step kinds keep their own name. */
function countPhrase(count: number, op: string): string {
  return op === "same" ? `${count} unchanged` : `${count} to ${op}`;
}

/** Collapse the steps of a replacement (shown with --show-replacement-steps) into one `replace`. */
function logicalOps(steps: Step[]): Map<Step, string> {
  const byUrn = new Map<string, Step[]>();
  for (const step of steps) byUrn.set(step.urn, [...(byUrn.get(step.urn) ?? []), step]);
  const result = new Map<Step, string>();
  for (const group of byUrn.values()) {
    const replace = group.find((s) => s.op === "replace") ?? group.find((s) => s.op === "create-replacement");
    for (const step of group) {
      if (replace) {
        if (step === replace) result.set(step, "replace");
        else if (step.op !== "create-replacement" && step.op !== "delete-replaced") result.set(step, step.op);
      } else if (step.op === "delete-replaced") {
        result.set(step, "delete");
      } else {
        result.set(step, step.op);
      }
    }
  }
  return result;
}

function renderContainer(change: ContainerChange): string[] {
  const { op, step } = change;
  const was = change.oldName !== undefined ? ` (was ${code(change.oldName)})` : "";
  const lines = [`#### ${code(change.name)}: ${op}${was}`];
  const blocks: string[] = [];

  if (change.oldHost !== undefined) blocks.push(`Moves from ${code(change.oldHost)}.`);
  if (op === "replace") {
    const reasons = [...new Set(step.replaceReasons)].sort().map(code);
    blocks.push(reasons.length > 0 ? `Replaced because ${listWords(reasons)} changed.` : "Replaced (the provider gave no reason).");
  }

  if (op === "create") {
    const mod = moduleText(step.new, "new");
    if ("text" in mod) {
      blocks.push(`<details><summary>Nix module (${lineCount(mod.text)})</summary>\n\n${fenced("nix", mod.text)}\n\n</details>`);
    } else {
      blocks.push(`Nix module: ${mod.note}`);
    }
  } else if (op === "update" || op === "replace") {
    const inputs = changedInputs(step);
    if (inputs.length > 0) blocks.push(inputs.map((c) => `- ${code(c.path)}: ${c.from} → ${c.to}`).join("\n"));
    const before = moduleText(step.old, "old");
    const after = moduleText(step.new, "new");
    if ("text" in before && "text" in after) {
      const diff = unifiedDiff(before.text, after.text, 3);
      if (diff !== "") blocks.push(fenced("diff", diff));
      else if (inputs.length > 0) blocks.push("Nix module unchanged.");
      else blocks.push("Nix module unchanged; only secret or hidden inputs differ.");
    } else {
      const show = (m: ModuleText) => ("text" in m ? `(${lineCount(m.text)})` : m.note);
      blocks.push(`Nix module: ${show(before)} → ${show(after)}`);
    }
  }
  return [...lines, ...blocks.map((b) => `\n${b}`)];
}

/**
 * Markdown for a pull-request comment from the parsed JSON of
 * `pulumi preview --json`. Throws PreviewJsonError when the value does not
 * have that shape. The result ends with a newline.
 */
export function renderPreviewMarkdown(previewJson: unknown): string {
  const preview = readPreview(previewJson);
  const ops = logicalOps(preview.steps);

  const containers: ContainerChange[] = [];
  const unchangedContainers: ContainerChange[] = [];
  const others = new Map<string, Map<string, number>>();
  for (const step of preview.steps) {
    const op = ops.get(step);
    if (op === undefined) continue;
    if (step.type === CONTAINER_TYPE) {
      (op === "same" ? unchangedContainers : containers).push(containerChange(step, op));
    } else if (step.type === HOST_TYPE || step.type === FLEET_TYPE) {
      const expanded = step.type === HOST_TYPE ? expandHostStep(step, op) : expandFleetStep(step, op);
      for (const c of expanded) (c.op === "same" ? unchangedContainers : containers).push(containerChange(c.step, c.op));
    } else {
      const byOp = others.get(step.type) ?? new Map<string, number>();
      byOp.set(op, (byOp.get(op) ?? 0) + 1);
      others.set(step.type, byOp);
    }
  }

  const hosts = new Map<string, ContainerChange[]>();
  for (const change of containers) hosts.set(change.host, [...(hosts.get(change.host) ?? []), change]);
  const hostOrder = [...hosts.keys()].sort((a, b) => (a === UNKNOWN_HOST ? 1 : b === UNKNOWN_HOST ? -1 : compareText(a, b)));

  const out: string[] = [];
  const counts = new Map<string, number>();
  for (const change of containers) counts.set(change.op, (counts.get(change.op) ?? 0) + 1);
  if (counts.size === 0) {
    out.push("**No changes to NixOS containers**");
  } else {
    const parts = [...counts.keys()].sort(compareOps).map((op) => countPhrase(counts.get(op)!, op));
    out.push(`**${parts.join(", ")}** across ${hosts.size} ${hosts.size === 1 ? "host" : "hosts"}`);
  }
  if (preview.errors > 0) {
    out.push("", `> **The preview reported ${preview.errors} ${preview.errors === 1 ? "error" : "errors"}**; the plan may be incomplete (see the CI log).`);
  }
  if (preview.maybeCorrupt) out.push("", "> **Pulumi reports that the state may be corrupt.**");

  for (const host of hostOrder) {
    out.push("", `### ${host === UNKNOWN_HOST ? host : code(host)}`);
    const group = hosts.get(host)!.sort(
      (a, b) => compareText(a.name, b.name) || compareOps(a.op, b.op) || compareText(a.urn, b.urn),
    );
    for (const change of group) out.push("", ...renderContainer(change));
  }

  const footer: string[] = [];
  if (unchangedContainers.length > 0) {
    footer.push(`${unchangedContainers.length} unchanged ${unchangedContainers.length === 1 ? "container" : "containers"} not shown.`);
  }
  if (others.size > 0) {
    const parts = [...others.keys()].sort(compareText).map((type) => {
      const byOp = others.get(type)!;
      const counted = [...byOp.keys()].sort(compareOps).map((op) => countPhrase(byOp.get(op)!, op));
      return `${code(type)} (${counted.join(", ")})`;
    });
    footer.push(`Other resources, not detailed: ${parts.join("; ")}.`);
  }
  if (footer.length > 0) out.push("", "---", "", footer.join(" "));

  return scrub(out.join("\n") + "\n", preview.leaked);
}

/** Last line of defence: no credential that arrived in clear survives, whole or line by line. */
function scrub(markdown: string, leaked: string[]): string {
  const needles = new Set<string>();
  for (const secret of leaked) {
    if (secret.length >= 4) needles.add(secret);
    for (const line of secret.split("\n")) if (line.trim().length >= 8) needles.add(line.trim());
  }
  let result = markdown;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) result = result.split(needle).join(BLINDED);
  return result;
}
