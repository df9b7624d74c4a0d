/**
 * Validation of NixosFleet inputs: each host, with its connection from `connections`, through
 * the NixosHost validation (so every rule exists once), its problems under `hosts.<name>.…` and
 * `connections.<name>.…`; then what only a fleet can get wrong: a host without a connection or
 * a connection without a host, two names for one host, and the settings of the step.
 */
import { NixosFleetInputsSchema } from "./fleet-schema";
import { validateHost, type HostSpec } from "./host-validate";
import type { Problem } from "./validate";
import { unknownPropertyProblems } from "./suggest";

export interface FleetHostSpec extends HostSpec {
  /** The host's name in `hosts` and `connections`. */
  key: string;
}

export interface FleetSpec {
  hosts: FleetHostSpec[];
  maxParallelHosts?: number;
  onlyHosts?: string[];
}

export interface FleetValidation {
  spec?: FleetSpec;
  errors: Problem[];
  warnings: Problem[];
}

const StepSettingsSchema = NixosFleetInputsSchema.pick({ maxParallelHosts: true, onlyHosts: true });

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function validateFleet(input: unknown): FleetValidation {
  if (!isObject(input)) return { errors: [{ path: [], message: "expected an object with the NixosFleet arguments" }], warnings: [] };
  const { hosts, connections, ...settings } = input;
  const known = Object.keys(NixosFleetInputsSchema.shape);
  const errors: Problem[] = unknownPropertyProblems(Object.keys(settings), known);
  const warnings: Problem[] = [];
  const step = StepSettingsSchema.safeParse(Object.fromEntries(Object.entries(settings).filter(([k, v]) => known.includes(k) && v !== null)));
  if (!step.success) errors.push(...step.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "number" ? p : String(p))), message: i.message })));
  if (!isObject(hosts)) errors.push({ path: ["hosts"], message: "expected an object of hosts by name, e.g. { web1: { containers: { web: { config: { … } } } } }" });
  if (!isObject(connections)) errors.push({ path: ["connections"], message: `expected an object of connections by host name, e.g. { web1: { host: "10.0.0.5" } }` });
  if (!isObject(hosts) || !isObject(connections)) return { errors, warnings };

  for (const key of Object.keys(connections).filter((k) => !(k in hosts))) {
    errors.push({ path: ["connections", key], message: `names no host of hosts (${Object.keys(hosts).join(", ") || "none"}); remove it, or add the host to hosts` });
  }
  const specs: FleetHostSpec[] = [];
  const byAddress = new Map<string, string>();
  for (const [key, raw] of Object.entries(hosts)) {
    if (!isObject(raw)) {
      errors.push({ path: ["hosts", key], message: "expected the host's arguments: containers (and rebuildAction, rebuildTimeoutSeconds)" });
      continue;
    }
    if (raw.connection !== undefined) {
      errors.push({ path: ["hosts", key, "connection"], message: `a fleet's connections sit beside its hosts: set connections.${key} instead` });
      continue;
    }
    const connection = connections[key];
    if (connection === undefined) {
      errors.push({ path: ["connections", key], message: `is required: how to reach hosts.${key}, e.g. { host: "10.0.0.5", hostKey: "ssh-ed25519 …" }` });
      continue;
    }
    // The host's problems where the user wrote them: its connection's under connections.<key>.
    const at = (p: Problem): Problem => ({ ...p, path: p.path[0] === "connection" ? ["connections", key, ...p.path.slice(1)] : ["hosts", key, ...p.path] });
    const result = validateHost({ ...raw, connection });
    errors.push(...result.errors.map(at));
    warnings.push(...result.warnings.map(at));
    // Two names for one host would each write its index of modules and fight over it.
    const address = addressOf(connection);
    const other = address && byAddress.get(address);
    if (address && other !== undefined) {
      errors.push({ path: ["connections", key, "host"], message: `reaches the same host as connections.${other} (${address}); a host is one entry of the fleet: put its containers together there` });
    }
    if (address) byAddress.set(address, key);
    if (result.spec) specs.push({ key, ...result.spec });
  }
  if (errors.length > 0 || !step.success) return { errors, warnings };
  return { spec: { hosts: specs, ...step.data }, errors: [], warnings };
}

/** `host:port` of a connection as given (the port defaults to 22), or undefined when it has no host yet. */
function addressOf(connection: unknown): string | undefined {
  if (!isObject(connection)) return undefined;
  const { host, port } = connection;
  return typeof host === "string" ? `${host.toLowerCase()}:${typeof port === "number" ? port : 22}` : undefined;
}
