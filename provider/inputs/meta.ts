/**
 * Documentation metadata attached to zod schemas with `.meta()`. The schema
 * generator (scripts/gen-schema.ts) turns it into schema.json, and the docs
 * generator into docs/options.md, so every option is described once.
 */
export interface OptionMeta {
  description: string;
  /** The NixOS option this input sets, e.g. `containers.<name>.autoStart`. */
  nixosOption?: string;
  /** The first NixOS release that has the option, when it is recent. */
  nixosSince?: string;
  /** NixOS's default, documented; the provider leaves an unset option out of the module. */
  nixosDefault?: unknown;
  /**
   * The provider's default for a setting it keeps optional in its inputs (so that adding the
   * setting changed nothing in the state of existing stacks): documented, never filled in.
   */
  providerDefault?: unknown;
  /** The value is a credential: secret in Pulumi state, never logged. */
  secret?: boolean;
  /** Changing it replaces the container (delete on the old target, create on the new). */
  replaceOnChanges?: boolean;
}

declare module "zod" {
  interface GlobalMeta extends Partial<OptionMeta> {}
}
