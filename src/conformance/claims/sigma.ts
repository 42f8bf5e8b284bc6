/**
 * Claims for σ-space (EDM, Karras et al. 2022) and the k-diffusion sampler family (issue 14),
 * checked against the exact Gaussian-mixture oracle and closed forms.
 *
 * The σ-space samplers take a σ grid (strictly decreasing, one final 0) and x̃ = x_t/α in σ-space
 * (src/reference/sigma.ts). Ground truth the implementation does not provide (the mixtures' CDFs,
 * exact draws of p_σ, the Gaussian flow) comes from the float64 reference's closed forms.
 *
 * Statistical claims follow the suite's rule: a fixed seed, the per-claim false-alarm rate
 * FALSE_ALARM_RATE split over the claim's tests by Bonferroni, thresholds derived from it; the
 * step counts are chosen so that the discretization bias of every sampler is far below the
 * threshold (measured bias D_∞ at n = 20 000 listed beside each case), so the claim holds for any
 * seed at the stated rate.
 */
import fc from 'fast-check';
import type { Arr, DiffusionImpl, MixtureSpec } from '../interface.js';
import { ErrorTracker, FALSE_ALARM_RATE, FC_SEED, bonferroni, unitRoundoff, zTwoSided, type Claim } from '../harness.js';
import { ksCritical, ksStatistic, fittedOrder } from './score.js';
import * as R from '../../reference/index.js';

type Rows = Float64Array[];

/** 2-D, diagonal, two well-separated components (diagonal: the oracle's fast path). */
export const MIX_SIGMA: MixtureSpec = { weights: [0.3, 0.7], means: [[1.5, -1], [-1, 0.5]], stds: [[0.7, 0.55], [0.63, 0.77]] };
const SIGMA_MIN = 0.002;
const SIGMA_MAX = 80;

const mixCache = new Map<MixtureSpec, R.GaussianMixture>();
function mixOf(spec: MixtureSpec): R.GaussianMixture {
  let m = mixCache.get(spec);
  if (!m) mixCache.set(spec, (m = R.makeMixture(spec)));
  return m;
}

function processFor(impl: DiffusionImpl, kind: 'vp' | 've' | 'discrete-vp'): R.Process {
  if (kind === 'vp') return impl.scoreProcess!('vp', { betaMin: 0.1, betaMax: 20 });
  if (kind === 've') return impl.scoreProcess!('ve', { sigmaMin: 0.001, sigmaMax: 100 });
  return impl.scoreProcess!('discrete-vp', R.betaSchedule('linear', 1000));
}

// ---------------------------------------------------------------------------------------------
// The σ-space sampler cases

/** One run of the distribution claim. */
export interface SigmaSamplerCase {
  label: string;
  sampler: string;
  steps: number;
  options?: Record<string, unknown>;
  process?: 'vp' | 've';
  output?: 'eps' | 'x0' | 'v';
}

/**
 * Distribution runs, read from the descriptor table (checks.sigmaDistribution, in table order: the
 * seeds follow it). Karras ρ = 7, σ from 80 to 0.002, then 0; target: the data mixture. The step
 * counts keep the discretization bias of the KS statistic below ~0.3 of the critical value
 * (D at n = 20 000: ≤ 0.018 for every case, against D_crit(2000) = 0.068).
 */
export const SIGMA_SAMPLER_CASES: SigmaSamplerCase[] = R.SAMPLER_LIST.flatMap((d) =>
  (d.checks.sigmaDistribution ?? []).map((c) => ({
    label: c.label,
    sampler: d.name,
    steps: c.steps,
    ...(c.options ? { options: { ...c.options } } : {}),
    ...(c.process ? { process: c.process } : {}),
    ...(c.output ? { output: c.output } : {}),
  })),
);

/** Run one case: x̃ ~ the exact p_{σ_max} (x_0 + σ_max ε), the impl's oracle and sampler, Karras grid with final 0. */
export function runSigmaCase(impl: DiffusionImpl, c: SigmaSamplerCase, n: number, seed: number): { out: Rows; target: R.GaussianMixture } {
  const mix = mixOf(MIX_SIGMA);
  const proc = processFor(impl, c.process ?? 'vp');
  const model = impl.mixtureModel!(MIX_SIGMA, proc, c.output ?? 'eps');
  const grid = impl.sigmaSchedule ? Array.from(impl.sigmaSchedule('karras', c.steps, { sigmaMin: SIGMA_MIN, sigmaMax: SIGMA_MAX, rho: 7 })) : Array.from(R.karrasSigmas(c.steps, SIGMA_MIN, SIGMA_MAX));
  const rng = new R.Rng(seed);
  const x = R.sampleMixture(R.noisyMixture(mix, 1, grid[0]), n, rng);
  const out = impl.scoreSampler!(c.sampler)(model, x, grid, { rng, ...(c.options ?? {}) });
  return { out, target: mix };
}

/** Fourth central moment per coordinate of a diagonal mixture: Σ π_k [(m_k-μ)⁴ + 6(m_k-μ)² v_k + 3 v_k²]. */
function fourthCentral(mix: R.GaussianMixture, c: number, mu: number): number {
  let s = 0;
  mix.weights.forEach((w, k) => {
    const cv = mix.covs[k];
    const v = cv.kind === 'diag' ? cv.variances[c] : cv.cov[c * mix.dim + c];
    const d = mix.means[k][c] - mu;
    s += w * (d ** 4 + 6 * d * d * v + 3 * v * v);
  });
  return s;
}

/**
 * KS, mean and variance tests per coordinate at false-alarm rate α each. The variance test uses
 * the CLT for the sample variance, Var(s²) ≈ (μ₄ - σ⁴)/n, with a Cornish-Fisher margin for its
 * skewness (γ ≤ 2√(8/n), twice the Gaussian-data value): z' = z + γ(z² - 1)/6.
 */
function distributionTests(tr: ErrorTracker, label: string, out: Rows, target: R.GaussianMixture, alpha: number): string {
  const n = out.length;
  const dCrit = ksCritical(n, alpha);
  const z = zTwoSided(alpha);
  const gamma = 2 * Math.sqrt(8 / n);
  const zVar = z + (gamma * (z * z - 1)) / 6;
  const mom = R.mixtureMoments(target);
  const ds: string[] = [];
  for (let c = 0; c < target.dim; c++) {
    const xs = out.map((r) => r[c]);
    if (!xs.every(Number.isFinite)) tr.fail(`${label}: non-finite samples`);
    const D = ksStatistic(xs, (x) => R.mixtureMarginalCdf(target, c, x));
    ds.push(D.toFixed(4));
    tr.atMost(`${label}: KS D_n, coord ${c}`, D, dCrit);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    tr.atMost(`${label}: |mean - μ|/(σ/√n), coord ${c}`, Math.abs(mean - mom.mean[c]) / Math.sqrt(mom.variance[c] / n), z);
    const v = xs.reduce((a, b) => a + (b - mom.mean[c]) ** 2, 0) / n;
    const se = Math.sqrt((fourthCentral(target, c, mom.mean[c]) - mom.variance[c] ** 2) / n);
    tr.atMost(`${label}: |s² - σ²|/se, coord ${c}`, Math.abs(v - mom.variance[c]) / se, zVar);
  }
  return `${label}: D=${ds.join('/')}`;
}

const samplingDistribution: Claim = {
  id: 'sigma.sampling-distribution',
  title: 'every σ-space sampler run with the exact mixture oracle on a Karras grid ending at σ = 0 produces the data mixture (KS, mean and variance per coordinate)',
  catalog: 'issue 14 (claim 8 for σ-space; G, EDM Alg. 1-2, DPM-Solver++)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker('sigma.sampling-distribution');
    const n = 2000;
    const dim = mixOf(MIX_SIGMA).dim;
    const nTests = SIGMA_SAMPLER_CASES.length * 3 * dim;
    const a = bonferroni(FALSE_ALARM_RATE, nTests);
    const notes = SIGMA_SAMPLER_CASES.map((c, k) => {
      const { out, target } = runSigmaCase(impl, c, n, FC_SEED + 1400 + k);
      return distributionTests(tr, c.label, out, target, a);
    });
    return tr.result(`${SIGMA_SAMPLER_CASES.length} samplers × n=${n}; KS critical D=${ksCritical(n, a).toFixed(4)}, z=${zTwoSided(a).toFixed(2)} at α=${a.toExponential(2)} (FAR ${FALSE_ALARM_RATE}/${nTests}); ${notes.join('; ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Grids

const SCHEDULE_CASES: { name: string; options: Record<string, number> }[] = [
  { name: 'karras', options: { sigmaMin: 0.002, sigmaMax: 80, rho: 7 } },
  { name: 'karras', options: { sigmaMin: 0.0292, sigmaMax: 14.6, rho: 7 } },
  { name: 'exponential', options: { sigmaMin: 0.002, sigmaMax: 80 } },
  { name: 'polyexponential', options: { sigmaMin: 0.002, sigmaMax: 80, rho: 2 } },
  { name: 'vp', options: { betaD: 19.9, betaMin: 0.1, epsS: 1e-3 } },
];

/** Checks a σ grid of n steps: n+1 entries, strictly decreasing, one final exact 0 (no zero-length step). */
function checkGrid(tr: ErrorTracker, label: string, g: Arr, n: number): void {
  if (g.length !== n + 1) tr.fail(`${label}: ${g.length} entries, expected n + 1 = ${n + 1} (the final 0 appended exactly once)`);
  if (g[n] !== 0) tr.fail(`${label}: last entry ${g[n]}, expected exactly 0`);
  for (let i = 0; i < n; i++) {
    if (!(Number.isFinite(g[i]) && g[i] > 0)) tr.fail(`${label}: entry ${i} = ${g[i]} (only the last entry may be 0)`);
    if (!(g[i + 1] < g[i])) tr.fail(`${label}: entry ${i + 1} = ${g[i + 1]} ≥ entry ${i} = ${g[i]} (not strictly decreasing: a zero-length or backward step)`);
  }
}

const gridProperties: Claim = {
  id: 'sigma.grid-properties',
  title: 'σ schedules: n+1 entries, strictly decreasing, one exact final 0; Karras/exponential/polyexponential endpoints σ_max, σ_min exact and interior points on the formula; VP at σ(1), σ(ε_s); discrete spacings on the table',
  catalog: 'issue 14 (EDM eq. 5; k-diffusion get_sigmas_*; diffusers spacings)',
  requires: ['sigmaSchedule'],
  run(impl) {
    const tr = new ErrorTracker('sigma.grid-properties');
    const u = unitRoundoff(impl);
    const check = (name: string, n: number, o: Record<string, number>) => {
      const label = `${name}(n=${n}, ${JSON.stringify(o)})`;
      const g = impl.sigmaSchedule!(name, n, o);
      checkGrid(tr, label, g, n);
      if (name === 'vp') {
        const sig = (t: number) => Math.sqrt(Math.expm1(0.5 * o.betaD * t * t + o.betaMin * t));
        tr.close(`${label} σ_0`, g[0], sig(1), 16 * u);
        if (n > 1) tr.close(`${label} σ_{n-1}`, g[n - 1], sig(o.epsS), 16 * u);
        return;
      }
      tr.close(`${label} σ_0 = σ_max`, g[0], o.sigmaMax, u, 0);
      if (n > 1) tr.close(`${label} σ_{n-1} = σ_min`, g[n - 1], o.sigmaMin, u, 0);
      const want = R.karrasSigmas(Math.max(n, 1), o.sigmaMin, o.sigmaMax, o.rho ?? 7);
      if (name === 'karras') {
        // (σ_max^{1/ρ} + r(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ: condition number ≤ ρ in the ramp, 4ρ u.
        for (let i = 1; i + 1 < n; i++) tr.close(`${label} σ_${i}`, g[i], want[i], 8 * (o.rho ?? 7) * u + 64 * 2 ** -53);
      } else {
        const rho = name === 'exponential' ? 1 : o.rho;
        const l0 = Math.log(o.sigmaMin);
        const l1 = Math.log(o.sigmaMax);
        for (let i = 1; i + 1 < n; i++) tr.close(`${label} σ_${i}`, g[i], Math.exp(l0 + (1 - i / (n - 1)) ** rho * (l1 - l0)), 8 * Math.abs(l1) * u + 64 * 2 ** -53);
      }
    };
    for (const c of SCHEDULE_CASES) for (const n of [1, 2, 3, 10, 20, 57, 200]) check(c.name, n, c.options);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.double({ min: 1e-4, max: 1, noNaN: true }), fc.double({ min: 1.5, max: 1e3, noNaN: true }), fc.double({ min: 1, max: 10, noNaN: true }), (n, lo, hi, rho) => {
        check('karras', n, { sigmaMin: lo, sigmaMax: hi, rho });
        check('exponential', n, { sigmaMin: lo, sigmaMax: hi });
        return true;
      }),
      { seed: FC_SEED, numRuns: 100 },
    );
    if (impl.discreteScheduleSigmas) {
      for (const sched of ['linear', 'cosine'] as const) {
        const betas = R.betaSchedule(sched, 1000);
        const table = R.discreteSigmas(betas);
        for (const spacing of ['linspace', 'leading', 'trailing'] as const) {
          for (const n of spacing === 'leading' ? [1, 10, 50, 999] : [1, 10, 50, 999, 1000]) {
            const label = `${sched} ${spacing} n=${n}`;
            const g = impl.discreteScheduleSigmas(betas, n, spacing);
            checkGrid(tr, label, g, n);
            if (spacing === 'linspace' || spacing === 'trailing') tr.close(`${label} σ_0 = σ_T`, g[0], table[999], 4 * u, 0);
            if (spacing === 'linspace' && n > 1) tr.close(`${label} σ_{n-1} = σ_1`, g[n - 1], table[0], 4 * u, 0);
          }
        }
      }
    }
    return tr.result(`${tr.cases} comparisons: ${SCHEDULE_CASES.length} schedules × 7 sizes, 100 fast-check draws, discrete tables`);
  },
};

const timestepsDistinct: Claim = {
  id: 'sigma.timesteps-distinct',
  title: 'the timesteps a discrete network is evaluated at along a σ grid are strictly decreasing: a rounded σ→t mapping may refuse a dense grid but never repeat a timestep',
  catalog: 'issue 14 (k-diffusion sigma_to_t; diffusers use_karras_sigmas)',
  requires: ['sigmasToTimesteps'],
  run(impl) {
    const tr = new ErrorTracker('sigma.timesteps-distinct');
    let refused = 0;
    for (const sched of ['linear', 'cosine'] as const) {
      const betas = R.betaSchedule(sched, 1000);
      const table = R.discreteSigmas(betas);
      for (const n of [5, 20, 60, 200, 500]) {
        const grid = R.karrasSigmas(n, table[0], table[999]);
        for (const mapping of ['interp', 'quantized'] as const) {
          const label = `${sched}, Karras n=${n}, ${mapping}`;
          let ts: Arr;
          try {
            ts = impl.sigmasToTimesteps!(betas, grid, mapping);
          } catch (e) {
            if (mapping === 'quantized' && e instanceof Error && e.name === 'DiffusionInputError') {
              refused++;
              continue;
            }
            throw e;
          }
          if (ts.length !== n) tr.fail(`${label}: ${ts.length} timesteps for ${n} nonzero σ's`);
          for (let i = 1; i < ts.length; i++) {
            tr.cases++;
            if (!(ts[i] < ts[i - 1])) tr.fail(`${label}: timestep ${i} = ${ts[i]} repeats or exceeds timestep ${i - 1} = ${ts[i - 1]} (σ ${grid[i]} vs ${grid[i - 1]})`);
          }
          if (mapping === 'interp') tr.close(`${label}: first timestep`, ts[0], 1000, 1e-9);
        }
      }
    }
    return tr.result(`${tr.cases} timestep pairs; ${refused} dense grids refused by the quantized mapping`);
  },
};

// ---------------------------------------------------------------------------------------------
// Ancestral split

const ancestralSplit: Claim = {
  id: 'sigma.ancestral-split',
  title: 'ancestral split: σ_down² + σ_up² = σ_to², 0 ≤ σ_up ≤ σ_to, σ_down finite, for σ pairs of every schedule and random pairs in float32 and float64, η ∈ [0, 2]',
  catalog: 'issue 14 (k-diffusion get_ancestral_step; Song et al. 2021 ancestral sampling)',
  requires: ['ancestralStep'],
  run(impl) {
    const tr = new ErrorTracker('sigma.ancestral-split');
    const u = unitRoundoff(impl);
    const one = (f: number, t: number, eta: number, label: string) => {
      const { sigmaDown: d, sigmaUp: up } = impl.ancestralStep!(f, t, eta);
      if (!Number.isFinite(d) || !Number.isFinite(up)) tr.fail(`${label}: σ_down = ${d}, σ_up = ${up} (non-finite)`);
      if (!(up >= 0 && up <= t)) tr.fail(`${label}: σ_up = ${up} outside [0, σ_to = ${t}]`);
      if (!(d >= 0 && d <= t)) tr.fail(`${label}: σ_down = ${d} outside [0, σ_to = ${t}]`);
      // Each of σ_down², σ_up² carries ≤ 4 roundings of relative size u against σ_to²: bound 8u σ_to².
      tr.close(`${label}: σ_down² + σ_up²`, d * d + up * up, t * t, 8 * u, 0);
      if (eta === 0) tr.close(`${label}: η = 0 gives σ_up = 0`, up, 0, 0, 0);
    };
    const f32 = Math.fround;
    // float32 pairs with σ_to ≪ σ_from where the textbook formula without min(σ_to, ·) rounds σ_up above
    // σ_to at η = 1 (σ_down = √(negative) = NaN; found by search: about 0.1% of such pairs).
    for (const [a, b] of [[0.005229233764111996, 1.306720491811575e-7], [0.4416390061378479, 0.0000010819784392879228], [0.0011647130595520139, 6.928316822962695e-20]]) {
      one(f32(a), f32(b), 1, `float32 pair (${a}, ${b}) η=1`);
    }
    for (const sched of ['linear', 'cosine', 'scaled-linear'] as const) {
      const table = R.discreteSigmas(R.betaSchedule(sched, 1000));
      for (const n of [4, 10, 25, 100]) {
        for (const g of [R.karrasSigmas(n, table[0], table[999]), R.discreteScheduleSigmas(table, n)]) {
          for (let i = 0; i + 1 < g.length; i++) {
            for (const eta of [0, 0.5, 1, 1.5]) {
              one(g[i], g[i + 1], eta, `${sched} n=${n} step ${i} η=${eta}`);
              one(f32(g[i]), f32(g[i + 1]), eta, `${sched} n=${n} step ${i} η=${eta} (float32 σ's)`);
            }
          }
        }
      }
    }
    fc.assert(
      fc.property(fc.double({ min: 1e-4, max: 3e4, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.boolean(), (f, r, eta, single) => {
        const ff = single ? f32(f) : f;
        const tt = single ? f32(ff * r) : ff * r;
        if (!(tt <= ff)) return true;
        one(ff, tt, eta, `random pair (${ff}, ${tt}) η=${eta}${single ? ' float32' : ''}`);
        return true;
      }),
      { seed: FC_SEED, numRuns: 2000 },
    );
    return tr.result(`${tr.cases} checks: schedule pairs (linear, cosine, scaled-linear × Karras and linspace grids, η ∈ {0, ½, 1, 1.5}, float64 and float32 σ's) and 2000 fast-check pairs`);
  },
};

// ---------------------------------------------------------------------------------------------
// Denoiser views and the exact equivalences

const denoiserViews: Claim = {
  id: 'sigma.denoiser-views',
  title: 'D(x̃; σ) from ε-, x_0-, v- and score-models of the exact oracle on VP, VE and discrete-VP processes is the same function: E[x_0 | x_0 + σε = x̃] (to round-off)',
  catalog: 'issue 14 (EDM eq. 2-7, Table 1; G)',
  requires: ['scoreProcess', 'mixtureModel', 'sigmaDenoiser'],
  run(impl) {
    const tr = new ErrorTracker('sigma.denoiser-views');
    const u = unitRoundoff(impl);
    const mix = mixOf(MIX_SIGMA);
    const rng = new R.Rng(FC_SEED + 1500);
    for (const kind of ['vp', 've', 'discrete-vp'] as const) {
      const proc = processFor(impl, kind);
      for (const out of ['eps', 'x0', 'v', 'score'] as const) {
        const D = impl.sigmaDenoiser!(impl.mixtureModel!(MIX_SIGMA, proc, out));
        for (const s of [0.02, 0.3, 1, 4, 25]) {
          const x = R.sampleMixture(R.noisyMixture(mix, 1, s), 8, rng);
          const want = R.mixturePosteriorMean(mix, 1, s, x) as Rows;
          const got = D(x, s);
          // The view adds one linear combination with coefficients ≤ 1 + σ (ε: x̃ - σε̂) on top of
          // the oracle's own float64 evaluation (κ = 2^12 ulps for its log-sum-exp and the process's
          // α, σ at the mapped time): bound 2^12 u (1 + σ)(1 + |x̃|).
          got.forEach((g, r) => tr.close(`${kind} ${out} σ=${s} row ${r}`, g, want[r], 0, 4096 * Math.max(u, 2 ** -53) * (1 + s) * (1 + Math.max(...Array.from(x[r], Math.abs)))));
        }
      }
    }
    return tr.result();
  },
};

const eulerDdimDpm1: Claim = {
  id: 'sigma.euler-ddim-dpm1',
  title: 'euler in σ-space with the exact ε = DDIM η=0 on the same integer timesteps ending at 0 (discrete VP) = DPM-Solver-1 on the mapped time grid (VP)',
  catalog: 'issue 14 (EDM §3 / Song et al. DDIM eq. 13 / Lu et al. 2022 eq. 3.7)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  run(impl) {
    const tr = new ErrorTracker('sigma.euler-ddim-dpm1');
    const u = Math.max(unitRoundoff(impl), 2 ** -53);
    const rng = new R.Rng(FC_SEED + 1600);
    // (a) DDIM on the discrete schedule: σ_i = σ_{t_i} of the table, x̃ = x/√ᾱ_{t_0}.
    const betas = R.betaSchedule('linear', 1000);
    const dproc = processFor(impl, 'discrete-vp');
    const table = R.discreteSigmas(betas);
    const dm = impl.mixtureModel!(MIX_SIGMA, dproc, 'eps');
    for (const ts of [[1000, 800, 600, 400, 200, 1, 0], [999, 750, 500, 250, 100, 10, 0], [1000, 0]]) {
      const x = rng.normalBatch(6, 2);
      const sig = ts.map((t) => (t === 0 ? 0 : table[t - 1]));
      const a0 = dproc.alpha(ts[0]);
      const e = impl.scoreSampler!('euler')(dm, x.map((r) => r.map((v) => v / a0)), sig);
      const d = impl.scoreSampler!('ddim')(dm, x, ts);
      // N steps, each a 2-term combination: ≤ 2^10 u N (1 + |x|) after the oracle's own error.
      e.forEach((r, k) => tr.close(`DDIM grid ${ts.join(',')} row ${k}`, r, d[k], 0, 1024 * u * ts.length * 4));
    }
    // (b) DPM-Solver-1 on the VP SDE: t_i ↦ σ_i = σ(t_i)/α(t_i); compare in x_t = α x̃.
    const vp = processFor(impl, 'vp');
    const vm = impl.mixtureModel!(MIX_SIGMA, vp, 'eps');
    for (const times of [[1, 0.7, 0.4, 0.2, 0.05, 0.01], [0.8, 0.1]]) {
      const x = rng.normalBatch(6, 2);
      const sig = times.map((t) => vp.sigma(t) / vp.alpha(t));
      const e = impl.scoreSampler!('euler')(vm, x.map((r) => r.map((v) => v / vp.alpha(times[0]))), sig);
      const d = impl.scoreSampler!('dpm-solver-1')(vm, x, times);
      const aN = vp.alpha(times[times.length - 1]);
      e.forEach((r, k) => tr.close(`DPM-Solver-1 grid ${times.join(',')} row ${k}`, r.map((v) => v * aN), d[k], 0, 1024 * u * times.length * 4));
    }
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Steps land on the grid; the last step to σ = 0 denoises

const landsOnGrid: Claim = {
  id: 'sigma.lands-on-grid',
  title: 'every σ-space sampler takes one step per grid interval, reports σ_i → σ_{i+1}, and with a constant denoiser D = c ends exactly at c on a grid ending at σ = 0 (all are exact for constant D)',
  catalog: 'issue 14 (grid properties: the step from σ_i lands on σ_{i+1}; the final 0 denoises)',
  requires: ['scoreProcess', 'scoreSampler'],
  run(impl) {
    const tr = new ErrorTracker('sigma.lands-on-grid');
    const u = Math.max(unitRoundoff(impl), 2 ** -53);
    const ve = processFor(impl, 've');
    const c = Float64Array.of(0.75, -1.25);
    const model = R.makeModel(ve, 'x0', (x) => x.map(() => Float64Array.from(c)));
    for (const name of Object.keys(SAMPLER_OPTIONS)) {
      for (const n of [1, 2, 3, 7]) {
        const g = R.karrasSigmas(n, 0.01, 50);
        const seen: number[] = [];
        const x = [Float64Array.of(30, -20), Float64Array.of(-5, 44)];
        const out = impl.scoreSampler!(name)(model, x, g, { rng: new R.Rng(FC_SEED + n), ...SAMPLER_OPTIONS[name], callback: (info) => seen.push(info.tNext) });
        if (seen.length !== n) tr.fail(`${name} n=${n}: ${seen.length} steps reported for ${n} intervals`);
        seen.forEach((s, i) => tr.close(`${name} n=${n}: step ${i} lands on`, s, g[i + 1], 0, 0));
        out.forEach((r, k) => tr.close(`${name} n=${n} row ${k}: output = c`, r, c, 0, 64 * u * 50));
      }
    }
    return tr.result();
  },
};

/** Options each σ-space sampler runs with in the generic claims (defaults otherwise; heun with churn to exercise it). */
export const SAMPLER_OPTIONS: Record<string, Record<string, unknown>> = Object.fromEntries(
  R.SAMPLER_LIST.filter((d) => d.grid === 'sigma').map((d) => [d.name, d.name === 'heun' ? { sChurn: 1 } : {}]),
);

// ---------------------------------------------------------------------------------------------
// Convergence orders

/**
 * Deterministic runs on Gaussian data N(μ, s²), 1-D, where the σ-space PF-ODE has the closed-form
 * flow x̃(σ') = μ + (x̃(σ) - μ)√((s²+σ'²)/(s²+σ²)). Karras grids σ 10 → 0.05 (no final 0), error at
 * σ_min against the flow; fitted slope of log error on log N in [order - 0.3, order + band⁺].
 * band⁺ = 0.7: pre-asymptotically the slope exceeds the order where the leading error constant
 * shrinks with N (the grid concentrates steps at small σ). lms and 3M are multistep methods with
 * lower-order warm-up steps at large σ, where the flow is almost linear: their slope over 16-64
 * steps is within the band of their nominal order; asymptotically the warm-up's O(h²) local error
 * caps it at 2 (stated, not tested).
 */
export const SIGMA_ORDER_CASES: { label: string; sampler: string; order: number; options?: Record<string, unknown>; upper?: number }[] = R.SAMPLER_LIST.flatMap((d) =>
  (d.checks.sigmaOrder ?? []).map((c) => ({ label: c.label, sampler: d.name, order: c.order, ...(c.options ? { options: { ...c.options } } : {}) })),
);

const GMU = 0.5;
const GS2 = 0.64;

const odeOrder: Claim = {
  id: 'sigma.ode-order',
  title: 'deterministic σ-space samplers converge to the exact flow of Gaussian data at their order (fitted slope over 16/32/64 Karras steps within [p - 0.3, p + 0.7])',
  catalog: 'issue 14 (EDM Alg. 1; Lu et al. 2022b)',
  requires: ['mixtureModel', 'scoreProcess', 'scoreSampler'],
  run(impl) {
    const tr = new ErrorTracker('sigma.ode-order');
    const spec: MixtureSpec = { weights: [1], means: [GMU], stds: [Math.sqrt(GS2)] };
    const model = impl.mixtureModel!(spec, processFor(impl, 'vp'), 'eps');
    const x = [Float64Array.of(3), Float64Array.of(-7), Float64Array.of(12)];
    const flow = (v: number, a: number, b: number) => GMU + (v - GMU) * Math.sqrt((GS2 + b * b) / (GS2 + a * a));
    const steps = [16, 32, 64];
    const notes: string[] = [];
    for (const c of SIGMA_ORDER_CASES) {
      const errs = steps.map((n) => {
        const g = Array.from(R.karrasSigmas(n, 0.05, 10)).slice(0, n);
        const out = impl.scoreSampler!(c.sampler)(model, x, g, c.options ?? {});
        return Math.max(...out.map((r, k) => Math.abs(r[0] - flow(x[k][0], 10, 0.05))));
      });
      const p = fittedOrder(steps, errs);
      notes.push(`${c.label}: ${p.toFixed(2)}`);
      tr.atMost(`${c.label}: order ${c.order} - fitted ${p.toFixed(3)} (errors ${errs.map((e) => e.toExponential(2)).join(', ')})`, c.order - p, 0.3);
      tr.atMost(`${c.label}: fitted ${p.toFixed(3)} - order ${c.order}`, p - c.order, c.upper ?? 0.7);
    }
    return tr.result(`fitted slopes: ${notes.join('; ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Strong convergence of the SDE samplers with Brownian-tree noise

/** Strong-order runs (checks.sigmaStrong): additive noise, so the exponential integrators' pathwise order is 1. */
export const SIGMA_STRONG_CASES: { label: string; sampler: string; order: number; options?: Record<string, unknown> }[] = R.SAMPLER_LIST.flatMap((d) =>
  (d.checks.sigmaStrong ?? []).map((c) => ({ label: c.label, sampler: d.name, order: c.order, ...(c.options ? { options: { ...c.options } } : {}) })),
);

const sdeStrongOrder: Claim = {
  id: 'sigma.sde-strong-order',
  title: 'SDE samplers driven by one Brownian tree converge pathwise as the grid is refined: RMS error against a 512-step solve falls with fitted slope ≥ order - 0.3 over 16/32/64 steps',
  catalog: 'issue 14 (strong order; Brownian tree of Li et al. 2020)',
  requires: ['mixtureModel', 'scoreProcess', 'scoreSampler'],
  run(impl) {
    const tr = new ErrorTracker('sigma.sde-strong-order');
    const spec: MixtureSpec = { weights: [1], means: [GMU], stds: [Math.sqrt(GS2)] };
    const model = impl.mixtureModel!(spec, processFor(impl, 'vp'), 'eps');
    const rows = 64;
    const x = new R.Rng(FC_SEED + 1700).normalBatch(rows, 1).map((r) => r.map((v) => 10 * v));
    const notes: string[] = [];
    for (const c of SIGMA_STRONG_CASES) {
      const tree = new R.BrownianTree({ seed: FC_SEED + 1701, t0: 0.05, t1: 10, shape: [rows, 1] });
      const noiseSampler = R.brownianNoiseSampler(tree);
      const run = (n: number) => impl.scoreSampler!(c.sampler)(model, x, Array.from(R.karrasSigmas(n, 0.05, 10)).slice(0, n), { ...(c.options ?? {}), noiseSampler, rng: new R.Rng(1) } as R.KSamplerOptions);
      const ref = run(512);
      const steps = [16, 32, 64];
      const errs = steps.map((n) => {
        const out = run(n);
        return Math.sqrt(out.reduce((s, r, k) => s + (r[0] - ref[k][0]) ** 2, 0) / rows);
      });
      const p = fittedOrder(steps, errs);
      notes.push(`${c.label}: ${p.toFixed(2)}`);
      tr.atMost(`${c.label}: strong order ${c.order} - fitted ${p.toFixed(3)} (RMS errors ${errs.map((e) => e.toExponential(2)).join(', ')})`, c.order - p, 0.3);
    }
    return tr.result(`fitted strong slopes: ${notes.join('; ')}`);
  },
};

export const sigmaClaims: Claim[] = [gridProperties, timestepsDistinct, ancestralSplit, denoiserViews, eulerDdimDpm1, landsOnGrid, odeOrder, sdeStrongOrder, samplingDistribution];
