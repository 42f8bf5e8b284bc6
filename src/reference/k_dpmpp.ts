/**
 * σ-space DPM-Solver++ samplers (Lu et al. 2022b "DPM-Solver++", Algorithms 1-2 and the SDE
 * variants of its §5/App.; k-diffusion's sample_dpmpp_2s_ancestral, sample_dpmpp_sde,
 * sample_dpmpp_2m, sample_dpmpp_2m_sde, sample_dpmpp_3m_sde — behaviour as documented there).
 * Grid, x̃ and noise conventions: see k_euler.ts.
 *
 * In σ-space α = 1 and λ = -log σ, so the data-prediction exponential integrator of the
 * PF-ODE (Lu et al. 2022b eq. 8-9) reads, for a step λ_s → λ_t = λ_s + h,
 *     x̃_t = e^{-h} x̃_s + ∫_0^h e^{-(h-u)} D(λ_s + u) du.
 * The SDE family with noise level η ≥ 0 (η = 1 the reverse SDE; Lu et al. 2022b App. "SDE-DPM-
 * Solver++", k-diffusion's eta) has the same marginals and reads
 *     x̃_t = (σ_t/σ_s) e^{-ηh} x̃_s + ∫_0^h (1+η) e^{-(1+η)(h-u)} D(λ_s+u) du + σ_t √(1 - e^{-2ηh}) z
 * ((σ_t/σ_s) e^{-ηh} = e^{-(1+η)h}; η = 0 is the ODE above).
 * With k = (1+η)h and D(λ_s + u) = D + u D' + ½u² D'' (Taylor), the integral is
 *     -expm1(-k) D + φ₂(k)·(h D') - φ₃(k)·(h² D''),
 *     φ₂(k) = expm1(-k)/k + 1,   φ₃(k) = φ₂(k)/k - ½                                (derived here)
 * (check: ∫_0^h e^{-(h-u)} u²/2 du = h³/6 + O(h⁴) = -φ₃ h² for η = 0, φ₃ = -h/6 + O(h²)).
 */
import { DiffusionInputError, checkFiniteNumber, checkOneOf } from './errors.js';
import type { DiffusionModel, Rows } from './model.js';
import { ancestralStep } from './sigma.js';
import { comb, kSetup, optNumber, sdeNoiseSampler, stepNoise, toD, type KSamplerOptions } from './k_euler.js';

/** φ₂(k) = expm1(-k)/k + 1 (series for small k: k/2 - k²/6 + k³/24). */
export function dpmppPhi2(k: number): number {
  if (Math.abs(k) < 1e-4) return k / 2 - (k * k) / 6 + (k * k * k) / 24;
  return Math.expm1(-k) / k + 1;
}

/** φ₃(k) = φ₂(k)/k - ½ (series for small k: -k/6 + k²/24 - k³/120). */
export function dpmppPhi3(k: number): number {
  if (Math.abs(k) < 1e-3) return -k / 6 + (k * k) / 24 - (k * k * k) / 120;
  return dpmppPhi2(k) / k - 0.5;
}

/** First-order data-prediction step in σ: (σ_t/σ_s) x̃ - expm1(-h) D, h = log(σ_s/σ_t) (DPM-Solver++1 = DDIM η = 0). */
export function dpmppFirstOrder(x: Rows, sigma: number, sigmaNext: number, denoised: Rows): Rows {
  if (sigmaNext === 0) return denoised.map((r) => Float64Array.from(r));
  const h = Math.log(sigma) - Math.log(sigmaNext);
  return comb([
    [sigmaNext / sigma, x],
    [-Math.expm1(-h), denoised],
  ]);
}

/**
 * DPM-Solver++(2S) ancestral: the singlestep second-order data-prediction step (Lu et al. 2022b
 * Algorithm 1, r = ½, where the update uses only D at the midpoint) from σ to σ_down, then
 * + S_noise σ_up z (ancestralStep(σ, σ_next, η)). Euler when σ_down = 0.
 */
export function sampleKDpmpp2sAncestral(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const eta = optNumber(o, 'eta', 1);
  const sNoise = optNumber(o, 'sNoise', 1);
  let cur = x0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    const { sigmaDown, sigmaUp } = ancestralStep(g[i], g[i + 1], eta);
    if (sigmaDown === 0) cur = comb([[1, cur], [-g[i], toD(cur, denoised, g[i])]]);
    else {
      const h = Math.log(g[i]) - Math.log(sigmaDown);
      const sm = g[i] * Math.exp(-0.5 * h);
      const x2 = comb([[sm / g[i], cur], [-Math.expm1(-0.5 * h), denoised]]);
      const d2 = D(x2, sm);
      cur = comb([[sigmaDown / g[i], cur], [-Math.expm1(-h), d2]]);
    }
    if (sigmaUp > 0) cur = comb([[1, cur], [sNoise * sigmaUp, stepNoise(o, cur, g[i], g[i + 1], 'dpmpp_2s_ancestral')]]);
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/**
 * DPM-Solver++ SDE (k-diffusion sample_dpmpp_sde): a stochastic singlestep second-order method.
 * With λ = -log σ, h = λ_{i+1} - λ_i, s = λ_i + r h (r default ½), fac = 1/(2r):
 *   stage 1: ancestral split of σ_i → σ(s); x₂ = (σ_d/σ_i) x̃ - expm1(-(λ_d - λ_i)) D_i + S_noise σ_u z₁;
 *   stage 2: ancestral split of σ_i → σ_{i+1}; D_d = (1 - fac) D_i + fac D(x₂, σ(s));
 *            x̃ ← (σ_d/σ_i) x̃ - expm1(-(λ_d - λ_i)) D_d + S_noise σ_u z₂.
 * z₁ is the noise of the interval (σ_i, σ(s)), z₂ of (σ_i, σ_{i+1}): with a Brownian tree they are
 * correlated as the path requires; with options.rng they are independent. Euler on the step to 0.
 */
export function sampleKDpmppSde(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const eta = optNumber(o, 'eta', 1);
  const sNoise = optNumber(o, 'sNoise', 1);
  const r = checkFiniteNumber('options.r', o.r ?? 0.5);
  if (!(r > 0 && r < 1)) throw new DiffusionInputError('options.r', r, 'must lie in (0, 1)');
  const fac = 1 / (2 * r);
  const noise = eta > 0 && sNoise > 0 ? sdeNoiseSampler(o, [x0.length, x0[0].length], g, 'dpmpp_sde') : undefined;
  const so = { rng: o.rng, noiseSampler: noise };
  let cur = x0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    if (g[i + 1] === 0) cur = comb([[1, cur], [-g[i], toD(cur, denoised, g[i])]]);
    else {
      const h = Math.log(g[i]) - Math.log(g[i + 1]);
      const ss = g[i] * Math.exp(-r * h);
      const a1 = ancestralStep(g[i], ss, eta);
      let x2 = comb([[a1.sigmaDown / g[i], cur], [-Math.expm1(Math.log(a1.sigmaDown / g[i])), denoised]]);
      if (a1.sigmaUp > 0) x2 = comb([[1, x2], [sNoise * a1.sigmaUp, stepNoise(so, x2, g[i], ss, 'dpmpp_sde')]]);
      const d2 = D(x2, ss);
      const a2 = ancestralStep(g[i], g[i + 1], eta);
      const dd = comb([[1 - fac, denoised], [fac, d2]]);
      cur = comb([[a2.sigmaDown / g[i], cur], [-Math.expm1(Math.log(a2.sigmaDown / g[i])), dd]]);
      if (a2.sigmaUp > 0) cur = comb([[1, cur], [sNoise * a2.sigmaUp, stepNoise(so, cur, g[i], g[i + 1], 'dpmpp_sde')]]);
    }
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022b Algorithm 2) in σ: D_d = (1 + 1/(2r)) D_i - 1/(2r) D_{i-1},
 * r = h_{i-1}/h_i; first order on the first step and on the last step when it ends at σ = 0
 * (h = ∞ there: the order drop is what keeps the last step finite; the update returns D_i).
 */
export function sampleKDpmpp2m(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  let cur = x0;
  let old: Rows | undefined;
  let hLast = 0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    if (!old || g[i + 1] === 0) cur = dpmppFirstOrder(cur, g[i], g[i + 1], denoised);
    else {
      const h = Math.log(g[i]) - Math.log(g[i + 1]);
      const q = hLast / h;
      const dd = comb([[1 + 1 / (2 * q), denoised], [-1 / (2 * q), old]]);
      cur = dpmppFirstOrder(cur, g[i], g[i + 1], dd);
    }
    if (g[i + 1] > 0) hLast = Math.log(g[i]) - Math.log(g[i + 1]);
    old = denoised;
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/**
 * SDE-DPM-Solver++(2M) (Lu et al. 2022b; k-diffusion sample_dpmpp_2m_sde), η default 1:
 *   x̃ ← (σ_{i+1}/σ_i) e^{-ηh} x̃ - expm1(-k) D_i + correction + S_noise σ_{i+1} √(-expm1(-2ηh)) z,
 * k = (1+η)h, correction with the divided difference (D_i - D_{i-1})/r, r = h_{i-1}/h:
 *   'midpoint': -½ expm1(-k)·(D_i - D_{i-1})/r      (DPM-Solver++(2M)'s extrapolation at the midpoint)
 *   'heun':     φ₂(k)·(D_i - D_{i-1})/r              (the exact integral of the linear extrapolation).
 * The step to σ = 0 returns D_i.
 */
export function sampleKDpmpp2mSde(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const eta = optNumber(o, 'eta', 1);
  const sNoise = optNumber(o, 'sNoise', 1);
  const solver = checkOneOf('options.solverType', o.solverType ?? 'midpoint', ['midpoint', 'heun'] as const);
  const so = { rng: o.rng, noiseSampler: eta > 0 && sNoise > 0 ? sdeNoiseSampler(o, [x0.length, x0[0].length], g, 'dpmpp_2m_sde') : undefined };
  let cur = x0;
  let old: Rows | undefined;
  let hLast = 0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    if (g[i + 1] === 0) cur = denoised.map((r) => Float64Array.from(r));
    else {
      const h = Math.log(g[i]) - Math.log(g[i + 1]);
      const k = (1 + eta) * h;
      const terms: [number, Rows][] = [
        [(g[i + 1] / g[i]) * Math.exp(-eta * h), cur],
        [-Math.expm1(-k), denoised],
      ];
      if (old) {
        const q = hLast / h;
        const c = solver === 'midpoint' ? (-0.5 * Math.expm1(-k)) / q : dpmppPhi2(k) / q;
        terms.push([c, denoised], [-c, old]);
      }
      cur = comb(terms);
      if (eta > 0 && sNoise > 0) cur = comb([[1, cur], [sNoise * g[i + 1] * Math.sqrt(-Math.expm1(-2 * eta * h)), stepNoise(so, cur, g[i], g[i + 1], 'dpmpp_2m_sde')]]);
      hLast = h;
    }
    old = denoised;
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/**
 * SDE-DPM-Solver++(3M) (k-diffusion sample_dpmpp_3m_sde), η default 1: with the last three D's at
 * λ-spacings h₁ = h_{i-1}, h₂ = h_{i-2} (r₀ = h₁/h, r₁ = h₂/h):
 *   δ₀ = (D_i - D_{i-1})/r₀, δ₁ = (D_{i-1} - D_{i-2})/r₁  (≈ h D' at the two previous midpoints),
 *   d₁ = δ₀ + (δ₀ - δ₁) r₀/(r₀ + r₁)  (≈ h D'(λ_i)),   d₂ = (δ₀ - δ₁)/(r₀ + r₁)  (≈ ½ h² D''),
 *   x̃ ← (σ_{i+1}/σ_i) e^{-ηh} x̃ - expm1(-k) D_i + φ₂(k) d₁ - c₃ φ₃(k) d₂ + noise as in 2M SDE.
 * With the Taylor integral above the second-derivative term is -φ₃ h² D'' = -2φ₃ d₂, so
 * `variant: 'taylor'` uses c₃ = 2 (exact for a quadratic D(λ), third order). k-diffusion (and
 * DPM-Solver's 3M update it follows) uses c₃ = 1 (`variant: 'k-diffusion'`, the default, so that
 * vectors match what people run): its D'' term is half the Taylor term, which makes the ODE
 * limit second order, not third (measured by the convergence claim).
 * Second-order (φ₂ d) on the second step, first order on the first, D_i on the step to 0.
 */
export function sampleKDpmpp3mSde(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const eta = optNumber(o, 'eta', 1);
  const sNoise = optNumber(o, 'sNoise', 1);
  const c3 = checkOneOf('options.variant', options?.variant ?? 'k-diffusion', ['k-diffusion', 'taylor'] as const) === 'taylor' ? 2 : 1;
  const so = { rng: o.rng, noiseSampler: eta > 0 && sNoise > 0 ? sdeNoiseSampler(o, [x0.length, x0[0].length], g, 'dpmpp_3m_sde') : undefined };
  let cur = x0;
  let d1m: Rows | undefined;
  let d2m: Rows | undefined;
  let h1 = 0;
  let h2 = 0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    if (g[i + 1] === 0) cur = denoised.map((r) => Float64Array.from(r));
    else {
      const h = Math.log(g[i]) - Math.log(g[i + 1]);
      const k = (1 + eta) * h;
      const terms: [number, Rows][] = [
        [(g[i + 1] / g[i]) * Math.exp(-eta * h), cur],
        [-Math.expm1(-k), denoised],
      ];
      if (d1m && d2m) {
        const r0 = h1 / h;
        const r1 = h2 / h;
        const delta0 = comb([[1 / r0, denoised], [-1 / r0, d1m]]);
        const delta1 = comb([[1 / r1, d1m], [-1 / r1, d2m]]);
        const w = r0 / (r0 + r1);
        const p2 = dpmppPhi2(k);
        const p3 = c3 * dpmppPhi3(k);
        // φ₂ (δ₀ + w(δ₀ - δ₁)) - p3 (δ₀ - δ₁)/(r₀ + r₁)
        terms.push([p2 * (1 + w) - p3 / (r0 + r1), delta0], [-p2 * w + p3 / (r0 + r1), delta1]);
      } else if (d1m) {
        const r0 = h1 / h;
        const p2 = dpmppPhi2(k);
        terms.push([p2 / r0, denoised], [-p2 / r0, d1m]);
      }
      cur = comb(terms);
      if (eta > 0 && sNoise > 0) cur = comb([[1, cur], [sNoise * g[i + 1] * Math.sqrt(-Math.expm1(-2 * eta * h)), stepNoise(so, cur, g[i], g[i + 1], 'dpmpp_3m_sde')]]);
      h2 = h1;
      h1 = h;
    }
    d2m = d1m;
    d1m = denoised;
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}
