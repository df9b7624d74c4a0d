/** The NixosContainer lifecycle as plain functions over a LifecycleContext. */
export { check, type CheckOutcome } from "./check";
export { diff, type DiffOutcome } from "./diff";
export { create, update } from "./apply";
export { read, type ReadOutcome } from "./read";
export { remove } from "./delete";
export { contextFrom, type LifecycleContext } from "./context";
export { resourceId } from "./identity";
