/** pulumi-nixos-containers: NixOS declarative containers as Pulumi resources. */
export { NixosContainer } from "./nixos-container";
export type { NixosContainerArgs } from "./args";
export { NixosHost, type NixosHostArgs, type HostContainerArgs, type HostContainerOutputs } from "./nixos-host";
export { NixosFleet, type NixosFleetArgs, type FleetHostOutputs } from "./nixos-fleet";
export { nix, raw, isRaw, type NixValue, type NixRaw, type NixAttrs } from "../provider/nix/value";
export { renderContainerModule } from "../provider/container/module";
export { validateContainer, formatProblems } from "../provider/container/validate";
export { Fleet, type FleetArgs, type FleetContainer } from "./fleet";
export { hostsFromConfig, type HostConnection } from "./stack-hosts";
