/**
 * Numbers. JavaScript has one number type; Nix has 64-bit integers and
 * doubles. The rule:
 * - a safe integer (|n| <= 2^53 - 1) is a Nix integer; `-0` is the integer `0`
 *   (JSON semantics: JSON.stringify(-0) is "0");
 * - every other finite number is a Nix float holding exactly the same double.
 *   This includes integral values beyond 2^53 (`2 ** 60`, `1e300`): past 2^53
 *   a JS number is a double, not an exact integer, so it stays one. To write a
 *   large Nix integer exactly, use raw Nix (the `nix` template accepts bigint).
 * - NaN, ±Infinity and subnormal numbers are refused by the validator: Nix
 *   has no literal for the first three, and Nix 2.8 rejects float literals
 *   below 2.2250738585072014e-308 in magnitude ("invalid float", its strtod
 *   range check), although it can compute such values.
 *
 * Float literals: the Nix lexer needs a dot in the mantissa
 * (`1e300` is `1` applied to the variable `e300`), so JavaScript's shortest
 * round-trip form gets one added: `1e+300` -> `1.0e+300`, `5e-7` -> `5.0e-7`;
 * integral values past 2^53 use the exponent form: `2 ** 53` ->
 * `9.007199254740992e+15`. Nix parses literals with
 * strtod, which rounds correctly, so the shortest round-trip digits give back
 * the very same double.
 */

export const MIN_NORMAL_FLOAT = 2.2250738585072014e-308;

/** Why `n` has no Nix literal, or undefined if it has one. */
export function numberProblem(n: number): string | undefined {
  if (Number.isNaN(n)) return "NaN cannot be represented in Nix";
  if (!Number.isFinite(n)) return `${n} cannot be represented in Nix`;
  if (n !== 0 && Math.abs(n) < MIN_NORMAL_FLOAT) {
    return `${n} is a subnormal float, which Nix 2.8 cannot parse as a literal (use 0, or a magnitude of at least ${MIN_NORMAL_FLOAT})`;
  }
  return undefined;
}

/**
 * `n` as a Nix number literal. Negative numbers come out as `-5`, which is
 * Nix's unary minus: fine as an attribute value, but it must be parenthesised
 * as a list element or function argument (`[ -1 ]` is a syntax error and
 * `f -1` is `f - 1`); the renderer does that.
 */
export function nixNumber(n: number): string {
  const problem = numberProblem(n);
  if (problem) throw new Error(problem);
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? "0" : String(n);
  // Integral values past 2^53 in exponent form, so that 2 ** 60 reads
  // 1.152921504606847e+18 (a float) rather than 1152921504606847000.0, which
  // looks like an exact integer it is not.
  const shortest = Number.isInteger(n) ? n.toExponential() : String(n);
  const m = /^(-?)(\d+)(\.\d+)?(e[+-]\d+)?$/.exec(shortest);
  if (!m) throw new Error(`unexpected number format ${String(n)}`);
  const [, sign, whole, fraction, exponent] = m;
  return `${sign}${whole}${fraction ?? ".0"}${exponent ?? ""}`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A bigint as a Nix integer expression, for the `nix` template. The most
 * negative int64 has no literal (`-9223372036854775808` is `0 -
 * 9223372036854775808`, and that literal overflows), so it is written as a
 * subtraction.
 */
export function nixBigInt(n: bigint): string {
  if (n < INT64_MIN || n > INT64_MAX) {
    throw new Error(`${n} is outside the 64-bit signed range of Nix integers`);
  }
  if (n === INT64_MIN) return `(${INT64_MIN + 1n} - 1)`;
  return n.toString();
}
