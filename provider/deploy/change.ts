/** What the lifecycle asks a host to do to one container, and what it gets back. */
import type { PostAction } from "./scripts";
import type { HostSecretFile } from "./protocol";
import type { SecretFileChange } from "./secrets-scripts";
import type { HealthChecks } from "./health";

export type { SecretFileChange };

/** Who manages a container (the SDK's hidden `__owner` input): recorded on the host with its module. */
export interface Owner {
  organization: string;
  project: string;
  stack: string;
  /** The Pulumi resource (a NixosContainer, or the NixosHost holding the container). */
  urn: string;
}

export interface ContainerChange {
  name: string;
  /** Who asks for the change; undefined for resources made by an SDK older than the owner record. */
  owner?: Owner;
  /** "secrets": only the container's secret files change; no module is written and no nixos-rebuild runs. */
  kind: "create" | "update" | "delete" | "secrets";
  /** The module to write (create, update). */
  module?: string;
  /** Take over a container that exists on the host but was not written by this provider. */
  adopt?: boolean;
  rebuildAction: "switch" | "test" | "boot";
  updateStrategy: "reload" | "restart" | "none";
  /** The container is declared with `flake`: `nixos-container update` builds and activates it (reference D.3). */
  flake?: boolean;
  /** Delete only: also remove /var/lib/nixos-containers/NAME. */
  deleteData?: boolean;
  rebuildTimeoutSeconds: number;
  /**
   * The container's secret files (create, update, secrets): every file it declares, in order.
   * Undefined or empty: it has none, and its secrets directory goes (also on delete).
   */
  secrets?: SecretFileChange[];
  /** Create and update: checked inside the container after the switch (health-gate.ts). */
  healthChecks?: HealthChecks;
  /** When it fails them: put its previous module back (the default), or keep the new one (false). */
  rollback?: boolean;
}


export interface ContainerState {
  name: string;
  /** The module file as it is on the host, or null. */
  module: string | null;
  /** /etc/nixos-containers/NAME.conf, or null when NixOS does not know the container. */
  conf: string | null;
  /** Who manages the container, as recorded on the host beside its module (null: no record; undefined: not read). */
  owner?: Owner | null;
  status: "up" | "down" | "gone";
  /** The system the container is set to run (SYSTEM_PATH, or the flake profile). */
  systemPath?: string;
  ipAddress?: string;
  /** Its secret files on the host, when read (refresh): null when it has no secrets directory. */
  secrets?: HostSecretFile[] | null;
}

export interface ChangeResult {
  state: ContainerState;
  /** What was done to the running container after the rebuild. */
  postAction: PostAction | "started-by-switch" | "none";
  /** Units that failed during activation but are not this container's. */
  warnings: string[];
}

/** How one change of a batch ended: applied (result) or not (error). */
export interface ChangeOutcome {
  name: string;
  result?: ChangeResult;
  error?: Error;
}
