/**
 * zod views of the Nix value model (provider/nix/value.ts). The model's own
 * checker decides what can be rendered; these schemas report its findings as
 * zod issues so they come out with the property path like every other error.
 */
import { z } from "zod";
import { type NixAttrs, type NixRaw, type NixValue, isRaw, checkNixValue } from "../nix/value";

/** The checker's lines read `inner.path: message`; the option's own path is added by zod. */
function reportNixProblems(value: unknown, ctx: z.RefinementCtx): void {
  for (const line of checkNixValue(value, "")) {
    const message = line.startsWith("value: ") ? line.slice("value: ".length) : line;
    ctx.addIssue({ code: "custom", message });
  }
}

/** Any value the renderer can turn into Nix: JSON-like data and `{ "$nix": "…" }` raw expressions. */
export const NixValueSchema = z.custom<NixValue>(() => true).superRefine(reportNixProblems);

/** An attribute set (a plain object), e.g. a NixOS module body. */
export const NixAttrsSchema = z
  .custom<NixAttrs>((v) => typeof v === "object" && v !== null && !Array.isArray(v) && !isRaw(v), {
    message: 'expected an object (an attribute set), or {"$nix": "…"} where raw Nix is meant',
  })
  .superRefine(reportNixProblems);

/** A raw Nix expression, `{ "$nix": "…" }`, as the nix`…` template makes it. */
export const NixRawSchema = z.custom<NixRaw>((v) => isRaw(v)).superRefine(reportNixProblems);

/** A Nix path option: an absolute path string, or raw Nix such as `pkgs.path`. */
export const NixPathSchema = z.union(
  [
    z.string().refine((s) => s.startsWith("/") && !/[\x00-\x1f]/.test(s), "expected an absolute path"),
    NixRawSchema,
  ],
  { message: 'expected an absolute path or raw Nix ({"$nix": "pkgs.path"})' },
);
