/** The types of the Nix value model (value.ts describes it). */

export type NixValue = null | boolean | number | string | NixValue[] | NixAttrs | NixRaw;

export interface NixAttrs {
  [key: string]: NixValue;
}

/** A Nix expression, used verbatim. Exactly one key. */
export interface NixRaw {
  $nix: string;
}
