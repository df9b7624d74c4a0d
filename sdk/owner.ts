/**
 * Who manages a resource's containers: the Pulumi organization, project, stack and the
 * resource's URN. Passed to the provider as the hidden input `__owner` (keys starting with
 * `__` are Pulumi's internal ones: never shown in a diff, never a reason to update), so a
 * stack rename or a refactor that moves a resource does not look like a change on the host.
 * The provider records it on the host with every module it writes and reads it back to
 * refuse taking over another stack's container; progress lines use the URN to land on the
 * resource's own row. Not a secret, never a credential.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Owner } from "../provider/deploy/change";


/** The owner of a resource about to be registered as `type` / `name` under `opts.parent`. */
export function ownerInput(type: string, name: string, opts?: pulumi.CustomResourceOptions): Owner {
  return { organization: organization(), project: pulumi.getProject(), stack: pulumi.getStack(), urn: urnOf(type, name, opts?.parent) };
}

/**
 * The URN the engine will give the resource: its type qualified by its parents' types (the
 * stack itself excepted). Computed here, synchronously, from the parent chain, because an
 * input that waits for the parent's URN output can stall the registration of a component's
 * children.
 */
function urnOf(type: string, name: string, parent: pulumi.Resource | undefined): string {
  const types = [type];
  // `__parentResource` is how the SDK links a resource to its parent (resource.js); it has no public accessor.
  for (let p: pulumi.Resource | undefined = parent; p; p = (p as unknown as { __parentResource?: pulumi.Resource }).__parentResource) {
    const t = pulumi.resourceType(p);
    if (t !== "pulumi:pulumi:Stack") types.unshift(t);
  }
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${types.join("$")}::${name}`;
}

/**
 * The organization, as the engine told the program. Self-managed backends call theirs
 * "organization"; older language hosts (and the SDK's mocks) do not send one at all, and
 * getOrganization() then throws.
 */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "organization";
  }
}
