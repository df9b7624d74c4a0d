/** The outputs of a NixosContainer: its inputs plus what the host reports. */
import { configHash } from "../container/module";
import { modulePath } from "../deploy/layout";
import type { ContainerState } from "../deploy/change";
import type { ContainerSpec } from "../container/validate";
import type { NixosContainerOutputs } from "../container/outputs";
import { hostLabel } from "./identity";

export function outputsFor(spec: ContainerSpec, module: string, state: ContainerState): Record<string, unknown> & NixosContainerOutputs {
  const outputs: NixosContainerOutputs = {
    name: spec.name,
    host: hostLabel(spec.connection),
    nixConfig: state.module ?? module,
    configHash: configHash(state.module ?? module),
    status: state.status === "up" ? "up" : "down",
    modulePath: modulePath(spec.name),
    // Always present (null when there is none), so a preview never shows them as unknown.
    ipAddress: state.ipAddress ?? null,
    systemPath: state.systemPath ?? null,
    managedBy: null,
  };
  return { ...spec, ...outputs };
}
