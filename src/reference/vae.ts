/**
 * The VAE objective (catalog F6; 004 §1, eqs. 2-14; Kingma & Welling 2019), the bridge to the
 * diffusion ELBO (F1).
 *   ELBO(x) = E_{q_φ(z|x)}[log p_θ(x|z)] - KL(q_φ(z|x) ‖ N(0, I))                          (004 eq. 6)
 * with q_φ(z|x) = N(μ_φ(x), diag σ_φ²(x)) and p_θ(x|z) = N(decode_θ(z), σ_dec² I) (004 eqs. 7, 11).
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt, checkSameLength, checkVec } from './errors.js';
import type { Rng } from './rng.js';

/**
 * KL(N(μ, diag e^{logVar}) ‖ N(0, I)) = ½ Σ_i (e^{logVar_i} + μ_i² - 1 - logVar_i) (004 eq. 14).
 * Seed 004 eq. (14) prints (σ²)^d and d·log σ² for the isotropic case; the correct isotropic form
 * is ½(dσ² + μᵀμ - d - d log σ²), which this per-coordinate sum reduces to.
 */
export function vaeKlStandardNormal(mu: ArrayLike<number>, logVar: ArrayLike<number>): number {
  const m = checkVec('mu', mu);
  const lv = checkVec('logVar', logVar);
  checkSameLength('mu', m, 'logVar', lv);
  let s = 0;
  for (let i = 0; i < m.length; i++) s += Math.exp(lv[i]) + m[i] * m[i] - 1 - lv[i];
  return 0.5 * s;
}

/**
 * log p_θ(x|z) = -‖x - x̂‖²/(2σ_dec²) - (D/2) log(2π σ_dec²), x̂ = decode(z) (004 eq. 11, with the
 * normalization the seed says may be ignored kept, so that the ELBO bounds log p(x)).
 */
export function gaussianDecoderLogLikelihood(x: ArrayLike<number>, xHat: ArrayLike<number>, sigmaDec: number): number {
  const a = checkVec('x', x);
  const b = checkVec('xHat', xHat);
  checkSameLength('x', a, 'xHat', b);
  const s = checkFiniteNumber('sigmaDec', sigmaDec);
  if (!(s > 0)) throw new DiffusionInputError('sigmaDec', s, 'must be > 0');
  let q = 0;
  for (let i = 0; i < a.length; i++) q += (a[i] - b[i]) ** 2;
  return -q / (2 * s * s) - 0.5 * a.length * Math.log(2 * Math.PI * s * s);
}

export interface VaeEncoderOutput {
  mean: ArrayLike<number>;
  logVar: ArrayLike<number>;
}

/**
 * Monte Carlo ELBO of one x (004 eq. 12): (1/L) Σ_ℓ log p_θ(x | z^(ℓ)) - KL(q_φ(z|x) ‖ N(0, I)),
 * z^(ℓ) = μ_φ(x) + σ_φ(x) ⊙ w, w ~ N(0, I) (reparameterization, 004 eqs. 8-9).
 */
export function vaeElbo(
  x: ArrayLike<number>,
  encoder: (x: Float64Array) => VaeEncoderOutput,
  decoder: (z: Float64Array) => ArrayLike<number>,
  sigmaDec: number,
  rng: Rng,
  samples = 1,
): number {
  const xv = checkVec('x', x);
  if (typeof encoder !== 'function') throw new DiffusionInputError('encoder', encoder, 'must be a function x → {mean, logVar}');
  if (typeof decoder !== 'function') throw new DiffusionInputError('decoder', decoder, 'must be a function z → x̂');
  checkPositiveInt('samples', samples);
  const enc = encoder(xv);
  const mu = checkVec('encoder(x).mean', enc?.mean);
  const lv = checkVec('encoder(x).logVar', enc?.logVar);
  checkSameLength('encoder(x).mean', mu, 'encoder(x).logVar', lv);
  let rec = 0;
  for (let l = 0; l < samples; l++) {
    const w = rng.normals(mu.length);
    const z = mu.map((m, i) => m + Math.exp(0.5 * lv[i]) * w[i]);
    rec += gaussianDecoderLogLikelihood(xv, decoder(z), sigmaDec);
  }
  return rec / samples - vaeKlStandardNormal(mu, lv);
}

/**
 * The linear-Gaussian example of 004 §1.1-1.2 made exact: p(z) = N(0, 1), p(x|z) = N(c z + d, s²).
 * Then p(x) = N(d, c² + s²) and the true posterior is N(c(x-d)/(c²+s²), s²/(c²+s²)); with q equal
 * to it the ELBO equals log p(x) (the KL gap of 004 eq. 3 is 0). Returns those closed forms.
 * (Seed 004 writes the decoder variance as c; with variance c² its optimum c = σ, d = μ follows.)
 */
export function linearGaussianVae(c: number, d: number, s: number, x: number): { logEvidence: number; posteriorMean: number; posteriorLogVar: number } {
  checkFiniteNumber('c', c);
  checkFiniteNumber('d', d);
  checkFiniteNumber('x', x);
  if (!(checkFiniteNumber('s', s) > 0)) throw new DiffusionInputError('s', s, 'must be > 0');
  const v = c * c + s * s;
  return {
    logEvidence: -0.5 * Math.log(2 * Math.PI * v) - ((x - d) * (x - d)) / (2 * v),
    posteriorMean: (c * (x - d)) / v,
    posteriorLogVar: Math.log((s * s) / v),
  };
}
