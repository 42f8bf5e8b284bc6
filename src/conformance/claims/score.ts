/**
 * Claims 7-11 of the catalog for the score-based family (G, E3-E9, F5), checked against the exact
 * Gaussian-mixture oracle. Ground truth that the implementation under test does not provide (the
 * mixtures' marginal CDFs, exact data draws, the Bayes-optimal classifier) comes from the float64
 * reference (src/reference/mixture.ts), whose own formulas are checked by the first two claims.
 *
 * Statistical claims: every Monte Carlo threshold follows from FALSE_ALARM_RATE (per claim),
 * split over the claim's tests by Bonferroni; seeds are fixed (FC_SEED + offset), so a run is
 * reproducible and a false alarm would recur deterministically at rate FALSE_ALARM_RATE over seeds.
 * KS critical values come from the Kolmogorov distribution (`kolmogorovTail`, with Stephens'
 * finite-n correction). Heavy claims (flag `heavy`) take a few seconds each on the 2-core machine.
 */
import type { Arr, DiffusionImpl, MixtureSpec } from '../interface.js';
import { ClaimFailure, ErrorTracker, FALSE_ALARM_RATE, FC_SEED, bonferroni, zTwoSided, type Claim } from '../harness.js';
import * as R from '../../reference/index.js';

type Rows = Float64Array[];

// ---------------------------------------------------------------------------------------------
// Kolmogorov-Smirnov machinery

/**
 * Tail of the Kolmogorov distribution Q(x) = P(sup|B| > x) = 2 Σ_{k≥1} (-1)^{k-1} e^{-2k²x²}
 * (x ≥ 1), and for x < 1 the Jacobi-theta form 1 - (√(2π)/x) Σ_{k≥1} e^{-(2k-1)²π²/(8x²)}, both
 * summed to full double precision.
 */
export function kolmogorovTail(x: number): number {
  if (!(x > 0)) return 1;
  if (x < 1) {
    let s = 0;
    for (let k = 1; k < 50; k++) {
      const term = Math.exp(-((2 * k - 1) ** 2) * Math.PI * Math.PI / (8 * x * x));
      s += term;
      if (term < 1e-17 * s) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s;
  }
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    s += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, 2 * s);
}

/**
 * Critical value d of the two-sided one-sample KS statistic D_n at false-alarm rate α:
 * P(D_n > d) ≈ Q((√n + 0.12 + 0.11/√n)·d) = α (Stephens 1970), solved by bisection.
 */
export function ksCritical(n: number, alpha: number): number {
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (kolmogorovTail(mid) > alpha) lo = mid;
    else hi = mid;
  }
  const lam = 0.5 * (lo + hi);
  return lam / (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n));
}

/** D_n = sup_x |F_n(x) - F(x)| of samples against a continuous CDF. */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const F = cdf(s[i]);
    d = Math.max(d, (i + 1) / n - F, F - i / n);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Test mixtures

/** 2-D, full covariances (the main sampling target). */
export const MIX2: MixtureSpec = {
  weights: [0.3, 0.7],
  means: [
    [1.5, -1],
    [-1, 0.5],
  ],
  covariances: [
    [
      [0.5, 0.2],
      [0.2, 0.3],
    ],
    [
      [0.4, -0.1],
      [-0.1, 0.6],
    ],
  ],
};
/** 3-D, diagonal, three components. */
export const MIX3D: MixtureSpec = {
  weights: [0.2, 0.5, 0.3],
  means: [
    [1, 0, -1],
    [-1, 1, 0.5],
    [0, -1.5, 1],
  ],
  variances: [[0.3, 0.5, 0.2], 0.4, [0.6, 0.25, 0.35]],
};
/** 004 §3.1: 0.6·N(2, 0.5²) + 0.4·N(-2, 0.2²). */
export const SEED31: MixtureSpec = { weights: [0.6, 0.4], means: [2, -2], stds: [0.5, 0.2] };
/** 004 §4.3: 0.5·N(3, 1) + 0.5·N(-3, 1). */
export const SEED43: MixtureSpec = { weights: [0.5, 0.5], means: [3, -3], stds: [1, 1] };
/** Labeled 2-D mixture for guidance: class 0 = component 0, class 1 = components 1-2. */
export const LABELED: MixtureSpec = {
  weights: [0.5, 0.3, 0.2],
  means: [
    [-1.5, 0],
    [1.5, 1],
    [1, -1.5],
  ],
  variances: [0.3, [0.4, 0.2], 0.25],
  labels: [0, 1, 1],
};

const refMix = new WeakMap<MixtureSpec, R.GaussianMixture>();
function mixOf(spec: MixtureSpec): R.GaussianMixture {
  let m = refMix.get(spec);
  if (!m) refMix.set(spec, (m = R.makeMixture(spec)));
  return m;
}

function maxAbsDiff(a: Rows, b: Rows): number {
  let e = 0;
  for (let r = 0; r < a.length; r++) for (let i = 0; i < a[r].length; i++) e = Math.max(e, Math.abs(a[r][i] - b[r][i]));
  return e;
}

const VP = { betaMin: 0.1, betaMax: 20 };
const VE = { sigmaMin: 0.01, sigmaMax: 20 };

/** (α, σ) settings: data, VP and VE times, and the 004 §4.3 constant-β discrete schedule. */
function oracleSettings(): { label: string; alpha: number; sigma: number }[] {
  const vp = R.vpProcess(VP);
  const ve = R.veProcess(VE);
  const sched = R.makeSchedule(R.betaSchedule('constant', 100, { beta: 0.05 }));
  const out: { label: string; alpha: number; sigma: number }[] = [{ label: 'data (α=1, σ=0)', alpha: 1, sigma: 0 }];
  for (const t of [0.01, 0.3, 0.9]) out.push({ label: `VP t=${t}`, alpha: vp.alpha(t), sigma: vp.sigma(t) });
  for (const t of [0.1, 0.7]) out.push({ label: `VE t=${t}`, alpha: 1, sigma: ve.sigma(t) });
  for (const t of [1, 20, 100]) {
    const { alpha, sigma } = R.atStep(sched, t);
    out.push({ label: `constant β=0.05 step ${t}`, alpha, sigma });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Claim 9a: the oracle's score is the gradient of its log density

const oracleFd: Claim = {
  id: 'score.oracle-fd',
  title: 'mixture oracle: ∇log p_t equals central finite differences of log p_t; x̂_0 = (x + σ² s)/α (Tweedie)',
  catalog: 'claim 9 (G, D3)',
  requires: ['mixtureLogPdf', 'mixtureScore', 'mixturePosteriorMean'],
  falseAlarmRate: 0,
  run(impl) {
    // Central differences with step h = 1e-5: truncation ≤ h²/6·max|∂³ log p| ≲ 1e-10·10/s_min³
    // ≈ 2e-8 (s_min = 0.2), roundoff ≈ 2u|log p|/h ≈ 1e-9 (|log p| ≤ 40). Bound 1e-6 (abs + rel):
    // ≥ 50× margin, while any wrong weight, mean or covariance changes the score by O(0.01-1).
    const tr = new ErrorTracker('score.oracle-fd');
    const rng = new R.Rng(FC_SEED + 1);
    const h = 1e-5;
    for (const spec of [MIX2, MIX3D, SEED31, SEED43, LABELED]) {
      const mix = mixOf(spec);
      for (const st of oracleSettings()) {
        const pts = R.sampleMixture(R.noisyMixture(mix, st.alpha, st.sigma), 6, rng);
        for (const x of pts) {
          const s = impl.mixtureScore!(spec, st.alpha, st.sigma, x);
          const fd = new Float64Array(x.length);
          for (let i = 0; i < x.length; i++) {
            const xp = Float64Array.from(x);
            const xm = Float64Array.from(x);
            xp[i] += h;
            xm[i] -= h;
            fd[i] = (impl.mixtureLogPdf!(spec, st.alpha, st.sigma, xp) - impl.mixtureLogPdf!(spec, st.alpha, st.sigma, xm)) / (2 * h);
          }
          tr.close(`score vs FD, ${st.label}, d=${x.length}`, s, fd, 1e-6, 1e-6);
          if (st.alpha > 0 && st.sigma > 0) {
            // Tweedie vs the component-posterior mean: two formulas, condition ≲ σ²‖s‖/α ≤ 1e3 → 1e-10.
            const tw = Float64Array.from(x, (v, i) => (v + st.sigma * st.sigma * s[i]) / st.alpha);
            tr.close(`Tweedie vs E[x0|xt], ${st.label}`, impl.mixturePosteriorMean!(spec, st.alpha, st.sigma, x), tw, 1e-10, 1e-10);
          }
        }
      }
    }
    return tr.result(`${tr.cases} comparisons: 5 mixtures (1-D seed examples, 2-D full, 3-D diagonal) × 9 noise levels × 6 points`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 9b: Tweedie / posterior mean equals a Monte Carlo posterior mean

const tweedieMc: Claim = {
  id: 'score.tweedie-mc',
  title: 'E[x_0|x_t] of the oracle equals a self-normalized importance-sampling posterior mean (data draws weighted by N(x_t; αx_0, σ²I))',
  catalog: 'claim 9 (G, D3)',
  requires: ['mixturePosteriorMean', 'mixtureScore'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker('score.tweedie-mc');
    const settings = [
      { spec: MIX2, alpha: R.vpProcess(VP).alpha(0.3), sigma: R.vpProcess(VP).sigma(0.3) },
      { spec: MIX2, alpha: 1, sigma: 1.5 },
      { spec: SEED31, alpha: 0.8, sigma: 0.6 },
      { spec: MIX3D, alpha: 0.9, sigma: 1.0 },
    ];
    const nPts = 3;
    const nTests = settings.reduce((s, st) => s + nPts * mixOf(st.spec).dim * 2, 0);
    const z = zTwoSided(bonferroni(FALSE_ALARM_RATE, nTests));
    const rng = new R.Rng(FC_SEED + 2);
    const N = 20000;
    for (const st of settings) {
      const mix = mixOf(st.spec);
      const x0s = R.sampleMixture(mix, N, rng);
      const pts = R.sampleMixture(R.noisyMixture(mix, st.alpha, st.sigma), nPts, rng);
      for (const xt of pts) {
        const d = xt.length;
        const logw = x0s.map((x0) => {
          let q = 0;
          for (let i = 0; i < d; i++) q += (xt[i] - st.alpha * x0[i]) ** 2;
          return -q / (2 * st.sigma * st.sigma);
        });
        const mx = Math.max(...logw);
        const w = logw.map((l) => Math.exp(l - mx));
        const sw = w.reduce((a, b) => a + b, 0);
        const est = new Float64Array(d);
        x0s.forEach((x0, k) => {
          for (let i = 0; i < d; i++) est[i] += (w[k] / sw) * x0[i];
        });
        // Delta-method standard error of the self-normalized estimator.
        const se = new Float64Array(d);
        x0s.forEach((x0, k) => {
          for (let i = 0; i < d; i++) se[i] += ((w[k] / sw) * (x0[i] - est[i])) ** 2;
        });
        const pm = impl.mixturePosteriorMean!(st.spec, st.alpha, st.sigma, xt);
        const s = impl.mixtureScore!(st.spec, st.alpha, st.sigma, xt);
        for (let i = 0; i < d; i++) {
          const sd = Math.sqrt(se[i]);
          const tw = (xt[i] + st.sigma * st.sigma * s[i]) / st.alpha;
          tr.atMost(`|E[x0|xt] - IS| / SE, α=${st.alpha.toFixed(3)} σ=${st.sigma}, coord ${i}`, Math.abs(pm[i] - est[i]) / sd, z);
          tr.atMost(`|Tweedie - IS| / SE, α=${st.alpha.toFixed(3)} σ=${st.sigma}, coord ${i}`, Math.abs(tw - est[i]) / sd, z);
        }
      }
    }
    return tr.result(`${nTests} z-tests (|error|/SE vs z = ${z.toFixed(2)}), ${N} data draws each, FAR ${FALSE_ALARM_RATE} Bonferroni`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 9c: Vincent's theorem

const vincent: Claim = {
  id: 'score.vincent',
  title: 'J_DSM(θ) - J_ESM(θ) is the same constant for every θ of a linear score family (Vincent, 004 eq. 87)',
  catalog: 'claim 9 (F5)',
  requires: ['explicitScoreMatchingLoss', 'denoisingScoreMatchingLoss'],
  falseAlarmRate: FALSE_ALARM_RATE,
  run(impl) {
    // Common random numbers: pairs (x'_i, z_i), x_i = x'_i + h z_i serve both losses. Per pair,
    // u_i(θ) = dsm_i(θ) - esm_i(θ); E[u(θ_j) - u(θ_0)] = 0 by Vincent. z-test with the sample SD.
    const tr = new ErrorTracker('score.vincent');
    const rng = new R.Rng(FC_SEED + 3);
    const data = R.sampleMixture(mixOf(MIX2), 25, rng);
    const h = 0.5;
    const n = 1500;
    const { x, clean, noise } = R.sampleKdePairs(data, h, n, rng);
    const thetas = Array.from({ length: 5 }, (_, j) => (j === 0 ? { A: [0, 0, 0, 0], b: [0, 0] } : { A: Array.from(rng.normals(4)), b: Array.from(rng.normals(2)) }));
    const score = (th: { A: number[]; b: number[] }) => (v: Float64Array) => Float64Array.from([th.A[0] * v[0] + th.A[1] * v[1] + th.b[0], th.A[2] * v[0] + th.A[3] * v[1] + th.b[1]]);
    const u = thetas.map((th) => {
      const s = score(th);
      return x.map((xi, i) => impl.denoisingScoreMatchingLoss!(s, [clean[i]], h, [noise[i]]) - impl.explicitScoreMatchingLoss!(s, data, h, [xi]));
    });
    const z = zTwoSided(bonferroni(FALSE_ALARM_RATE, thetas.length - 1));
    const consts: number[] = [];
    for (let j = 1; j < thetas.length; j++) {
      const dlt = u[j].map((v, i) => v - u[0][i]);
      const mean = dlt.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(dlt.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      tr.atMost(`|mean(u(θ_${j}) - u(θ_0))| / SE`, Math.abs(mean) / (sd / Math.sqrt(n)), z);
      consts.push(u[j].reduce((a, b) => a + b, 0) / n);
    }
    return tr.result(`4 θ vs θ_0, n = ${n} pairs, z = ${z.toFixed(2)}; estimated constants ${consts.map((c) => c.toFixed(3)).join(', ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 7a: DPM-Solver-1 = DDIM (η = 0), step for step

const dpmDdim: Claim = {
  id: 'score.dpm1-equals-ddim',
  title: 'DPM-Solver-1 on the discrete schedule equals the DDIM η=0 step, step for step',
  catalog: 'claim 7 (E7, E2)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler', 'ddimStep'],
  falseAlarmRate: 0,
  run(impl) {
    // Both are the exact exponential-integrator step for constant ε̂; they differ only in rounding.
    // DDIM forms x̂_0 = (x - σε)/α, amplifying rounding by 1/√ᾱ_T ≤ 160 (linear T=1000): ≲ 1e-13.
    const tr = new ErrorTracker('score.dpm1-equals-ddim');
    const betas = R.betaSchedule('linear', 1000);
    const proc = impl.scoreProcess!('discrete-vp', betas);
    const model = impl.mixtureModel!(MIX2, proc, 'eps');
    const grid = [1000, 900, 750, 600, 450, 300, 200, 100, 50, 20, 5, 1];
    const x0 = new R.Rng(FC_SEED + 4).normalBatch(6, 2);
    const states: Rows[] = [x0];
    impl.scoreSampler!('dpm-solver-1')(model, x0, grid, { callback: (s) => states.push(s.x) });
    if (states.length !== grid.length) tr.fail(`callback called ${states.length - 1} times for ${grid.length - 1} steps`);
    for (let i = 0; i + 1 < grid.length; i++) {
      const eps = model.apply(states[i], grid[i]);
      states[i].forEach((row, r) => {
        const ddim = impl.ddimStep!(betas, row, grid[i], grid[i + 1], eps[r], { eta: 0 });
        tr.close(`step ${grid[i]}→${grid[i + 1]} row ${r}`, states[i + 1][r], ddim, 1e-10, 1e-10);
      });
    }
    return tr.result(`${tr.cases} steps×rows, linear β T=1000, 11 strided steps`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 7b: DDPM with the exact posterior is exact

function affineProbe(step: (x: number, z: number) => number): { a: number; b: number; c: number } {
  const b = step(0, 0);
  return { a: step(1, 0) - b, b, c: step(0, 1) - b };
}

const ddpmExact: Claim = {
  id: 'score.ddpm-exact',
  title: 'DDPM with the exact denoiser reproduces the exact marginals: N(0,1) data with σ²=β, point mass with σ²=β̃ (all moments), mixture data (means)',
  catalog: 'claim 7 (E1, G)',
  requires: ['ddpmStep', 'mixturePosteriorMean'],
  falseAlarmRate: FALSE_ALARM_RATE,
  run(impl) {
    const tr = new ErrorTracker('score.ddpm-exact');
    const betas = R.betaSchedule('linear', 200, { scaleToT: true });
    const sched = R.makeSchedule(betas);
    const T = sched.T;
    // (a) N(0,1) data: the forward chain is reversible w.r.t. N(0,1), so the reverse kernel is
    // exactly N(√α_t x_t, β_t) = DDPM with the exact ε and σ_t² = β_t. Moments propagate exactly
    // through the affine step; errors are rounding only (≤ 1e-12 after 200 steps).
    const gauss: MixtureSpec = { weights: [1], means: [0], variances: [1] };
    let m = 0;
    let v = 1;
    for (let t = T; t >= 1; t--) {
      const { alpha, sigma } = R.atStep(sched, t);
      const epsOf = (x: number) => (x - alpha * impl.mixturePosteriorMean!(gauss, alpha, sigma, [x])[0]) / sigma;
      const p = affineProbe((x, z) => impl.ddpmStep!(betas, [x], t, [epsOf(x)], { variance: 'beta', noise: [z] })[0]);
      m = p.a * m + p.b;
      v = p.a * p.a * v + (t > 1 ? p.c * p.c : 0);
      tr.close(`N(0,1) data, mean after step ${t}`, m, 0, 1e-12, 1e-12);
      // At t = 1 DDPM adds no noise and returns E[x_0|x_1] = √α_1 x_1: variance α_1 = 1-β_1 exactly.
      tr.close(`N(0,1) data, variance after step ${t}`, v, t > 1 ? 1 : 1 - betas[0], 1e-12, 1e-12);
    }
    // (b) Point mass x0 = 0.7: the reverse kernel is q(x_{t-1}|x_t, x0) = N(μ̃, β̃_t) exactly.
    const c0 = 0.7;
    m = Math.sqrt(sched.alphaBar(T)) * c0;
    v = sched.oneMinusAlphaBar(T);
    for (let t = T; t >= 1; t--) {
      const { alpha, sigma } = R.atStep(sched, t);
      const p = affineProbe((x, z) => impl.ddpmStep!(betas, [x], t, [(x - alpha * c0) / sigma], { variance: 'posterior', noise: [z] })[0]);
      m = p.a * m + p.b;
      v = p.a * p.a * v + (t > 1 ? p.c * p.c : 0);
      tr.close(`point mass, mean after step ${t}`, m, Math.sqrt(sched.alphaBar(t - 1)) * c0, 1e-11, 1e-11);
      tr.close(`point mass, variance after step ${t}`, v, sched.oneMinusAlphaBar(t - 1), 1e-11, 1e-11);
    }
    // (c) Mixture data (004 §3.1 mixture, 004 §4.3 schedule β = 0.05): E[x_{t-1}] = √ᾱ_{t-1} E[x0]
    // by the tower property, whatever σ_t. Monte Carlo z-test, sample SD.
    const sched43 = R.makeSchedule(R.betaSchedule('constant', 100, { beta: 0.05 }));
    const b43 = sched43.betas;
    const mix = mixOf(SEED31);
    const Ex0 = R.mixtureMoments(mix).mean[0];
    const ts = [100, 40, 10, 2];
    const z = zTwoSided(bonferroni(FALSE_ALARM_RATE, ts.length * 2));
    const rng = new R.Rng(FC_SEED + 5);
    const n = 3000;
    for (const variance of ['beta', 'posterior'] as const) {
      for (const t of ts) {
        const { alpha, sigma } = R.atStep(sched43, t);
        const xs = R.sampleMixture(mix, n, rng).map((x0) => alpha * x0[0] + sigma * rng.normal());
        const out = xs.map((x) => {
          const pm = impl.mixturePosteriorMean!(SEED31, alpha, sigma, [x])[0];
          return impl.ddpmStep!(b43, [x], t, [(x - alpha * pm) / sigma], { variance, noise: [rng.normal()] })[0];
        });
        const mean = out.reduce((a, b) => a + b, 0) / n;
        const sd = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
        tr.atMost(`mixture data, |mean(x_${t - 1}) - √ᾱ E[x0]|/SE (${variance})`, Math.abs(mean - Math.sqrt(sched43.alphaBar(t - 1)) * Ex0) / (sd / Math.sqrt(n)), z);
      }
    }
    return tr.result(`${tr.cases} checks: exact moment propagation over ${T} steps (a, b); ${ts.length * 2} z-tests (c), z = ${z.toFixed(2)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 8: every sampler with the exact oracle reproduces p_t (KS + means)

interface SamplerCase {
  label: string;
  sampler: string;
  process: [string, Record<string, number> | Arr];
  steps: number;
  spacing?: 'time' | 'logsnr';
  output?: 'eps' | 'x0' | 'score';
  options?: Record<string, unknown>;
  /** Integer grid for the discrete process. */
  grid?: number[];
  spec?: MixtureSpec;
  /** Start from N(0, I) (InDI at t = 1) instead of the exact p_{t_0}. */
  noiseStart?: boolean;
}

/**
 * The claims' meaning of the descriptors' test-process names (src/reference/samplers.ts TestProcess):
 * the VP and VE SDEs above, InDI without and with extra noise, and seed 004 §4.3's schedule.
 */
const CLAIM_PROCESSES: Record<R.TestProcess, () => [string, Record<string, number> | Arr]> = {
  vp: () => ['vp', VP],
  ve: () => ['ve', VE],
  indi: () => ['indi', {}],
  'indi-extra-noise': () => ['indi', { extraNoise: 1 }],
  'seed-4.3': () => ['discrete-vp', R.betaSchedule('constant', 100, { beta: 0.05 })],
  flow: () => ['flow', {}],
  'discrete-vp': () => {
    throw new Error("score claims: no 'discrete-vp' test process (use 'seed-4.3')");
  },
};

/** Every sampler's distribution runs, read from the descriptor table (in table order: the seeds follow it). */
export const SAMPLER_CASES: SamplerCase[] = R.SAMPLER_LIST.flatMap((d) =>
  (d.checks.distribution ?? []).map((c) => ({
    label: c.label,
    sampler: d.name,
    process: CLAIM_PROCESSES[c.process](),
    steps: c.steps,
    ...(c.spacing ? { spacing: c.spacing } : {}),
    ...(c.output ? { output: c.output as 'eps' | 'x0' | 'score' } : {}),
    ...(c.options ? { options: { ...c.options } } : {}),
    ...(c.grid ? { grid: [...c.grid] } : {}),
    ...(c.mixture === 'seed-4.3' ? { spec: SEED43 } : {}),
    ...(c.noiseStart ? { noiseStart: true } : {}),
  })),
);

/** Run one case with the impl's oracle and sampler; returns samples and the exact target. */
export function runSamplerCase(impl: DiffusionImpl, c: SamplerCase, n: number, seed: number): { out: Rows; target: R.GaussianMixture } {
  const spec = c.spec ?? MIX2;
  const mix = mixOf(spec);
  const proc = impl.scoreProcess!(c.process[0], c.process[1]);
  const model = impl.mixtureModel!(spec, proc, c.output ?? 'eps');
  const grid = c.grid ?? Array.from(R.makeTimeGrid(proc, c.steps, { spacing: c.spacing ?? 'time' }));
  const rng = new R.Rng(seed);
  const t0 = grid[0];
  const xT = c.noiseStart ? rng.normalBatch(n, mix.dim) : R.sampleMixture(R.noisyMixture(mix, proc.alpha(t0), proc.sigma(t0)), n, rng);
  const out = impl.scoreSampler!(c.sampler)(model, xT, grid, { rng, ...(c.options ?? {}) });
  const tEnd = grid[grid.length - 1];
  return { out, target: R.noisyMixture(mix, proc.alpha(tEnd), proc.sigma(tEnd)) };
}

function distributionTests(tr: ErrorTracker, label: string, out: Rows, target: R.GaussianMixture, alpha: number): void {
  const n = out.length;
  const dCrit = ksCritical(n, alpha);
  const z = zTwoSided(alpha);
  const mom = R.mixtureMoments(target);
  for (let c = 0; c < target.dim; c++) {
    const xs = out.map((r) => r[c]);
    if (!xs.every(Number.isFinite)) tr.fail(`${label}: non-finite samples`);
    tr.atMost(`${label}: KS D_n, coord ${c}`, ksStatistic(xs, (x) => R.mixtureMarginalCdf(target, c, x)), dCrit);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    tr.atMost(`${label}: |mean - μ|/(σ/√n), coord ${c}`, Math.abs(mean - mom.mean[c]) / Math.sqrt(mom.variance[c] / n), z);
  }
}

const samplingKs: Claim = {
  id: 'score.sampling-distribution',
  title: 'every sampler run with the exact mixture oracle produces samples of p_{t_end} (two-sided KS and mean test per coordinate)',
  catalog: 'claim 8 (G, E3-E8)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker('score.sampling-distribution');
    const n = 2000;
    const nTests = SAMPLER_CASES.reduce((s, c) => s + 2 * mixOf(c.spec ?? MIX2).dim, 0);
    const a = bonferroni(FALSE_ALARM_RATE, nTests);
    const worst: string[] = [];
    SAMPLER_CASES.forEach((c, k) => {
      const { out, target } = runSamplerCase(impl, c, n, FC_SEED + 100 + k);
      distributionTests(tr, c.label, out, target, a);
      worst.push(`${c.label}: D=${Math.max(...Array.from({ length: target.dim }, (_, j) => ksStatistic(out.map((r) => r[j]), (x) => R.mixtureMarginalCdf(target, j, x)))).toFixed(4)}`);
    });
    return tr.result(`${SAMPLER_CASES.length} samplers × n=${n}; KS critical D=${ksCritical(n, a).toFixed(4)} at α=${a.toExponential(2)} (FAR ${FALSE_ALARM_RATE}/${nTests}); ${worst.join('; ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 8: ODE solver convergence orders

/** The ODE solvers' order runs: every descriptor with an `order` and an order check. */
export const ORDER_CASES: { sampler: string; order: number; steps: number[]; spacing: 'time' | 'logsnr'; output?: 'eps' | 'x0' }[] = R.SAMPLER_LIST.flatMap((d) =>
  d.order !== undefined && d.checks.order
    ? [{ sampler: d.name, order: d.order, steps: [...d.checks.order.steps], spacing: d.spacing as 'time' | 'logsnr', ...(d.checks.order.output ? { output: d.checks.order.output as 'eps' | 'x0' } : {}) }]
    : [],
);

/** Least-squares slope of log(error) against log(steps), negated: the observed order. */
export function fittedOrder(steps: number[], errors: number[]): number {
  const xs = steps.map(Math.log);
  const ys = errors.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
  });
  return -sxy / sxx;
}

/**
 * Pre-asymptotic allowance of an observed order: the population slope between N and 4N is
 * k + O(1/N); at the step counts of ORDER_CASES it is within 0.11 of k for every solver (measured
 * on 256 paths: Euler 1.02, Heun 1.95, RK4 3.89, DPM-Solver-1/2/3 1.00/2.05/2.97, ++(2M) 2.03),
 * and ±0.3 still separates order k from k ± 1. A deterministic premise, not a statistical one: the
 * soak checks it over seeds.
 */
const ORDER_BAND = 0.3;

/** Paths per order measurement: the RMS error over them estimates the population RMS error. */
const ORDER_PATHS = 32;

/**
 * Observed order from per-path squared errors e²_ik (path i, step count N_k, k = 0..2 with N_k
 * log-equispaced): p̂ = ½·log(M_0/M_2)/log(N_2/N_0), M_k = mean_i e²_ik (the RMS error's slope; the
 * least-squares slope of 3 log-equispaced points is the end-point slope). Its standard error over
 * the draw of the paths by the delta method: Var(log M_a - log M_b) ≈ Var_i(e²_ia/M_a - e²_ib/M_b)/n.
 * Returns the order over (a, b) = (0, 2), the successive slopes s_01, s_12 and their SEs.
 */
export function rmsOrder(steps: number[], e2: number[][]): { p: number; se: number; s1: number; s2: number; seDiff: number } {
  const n = e2.length;
  const M = [0, 1, 2].map((k) => e2.reduce((a, e) => a + e[k], 0) / n);
  const sd = (f: (e: number[]) => number) => {
    const d = e2.map(f);
    const m = d.reduce((a, b) => a + b, 0) / n;
    return Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1) / n);
  };
  const L = Math.log(steps[2] / steps[0]);
  const L1 = Math.log(steps[1] / steps[0]);
  const L2 = Math.log(steps[2] / steps[1]);
  return {
    p: Math.log(M[0] / M[2]) / (2 * L),
    se: sd((e) => e[0] / M[0] - e[2] / M[2]) / (2 * L),
    s1: Math.log(M[0] / M[1]) / (2 * L1),
    s2: Math.log(M[1] / M[2]) / (2 * L2),
    seDiff: sd((e) => (e[0] / M[0] - e[1] / M[1]) / (2 * L1) - (e[1] / M[1] - e[2] / M[2]) / (2 * L2)),
  };
}

const odeOrder: Claim = {
  id: 'score.ode-order',
  title: `PF-ODE solvers converge at their order: Euler 1, Heun 2, RK4 4, DPM-Solver-k k, DPM-Solver++(2M) 2 (RMS-error slope within ±${ORDER_BAND} + z·SE)`,
  catalog: 'claim 8 (E6, E7)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  heavy: true,
  falseAlarmRate: FALSE_ALARM_RATE,
  run(impl) {
    // Error of path i = |x_N - x_ref| for ORDER_PATHS paths of the VP PF-ODE from t=1 to 1e-3 for the
    // 2-D mixture, x_T ~ N(0, I); x_ref = RK4 with 2000 steps (its own error, estimated against 1000
    // steps, must be < 1e-3 of the smallest RMS error). The statistic is the slope of the RMS error
    // (`rmsOrder`), not of the max over a few paths: a single path's error coefficient can nearly
    // vanish (per-path slopes of DPM-Solver++(2M) range 1.3-2.4), and the max over 8 paths then
    // switched paths between step counts — fitted order 1.647 at seed 5555555 (issue 21).
    // Test: |p̂ - k| ≤ ORDER_BAND + z·SE(p̂), and the asymptotic regime |s_01 - s_12| ≤ ORDER_BAND +
    // z·SE(s_01 - s_12). Given the band premise (population slope within ORDER_BAND of k), a correct
    // solver fails only if an estimate is more than z standard errors from its population value:
    // z from FALSE_ALARM_RATE over the 2·(number of cases) tests (Bonferroni), normal approximation
    // of the delta method (n = 32 paths).
    const tr = new ErrorTracker('score.ode-order');
    const proc = impl.scoreProcess!('vp', VP);
    const x0 = new R.Rng(FC_SEED + 6).normalBatch(ORDER_PATHS, 2);
    const modelEps = impl.mixtureModel!(MIX2, proc, 'eps');
    const rk4 = impl.scoreSampler!('ode-rk4');
    const ref = rk4(modelEps, x0, R.makeTimeGrid(proc, 2000));
    const refErr = maxAbsDiff(ref, rk4(modelEps, x0, R.makeTimeGrid(proc, 1000)));
    const z = zTwoSided(bonferroni(FALSE_ALARM_RATE, 2 * ORDER_CASES.length));
    const notes: string[] = [];
    let smallest = Infinity;
    for (const c of ORDER_CASES) {
      const model = impl.mixtureModel!(MIX2, proc, c.output ?? 'eps');
      const outs = c.steps.map((N) => impl.scoreSampler!(c.sampler)(model, x0, R.makeTimeGrid(proc, N, { spacing: c.spacing })));
      const e2 = x0.map((_, i) => outs.map((o) => o[i].reduce((a, v, j) => a + (v - ref[i][j]) ** 2, 0)));
      const rms = [0, 1, 2].map((k) => Math.sqrt(e2.reduce((a, e) => a + e[k], 0) / e2.length));
      if (!rms.every(Number.isFinite)) tr.fail(`${c.sampler}: non-finite errors (${rms.join(', ')})`);
      smallest = Math.min(smallest, ...rms);
      for (let i = 1; i < rms.length; i++) if (!(rms[i] < rms[i - 1])) tr.fail(`${c.sampler}: RMS error does not shrink with steps (${rms.map((e) => e.toExponential(2)).join(', ')})`);
      const o = rmsOrder(c.steps, e2);
      tr.atMost(`${c.sampler}: successive slopes ${o.s1.toFixed(2)}, ${o.s2.toFixed(2)} differ (asymptotic regime), band ${ORDER_BAND} + ${z.toFixed(2)}·${o.seDiff.toFixed(3)}`, Math.abs(o.s1 - o.s2), ORDER_BAND + z * o.seDiff);
      tr.atMost(`${c.sampler}: |RMS order ${o.p.toFixed(3)} - ${c.order}|, band ${ORDER_BAND} + ${z.toFixed(2)}·${o.se.toFixed(3)}`, Math.abs(o.p - c.order), ORDER_BAND + z * o.se);
      notes.push(`${c.sampler} (${c.spacing}, N=${c.steps.join('/')}): RMS errors ${rms.map((e) => e.toExponential(2)).join('/')}, order ${o.p.toFixed(2)} ± ${o.se.toFixed(3)}`);
    }
    tr.atMost('reference solution error / smallest RMS error', refErr / smallest, 1e-3);
    return tr.result(`false-alarm rate ${FALSE_ALARM_RATE} (${2 * ORDER_CASES.length} tests, z = ${z.toFixed(2)}); ${notes.join('; ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 8: stochastic samplers' weak error shrinks with the step count

/** Order of the weak-convergence runs by process (then table order); the claim's seeds follow it. */
const WEAK_PROCESS_ORDER: R.TestProcess[] = ['vp', 've', 'discrete-vp', 'seed-4.3', 'indi', 'indi-extra-noise'];

/** The stochastic samplers' weak-convergence runs, read from the descriptor table. */
export const WEAK_CASES: { sampler: string; process: [string, Record<string, number>]; output?: 'eps' | 'x0'; options?: Record<string, unknown> }[] = R.SAMPLER_LIST.flatMap((d) =>
  (d.checks.weak ?? []).map((c) => ({ d, c })),
)
  .sort((p, q) => WEAK_PROCESS_ORDER.indexOf(p.c.process) - WEAK_PROCESS_ORDER.indexOf(q.c.process))
  .map(({ d, c }) => ({
    sampler: d.name,
    process: CLAIM_PROCESSES[c.process]() as [string, Record<string, number>],
    ...(c.output ? { output: c.output as 'eps' | 'x0' } : {}),
    ...(c.options ? { options: { ...c.options } } : {}),
  }));

/**
 * The weak-error contraction required from 10 to 40 steps: e(40) ≤ WEAK_RATIO·e(10) (weak order
 * ≥ ½ over a 4× refinement). Premise, measured on the reference with n = 20000 paths per run:
 * r(10), r(20), r(40) = 5.90, 0.564, 0.095 (Euler-Maruyama VP); 2.26, 0.790, 0.315 (VP reverse
 * SDE); 0.495, 0.053, 0.015 (Euler-Maruyama VE); 1.35, 0.505, 0.228 (VE reverse SDE); 1.10, 0.269,
 * 0.061 (predictor-corrector VE); -0.477, -0.276, -0.149 (stochastic InDI): e(40)/e(10) = 0.016,
 * 0.14, 0.03, 0.17, 0.06, 0.31, all below ½, and every e(N) decreasing (premise of test (a)).
 */
const WEAK_RATIO = 0.5;

const sdeWeak: Claim = {
  id: 'score.sde-weak-convergence',
  title: `stochastic samplers: the error of the output variance against the exact p_{t_end} does not grow from 10 to 20 to 40 steps and contracts by at least ${WEAK_RATIO} from 10 to 40 steps, beyond Monte Carlo error`,
  catalog: 'claim 8 (E4, E5, E8)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  heavy: true,
  falseAlarmRate: FALSE_ALARM_RATE,
  run(impl) {
    // 1-D Gaussian data N(0.5, 0.2²), n paths per run, exact target variance v_t = α²·0.04 + σ².
    // With Gaussian data the score is affine in x, so every sampler's output is exactly Gaussian
    // and the sample variance is v_N·χ²_{n-1}/(n-1): r̂(N) = v̂/v_t - 1 has SE (1 + r(N))·√(2/(n-1)),
    // estimated with r̂. Error e(N) = |r̂(N)|. Tests (each a one-sided z-test on a difference, SE
    // √(SE_a² + c²SE_b²), which the common start x_T makes conservative: the runs are positively
    // correlated; the fold |r̂| at most doubles a one-sided tail, so z is two-sided):
    //   (a) no significant growth: e(20) - e(10) ≤ z·SE and e(40) - e(20) ≤ z·SE. The old strict
    //       e(10) > e(20) > e(40) failed a correct sampler at the Monte Carlo floor (issue 21:
    //       Euler-Maruyama VE 0.503 → 0.020 → 0.033 at seed 5555555, SE ≈ 0.026);
    //   (b) contraction: e(40) - WEAK_RATIO·e(10) ≤ z·SE (premise: the population ratio is below
    //       WEAK_RATIO, see above). A sampler converging to a wrong limit fails it: the
    //       predictor-corrector step size not squared gives e = 1.32 → 1.29 → 1.12 (ratio 0.85),
    //       which the old test (a significant decrease 10 → 40) let pass at seed 2222.
    // z from FALSE_ALARM_RATE over the 3·(cases) tests (Bonferroni). n = 6000: SE(e(40) - ½e(10))
    // ≈ 0.04 for errors ≈ 1, so the wrong-limit sampler above fails by > 5 SE beyond z.
    const tr = new ErrorTracker('score.sde-weak-convergence');
    const spec: MixtureSpec = { weights: [1], means: [0.5], stds: [0.2] };
    const n = 6000;
    const se1 = Math.sqrt(2 / (n - 1));
    const z = zTwoSided(bonferroni(FALSE_ALARM_RATE, 3 * WEAK_CASES.length));
    const notes: string[] = [];
    WEAK_CASES.forEach((c, k) => {
      const proc = impl.scoreProcess!(c.process[0], c.process[1]);
      const model = impl.mixtureModel!(spec, proc, c.output ?? 'eps');
      const rs = [10, 20, 40].map((N) => {
        const rng = new R.Rng(FC_SEED + 200 + k);
        const grid = R.makeTimeGrid(proc, N);
        const t0 = grid[0];
        const a0 = proc.alpha(t0);
        const s0 = proc.sigma(t0);
        const xT = Array.from({ length: n }, () => Float64Array.of(a0 * (0.5 + 0.2 * rng.normal()) + s0 * rng.normal()));
        const out = impl.scoreSampler!(c.sampler)(model, xT, grid, { rng, ...(c.options ?? {}) });
        const tEnd = grid[N];
        const vt = proc.alpha(tEnd) ** 2 * 0.04 + proc.sigma(tEnd) ** 2;
        const xs = out.map((r) => r[0]);
        if (!xs.every(Number.isFinite)) tr.fail(`${c.sampler} (${c.process[0]}), ${N} steps: non-finite samples`);
        const mean = xs.reduce((a, b) => a + b, 0) / n;
        const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
        return v / vt - 1;
      });
      const e = rs.map(Math.abs);
      const se = rs.map((r) => (1 + r) * se1);
      const label = `${c.sampler} (${c.process[0]})`;
      tr.atMost(`${label}: variance error grows 10 → 20 steps, e(20) - e(10) = ${(e[1] - e[0]).toFixed(3)} vs z·SE`, e[1] - e[0], z * Math.hypot(se[0], se[1]));
      tr.atMost(`${label}: variance error grows 20 → 40 steps, e(40) - e(20) = ${(e[2] - e[1]).toFixed(3)} vs z·SE`, e[2] - e[1], z * Math.hypot(se[1], se[2]));
      tr.atMost(`${label}: no contraction 10 → 40 steps, e(40) - ${WEAK_RATIO}·e(10) = ${(e[2] - WEAK_RATIO * e[0]).toFixed(3)} vs z·SE`, e[2] - WEAK_RATIO * e[0], z * Math.hypot(se[2], WEAK_RATIO * se[0]));
      notes.push(`${label}: v̂/v-1 = ${rs.map((r) => r.toFixed(3)).join(' → ')}`);
    });
    return tr.result(`false-alarm rate ${FALSE_ALARM_RATE} (${3 * WEAK_CASES.length} z-tests, z = ${z.toFixed(2)}, n = ${n}); ${notes.join('; ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 8 / 004 §3.1: Langevin reproduces the seed mixture

const langevinSeed: Claim = {
  id: 'score.langevin-seed-mixture',
  title: 'Langevin on 004 §3.1 mixture 0.6·N(2,0.5²)+0.4·N(-2,0.2²): unadjusted Langevin keeps p (stationarity) and annealed Langevin from noise reaches p (KS)',
  catalog: 'claim 8 (E3; 004 §3.1)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    // Unadjusted Langevin is biased by O(τ) (stationary variance s²/(1-τ/(2s²)) for a Gaussian
    // component): with τ = 2e-3 that is +2.5% variance on the narrow component (CDF shift ≲ 0.003,
    // far below the KS critical value). It does not cross the barrier between the modes at ±2, so
    // it is started from p itself (the seed's start, U[-3,3], fixes the mode weights by basin:
    // not p); the annealed sampler starts from N(0, σ_max²) and gets the weights right.
    const tr = new ErrorTracker('score.langevin-seed-mixture');
    const mix = mixOf(SEED31);
    const n = 2000;
    const a = bonferroni(FALSE_ALARM_RATE, 4);
    const ve = impl.scoreProcess!('ve', VE);
    const rng = new R.Rng(FC_SEED + 7);
    const model0 = impl.mixtureModel!(SEED31, ve, 'score');
    // n = 6000 for ULA: a √τ-for-√(2τ) bug halves the within-mode variances, a CDF shift of only
    // ≈ 0.065 here (modes never mix), so the KS test needs D_crit ≈ 0.036 to see it reliably.
    const nUla = 6000;
    const start = R.sampleMixture(R.noisyMixture(mix, 1, ve.sigma(0)), nUla, rng);
    const ula = impl.scoreSampler!('langevin')(model0, start, [0], { rng, stepSize: 2e-3, stepsPerLevel: 500 });
    const target = R.noisyMixture(mix, 1, ve.sigma(0));
    distributionTests(tr, 'unadjusted Langevin τ=2e-3, 500 steps', ula, target, a);
    const levels = Array.from(R.makeTimeGrid(ve, 24));
    const xT = rng.normalBatch(n, 1).map((r) => r.map((v) => v * ve.sigma(1)));
    const ann = impl.scoreSampler!('annealed-langevin')(model0, xT, levels, { rng, stepSize: 2e-5, stepsPerLevel: 30 });
    distributionTests(tr, 'annealed Langevin, 25 levels × 30 steps', ann, target, a);
    return tr.result(`n=${nUla} (ULA) / ${n} (annealed), KS critical ${ksCritical(nUla, a).toFixed(4)} / ${ksCritical(n, a).toFixed(4)}; D(ULA)=${ksStatistic(ula.map((r) => r[0]), (x) => R.mixtureMarginalCdf(target, 0, x)).toFixed(4)}, D(annealed)=${ksStatistic(ann.map((r) => r[0]), (x) => R.mixtureMarginalCdf(target, 0, x)).toFixed(4)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 10: PF-ODE invertibility

/** The ODE solvers' encode→decode runs: every descriptor with an `order` and a round-trip check. */
export const ROUND_TRIP_CASES: { sampler: string; order: number; steps: number[]; spacing: 'time' | 'logsnr' }[] = R.SAMPLER_LIST.flatMap((d) =>
  d.order !== undefined && d.checks.roundTrip ? [{ sampler: d.name, order: d.order, steps: [...d.checks.roundTrip.steps], spacing: d.spacing as 'time' | 'logsnr' }] : [],
);

const pfOdeInvertible: Claim = {
  id: 'score.pf-ode-invertible',
  title: 'PF-ODE encode (t_min → 1) then decode (1 → t_min) returns x; the RMS round-trip error shrinks at least at the solver order',
  catalog: 'claim 10 (E6, E7)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  falseAlarmRate: FALSE_ALARM_RATE,
  run(impl) {
    // Round-trip error of an order-k one-step method is O(h^k): per doubling the RMS error over
    // ORDER_PATHS paths must fall by at least 2^{k-0.5} (0.5 below the order for pre-asymptotic
    // terms; the measured population slopes are ≈ k+1 for Heun/DPM-Solver-2, k+1 for RK4 and k for
    // DPM-Solver-3, whose slopes on 256 paths were 2.95-3.12), allowing z standard errors of the
    // slope over the draw of the paths (delta method, as `rmsOrder`; z from FALSE_ALARM_RATE over the
    // 8 tests). The old statistic, the max over 8 paths, has the near-cancelling-path problem of
    // score.ode-order (issue 21): its ratio reached 0.80 of the limit on some draws. At the finest
    // grid the largest path error must be ≤ 1e-3, 0.1% of the data scale (component SDs
    // 0.55-0.77); the largest over 256 paths was 5.0e-4 (DPM-Solver-2).
    const tr = new ErrorTracker('score.pf-ode-invertible');
    const proc = impl.scoreProcess!('vp', VP);
    const mix = mixOf(MIX2);
    const x = R.sampleMixture(R.noisyMixture(mix, proc.alpha(proc.tMin), proc.sigma(proc.tMin)), ORDER_PATHS, new R.Rng(FC_SEED + 8));
    const z = zTwoSided(bonferroni(FALSE_ALARM_RATE, 2 * ROUND_TRIP_CASES.length));
    const notes: string[] = [];
    for (const c of ROUND_TRIP_CASES) {
      const model = impl.mixtureModel!(MIX2, proc, 'eps');
      const s = impl.scoreSampler!(c.sampler);
      const e2 = c.steps.map((N) => {
        const down = Array.from(R.makeTimeGrid(proc, N, { spacing: c.spacing }));
        const up = down.slice().reverse();
        const back = s(model, s(model, x, up), down);
        return x.map((xi, i) => back[i].reduce((a, v, j) => a + (v - xi[j]) ** 2, 0));
      });
      const n = x.length;
      const M = e2.map((e) => e.reduce((a, b) => a + b, 0) / n);
      if (!M.every(Number.isFinite)) tr.fail(`${c.sampler}: non-finite round-trip errors`);
      for (let k = 1; k < c.steps.length; k++) {
        const L = Math.log(c.steps[k] / c.steps[k - 1]);
        const slope = Math.log(M[k - 1] / M[k]) / (2 * L);
        const d = e2[k].map((_, i) => e2[k - 1][i] / M[k - 1] - e2[k][i] / M[k]);
        const md = d.reduce((a, b) => a + b, 0) / n;
        const se = Math.sqrt(d.reduce((a, b) => a + (b - md) ** 2, 0) / (n - 1) / n) / (2 * L);
        tr.atMost(`${c.sampler}: RMS round-trip slope ${slope.toFixed(3)} from ${c.steps[k - 1]} to ${c.steps[k]} steps below ${c.order} - 0.5 by`, c.order - 0.5 - slope, z * se);
      }
      const worstFinest = Math.sqrt(Math.max(...e2[2]));
      tr.atMost(`${c.sampler}: largest round-trip error at ${c.steps[2]} steps`, worstFinest, 1e-3);
      notes.push(`${c.sampler}: RMS ${M.map((m) => Math.sqrt(m).toExponential(2)).join(' → ')}`);
    }
    return tr.result(`false-alarm rate ${FALSE_ALARM_RATE} (${2 * ROUND_TRIP_CASES.length} slope z-tests, z = ${z.toFixed(2)}, ${ORDER_PATHS} paths); ${notes.join('; ')}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 11: guidance

const guidanceIdentities: Claim = {
  id: 'score.guidance-identities',
  title: 'CFG with w=0 is the conditional model; CFG is affine in w; classifier guidance with w=0 is the unconditional model and with w=1 and the Bayes-optimal classifier is the class-conditional model',
  catalog: 'claim 11 (E9)',
  requires: ['scoreProcess', 'mixtureModel', 'classifierGuidance', 'classifierFreeGuidance'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker('score.guidance-identities');
    const proc = impl.scoreProcess!('vp', VP);
    const full = mixOf(LABELED);
    const condSpec: MixtureSpec = (() => {
      const c = R.conditionalMixture(full, 1);
      return { weights: Array.from(c.weights), means: c.means.map((m) => Array.from(m)), variances: c.covs.map((v) => Array.from((v as { variances: Float64Array }).variances)) };
    })();
    const uncond = impl.mixtureModel!(LABELED, proc, 'eps');
    const cond = impl.mixtureModel!(condSpec, proc, 'eps');
    const xs = new R.Rng(FC_SEED + 9).normalBatch(12, 2).map((r) => r.map((v) => 1.5 * v));
    for (const t of [0.02, 0.2, 0.5, 0.9]) {
      const ec = cond.apply(xs, t);
      const eu = uncond.apply(xs, t);
      const g = (w: number) => impl.classifierFreeGuidance!(cond, uncond, w).apply(xs, t);
      const g0 = g(0);
      const g1 = g(1);
      xs.forEach((_, r) => {
        tr.close(`CFG w=0 = conditional, t=${t}`, g0[r], ec[r], 0, 0);
        for (const w of [0.5, 2, 7.5]) {
          const gw = g(w)[r];
          // (1+w)a - w b is affine in w; rounding of the two forms ≲ 4u(1+w)(|a|+|b|).
          tr.close(`CFG affine in w=${w}, t=${t}`, gw, Float64Array.from(g0[r], (v, i) => v + w * (g1[r][i] - v)), 1e-13 * (1 + w), 1e-13 * (1 + w) * (Math.abs(ec[r][0]) + Math.abs(eu[r][0]) + 1));
          tr.close(`CFG formula w=${w}, t=${t}`, gw, Float64Array.from(ec[r], (v, i) => (1 + w) * v - w * eu[r][i]), 1e-13 * (1 + w), 1e-13 * (1 + w));
        }
      });
      const alpha = proc.alpha(t);
      const sigma = proc.sigma(t);
      const grad = (x: Rows) => R.mixtureClassifierGrad(full, 1, alpha, sigma, x) as Rows;
      const cg0 = impl.classifierGuidance!(uncond, (x) => grad(x), 0).apply(xs, t);
      const cg1 = impl.classifierGuidance!(uncond, (x) => grad(x), 1).apply(xs, t);
      xs.forEach((_, r) => {
        tr.close(`classifier guidance w=0 = unconditional, t=${t}`, cg0[r], eu[r], 0, 0);
        // ε_u - σ∇log p(y|x) = -σ(∇log p + ∇log p(y|x)) = -σ∇log p(x|y): two roundings of ε-sized terms.
        tr.close(`classifier guidance w=1 (Bayes classifier) = class-conditional ε, t=${t}`, cg1[r], ec[r], 1e-9, 1e-9);
      });
    }
    return tr.result(`${tr.cases} comparisons at 4 times × 12 points`);
  },
};

const guidanceSampling: Claim = {
  id: 'score.guidance-sampling',
  title: 'classifier guidance (w=1, Bayes-optimal noisy classifier) samples the class-conditional mixture; CFG w=0 likewise (KS + mean)',
  catalog: 'claim 11 (E9)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler', 'classifierGuidance', 'classifierFreeGuidance'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker('score.guidance-sampling');
    const proc = impl.scoreProcess!('vp', VP);
    const full = mixOf(LABELED);
    const condMix = R.conditionalMixture(full, 1);
    const condSpec: MixtureSpec = { weights: Array.from(condMix.weights), means: condMix.means.map((m) => Array.from(m)), variances: condMix.covs.map((v) => Array.from((v as { variances: Float64Array }).variances)) };
    const uncond = impl.mixtureModel!(LABELED, proc, 'eps');
    const cond = impl.mixtureModel!(condSpec, proc, 'eps');
    const guided = impl.classifierGuidance!(uncond, (x, t) => R.mixtureClassifierGrad(full, 1, proc.alpha(t), proc.sigma(t), x) as Rows, 1);
    const cfg0 = impl.classifierFreeGuidance!(cond, uncond, 0);
    const n = 2000;
    const a = bonferroni(FALSE_ALARM_RATE, 8);
    const grid = Array.from(R.makeTimeGrid(proc, 25, { spacing: 'logsnr' }));
    const tEnd = grid[grid.length - 1];
    const target = R.noisyMixture(condMix, proc.alpha(tEnd), proc.sigma(tEnd));
    const rng = new R.Rng(FC_SEED + 10);
    // Start from the class-conditional p_1 (at t = 1 it differs from N(0, I) only by ᾱ(1) ≈ 4e-5).
    const start = () => R.sampleMixture(R.noisyMixture(condMix, proc.alpha(1), proc.sigma(1)), n, rng);
    const outs: [string, Rows][] = [
      ['classifier guidance w=1, DPM-Solver-2', impl.scoreSampler!('dpm-solver-2')(guided, start(), grid, { rng })],
      ['CFG w=0, Euler-Maruyama', impl.scoreSampler!('euler-maruyama')(cfg0, start(), Array.from(R.makeTimeGrid(proc, 100)), { rng })],
    ];
    for (const [label, out] of outs) distributionTests(tr, label, out, target, a);
    return tr.result(`n=${n}, KS critical ${ksCritical(n, a).toFixed(4)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// E8: InDI = DDIM on its process

const indiDdim: Claim = {
  id: 'score.indi-equals-ddim',
  title: 'the deterministic InDI step (004 eq. 64) equals the DDIM / DPM-Solver-1 step on the linear-interpolation process, step for step',
  catalog: 'claim 7 (E8, E7)',
  requires: ['scoreProcess', 'mixtureModel', 'scoreSampler'],
  falseAlarmRate: 0,
  run(impl) {
    // α = 1-t, σ = t: DDIM gives x_s = α_s x̂_0 + (σ_s/σ_t)(x_t - α_t x̂_0) = (s/t) x_t + (1 - s/t) x̂_0.
    const tr = new ErrorTracker('score.indi-equals-ddim');
    const proc = impl.scoreProcess!('indi', {});
    const grid = [0.99, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1, 0.05, 0.01];
    const x = new R.Rng(FC_SEED + 11).normalBatch(6, 2);
    const a: Rows[] = [];
    const b: Rows[] = [];
    impl.scoreSampler!('indi')(impl.mixtureModel!(MIX2, proc, 'x0'), x, grid, { callback: (s) => a.push(s.x) });
    impl.scoreSampler!('dpm-solver-1')(impl.mixtureModel!(MIX2, proc, 'eps'), x, grid, { callback: (s) => b.push(s.x) });
    if (a.length !== grid.length - 1 || b.length !== grid.length - 1) tr.fail('callback not called once per step');
    a.forEach((st, i) => st.forEach((row, r) => tr.close(`step ${i} row ${r}`, row, b[i][r], 1e-11, 1e-11)));
    return tr.result(`${tr.cases} step×row comparisons`);
  },
};

export const scoreClaims: Claim[] = [oracleFd, tweedieMc, vincent, dpmDdim, ddpmExact, indiDdim, guidanceIdentities, odeOrder, pfOdeInvertible, samplingKs, sdeWeak, langevinSeed, guidanceSampling];

/** Throw a ClaimFailure (re-exported for the self-check's messages). */
export { ClaimFailure };
