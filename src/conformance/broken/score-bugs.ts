/**
 * Deliberately broken samplers and oracles for the self-check of the score-family claims
 * (properties/selfcheck-score.test.ts). Each wraps the float64 reference with exactly one classic
 * bug (several are typos of seed 004 itself: β_i/2 in eq. 103, √t σ_t in eq. 67) and names the
 * claims expected to reject it.
 */
import type { DiffusionImpl, MixtureSpec } from '../interface.js';
import { referenceScoreImpl as ref } from '../impls/reference-score.js';
import * as R from '../../reference/index.js';

export interface BrokenScoreImpl {
  id: string;
  bug: string;
  expectedCaughtBy: string[];
  impl: DiffusionImpl;
}

type Rows = Float64Array[];

/** `base` (default: the score-family reference) with some members replaced, named after the bug. */
export function broken(id: string, patch: Partial<DiffusionImpl>, base: DiffusionImpl = ref): DiffusionImpl {
  return { ...base, ...patch, name: `broken: ${id}` };
}

/** Replace one sampler of the registry. */
export function withSampler(id: string, name: string, fn: R.SamplerFn, base: DiffusionImpl = ref): DiffusionImpl {
  return broken(id, { scoreSampler: (n) => (n === name ? fn : R.getSampler(n)) }, base);
}

const normals = (rng: R.Rng, x: Rows): Rows => x.map((r) => rng.normals(r.length));

/** A grid loop shared by the broken one-step samplers below. */
function loop(x: Rows, grid: ArrayLike<number>, step: (x: Rows, t: number, tn: number) => Rows, cb?: R.SamplerOptions['callback']): Rows {
  let cur = R.checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    cur = step(cur, grid[i], grid[i + 1]);
    cb?.({ i, t: grid[i], tNext: grid[i + 1], x: cur });
  }
  return cur;
}

// 1. Reverse SDE with the wrong sign of the score term: dx = [f x + g² s] dt + g dw̄.
const wrongScoreSign: R.SamplerFn = (model, x, grid, o = {}) => {
  const rng = o.rng!;
  return loop(x, grid, (cur, t, tn) => {
    const s = R.modelScore(model, cur, t);
    const f = model.process.f(t);
    const g2 = model.process.g2(t);
    const drift = cur.map((r, k) => r.map((v, i) => f * v + g2 * s[k][i]));
    return R.eulerMaruyamaStep(cur, drift, Math.sqrt(g2), tn - t, normals(rng, cur));
  });
};

// 2. Heun without its corrector: just the Euler predictor.
const heunNoCorrection: R.SamplerFn = (model, x, grid, o = {}) =>
  loop(x, grid, (cur, t, tn) => R.eulerStep((xx, tt) => R.probabilityFlowDrift(model, xx, tt), cur, t, tn - t), o.callback);

// 3. DPM-Solver-2 with λ in the wrong direction (h = λ_s - λ_t).
const dpmLambdaReversed: R.SamplerFn = (model, x, grid, o = {}) =>
  loop(
    x,
    grid,
    (cur, s, t) => {
      const p = model.process;
      const ls = p.lambda(s);
      const h = ls - p.lambda(t);
      const s1 = p.tOfLambda(Math.min(Math.max(ls - 0.5 * h, p.lambda(p.tMax)), p.lambda(p.tMin)));
      const es = R.modelEps(model, cur, s);
      const u = cur.map((r, k) => r.map((v, i) => (p.alpha(s1) / p.alpha(s)) * v - p.sigma(s1) * Math.expm1(0.5 * h) * es[k][i]));
      const e1 = R.modelEps(model, u, s1);
      return cur.map((r, k) => r.map((v, i) => (p.alpha(t) / p.alpha(s)) * v - p.sigma(t) * Math.expm1(h) * es[k][i] - p.sigma(t) * Math.expm1(h) * (e1[k][i] - es[k][i])));
    },
    o.callback,
  );

// 4. Langevin with √τ instead of √(2τ) noise (samples p² instead of p).
const langevinSqrtTau: R.SamplerFn = (model, x, grid, o = {}) => {
  const rng = o.rng!;
  const tau = o.stepSize!;
  let cur = R.checkBatch(x);
  for (const t of Array.from(grid)) {
    for (let m = 0; m < (o.stepsPerLevel ?? 1); m++) {
      const s = R.modelScore(model, cur, t);
      const z = normals(rng, cur);
      cur = cur.map((r, k) => r.map((v, i) => v + tau * s[k][i] + Math.sqrt(tau) * z[k][i]));
    }
  }
  return cur;
};

// 5. Classifier guidance applied to x̂_0 with the ε coefficient: x̂_0 - w σ ∇log p(y|x).
const guidanceOnX0: DiffusionImpl['classifierGuidance'] = (model, grad, w) =>
  R.makeModel(model.process, 'x0', (x, t) => {
    const x0 = R.modelX0(model, x, t);
    const g = grad(x, t);
    const s = model.process.sigma(t);
    return x0.map((r, k) => r.map((v, i) => v - w * s * g[k][i]));
  });

// 6. RK4 with equal weights (k1 + k2 + k3 + k4)/4.
const rk4WrongWeights: R.SamplerFn = (model, x, grid, o = {}) =>
  loop(
    x,
    grid,
    (cur, t, tn) => {
      const h = tn - t;
      const F = (xx: Rows, tt: number) => R.probabilityFlowDrift(model, xx, tt);
      const add = (a: Rows, c: number, b: Rows) => a.map((r, k) => r.map((v, i) => v + c * b[k][i]));
      const k1 = F(cur, t);
      const k2 = F(add(cur, h / 2, k1), t + h / 2);
      const k3 = F(add(cur, h / 2, k2), t + h / 2);
      const k4 = F(add(cur, h, k3), t + h);
      return cur.map((r, k) => r.map((v, i) => v + (h / 4) * (k1[k][i] + k2[k][i] + k3[k][i] + k4[k][i])));
    },
    o.callback,
  );

// 7. Annealed Langevin without the σ_i²/σ_L² step-size scaling (a constant τ at every level).
const annealedNoScaling: R.SamplerFn = (model, x, grid, o = {}) => R.sampleLangevin(model, x, grid, o);

// 8. Predictor-corrector with the SNR step size not squared: ε = 2a·r‖z‖/‖s‖.
const pcWrongSnr: R.SamplerFn = (model, x, grid, o = {}) => {
  const rng = o.rng!;
  const r = o.snr ?? 0.16;
  const ve = model.process.kind === 've';
  return loop(x, grid, (cur, t, tn) => {
    const s = R.modelScore(model, cur, t);
    const beta = ve ? 0 : R.vpStepBeta(model, t, tn);
    let nx = ve ? R.veReverseStep(cur, s, model.process.sigma(t), model.process.sigma(tn), normals(rng, cur)) : R.vpReverseStep(cur, s, beta, normals(rng, cur));
    const sc = R.modelScore(model, nx, tn);
    const z = normals(rng, nx);
    const nrm = (v: Float64Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    const nz = z.reduce((a, v) => a + nrm(v), 0) / z.length;
    const ns = sc.reduce((a, v) => a + nrm(v), 0) / sc.length;
    const eps = 2 * (ve ? 1 : 1 - beta) * ((r * nz) / ns);
    nx = nx.map((row, k) => row.map((v, i) => v + eps * sc[k][i] + Math.sqrt(2 * eps) * z[k][i]));
    return nx;
  });
};

// 9. VE reverse SDE with σ increments instead of σ² increments.
const veSigmaIncrements: R.SamplerFn = (model, x, grid, o = {}) => {
  const rng = o.rng!;
  return loop(x, grid, (cur, t, tn) => {
    const s = R.modelScore(model, cur, t);
    const dv = model.process.sigma(t) - model.process.sigma(tn);
    const z = normals(rng, cur);
    return cur.map((r, k) => r.map((v, i) => v + dv * s[k][i] + Math.sqrt(dv) * z[k][i]));
  });
};

// 10. Mixture oracle ignoring the weights (equal weights).
function equalWeights(spec: MixtureSpec): MixtureSpec {
  const K = spec.weights.length;
  return { ...spec, weights: Array.from({ length: K }, () => 1 / K) };
}
const eqCache = new WeakMap<MixtureSpec, MixtureSpec>();
const eq = (s: MixtureSpec) => {
  let e = eqCache.get(s);
  if (!e) eqCache.set(s, (e = equalWeights(s)));
  return e;
};

// 11. Seed 004 eq. (103) verbatim: β_i/2 inside the bracket.
const vpHalfBeta: R.SamplerFn = (model, x, grid, o = {}) => {
  const rng = o.rng!;
  return loop(x, grid, (cur, t, tn) => R.vpReverseStep(cur, R.modelScore(model, cur, t).map((r) => r.map((v) => v / 2)), R.vpStepBeta(model, t, tn), normals(rng, cur)));
};

// 12. DPM-Solver-3 with the last correction divided by r_1 instead of r_2.
const dpm3WrongCoef: R.SamplerFn = (model, x, grid, o = {}) =>
  loop(
    x,
    grid,
    (cur, s, t) => {
      // x_t(correct) = base - (σ_t/r_2)φ D_2; with 1/r_1 the last term is scaled by r_2/r_1 = 2.
      const good = R.dpmSolver3Step(model, cur, s, t);
      const base = R.dpmSolver1Step(model, cur, s, t);
      return good.map((r, k) => r.map((v, i) => base[k][i] + 2 * (v - base[k][i])));
    },
    o.callback,
  );

export const scoreBugs: BrokenScoreImpl[] = [
  { id: 'sde-score-sign', bug: 'reverse SDE with +g²∇log p instead of -g²∇log p', expectedCaughtBy: ['score.sampling-distribution', 'score.sde-weak-convergence'], impl: withSampler('sde-score-sign', 'euler-maruyama', wrongScoreSign) },
  { id: 'heun-no-correction', bug: 'Heun without its corrector (Euler)', expectedCaughtBy: ['score.ode-order', 'score.pf-ode-invertible'], impl: withSampler('heun-no-correction', 'ode-heun', heunNoCorrection) },
  { id: 'dpm-lambda-reversed', bug: 'DPM-Solver-2 with h = λ_s - λ_t (λ in the wrong direction)', expectedCaughtBy: ['score.ode-order', 'score.sampling-distribution', 'score.pf-ode-invertible'], impl: withSampler('dpm-lambda-reversed', 'dpm-solver-2', dpmLambdaReversed) },
  { id: 'langevin-sqrt-tau', bug: 'Langevin noise √τ instead of √(2τ)', expectedCaughtBy: ['score.langevin-seed-mixture'], impl: withSampler('langevin-sqrt-tau', 'langevin', langevinSqrtTau) },
  { id: 'guidance-on-x0', bug: 'classifier guidance applied to x̂_0 (with the ε coefficient) instead of ε', expectedCaughtBy: ['score.guidance-identities', 'score.guidance-sampling'], impl: broken('guidance-on-x0', { classifierGuidance: guidanceOnX0 }) },
  { id: 'rk4-equal-weights', bug: 'RK4 with weights (1,1,1,1)/4 instead of (1,2,2,1)/6', expectedCaughtBy: ['score.ode-order'], impl: withSampler('rk4-equal-weights', 'ode-rk4', rk4WrongWeights) },
  { id: 'annealed-no-scaling', bug: 'annealed Langevin without the σ_i²/σ_L² step-size scaling', expectedCaughtBy: ['score.langevin-seed-mixture', 'score.sampling-distribution'], impl: withSampler('annealed-no-scaling', 'annealed-langevin', annealedNoScaling) },
  { id: 'pc-snr-not-squared', bug: 'predictor-corrector step size 2a·r‖z‖/‖s‖ instead of 2a(r‖z‖/‖s‖)²', expectedCaughtBy: ['score.sampling-distribution', 'score.sde-weak-convergence'], impl: withSampler('pc-snr-not-squared', 'predictor-corrector', pcWrongSnr) },
  { id: 've-sigma-increments', bug: 'VE reverse SDE using σ_i - σ_{i-1} instead of σ_i² - σ_{i-1}²', expectedCaughtBy: ['score.sampling-distribution', 'score.sde-weak-convergence'], impl: withSampler('ve-sigma-increments', 've-reverse-sde', veSigmaIncrements) },
  {
    id: 'mixture-ignores-weights',
    bug: 'mixture oracle with equal component weights (weights ignored)',
    expectedCaughtBy: ['score.tweedie-mc', 'score.sampling-distribution'],
    impl: broken('mixture-ignores-weights', {
      mixtureLogPdf: (m, a, s, x) => ref.mixtureLogPdf!(eq(m), a, s, x),
      mixtureScore: (m, a, s, x) => ref.mixtureScore!(eq(m), a, s, x),
      mixturePosteriorMean: (m, a, s, x) => ref.mixturePosteriorMean!(eq(m), a, s, x),
      mixtureModel: (m, p, o) => ref.mixtureModel!(eq(m), p, o),
    }),
  },
  { id: 'vp-reverse-half-beta', bug: 'seed 004 eq. (103) verbatim: β_i/2 instead of β_i on the score', expectedCaughtBy: ['score.sampling-distribution', 'score.sde-weak-convergence'], impl: withSampler('vp-reverse-half-beta', 'vp-reverse-sde', vpHalfBeta) },
  { id: 'dpm3-wrong-coefficient', bug: 'DPM-Solver-3 last correction divided by r_1 instead of r_2', expectedCaughtBy: ['score.ode-order', 'score.pf-ode-invertible'], impl: withSampler('dpm3-wrong-coefficient', 'dpm-solver-3', dpm3WrongCoef) },
];
