/**
 * A NixosHost step of `pulumi preview --json` as the container steps it stands for, so
 * the pull-request Markdown treats a host's containers exactly like NixosContainers: per
 * container what happens (create / update / delete), and its module's diff. A container
 * whose inputs did not change is `same` (counted, not shown). A NixosFleet step is first
 * split into one such host step per host.
 */
import type { Json, Obj, State, Step } from "./preview-json";
import { OUTPUT_ONLY_KEYS } from "../container/outputs";
import { dynamicType } from "../lifecycle/kinds";

/** The type token of a NixosHost (sdk/nixos-host.ts). */
export const HOST_TYPE = dynamicType("NixosHost");
/** The type token of a NixosFleet (sdk/nixos-fleet.ts). */
export const FLEET_TYPE = dynamicType("NixosFleet");

/**
 * A NixosFleet step as one NixosHost step per host (its connections, kept beside its hosts, put
 * back in each): a host new to the fleet is created, one that left it deleted.
 */
export function expandFleetStep(step: Step, op: string): { step: Step; op: string }[] {
  const before = hostsOf(step.old);
  const after = hostsOf(step.new);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => {
    const old = before[key];
    const nu = after[key];
    const hostOp = op !== "update" ? op : !old ? "create" : !nu ? "delete" : "update";
    return expandHostStep({ ...step, urn: `${step.urn}/${key}`, type: HOST_TYPE, old, new: nu }, hostOp);
  });
}

function hostsOf(state: State | undefined): Record<string, State> {
  if (!state) return {};
  const pick = (v: Json): Record<string, Obj> => (isObject(v) ? (Object.fromEntries(Object.entries(v).filter(([, e]) => isObject(e))) as Record<string, Obj>) : {});
  const inputs = pick(state.inputs.hosts);
  const outputs = pick(state.outputs.hosts);
  const connected = (props: Obj, key: string, part: Obj | undefined): Obj => {
    const connection = isObject(props.connections) ? props.connections[key] : undefined;
    return part ? { ...part, ...(connection !== undefined && { connection }) } : {};
  };
  const keys = [...new Set([...Object.keys(inputs), ...Object.keys(outputs)])];
  return Object.fromEntries(
    keys.map((key) => {
      const label = outputs[key]?.host;
      const host: State = {
        type: HOST_TYPE,
        // A NixosHost's id is its host label.
        id: typeof label === "string" ? label : undefined,
        inputs: connected(state.inputs, key, inputs[key]),
        outputs: connected(state.outputs, key, outputs[key]),
      };
      return [key, host];
    }),
  );
}

/** Keys of a container entry that are outputs, not inputs (provider/lifecycle/read.ts inputSubset). */
const OUTPUT_ONLY = new Set(OUTPUT_ONLY_KEYS);

export function expandHostStep(step: Step, op: string): { step: Step; op: string }[] {
  const before = entriesOf(step.old);
  const after = entriesOf(step.new);
  const keys = [...new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs), ...Object.keys(before.outputs)])].sort();
  return keys.map((key) => {
    const old = before.inputs[key] !== undefined || before.outputs[key] !== undefined ? containerState(step.old!, key, before) : undefined;
    const nu = after.inputs[key] !== undefined ? containerState(step.new!, key, after) : undefined;
    const containerOp = op === "create" || op === "delete" || op === "same" || op === "replace" ? op : !old ? "create" : !nu ? "delete" : sameInputs(old, nu) ? "same" : "update";
    return { step: { ...step, urn: `${step.urn}/${key}`, type: "pulumi-nodejs:dynamic/nixos:NixosContainer", old: nu || op !== "create" ? old : undefined, new: nu }, op: containerOp };
  });
}

interface Entries {
  inputs: Record<string, Obj>;
  outputs: Record<string, Obj>;
  connection: { inputs: Json; outputs: Json };
  id?: string;
}

function entriesOf(state: State | undefined): Entries {
  const pick = (v: Json): Record<string, Obj> => (isObject(v) ? (Object.fromEntries(Object.entries(v).filter(([, e]) => isObject(e))) as Record<string, Obj>) : {});
  return {
    inputs: pick(state?.inputs.containers),
    outputs: pick(state?.outputs.containers),
    connection: { inputs: state?.inputs.connection, outputs: state?.outputs.connection },
    id: state?.id,
  };
}

/** A container's state as a NixosContainer would have it: its entry plus the host's connection. */
function containerState(host: State, key: string, entries: Entries): State {
  const inputs = entries.inputs[key];
  const outputs = entries.outputs[key] ?? {};
  const name = (inputs?.name ?? outputs.name ?? key) as Json;
  return {
    type: "pulumi-nodejs:dynamic/nixos:NixosContainer",
    id: entries.id !== undefined ? `${entries.id}/${String(name)}` : undefined,
    inputs: inputs ? { ...inputs, name, connection: entries.connection.inputs } : {},
    outputs: { ...outputs, name, connection: entries.connection.outputs ?? entries.connection.inputs },
  };
}

function sameInputs(a: State, b: State): boolean {
  const strip = (o: Obj) => JSON.stringify(sorted(Object.fromEntries(Object.entries(o).filter(([k]) => !OUTPUT_ONLY.has(k) && k !== "connection"))));
  const oldInputs = Object.keys(a.inputs).length > 0 ? a.inputs : a.outputs;
  return strip(oldInputs) === strip(b.inputs);
}

function sorted(v: Json): Json {
  if (Array.isArray(v)) return v.map(sorted);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, sorted(v[k])]));
  return v;
}

function isObject(value: Json): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
