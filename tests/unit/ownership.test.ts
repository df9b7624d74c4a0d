/**
 * The owner rule of provider/deploy/ownership.ts, case by case: what a change may do to a
 * container given the owner recorded on the host. (The same cases through the real CLI on a
 * simulated host: tests/reliability/owners.test.ts.)
 */
import { ownerRecord, ownerVerdict, parseOwnerRecord } from "../../provider/deploy/ownership";
import type { ContainerChange, Owner } from "../../provider/deploy/change";

const owner = (stack: string, resource = "hello"): Owner => ({
  organization: "org",
  project: "proj",
  stack,
  urn: `urn:pulumi:${stack}::proj::pulumi-nodejs:dynamic/nixos:NixosContainer::${resource}`,
});
const change = (kind: ContainerChange["kind"], by: Owner | undefined, adopt = false): ContainerChange => ({
  name: "hello",
  owner: by,
  kind,
  module: kind === "delete" ? undefined : "{ }",
  adopt,
  rebuildAction: "switch",
  updateStrategy: "reload",
  rebuildTimeoutSeconds: 60,
});
const A = owner("teama");
const B = owner("teamb");

it.each([
  ["create, no module on the host (a stale record counts as none)", change("create", B), A, false, { kind: "write" }],
  ["create over a module without a record (an older provider version)", change("create", B), null, true, { kind: "write" }],
  ["update of this resource's own container", change("update", A), A, true, { kind: "write" }],
  ["update from another resource of the same stack (a rename, a NixosHost)", change("update", owner("teama", "host")), A, true, { kind: "write" }],
  ["create of another stack's container", change("create", B), A, true, { kind: "refuse", other: A }],
  ["update of another stack's container", change("update", B), A, true, { kind: "refuse", other: A }],
  ["create with adopt: true of another stack's container", change("create", B, true), A, true, { kind: "write", takeover: A }],
  ["create from a resource without an owner (an older SDK) where a record exists", change("create", undefined), A, true, { kind: "refuse", other: A }],
  ["delete of this resource's own container", change("delete", A), A, true, { kind: "write" }],
  ["delete by the old resource after a move within the stack", change("delete", owner("teama", "old")), A, true, { kind: "leave", other: A }],
  ["delete of another stack's container, even with adopt", change("delete", B, true), A, true, { kind: "leave", other: A }],
  ["delete of a module without a record", change("delete", B), null, true, { kind: "write" }],
])("%s", (_case, c, recorded, moduleExists, verdict) => {
  expect(ownerVerdict(c, recorded, moduleExists)).toEqual(verdict);
});

it("a record reads back as the owner it was written from; anything else counts as no record", () => {
  expect(parseOwnerRecord(ownerRecord(A))).toEqual(A);
  expect(parseOwnerRecord(`${ownerRecord(A)}\n`)).toEqual(A);
  expect(parseOwnerRecord(null)).toBeNull();
  expect(parseOwnerRecord("{ not json")).toBeNull();
  expect(parseOwnerRecord('{"stack":"teama"}')).toBeNull();
});
