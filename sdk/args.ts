/**
 * The NixosContainer argument type, derived from the zod schema (the same
 * one schema.json is generated from): every input accepts a value or a
 * pulumi.Input of it, at any depth. The reference is docs/options.md.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { NixosContainerInputs } from "../provider/container/schema";
import type { NixRaw } from "../provider/nix/value";

type Scalar = string | number | boolean | null | undefined;

/** `T` where every part may be a pulumi.Input. */
export type DeepInput<T> = T extends Scalar
  ? pulumi.Input<T>
  : T extends readonly (infer U)[]
    ? pulumi.Input<DeepInput<U>[]>
    : pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>;

/** A Nix value whose parts may be pulumi.Inputs (an address from another resource inside config). */
export type NixInput = pulumi.Input<string | number | boolean | null | NixRaw | NixInput[] | { [key: string]: NixInput | undefined }>;

type NixValued = "config" | "specialArgs" | "nixpkgs" | "path";
type Plain = Omit<NixosContainerInputs, "nixConfig" | NixValued>;

export type NixosContainerArgs = { [K in keyof Plain]: DeepInput<Plain[K]> } & {
  /** The container's NixOS configuration: an object rendered to Nix, or a string holding a whole module. */
  config?: NixInput;
  specialArgs?: pulumi.Input<{ [key: string]: NixInput }>;
  nixpkgs?: pulumi.Input<string | NixRaw>;
  path?: pulumi.Input<string | NixRaw>;
};
