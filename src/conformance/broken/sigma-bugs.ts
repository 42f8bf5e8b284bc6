/**
 * Deliberately broken σ-space implementations for the self-check of the σ-space claims
 * (properties/selfcheck-sigma.test.ts). Each wraps the float64 reference with exactly one bug seen
 * in real σ-space code (issue 14's list, and the ones found while writing it) and names the claims
 * expected to reject it.
 */
import type { DiffusionImpl } from '../interface.js';
import { referenceSigmaImpl as ref, sigmaScheduleOf } from '../impls/reference-sigma.js';
import * as R from '../../reference/index.js';
import { broken as brokenFrom, withSampler as withSamplerFrom, type BrokenScoreImpl } from './score-bugs.js';

/** The same shape as the score family's broken implementations. */
export type BrokenSigmaImpl = BrokenScoreImpl;

type Rows = Float64Array[];

/** The σ-space reference with some members replaced (score-bugs.ts's helper on this base). */
function broken(id: string, patch: Partial<DiffusionImpl>): DiffusionImpl {
  return brokenFrom(id, patch, ref);
}

function withSampler(id: string, name: string, fn: R.SamplerFn): DiffusionImpl {
  return withSamplerFrom(id, name, fn, ref);
}

const comb = (a: number, x: Rows, b: number, y: Rows): Rows => x.map((r, k) => r.map((v, i) => a * v + b * y[k][i]));
const toD = (x: Rows, d: Rows, s: number): Rows => comb(1 / s, x, -1 / s, d);

/** A σ-grid loop (no validation: broken code rarely validates). */
function loop(x: Rows, sigmas: ArrayLike<number>, step: (x: Rows, s: number, sn: number, i: number) => Rows, cb?: R.SamplerOptions['callback']): Float64Array[] {
  let cur: Float64Array[] = x.map((r) => Float64Array.from(r));
  for (let i = 0; i + 1 < sigmas.length; i++) {
    cur = step(cur, sigmas[i], sigmas[i + 1], i).map((r) => Float64Array.from(r));
    cb?.({ i, t: sigmas[i], tNext: sigmas[i + 1], x: cur });
  }
  return cur;
}

// 1. Karras schedule without its final power: (σ_max^{1/ρ} + r(σ_min^{1/ρ} - σ_max^{1/ρ})) returned as σ.
function karrasNoPower(n: number, lo: number, hi: number, rho: number): Float64Array {
  const a = hi ** (1 / rho);
  const b = lo ** (1 / rho);
  const out = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? a : a + (i / (n - 1)) * (b - a);
  return out;
}

// 2. The final 0 appended twice (a schedule that already ends at 0 gets another): the last step has h = 0.
function doubleZero(g: Float64Array): Float64Array {
  const out = new Float64Array(g.length + 1);
  out.set(g);
  return out;
}

// 3. Rounded σ→t mapping that never refuses: dense Karras grids repeat timesteps.
function quantizedNoCheck(betas: ArrayLike<number>, sigmas: ArrayLike<number>, mapping: 'interp' | 'quantized'): Float64Array {
  const table = R.discreteSigmas(betas);
  const n = sigmas[sigmas.length - 1] === 0 ? sigmas.length - 1 : sigmas.length;
  return Float64Array.from({ length: n }, (_, i) => (mapping === 'quantized' ? R.sigmaToTimeQuantized(table, sigmas[i]) : R.sigmaToTimeInterp(table, sigmas[i])));
}

// 4. Ancestral split in float32 with the textbook formula and no min(σ_to, ·): σ_up can exceed σ_to by rounding (and for η > 1), σ_down = √(negative) = NaN.
function ancestralFloat32(f: number, t: number, eta: number): { sigmaDown: number; sigmaUp: number } {
  const g = Math.fround;
  const f2 = g(f * f);
  const t2 = g(t * t);
  const up = g(g(eta) * g(Math.sqrt(g(g(t2 * g(f2 - t2)) / f2))));
  return { sigmaDown: g(Math.sqrt(g(t2 - g(up * up)))), sigmaUp: up };
}

// 5. Heun's second stage evaluated at σ̂ instead of σ_{i+1}.
const heunAtSigmaHat: R.SamplerFn = (model, x, sigmas, o = {}) => {
  const D = R.modelDenoiser(model);
  return loop(x, sigmas, (cur, s, sn) => {
    const d = toD(cur, D(cur, s), s);
    const x2 = comb(1, cur, sn - s, d);
    if (sn === 0) return x2;
    const d2 = toD(x2, D(x2, s), s);
    return cur.map((r, k) => r.map((v, i) => v + ((sn - s) / 2) * (d[k][i] + d2[k][i])));
  }, o.callback);
};

// 6. DPM-Solver++(2M) without the order drop on the last step: r = h_{N-2}/h_{N-1} = 0 at σ = 0 (h = ∞).
const dpmpp2mNoDrop: R.SamplerFn = (model, x, sigmas, o = {}) => {
  const D = R.modelDenoiser(model);
  let old: Rows | undefined;
  let hLast = 0;
  return loop(x, sigmas, (cur, s, sn) => {
    const den = D(cur, s);
    const h = Math.log(s) - Math.log(sn); // ∞ when sn = 0
    let dd = den;
    if (old) {
      const q = hLast / h;
      dd = comb(1 + 1 / (2 * q), den, -1 / (2 * q), old);
    }
    old = den;
    hLast = h;
    return comb(sn / s, cur, -Math.expm1(-h), dd);
  }, o.callback);
};

// 7. 3M with the half second-derivative term (k-diffusion's coefficient) even when asked for the Taylor variant.
const dpmpp3mHalfTerm: R.SamplerFn = (model, x, sigmas, o = {}) => R.sampleKDpmpp3mSde(model, x, sigmas, { ...(o as R.KSamplerOptions), variant: 'k-diffusion' } as R.KSamplerOptions & { variant: 'k-diffusion' });

// 8. Euler ancestral adding noise σ_to·z (the full noise level) instead of σ_up·z.
const eulerAncestralFullNoise: R.SamplerFn = (model, x, sigmas, o = {}) => {
  const D = R.modelDenoiser(model);
  const rng = o.rng!;
  return loop(x, sigmas, (cur, s, sn) => {
    const { sigmaDown } = R.ancestralStep(s, sn, 1);
    const next = comb(1, cur, sigmaDown - s, toD(cur, D(cur, s), s));
    return sn > 0 ? next.map((r) => r.map((v) => v + sn * rng.normal())) : next;
  }, o.callback);
};

// 9. v-prediction read with the wrong sign of c_out (D = x̃/(σ²+1) + σ v̂/√(σ²+1)).
function vSignDenoiser(model: R.DiffusionModel): (x: Rows, s: number) => Rows {
  const D = R.modelDenoiser(model);
  if (model.output !== 'v') return D;
  return (x, s) => {
    const t = R.timeOfSigma(model.process, s);
    const a = model.process.alpha(t);
    const v = model.apply(x.map((r) => r.map((u) => u * a)), t);
    const c = R.edmPreconditioning(s, 'v');
    return comb(c.cSkip, x, -c.cOut, v);
  };
}

// 10. LMS with constant-step Adams-Bashforth coefficients on a variable σ grid (AB2: 3/2, -1/2 of Δσ).
const lmsFixedCoefficients: R.SamplerFn = (model, x, sigmas, o = {}) => {
  const D = R.modelDenoiser(model);
  const ds: Rows[] = [];
  const order = (o as R.KSamplerOptions).order ?? 4;
  const AB = [[1], [1.5, -0.5], [23 / 12, -16 / 12, 5 / 12], [55 / 24, -59 / 24, 37 / 24, -9 / 24]];
  return loop(x, sigmas, (cur, s, sn, i) => {
    ds.unshift(toD(cur, D(cur, s), s));
    if (ds.length > order) ds.pop();
    const k = Math.min(i + 1, order);
    let next = cur;
    for (let j = 0; j < k; j++) next = comb(1, next, AB[k - 1][j] * (sn - s), ds[j]);
    return next;
  }, o.callback);
};

// 11. dpmpp_sde with independent draws for the half step and the full step (the Brownian path ignored).
const dpmppSdeIid: R.SamplerFn = (model, x, sigmas, o = {}) => {
  const rng = new R.Rng(12345);
  const iid: R.NoiseSampler = () => x.map((r) => rng.normals(r.length));
  return R.sampleKDpmppSde(model, x, sigmas, { ...(o as R.KSamplerOptions), noiseSampler: iid } as R.KSamplerOptions);
};

export const sigmaBugs: BrokenSigmaImpl[] = [
  {
    id: 'karras-missing-rho-power',
    bug: 'Karras schedule returns the ramp σ_max^{1/ρ} + r(σ_min^{1/ρ} - σ_max^{1/ρ}) without its final power ρ (σ range wrong)',
    expectedCaughtBy: ['sigma.grid-properties'],
    impl: broken('karras-missing-rho-power', { sigmaSchedule: (name, n, o = {}) => (name === 'karras' ? karrasNoPower(n, o.sigmaMin, o.sigmaMax, o.rho ?? 7) : sigmaScheduleOf(name, n, o)) }),
  },
  {
    id: 'zero-appended-twice',
    bug: 'the final σ = 0 is appended to a schedule that already ends at 0: the last step has h = 0 and never denoises',
    expectedCaughtBy: ['sigma.grid-properties'],
    impl: broken('zero-appended-twice', {
      sigmaSchedule: (name, n, o) => doubleZero(sigmaScheduleOf(name, n, o)),
      discreteScheduleSigmas: (betas, n, spacing) => doubleZero(R.discreteScheduleSigmas(R.discreteSigmas(betas), n, { spacing, stepsOffset: spacing === 'leading' ? 1 : 0 })),
    }),
  },
  {
    id: 'quantized-duplicate-timesteps',
    bug: 'σ→t rounded to the nearest timestep without a check: a dense Karras grid evaluates the network twice at one timestep',
    expectedCaughtBy: ['sigma.timesteps-distinct'],
    impl: broken('quantized-duplicate-timesteps', { sigmasToTimesteps: quantizedNoCheck }),
  },
  {
    id: 'ancestral-float32-unclamped',
    bug: 'ancestral split in float32 without min(σ_to, ·): σ_up > σ_to by rounding or for η > 1, σ_down = √(negative) = NaN',
    expectedCaughtBy: ['sigma.ancestral-split'],
    impl: { ...broken('ancestral-float32-unclamped', { ancestralStep: ancestralFloat32 }), precision: 'float32' },
  },
  {
    id: 'heun-second-stage-at-sigma-hat',
    bug: "Heun's corrector evaluates D at σ̂ (the step's start) instead of σ_{i+1}",
    expectedCaughtBy: ['sigma.ode-order'],
    impl: withSampler('heun-second-stage-at-sigma-hat', 'heun', heunAtSigmaHat),
  },
  {
    id: 'dpmpp-2m-no-final-order-drop',
    bug: 'DPM-Solver++(2M) keeps the second-order update on the last step to σ = 0 (r = 0: ∞·(D - D_old))',
    expectedCaughtBy: ['sigma.lands-on-grid', 'sigma.sampling-distribution'],
    impl: withSampler('dpmpp-2m-no-final-order-drop', 'dpmpp_2m', dpmpp2mNoDrop),
  },
  {
    id: 'dpmpp-3m-half-second-derivative',
    bug: "DPM-Solver++(3M) with the second-derivative term halved (k-diffusion's/DPM-Solver's coefficient φ₃·d₂ with d₂ ≈ ½h²D''): second order, not third",
    expectedCaughtBy: ['sigma.ode-order'],
    impl: withSampler('dpmpp-3m-half-second-derivative', 'dpmpp_3m_sde', dpmpp3mHalfTerm),
  },
  {
    id: 'euler-ancestral-full-noise',
    bug: 'Euler ancestral adds σ_to·z instead of σ_up·z (noise level too high at every step)',
    expectedCaughtBy: ['sigma.sampling-distribution'],
    impl: withSampler('euler-ancestral-full-noise', 'euler_ancestral', eulerAncestralFullNoise),
  },
  {
    id: 'v-prediction-wrong-sign',
    bug: 'the v-network read with +σ/√(σ²+1) instead of -σ/√(σ²+1) (c_out sign of EDM Table 1 / k-diffusion DiscreteVDDPMDenoiser)',
    expectedCaughtBy: ['sigma.denoiser-views'],
    impl: broken('v-prediction-wrong-sign', { sigmaDenoiser: vSignDenoiser }),
  },
  {
    id: 'lms-fixed-step-coefficients',
    bug: 'LMS with constant-step Adams-Bashforth coefficients on the variable Karras grid instead of integrating the Lagrange basis',
    expectedCaughtBy: ['sigma.ode-order'],
    impl: withSampler('lms-fixed-step-coefficients', 'lms', lmsFixedCoefficients),
  },
  {
    id: 'dpmpp-sde-iid-noise',
    bug: "dpmpp_sde draws the half-step and full-step noise independently instead of from one Brownian path: no pathwise convergence",
    expectedCaughtBy: ['sigma.sde-strong-order'],
    impl: withSampler('dpmpp-sde-iid-noise', 'dpmpp_sde', dpmppSdeIid),
  },
];
