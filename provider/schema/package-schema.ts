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
import { NixosContainerOutputsSchema } from "../container/outputs";
import { NixosHostInputsSchema, HostContainerSchema } from "../container/host-schema";
import { NixosFleetInputsSchema, FleetHostSchema } from "../container/fleet-schema";
import { TypeRegistry, objectProperties, type PropertySpec, type ObjectTypeSpec, type EnumTypeSpec } from "./zod-to-pulumi";

export const PACKAGE = "nixos";
export const RESOURCE_TOKEN = `${PACKAGE}:index:NixosContainer`;
export const HOST_RESOURCE_TOKEN = `${PACKAGE}:index:NixosHost`;
export const FLEET_RESOURCE_TOKEN = `${PACKAGE}:index:NixosFleet`;

export interface PackageSchema {
  name: string;
  displayName: string;
  description: string;
  keywords: string[];
  license: string;
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

export function buildPackageSchema(): PackageSchema {
  const registry = new TypeRegistry(PACKAGE);
  registry.name(ConnectionSchema, "Connection");
  registry.name(JumpHostSchema, "JumpHost");
  registry.name(TimeoutsSchema, "ConnectionTimeouts");
  registry.name(ForwardPortSchema, "ForwardPort");
  registry.name(BindMountSchema, "BindMount");
  registry.name(AllowedDeviceSchema, "AllowedDevice");
  registry.name(ExtraVethSchema, "ExtraVeth");
  registry.name(ResourcesSchema, "Resources");
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

  return {
    name: PACKAGE,
    displayName: "NixOS containers",
    description:
      "Manage NixOS declarative containers (containers.<name>) on remote NixOS hosts over SSH, with Nix diffs in preview, drift detection and one rebuild per host per run.",
    keywords: ["pulumi", "nixos", "nix", "containers", "systemd-nspawn", "ssh"],
    license: "Apache-2.0",
    types: sortKeys(registry.types),
    resources: {
      [RESOURCE_TOKEN]: {
        description:
          "A NixOS declarative container on a NixOS host: the module /etc/nixos/pulumi-containers/<name>.nix, applied with nixos-rebuild.",
        properties,
        required,
        inputProperties: inputs.properties,
        requiredInputs: inputs.required,
      },
      [HOST_RESOURCE_TOKEN]: {
        description:
          "A NixOS host and every container it runs, as one resource: one SSH connection and one nixos-rebuild per host per run. Each container is a module /etc/nixos/pulumi-containers/<name>.nix; its state is reported under containers.<key> (the NixosContainer outputs).",
        properties: {
          ...hostInputs.properties,
          host: { type: "string", description: "The host, as host or host:port." },
          containers: {
            type: "object",
            additionalProperties: { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } },
            description: "Every container of the host by key: its inputs and the NixosContainer outputs (name, nixConfig, configHash, status, ipAddress, systemPath, modulePath, managedBy).",
          },
        },
        required: ["connection", "containers", "host"],
        inputProperties: hostInputs.properties,
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
        inputProperties: fleetInputs.properties,
        requiredInputs: fleetInputs.required,
      },
    },
    language: { nodejs: { packageName: "pulumi-nixos-containers", dynamicResourceType: "pulumi-nodejs:dynamic/nixos:NixosContainer", dynamicHostResourceType: "pulumi-nodejs:dynamic/nixos:NixosHost", dynamicFleetResourceType: "pulumi-nodejs:dynamic/nixos:NixosFleet" } },
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
