/**
 * The lifecycle core: one implementation of check, plan (diff), converge and read over a set of
 * hosts, for every resource kind. Fronts reach it through `resourceOps(kind, …)`.
 */
export { resourceOps, type ResourceOps, type ReadOutcome } from "./resource";
export { KINDS, type KindName, type ResourceKind } from "./kinds";
export { contextFrom, type LifecycleContext, type Redactor } from "./context";
export { resourceId, hostLabel } from "./identity";
export { check, type CheckOutcome } from "./check";
export { diff, plan, type DiffOutcome } from "./plan";
export { converge } from "./converge";
export { read } from "./read";
export { importResource, importTarget, type Imported } from "./import";
