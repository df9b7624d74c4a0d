/** The Nix layer: value model, validator, escaping and renderer. */
export * from "./value";
export { renderNix, renderNixArgument, INLINE_LIST_MAX } from "./render";
export type { RenderOptions } from "./render";
export { nixString, nixAttrName, nixIndentedString, fitsIndentedString, isNixIdentifier, NIX_KEYWORDS, textProblem } from "./escape";
export { nixNumber, nixBigInt, numberProblem, MIN_NORMAL_FLOAT } from "./number";
