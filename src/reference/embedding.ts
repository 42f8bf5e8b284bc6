/**
 * Section D5 of the formula catalog: the sinusoidal timestep embedding of Ho et al. 2020
 * (borrowed from the Transformer's positional encoding; seed 001 appendix).
 *
 * Convention (exactly that of Ho et al.'s diffusion_tf `get_timestep_embedding`, which seed 001's
 * appendix translates to PyTorch): with h = ⌊dim/2⌋ and frequencies
 *   ω_k = 10000^{-k/(h-1)} = exp(-k·ln(10000)/(h-1)), k = 0..h-1,
 * the embedding of a timestep value τ is [sin(τω_0), …, sin(τω_{h-1}), cos(τω_0), …, cos(τω_{h-1})]
 * (all sines first, then all cosines), with one trailing 0 when dim is odd. So ω_0 = 1 and
 * ω_{h-1} = 1/10000 exactly.
 * This equals diffusers' `get_timestep_embedding` with its defaults flip_sin_to_cos = false and
 * downscale_freq_shift = 1. It differs from improved-diffusion's `timestep_embedding`, which divides
 * by h instead of h-1 and puts the cosines first.
 *
 * Which τ to feed: Ho et al. and diffusers pass the 0-based step index i = t-1 (`toZeroBased`);
 * improved-diffusion passes the same i (rescaled to 0..1000 when `rescale_timesteps`). This function
 * embeds whatever τ it is given; it does not shift.
 */
import { DiffusionInputError, checkFiniteNumber } from './errors.js';

/** The frequencies ω_k = 10000^{-k/(h-1)}, k = 0..h-1, h = ⌊dim/2⌋ ≥ 2. */
export function timestepFrequencies(dim: number, maxPeriod = 10000): Float64Array {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 4) {
    throw new DiffusionInputError('dim', dim, 'must be an integer ≥ 4 (two frequencies at least: the exponent divides by ⌊dim/2⌋ - 1)');
  }
  checkFiniteNumber('maxPeriod', maxPeriod);
  if (!(maxPeriod > 1)) throw new DiffusionInputError('maxPeriod', maxPeriod, 'must be > 1');
  const h = Math.floor(dim / 2);
  const step = Math.log(maxPeriod) / (h - 1);
  const w = new Float64Array(h);
  for (let k = 0; k < h; k++) w[k] = Math.exp(-k * step);
  return w;
}

/**
 * D5: the sinusoidal embedding of one timestep value τ (a number) or of several (an array of numbers →
 * one row each). See the file comment for the convention. `maxPeriod` is the 10000 of Ho et al.
 */
export function timestepEmbedding(timesteps: number, dim: number, maxPeriod?: number): Float64Array;
export function timestepEmbedding(timesteps: number[], dim: number, maxPeriod?: number): Float64Array[];
export function timestepEmbedding(timesteps: number | number[], dim: number, maxPeriod = 10000): Float64Array | Float64Array[] {
  const w = timestepFrequencies(dim, maxPeriod);
  const h = w.length;
  const one = (tau: number, name: string): Float64Array => {
    checkFiniteNumber(name, tau);
    const out = new Float64Array(dim);
    for (let k = 0; k < h; k++) {
      out[k] = Math.sin(tau * w[k]);
      out[h + k] = Math.cos(tau * w[k]);
    }
    return out;
  };
  if (Array.isArray(timesteps)) {
    if (timesteps.length === 0) throw new DiffusionInputError('timesteps', timesteps, 'must not be empty');
    return timesteps.map((tau, i) => one(tau, `timesteps[${i}]`));
  }
  return one(timesteps, 'timesteps');
}
