/**
 * The dynamic providers the resources register with: one per kind, each the same six
 * operations of the implementation (provider/dynamic/impl.ts), loaded by package name inside
 * the Pulumi provider process. Pulumi serializes the provider into every resource's state
 * (reference pulumi.md 1.4), so it captures nothing but the kind's name and the operation's:
 * the serialized text never changes between versions (no spurious diffs; a test pins it) and
 * holds no secret and no socket.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { KindName } from "../provider/lifecycle";

const OPERATIONS = ["check", "diff", "create", "read", "update", "delete"] as const;

export function providerFor(kind: KindName): pulumi.dynamic.ResourceProvider {
  return Object.fromEntries(
    OPERATIONS.map((op) => [op, (...args: unknown[]) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args)]),
  ) as unknown as pulumi.dynamic.ResourceProvider;
}
