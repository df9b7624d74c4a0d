/**
 * A YAML inventory of hosts and containers, read into NixosContainer
 * arguments. Errors name the file, the line and the key.
 *
 *   defaults: { autoStart: true }            # every container
 *   hosts:
 *     web-1:
 *       connection: { host: 10.0.0.5, hostKey: "ssh-ed25519 AAAA…" }
 *       defaults: { privateNetwork: true }   # this host's containers
 *       containers:
 *         web: { config: { services: { nginx: { enable: true } } } }
 *
 * Layers apply key by key (a container's key replaces the host default,
 * which replaces the global default); `connection` merges field by field
 * over the connection defaults the program passes (credentials belong in
 * stack config, not in the inventory). A container's secret files name
 * their values in stack config, never hold them:
 *
 *   secrets: { db-password: { config: dbPassword, owner: postgres } }   # pulumi config set --secret dbPassword …
 */
import { validateContainer, type Problem } from "../container/validate";
import { formatPath } from "../inputs/problems";
import { nearestName } from "../container/suggest";
import type { SourceDocument } from "./source";

export interface InventoryContainer {
  host: string;
  name: string;
  /** Merged NixosContainer arguments (connection included, credentials from the program). */
  args: Record<string, unknown>;
}

export interface Inventory {
  containers: InventoryContainer[];
  errors: string[];
}

const TOP_KEYS = ["defaults", "hosts"];
const HOST_KEYS = ["connection", "defaults", "containers"];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function readInventory(doc: SourceDocument, connectionDefaults: Obj = {}, hostConnections: Record<string, Obj> = {}): Inventory {
  const errors: string[] = [];
  const at = (path: (string | number)[], message: string) => {
    const where = doc.locate(path);
    errors.push(`${where.file}:${where.line}: ${formatPath(path) || "(top level)"}: ${message}`);
  };
  const unknownKeys = (value: Obj, allowed: string[], path: (string | number)[]) => {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const suggestion = nearestName(key, allowed);
        at([...path, key], `unknown key${suggestion ? `; did you mean "${suggestion}"?` : `; expected one of ${allowed.join(", ")}`}`);
      }
    }
  };

  const root = doc.value;
  if (!isObject(root)) {
    at([], "expected a mapping with `hosts:` (and optionally `defaults:`)");
    return { containers: [], errors };
  }
  unknownKeys(root, TOP_KEYS, []);
  const globalDefaults = isObject(root.defaults) ? root.defaults : {};
  if (root.defaults !== undefined && !isObject(root.defaults)) at(["defaults"], "expected a mapping of NixosContainer arguments");
  if (!isObject(root.hosts)) {
    at(["hosts"], "expected a mapping of host names to { connection, defaults, containers }");
    return { containers: [], errors };
  }

  const containers: InventoryContainer[] = [];
  for (const [hostName, hostValue] of Object.entries(root.hosts)) {
    const hostPath = ["hosts", hostName];
    if (!isObject(hostValue)) {
      at(hostPath, "expected a mapping with connection, defaults and containers");
      continue;
    }
    unknownKeys(hostValue, HOST_KEYS, hostPath);
    const fromProgram = hostConnections[hostName] ?? {};
    if (hostValue.connection !== undefined && !isObject(hostValue.connection)) at([...hostPath, "connection"], "expected a mapping with at least `host:`");
    if (hostValue.connection === undefined && fromProgram.host === undefined) {
      at(hostPath, "has no connection: give it `connection: { host: … }` here, or pass its connection to the program (stack config `hosts`)");
    }
    const hostDefaults = isObject(hostValue.defaults) ? hostValue.defaults : {};
    const hostContainers = isObject(hostValue.containers) ? hostValue.containers : {};
    if (!isObject(hostValue.containers)) at([...hostPath, "containers"], "expected a mapping of container names to their arguments");
    for (const [name, value] of Object.entries(hostContainers)) {
      const path = [...hostPath, "containers", name];
      if (value !== null && !isObject(value)) {
        at(path, "expected a mapping of NixosContainer arguments");
        continue;
      }
      const own = value ?? {};
      const args: Obj = {
        ...globalDefaults,
        ...hostDefaults,
        ...own,
        name: (own as Obj).name ?? name,
        connection: { ...connectionDefaults, ...(isObject(hostValue.connection) ? hostValue.connection : {}), ...fromProgram },
      };
      const secretProblems: Problem[] = [];
      const result = validateContainer({ ...args, secrets: secretsByConfig(args.secrets, secretProblems), connection: knownParts(args.connection as Obj) });
      for (const problem of [...secretProblems, ...result.errors]) at(originOf(problem, own, hostDefaults, path, hostPath), problem.message);
      containers.push({ host: hostName, name: String(args.name), args });
    }
  }
  return { containers, errors };
}

/**
 * The secrets of an inventory container as they can be validated now: each entry names its value
 * in stack config (`config: KEY`, or `NAMESPACE:KEY`; the Fleet reads it with requireSecret). A
 * value written in the file is refused: the file is not a secret.
 */
function secretsByConfig(secrets: unknown, problems: Problem[]): unknown {
  if (!isObject(secrets)) return secrets;
  return Object.fromEntries(
    Object.entries(secrets).map(([file, entry]) => {
      if (!isObject(entry)) return [file, entry];
      const { config, value, ...rest } = entry;
      if (value !== undefined) problems.push({ path: ["secrets", file, "value"], message: "a secret's value does not belong in the inventory file: name the Pulumi config secret that holds it, `config: KEY` (set with `pulumi config set --secret KEY`)" });
      else if (typeof config !== "string" || !/^([A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]+$/.test(config)) {
        problems.push({ path: ["secrets", file, "config"], message: "expected the name of the Pulumi config secret that holds the value, `config: KEY` or `config: NAMESPACE:KEY`" });
      }
      return [file, { ...rest, value: "-" }];
    }),
  );
}

/** The config key (and namespace, when given) an inventory secret names. */
export function secretConfigKey(ref: string): { namespace?: string; key: string } {
  const colon = ref.indexOf(":");
  return colon < 0 ? { key: ref } : { namespace: ref.slice(0, colon), key: ref.slice(colon + 1) };
}

/**
 * The connection as far as it can be checked now: values the program passes
 * as Outputs (secrets from stack config) are checked by the provider later.
 */
function knownParts(connection: Obj): Obj {
  const known = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v) || isObject(v);
  const out = Object.fromEntries(Object.entries(connection).filter(([, v]) => known(v) && !(isObject(v) && "__pulumiOutput" in v)));
  if (connection.host !== undefined && out.host === undefined) out.host = "placeholder.invalid";
  return out;
}

/** Where in the file a problem's key was written: the container, the host defaults or the global defaults. */
function originOf(problem: Problem, own: Obj, hostDefaults: Obj, containerPath: (string | number)[], hostPath: (string | number)[]): (string | number)[] {
  const [head, ...rest] = problem.path;
  if (head === undefined) return containerPath;
  if (head === "connection") return [...hostPath, "connection", ...rest];
  if (head in own || head === "name") return [...containerPath, ...problem.path];
  if (head in hostDefaults) return [...hostPath, "defaults", ...problem.path];
  return ["defaults", ...problem.path];
}

