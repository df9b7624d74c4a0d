/**
 * The one codec between Pulumi's property bags and the core's typed values (model.ts). It is
 * the only place that knows the hidden keys (`__owner`, `__provider`), which keys are outputs
 * only, where the host-level settings sit in each resource shape, and which properties hold
 * secrets. Every other file of the lifecycle gets typed values from here.
 *
 * Three shapes of properties:
 *   container  a NixosContainer: one container, flat, its host settings among its own
 *              (the container's entry key is "")
 *   host       a NixosHost: the host settings at the top, `containers` by key, each entry
 *              without the host settings
 *   fleet      a NixosFleet: `hosts` by name, each shaped as a NixosHost but for its
 *              connection, which sits beside it in `connections` by host name (a Pulumi
 *              program holds a property with any secret in it secret as a whole, and the
 *              containers' outputs under `hosts` must stay readable); the settings of the
 *              step (maxParallelHosts, onlyHosts) at the top
 */
import { createHash } from "node:crypto";
import { validateContainer, type ContainerSpec } from "../container/validate";
import { OUTPUT_ONLY_KEYS, type NixosContainerOutputs } from "../container/outputs";
import { HostSettingsSchema, hostSettingsOf, withoutHostSettings } from "../container/host-schema";
import type { HostSettings } from "../container/host-validate";
import type { Owner } from "../deploy/change";
import { OwnerSchema } from "../deploy/ownership";
import type { Problem } from "../inputs/problems";
import type { DeclaredHost, Entry, Recorded, RecordedHost, StepSettings } from "./model";
import { hostLabel } from "./identity";
import { UNKNOWN } from "./unknown";

export type Shape = "container" | "host" | "fleet";
type Props = Record<string, unknown>;

/** Pulumi's own bookkeeping (`__provider`) and the SDK's hidden `__owner` are not inputs. */
const isInternal = (key: string) => key.startsWith("__");

/** Properties that carry credentials: secret in state (the SDK marks them, the plugin wraps them: `withSecretsMarked`). */
export const SECRET_PROPERTIES = ["connection", "connections"] as const;

/**
 * Secret values below the top level, by shape (`*` is any key): the content of each secret
 * file. The SDK marks them secret in the program; Pulumi keeps them secret in the state by
 * their path (for a provider that does not accept secrets, the engine copies secretness from
 * the inputs to the outputs at the same paths).
 */
export const SECRET_PATHS: Record<Shape, readonly (readonly string[])[]> = {
  container: [["secrets", "*", "value"]],
  host: [["containers", "*", "secrets", "*", "value"]],
  fleet: [["hosts", "*", "containers", "*", "secrets", "*", "value"]],
};

/** Where a resource's properties hold secret values (SECRET_PATHS with each `*` spelled out). */
export function secretValuePaths(shape: Shape, props: Props): PropertyPath[] {
  const walk = (v: unknown, pattern: readonly string[], at: PropertyPath): PropertyPath[] => {
    if (pattern.length === 0) return v === undefined ? [] : [at];
    if (!isObject(v)) return [];
    const [head, ...rest] = pattern;
    return (head === "*" ? Object.keys(v) : [head]).flatMap((k) => walk(v[k], rest, [...at, k]));
  };
  return SECRET_PATHS[shape].flatMap((p) => walk(props, p, []));
}

/** The secret values of a resource's properties, as given (never to leave in an error either). */
export function secretValuesIn(shape: Shape, props: Props): string[] {
  return secretValuePaths(shape, props)
    .map((p) => valueAt(props, p))
    .filter((v): v is string => typeof v === "string" && v.length > 0);
}

/** Every connection a resource's properties hold, as given (whose credentials must never leave in an error). */
export function connectionsIn(shape: Shape, props: Props): unknown[] {
  if (shape === "fleet") return Object.values(connectionsOf(props));
  return props.connection === undefined ? [] : [props.connection];
}

/**
 * Where a container's own properties sit in a resource: `nixConfig` of a NixosContainer,
 * `containers.web.nixConfig` of a NixosHost, `hosts.h1.containers.web.nixConfig` of a NixosFleet.
 */
export function entryPath(shape: Shape, hostKey: string, key: string): string[] {
  if (shape === "container") return [];
  return shape === "host" ? ["containers", key] : ["hosts", hostKey, "containers", key];
}

/**
 * The hidden input the SDK adds to every resource (sdk/owner.ts): which organization, project,
 * stack and resource manage its containers. It travels through check into the state and
 * reaches the engine with each change.
 */
export const OWNER_KEY = "__owner";

/** The owner in a resource's inputs or state; undefined when absent (an older SDK) or not known yet (preview). */
export function ownerIn(props: Props): Owner | undefined {
  const parsed = OwnerSchema.safeParse(props[OWNER_KEY]);
  return parsed.success ? parsed.data : undefined;
}

/** `{ __owner }` to spread into what goes back to Pulumi, or nothing. */
function owned(owner: Owner | undefined): Props {
  return owner ? { [OWNER_KEY]: owner } : {};
}

function inputsOnly(props: Props): Props {
  const outputOnly = new Set(OUTPUT_ONLY_KEYS);
  return Object.fromEntries(Object.entries(props).filter(([k]) => !outputOnly.has(k) && !isInternal(k)));
}

function containersIn(props: Props): Record<string, Props> {
  const c = props.containers;
  return c && typeof c === "object" && !Array.isArray(c) ? (c as Record<string, Props>) : {};
}

function hostsIn(props: Props): Record<string, Props> {
  return isObject(props.hosts) ? (props.hosts as Record<string, Props>) : {};
}

function connectionsOf(props: Props): Props {
  return isObject(props.connections) ? props.connections : {};
}

/** A fleet's hosts, each with its connection from `connections` put back: the host shape. */
function hostsWithConnections(props: Props): Record<string, Props> {
  const connections = connectionsOf(props);
  return Object.fromEntries(Object.entries(hostsIn(props)).map(([key, h]) => [key, isObject(h) && connections[key] !== undefined ? { ...h, connection: connections[key] } : h]));
}

/** `{ hosts, connections }` of a fleet's properties, from hosts in the host shape. */
function fleetProps(hosts: [string, Props][]): Props {
  const apart = hosts.map(([key, h]) => {
    const { connection, ...rest } = h;
    return { key, rest, connection };
  });
  return { hosts: Object.fromEntries(apart.map((h) => [h.key, h.rest])), connections: Object.fromEntries(apart.map((h) => [h.key, h.connection])) };
}

const isObject = (v: unknown): v is Props => typeof v === "object" && v !== null && !Array.isArray(v);

/** The settings of a resource's step as its properties hold them (a NixosFleet's; checked by check or recorded). */
export function stepSettingsIn(shape: Shape, props: Props): StepSettings {
  if (shape !== "fleet") return {};
  const { maxParallelHosts: max, onlyHosts: only } = props;
  return {
    ...(typeof max === "number" && max >= 1 && { maxParallelHosts: max }),
    ...(Array.isArray(only) && only.every((h) => typeof h === "string") && { onlyHosts: only as string[] }),
  };
}

/** `{ maxParallelHosts, onlyHosts }` to spread into properties; `recorded` leaves out what holds for one run only. */
function stepProps(step: StepSettings, recorded: boolean): Props {
  return { ...(step.maxParallelHosts !== undefined && { maxParallelHosts: step.maxParallelHosts }), ...(!recorded && step.onlyHosts !== undefined && { onlyHosts: step.onlyHosts }) };
}

// ---- check: from what the program sent -----------------------------------------------------

/**
 * A container's name defaults to its resource's name (a NixosContainer; a NixosHost's containers
 * default to their keys when validated). The TypeScript SDK fills it in in the program; the
 * plugin, given the URN, here.
 */
export function withDefaultName(shape: Shape, props: Props, resourceName: string): Props {
  return shape === "container" && props.name === undefined ? { ...props, name: resourceName } : props;
}

export interface Unchecked {
  /** The inputs without Pulumi's keys: what a failed check hands back. */
  values: Props;
  /** The same without any container's nixConfig: what is validated. */
  raw: Props;
  /** Each container's nixConfig as the program rendered it, by host key and entry key. */
  given: Map<string, Map<string, unknown>>;
}

export function unchecked(shape: Shape, news: Props): Unchecked {
  const values = Object.fromEntries(Object.entries(news).filter(([k]) => !isInternal(k)));
  const given = new Map<string, Map<string, unknown>>();
  if (shape === "container") {
    const { nixConfig, ...raw } = values;
    given.set("", new Map([["", nixConfig]]));
    return { values, raw, given };
  }
  if (shape === "host") return { values, raw: withoutModules(values, given, ""), given };
  if (!isObject(values.hosts)) return { values, raw: values, given };
  const hosts = Object.fromEntries(Object.entries(values.hosts).map(([key, host]) => [key, isObject(host) ? withoutModules(host, given, key) : host]));
  return { values, raw: { ...values, hosts }, given };
}

/** A host's properties without its containers' nixConfig, which go to `given` under `hostKey`. */
function withoutModules(host: Props, given: Map<string, Map<string, unknown>>, hostKey: string): Props {
  if (!isObject(host.containers)) return host;
  const modules = new Map<string, unknown>();
  given.set(hostKey, modules);
  const containers = Object.fromEntries(
    Object.entries(host.containers).map(([key, entry]) => {
      if (!isObject(entry)) return [key, entry];
      const { nixConfig, ...rest } = entry;
      modules.set(key, nixConfig);
      return [key, rest];
    }),
  );
  return { ...host, containers };
}

/**
 * A run limited to some hosts (a NixosFleet's onlyHosts). The other hosts keep the inputs they
 * had (`held`, from the old inputs, not validated again) or stay out if they had none, so
 * neither the preview nor the state shows a change this run does not make; the next run
 * without onlyHosts brings them. `news` is what is left to check: the named hosts.
 */
export function targeted(shape: Shape, news: Props, olds: Props): { news: Props; held: Record<string, Props>; problems: Problem[] } {
  const { onlyHosts } = stepSettingsIn(shape, news);
  if (onlyHosts === undefined) return { news, held: {}, problems: [] };
  const names = new Set(onlyHosts);
  const declared = hostsIn(news);
  const had = hostsWithConnections(olds);
  const known = [...new Set([...Object.keys(declared), ...Object.keys(had)])].sort();
  const problems: Problem[] = onlyHosts.flatMap((name, i) =>
    name in declared || name in had ? [] : [{ path: ["onlyHosts", i], message: `names no host of this fleet; its hosts: ${known.join(", ") || "none"}` }],
  );
  const pick = <T>(props: Record<string, T>, keep: (key: string) => boolean) => Object.fromEntries(Object.entries(props).filter(([key]) => keep(key)));
  const named = (k: string) => names.has(k);
  return { news: { ...news, hosts: pick(declared, named), connections: pick(connectionsOf(news), named) }, held: pick(had, (k) => !named(k)), problems };
}

export interface Answer {
  owner: Owner | undefined;
  step: StepSettings;
  /** Hosts a targeted run leaves as they were (`targeted`): their old inputs, in the host shape. */
  held: Record<string, Props>;
}

/**
 * check's answer while some inputs are unknown (preview) has no modules: each module the old
 * inputs had is then unknown too, so the preview shows it as not known yet rather than removed
 * (a program that renders the module itself sends it unknown already).
 */
export function withModulesUnknown(answer: Props, olds: Props): Props {
  const walk = (now: unknown, before: unknown): unknown => {
    if (!isObject(now) || !isObject(before)) return now;
    const out: Props = { ...now };
    for (const [k, v] of Object.entries(before)) {
      if (k === "nixConfig" && typeof v === "string" && out.nixConfig === undefined) out.nixConfig = UNKNOWN;
      else if (k in out) out[k] = walk(out[k], v);
    }
    return out;
  };
  return walk(answer, olds) as Props;
}

/** check's answer: the normalised inputs, each module rendered once, which create and update then use as they are. */
export function declaredInputs(shape: Shape, hosts: DeclaredHost[], answer: Answer): Props {
  if (shape === "fleet") {
    const all = [...Object.entries(answer.held), ...hosts.map((h): [string, Props] => [h.key, hostInputs(h)])];
    return { ...fleetProps(all), ...stepProps(answer.step, false), ...owned(answer.owner) };
  }
  const host = only(shape, hosts);
  if (shape === "container") {
    const entry = host.entries[0];
    return { ...entry.spec, nixConfig: entry.module, ...owned(answer.owner) };
  }
  return { ...hostInputs(host), ...owned(answer.owner) };
}

/** A host's inputs in the host shape: its settings, and each container without them. */
function hostInputs(host: DeclaredHost): Props {
  const containers = Object.fromEntries(host.entries.map((e) => [e.key, { ...withoutHostSettings(e.spec), nixConfig: e.module }]));
  return { ...hostSettingsOf(host), containers };
}

// ---- create and update: from what check answered --------------------------------------------

/** A digest of a resource's inputs, Pulumi's keys aside: how create knows it gets what check answered. */
export function inputsDigest(props: Props): string {
  const values = Object.fromEntries(Object.entries(props).filter(([k]) => !isInternal(k)));
  return createHash("sha256").update(canonicalJson(values)).digest("hex");
}

/** JSON with sorted keys and undefined members dropped, for comparison. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, v[k]])) : v,
  );
}

/** The inputs check normalised: trusted as they are (validated and rendered there, once). */
export function declaredFrom(shape: Shape, checked: Props): DeclaredHost[] {
  const entryOf = (key: string, props: Props, settings: Props): Entry => {
    const { nixConfig, ...rest } = props;
    if (typeof nixConfig !== "string") throw new Error(`${key || "the container"}: inputs without nixConfig did not come from check`);
    const spec = { ...rest, ...settings } as ContainerSpec;
    return { key, spec, module: nixConfig };
  };
  const values = Object.fromEntries(Object.entries(checked).filter(([k]) => !isInternal(k)));
  if (shape === "container") {
    const entry = entryOf("", values, {});
    return [{ ...hostSettingsOf(entry.spec), key: "", entries: [entry] }];
  }
  const hostOf = (key: string, props: Props): DeclaredHost => {
    const settings = hostSettingsOf(props) as HostSettings;
    return { ...settings, key, entries: Object.entries(containersIn(props)).map(([name, entry]) => entryOf(name, entry, settings)) };
  };
  if (shape === "host") return [hostOf("", values)];
  return Object.entries(hostsWithConnections(values)).map(([key, host]) => hostOf(key, host));
}

// ---- state: what the last step recorded -----------------------------------------------------

const OUTPUT_KEYS = ["name", "host", "nixConfig", "configHash", "status", "modulePath", "ipAddress", "systemPath", "managedBy"] as const;

function outputsIn(props: Props): NixosContainerOutputs {
  const out = Object.fromEntries(OUTPUT_KEYS.map((k) => [k, props[k] ?? null])) as Record<string, unknown>;
  return { ...out, status: out.status === "up" ? "up" : "down" } as NixosContainerOutputs;
}

/**
 * The container's recorded inputs, typed and with today's defaults. State written by an older
 * release that no longer passes validation is taken as it is: it only tells what the host has.
 */
function recordedSpec(raw: Props, name: string): ContainerSpec {
  return validateContainer(raw, name).spec ?? ({ ...raw, name: typeof raw.name === "string" ? raw.name : name } as ContainerSpec);
}

export function recordedFrom(shape: Shape, state: Props): RecordedHost[] {
  if (shape === "container") {
    const { nixConfig: _module, ...raw } = inputsOnly(state);
    const spec = recordedSpec(raw, String(state.name));
    const recorded: Recorded = { key: "", spec, outputs: outputsIn(state) };
    return [{ ...hostSettingsOf(spec), key: "", containers: [recorded] }];
  }
  const hostOf = (key: string, props: Props): RecordedHost => {
    const settings = recordedSettings(hostSettingsOf(inputsOnly(props)));
    const containers = Object.entries(containersIn(props)).map(([name, entry]): Recorded => {
      const { nixConfig: _module, ...raw } = inputsOnly(entry);
      return { key: name, spec: recordedSpec({ ...raw, ...settings }, name), outputs: outputsIn(entry) };
    });
    return { ...settings, key, containers };
  };
  if (shape === "host") return [hostOf("", state)];
  return Object.entries(hostsWithConnections(state)).filter(([, h]) => isObject(h)).map(([key, host]) => hostOf(key, host));
}

/** A NixosHost's recorded settings, with today's defaults (as recordedSpec). */
function recordedSettings(raw: Props): HostSettings {
  const parsed = HostSettingsSchema.safeParse(raw);
  return parsed.success ? parsed.data : (raw as HostSettings);
}

/**
 * The state's properties (Pulumi's outputs) for the recorded hosts; undefined for a
 * NixosContainer whose container is gone. `step`: the settings of the step that made it.
 */
export function recordedState(shape: Shape, hosts: RecordedHost[], owner: Owner | undefined, step: StepSettings = {}): Props | undefined {
  const hostState = (host: RecordedHost): Props => {
    const containers = Object.fromEntries(host.containers.map((r) => [r.key, withoutHostSettings({ ...r.spec, ...r.outputs })]));
    return { ...hostSettingsOf(host), host: hostLabel(host.connection), containers };
  };
  if (shape === "fleet") return { ...fleetProps(hosts.map((h) => [h.key, hostState(h)])), ...stepProps(step, true), ...owned(owner) };
  const host = only(shape, hosts);
  if (shape === "container") {
    const r = host.containers[0];
    return r ? { ...r.spec, ...r.outputs, ...owned(owner) } : undefined;
  }
  return { ...hostState(host), ...owned(owner) };
}

/** The inputs as the hosts have them (refresh): each container's module as it is on its host. */
export function recordedInputs(shape: Shape, hosts: RecordedHost[], owner: Owner | undefined, step: StepSettings = {}): Props {
  const hostInputs = (host: RecordedHost): Props => {
    const containers = Object.fromEntries(host.containers.map((r) => [r.key, { ...withoutHostSettings(r.spec), nixConfig: r.outputs.nixConfig }]));
    return { ...hostSettingsOf(host), containers };
  };
  if (shape === "fleet") return { ...fleetProps(hosts.map((h) => [h.key, hostInputs(h)])), ...stepProps(step, true), ...owned(owner) };
  const host = only(shape, hosts);
  if (shape === "container") {
    const r = host.containers[0];
    return { ...r.spec, nixConfig: r.outputs.nixConfig, ...owned(owner) };
  }
  return { ...hostInputs(host), ...owned(owner) };
}

/**
 * The inputs of a state or input object, for comparing the two (diff). A fleet's onlyHosts is
 * no change: it only says which hosts this run may touch.
 */
export function comparable(shape: Shape, props: Props): Props {
  const inputs = inputsOnly(props);
  const host = (h: Props): Props => ({ ...h, containers: Object.fromEntries(Object.entries(containersIn(h)).map(([k, c]) => [k, isObject(c) ? inputsOnly(c) : c])) });
  if (shape === "container") return inputs;
  if (shape === "host") return host(inputs);
  const { onlyHosts: _once, connections: _apart, ...rest } = inputs;
  return { ...rest, hosts: Object.fromEntries(Object.entries(hostsWithConnections(inputs)).map(([k, h]) => [k, isObject(h) ? host(inputsOnly(h)) : h])) };
}

function only<T>(shape: Shape, hosts: T[]): T {
  if (hosts.length !== 1) throw new Error(`a ${shape} resource has exactly one host, got ${hosts.length}`);
  return hosts[0];
}

// ---- secrets as the provider plugin's wire carries them ----------------------------------------

/**
 * A provider plugin gets Pulumi's property values as they travel (reference pulumi.md 10.2): a
 * secret is an object `{ [SIG_KEY]: SECRET_SIG, value }`, and returned that way it stays secret
 * in the state. An output value (`OUTPUT_SIG`) carries its value, or none while unknown. These
 * are @pulumi/pulumi's runtime/rpc signatures.
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

export type PropertyPath = (string | number)[];

export interface Revealed {
  /** The properties with every secret and output value replaced by its plain value. */
  values: Props;
  /** Where secrets were, outermost first. */
  secrets: PropertyPath[];
}

/** Properties as the plugin receives them, as plain values, and where they held secrets. */
export function revealed(props: Props): Revealed {
  const secrets: PropertyPath[] = [];
  const reveal = (value: unknown, path: PropertyPath): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => reveal(v, [...path, i]));
    if (!isObject(value)) return value;
    const sig = value[SIG_KEY];
    if (sig === SECRET_SIG || (sig === OUTPUT_SIG && value.secret === true)) {
      if (!secrets.some((s) => isWithin(path, s))) secrets.push(path);
      return reveal(sig === OUTPUT_SIG ? ("value" in value ? value.value : UNKNOWN) : value.value, path);
    }
    if (sig === OUTPUT_SIG) return "value" in value ? reveal(value.value, path) : UNKNOWN;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v, [...path, k])]));
  };
  return { values: reveal(props, []) as Props, secrets };
}

/**
 * Properties to hand back to Pulumi: secret wherever a secret came in (`secrets`, from
 * `revealed`) and wherever credentials are (`credentialPaths`), so nothing the program marked
 * secret, and no credential, reaches the state in plain text. Undefined members are dropped
 * (Pulumi's wire has no undefined).
 */
export function withSecretsMarked(shape: Shape, props: Props, secrets: PropertyPath[]): Props {
  const paths = [...credentialPaths(shape, props), ...secrets].sort((a, b) => a.length - b.length);
  const marked = paths.filter((p, i) => !paths.slice(0, i).some((q) => isWithin(p, q)));
  const wrap = (value: unknown, path: PropertyPath): unknown => {
    if (marked.some((p) => samePath(p, path))) return { [SIG_KEY]: SECRET_SIG, value: plain(value) };
    if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : wrap(v, [...path, i])));
    if (!isObject(value)) return value;
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, wrap(v, [...path, k])]])));
  };
  return wrap(props, []) as Props;
}

/**
 * Where credentials and secret values sit in a resource's properties: every connection it holds
 * (connectionsIn), the top-level SECRET_PROPERTIES and each secret file's value (SECRET_PATHS).
 */
export function credentialPaths(shape: Shape, props: Props): PropertyPath[] {
  const holders = new Set(connectionsIn(shape, props).filter(isObject));
  const found: PropertyPath[] = [...SECRET_PROPERTIES.filter((k) => props[k] !== undefined).map((k) => [k]), ...secretValuePaths(shape, props)];
  const walk = (value: unknown, path: PropertyPath): void => {
    if (holders.has(value as Props)) return void found.push(path);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(props, []);
  return found.filter((p, i) => !found.slice(0, i).some((q) => samePath(p, q)));
}

/**
 * Secrets outside the credentials: each would be rendered into a container's module, which the
 * host writes world-readable to /nix/store. Refused at their paths, in every language (the
 * TypeScript SDK refuses them in the program: sdk/program-side.ts). A secret whose value is not
 * known yet (preview) is judged once it is.
 */
export function misplacedSecrets(shape: Shape, values: Props, secrets: PropertyPath[]): Problem[] {
  const allowed = credentialPaths(shape, values);
  return secrets
    .filter((path) => !allowed.some((c) => isWithin(path, c)) && valueAt(values, path) !== UNKNOWN)
    .map((path) => ({ path, message: `is a secret. ${SECRET_OUTSIDE_CREDENTIALS}` }));
}

/** Why a secret may not be part of a container's configuration, and what to do instead. */
export const SECRET_OUTSIDE_CREDENTIALS =
  "Everything in a container's Nix configuration is written to /nix/store on the host, world-readable and visible to every container there. Keep secrets out of config: give them to the container as secret files (secrets: { \"db-password\": { value } } puts the file /run/secrets/db-password in the container, outside the store) and point the service at that file.";

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}

function valueAt(value: unknown, path: PropertyPath): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined), value);
}

const samePath = (a: PropertyPath, b: PropertyPath) => a.length === b.length && a.every((k, i) => k === b[i]);
/** Whether `path` is `outer` or lies inside it. */
const isWithin = (path: PropertyPath, outer: PropertyPath) => outer.length <= path.length && outer.every((k, i) => k === path[i]);
