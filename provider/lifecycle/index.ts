/** The NixosContainer lifecycle as plain functions over a LifecycleContext. */
export { check, type CheckOutcome } from "./check";
export { diff, type DiffOutcome } from "./diff";
export { create, update } from "./apply";
export { read, type ReadOutcome } from "./read";
export { remove } from "./delete";
export { contextFrom, type LifecycleContext } from "./context";
export { resourceId } from "./identity";
export { checkHost } from "./host-check";
export { diffHost } from "./host-diff";
export { createHost, updateHost, deleteHost } from "./host-apply";
export { readHost } from "./host-read";
