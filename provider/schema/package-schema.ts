/**
 * schema.json, the public contract, built from the zod schemas. `npm run
 * generate` writes it; tests/unit/generated.test.ts fails when the committed
 * file differs from what the zod schemas say.
 */
import { ConnectionSchema, JumpHostSchema, TimeoutsSchema } from "../inputs/connection";
import {
  NixosContainerInputsSchema,
  ForwardPortSchema,
  BindMountSchema,
  AllowedDeviceSchema,
  ExtraVethSchema,
  ResourcesSchema,
  ProtocolSchema,
  RebuildActionSchema,
  UpdateStrategySchema,
} from "../container/schema";
import { SecretFileSchema } from "../container/secrets";
import { HealthChecksSchema, HealthCommandSchema, HttpCheckSchema, TcpCheckSchema } from "../container/health-schema";
import { NixosContainerOutputsSchema } from "../container/outputs";
import { NixosHostInputsSchema, HostContainerSchema } from "../container/host-schema";
import { NixosFleetInputsSchema, FleetHostSchema } from "../container/fleet-schema";
import { ProviderConfigSchema } from "../inputs/provider-config";
import { TypeRegistry, objectProperties, holdsSecret, type PropertySpec, type ObjectTypeSpec, type EnumTypeSpec } from "./zod-to-pulumi";

export const PACKAGE = "nixos";
/** A resource kind's type token in this package, which the provider plugin serves: `nixos:index:NixosContainer`. */
export const resourceToken = (kind: string) => `${PACKAGE}:index:${kind}`;
export const RESOURCE_TOKEN = resourceToken("NixosContainer");
export const HOST_RESOURCE_TOKEN = resourceToken("NixosHost");
export const FLEET_RESOURCE_TOKEN = resourceToken("NixosFleet");

/** The names the generated SDKs (sdks/, tools/pulumi-codegen) are published under. */
export const SDK_NAMES = {
  // Not the hand-written TypeScript SDK's name (pulumi-nixos-containers, the dynamic provider).
  nodejs: "pulumi-nixos-containers-plugin",
  python: "pulumi_nixos_containers",
  // No public home yet: a Go program uses it with `replace <module> => <checkout>/sdks/go`.
  goModule: "pulumi-nixos-containers.local/sdks/go",
} as const;

export interface PackageSchema {
  name: string;
  version: string;
  displayName: string;
  description: string;
  keywords: string[];
  license: string;
  meta: { supportPack: boolean };
  /** The provider plugin's configuration: stack config nixos:<key>. */
  config: { variables: Record<string, PropertySpec> };
  types: Record<string, ObjectTypeSpec | EnumTypeSpec>;
  resources: Record<
    string,
    {
      description: string;
      properties: Record<string, PropertySpec>;
      required: string[];
      inputProperties: Record<string, PropertySpec>;
      requiredInputs: string[];
    }
  >;
  language: Record<string, unknown>;
}

/** `version` is the package's (package.json): the plugin and every generated SDK carry it. */
export function buildPackageSchema({ version }: { version: string }): PackageSchema {
  const registry = new TypeRegistry(PACKAGE);
  registry.name(ConnectionSchema, "Connection");
  registry.name(JumpHostSchema, "JumpHost");
  registry.name(TimeoutsSchema, "ConnectionTimeouts");
  registry.name(ForwardPortSchema, "ForwardPort");
  registry.name(BindMountSchema, "BindMount");
  registry.name(AllowedDeviceSchema, "AllowedDevice");
  registry.name(ExtraVethSchema, "ExtraVeth");
  registry.name(SecretFileSchema, "SecretFile");
  registry.name(ResourcesSchema, "Resources");
  registry.name(HealthChecksSchema, "HealthChecks");
  registry.name(HealthCommandSchema, "HealthCommand");
  registry.name(TcpCheckSchema, "TcpCheck");
  registry.name(HttpCheckSchema, "HttpCheck");
  registry.name(ProtocolSchema, "Protocol");
  registry.name(RebuildActionSchema, "RebuildAction");
  registry.name(UpdateStrategySchema, "UpdateStrategy");

  registry.name(HostContainerSchema, "HostContainer");
  registry.name(FleetHostSchema, "FleetHost");

  const inputs = objectProperties(registry, NixosContainerInputsSchema);
  const hostInputs = objectProperties(registry, NixosHostInputsSchema);
  const fleetInputs = objectProperties(registry, NixosFleetInputsSchema);
  const outputs = objectProperties(registry, NixosContainerOutputsSchema);
  // A dynamic provider echoes its inputs as outputs; outputs of its own win.
  const properties = { ...inputs.properties, ...outputs.properties };
  const required = [...new Set([...outputs.required, "connection"])].sort();

  const config = objectProperties(registry, ProviderConfigSchema);
  const types = sortKeys(registry.types);
  const hostProperties = {
    ...hostInputs.properties,
    host: { type: "string", description: "The host, as host or host:port." },
    containers: {
      type: "object",
      additionalProperties: { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } },
      description: "Every container of the host by key: its inputs and the NixosContainer outputs (name, nixConfig, configHash, status, ipAddress, systemPath, modulePath, managedBy).",
    },
  };

  return {
    name: PACKAGE,
    version,
    displayName: "NixOS containers",
    description:
      "Manage NixOS declarative containers (containers.<name>) on remote NixOS hosts over SSH, with Nix diffs in preview, drift detection and one rebuild per host per run.",
    keywords: ["pulumi", "nixos", "nix", "containers", "systemd-nspawn", "ssh"],
    license: "Apache-2.0",
    // Generated SDKs carry `version` (pulumi-plugin.json, package.json, pyproject.toml) and the Go SDK its go.mod.
    meta: { supportPack: true },
    config: { variables: Object.fromEntries(Object.entries(config.properties).map(([k, p]) => [k, { ...p, description: `${p.description} ${CONFIG_NOTE[k] ?? ""}`.trim() }])) },
    types,
    resources: {
      [RESOURCE_TOKEN]: {
        description:
          "A NixOS declarative container on a NixOS host: the module /etc/nixos/pulumi-containers/<name>.nix, applied with nixos-rebuild.",
        properties: secretWhole(properties, types),
        required,
        inputProperties: secretWhole(inputs.properties, types),
        requiredInputs: inputs.required,
      },
      [HOST_RESOURCE_TOKEN]: {
        description:
          "A NixOS host and every container it runs, as one resource: one SSH connection and one nixos-rebuild per host per run. Each container is a module /etc/nixos/pulumi-containers/<name>.nix; its state is reported under containers.<key> (the NixosContainer outputs).",
        properties: secretWhole(hostProperties, types),
        required: ["connection", "containers", "host"],
        inputProperties: secretWhole(hostInputs.properties, types),
        requiredInputs: hostInputs.required,
      },
      [FLEET_RESOURCE_TOKEN]: {
        description:
          "Many NixOS hosts and their containers as one resource: one Pulumi step converges every changed host at once (up to maxParallelHosts), each with one SSH connection and one nixos-rebuild, whatever Pulumi's --parallel is. Each host's state is reported under hosts.<name> (as a NixosHost's), its connection under connections.<name>.",
        properties: {
          maxParallelHosts: fleetInputs.properties.maxParallelHosts,
          hosts: {
            type: "object",
            additionalProperties: { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } },
            description:
              "Every host by name: its rebuild settings, host (as host or host:port) and containers (each with its inputs and the NixosContainer outputs), as a NixosHost reports them, without the connection.",
          },
          connections: {
            type: "object",
            additionalProperties: { $ref: "#/types/nixos:index:Connection" },
            secret: true,
            description: "Each host's connection, by host name.",
          },
        },
        required: ["connections", "hosts"],
        inputProperties: secretWhole(fleetInputs.properties, types),
        requiredInputs: fleetInputs.required,
      },
    },
    language: {
      nodejs: {
        packageName: SDK_NAMES.nodejs,
        packageDescription: "NixOS declarative containers on remote NixOS hosts over SSH (the SDK of the pulumi-resource-nixos plugin).",
        // The types the hand-written SDK's dynamic provider registers (sdk/), for moving to the plugin.
        dynamicResourceType: "pulumi-nodejs:dynamic/nixos:NixosContainer",
        dynamicHostResourceType: "pulumi-nodejs:dynamic/nixos:NixosHost",
        dynamicFleetResourceType: "pulumi-nodejs:dynamic/nixos:NixosFleet",
      },
      python: { packageName: SDK_NAMES.python, pythonRequires: ">=3.10", pyproject: { enabled: true } },
      go: { importBasePath: `${SDK_NAMES.goModule}/${PACKAGE}` },
    },
  };
}

/** What each provider setting is for, after the Connection field's own description. */
const CONFIG_NOTE: Record<string, string> = Object.fromEntries([
  ...["privateKey", "privateKeyPassphrase", "password", "sudoPassword", "agentSocket"].map((k) => [k, `Used where a resource's connection leaves ${k} unset, and by pulumi import.`]),
  ["hostKey", "Used where a resource's connection sets neither hostKey nor knownHostsFile, and by pulumi import."],
  ["knownHostsFile", "Used where a resource's connection sets neither hostKey nor knownHostsFile, and by pulumi import."],
  ["user", "Used by pulumi import (a resource's connection has its own user, root by default)."],
]);

function secretWhole(properties: Record<string, PropertySpec>, types: PackageSchema["types"]): Record<string, PropertySpec> {
  return Object.fromEntries(Object.entries(properties).map(([k, p]) => [k, holdsSecret(p, types) ? { ...p, secret: true } : p]));
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
