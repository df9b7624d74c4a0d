/**
 * Validation of NixosFleet inputs: each host through the NixosHost validation (so every rule
 * exists once), its problems under `hosts.<name>.…`; then what only a fleet can get wrong:
 * two names for one host, and the settings of the step.
 */
import { FleetHostSchema, NixosFleetInputsSchema } from "./fleet-schema";
import { validateHost, type HostSpec } from "./host-validate";
import type { Problem } from "./validate";
import { unknownPropertyProblems } from "./suggest";

export interface FleetHostSpec extends HostSpec {
  /** The host's name in `hosts`. */
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

export function validateFleet(input: unknown): FleetValidation {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { errors: [{ path: [], message: "expected an object with the NixosFleet arguments" }], warnings: [] };
  }
  const { hosts, ...settings } = input as Record<string, unknown>;
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const known = Object.keys(NixosFleetInputsSchema.shape);
  errors.push(...unknownPropertyProblems(Object.keys(settings), known));
  const step = StepSettingsSchema.safeParse(Object.fromEntries(Object.entries(settings).filter(([k, v]) => known.includes(k) && v !== null)));
  if (!step.success) errors.push(...step.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "number" ? p : String(p))), message: i.message })));
  if (hosts === undefined || hosts === null || typeof hosts !== "object" || Array.isArray(hosts)) {
    errors.push({ path: ["hosts"], message: `expected an object of hosts by name, e.g. { web1: { connection: { host: "10.0.0.5" }, containers: { … } } }` });
    return { errors, warnings };
  }

  const specs: FleetHostSpec[] = [];
  const byAddress = new Map<string, string>();
  for (const [key, raw] of Object.entries(hosts as Record<string, unknown>)) {
    const at = (p: Problem): Problem => ({ ...p, path: ["hosts", key, ...p.path] });
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      errors.push({ path: ["hosts", key], message: `expected the host's arguments (${Object.keys(FleetHostSchema.shape).join(", ")})` });
      continue;
    }
    const result = validateHost(raw);
    errors.push(...result.errors.map(at));
    warnings.push(...result.warnings.map(at));
    // Two names for one host would each write its index of modules and fight over it.
    const address = addressOf((raw as Record<string, unknown>).connection);
    const other = address && byAddress.get(address);
    if (address && other !== undefined) {
      errors.push({ path: ["hosts", key, "connection", "host"], message: `reaches the same host as hosts.${other} (${address}); a host is one entry of the fleet: put its containers together there` });
    }
    if (address) byAddress.set(address, key);
    if (result.spec) specs.push({ key, ...result.spec });
  }
  if (errors.length > 0 || !step.success) return { errors, warnings };
  return { spec: { hosts: specs, ...step.data }, errors: [], warnings };
}

/** `host:port` of a connection as given (the port defaults to 22), or undefined when it has no host yet. */
function addressOf(connection: unknown): string | undefined {
  if (connection === null || typeof connection !== "object") return undefined;
  const { host, port } = connection as { host?: unknown; port?: unknown };
  return typeof host === "string" ? `${host.toLowerCase()}:${typeof port === "number" ? port : 22}` : undefined;
}
