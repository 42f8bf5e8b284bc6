/**
 * The float32 constants every bound of the library is written in (Higham, "Accuracy and Stability
 * of Numerical Algorithms", 2nd ed., §2.1, §3.1): the unit roundoff u and γ_n = n·u/(1 − n·u).
 */

/** Unit roundoff of float32: u = 2^-24. */
export const U32 = 2 ** -24;
/** Unit roundoff of float64: 2^-53 (the reference's own error, where it is not negligible). */
export const U64 = 2 ** -53;
/** γ_n = n·u/(1 − n·u) for float32. */
export function gamma(n: number): number {
  return (n * U32) / (1 - n * U32);
}
