/**
 * Validation of NixosHost inputs: the host's own settings, then every container through
 * the same validation as a NixosContainer (so every rule exists once), with its problems
 * reported under `containers.<key>.…`.
 */
import { HostSettingsSchema, NixosHostInputsSchema, HOST_LEVEL_KEYS, type HostLevelKey } from "./host-schema";
import { validateContainer, type ContainerSpec, type Problem } from "./validate";
import { withoutNulls } from "./schema-walk";
import { unknownPropertyProblems } from "./suggest";

export interface HostEntry {
  /** The key in `containers`. */
  key: string;
  spec: ContainerSpec;
}

/** What a host's one rebuild is set by: the same for all of its containers. */
export type HostSettings = Pick<ContainerSpec, HostLevelKey>;

export interface HostSpec extends HostSettings {
  entries: HostEntry[];
}

export interface HostValidation {
  spec?: HostSpec;
  errors: Problem[];
  warnings: Problem[];
}

const RebuildSettingsSchema = HostSettingsSchema.omit({ connection: true });

export function validateHost(input: unknown): HostValidation {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { errors: [{ path: [], message: "expected an object with the NixosHost arguments" }], warnings: [] };
  }
  const { containers, ...settings } = input as Record<string, unknown>;
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const known = Object.keys(NixosHostInputsSchema.shape);
  errors.push(...unknownPropertyProblems(Object.keys(settings), known));
  const hostSettings = Object.fromEntries(Object.entries(settings).filter(([k]) => known.includes(k) && k !== "connection"));
  const host = RebuildSettingsSchema.safeParse(withoutNulls(RebuildSettingsSchema, hostSettings));
  if (settings.connection === undefined) errors.push({ path: ["connection"], message: "is required" });
  if (containers === undefined || containers === null || typeof containers !== "object" || Array.isArray(containers)) {
    errors.push({ path: ["containers"], message: "expected an object of containers by name, e.g. { web: { config: { … } } }" });
  }
  const connection = settings.connection;
  const rebuildAction = host.success ? host.data.rebuildAction : "switch";
  const rebuildTimeoutSeconds = host.success ? host.data.rebuildTimeoutSeconds : 1800;

  const entries: HostEntry[] = [];
  const byName = new Map<string, string>();
  for (const [key, raw] of Object.entries((containers ?? {}) as Record<string, unknown>)) {
    const at = (p: Problem): Problem => ({ ...p, path: ["containers", key, ...p.path] });
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      errors.push({ path: ["containers", key], message: "expected an object with the container's arguments" });
      continue;
    }
    const own = HOST_LEVEL_KEYS.filter((k) => (raw as Record<string, unknown>)[k] !== undefined);
    for (const k of own) {
      errors.push({ path: ["containers", key, k], message: `is set once for all containers of a NixosHost (one rebuild applies them all): set ${k} on the NixosHost itself` });
    }
    // Host-level settings are the host's; the connection only matters for rules that look at it.
    const result = validateContainer({ ...raw, connection: connection ?? { host: "placeholder.invalid" }, rebuildAction, rebuildTimeoutSeconds }, key);
    errors.push(...result.errors.filter((p) => p.path[0] !== "connection" && !HOST_LEVEL_KEYS.includes(p.path[0] as never)).map(at));
    warnings.push(...result.warnings.map(at));
    if (!result.spec) continue;
    const other = byName.get(result.spec.name);
    if (other !== undefined) errors.push({ path: ["containers", key, "name"], message: `"${result.spec.name}" is already the name of containers.${other}; container names on a host are unique` });
    byName.set(result.spec.name, key);
    entries.push({ key, spec: result.spec });
  }
  // The connection's own problems, once (every container would report them again).
  const probe = connection === undefined ? undefined : validateContainer({ connection, config: {} }, "probe");
  if (probe) errors.push(...probe.errors.filter((p) => p.path[0] === "connection"));
  if (!host.success) errors.push(...host.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })));
  if (errors.length > 0 || !probe?.spec) return { errors, warnings };
  return { spec: { connection: probe.spec.connection, rebuildAction, rebuildTimeoutSeconds, entries }, errors: [], warnings };
}
