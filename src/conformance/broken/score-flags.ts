/**
 * Bug models of the score-family vector flags (and INPUT_VALIDATION, which spans both families):
 * built on the handwritten core plus the reference's score members (HS); each replaces the members
 * its bug touches. Samplers with a bug are re-implemented here, or taken from the score self-check
 * (./score-bugs.ts) where its broken sampler is exactly the flag's bug, so each bug is written once.
 * See ./core-flags.ts for what a bug model is for.
 */
import type { DiffusionImpl, DiffusionModel, MixtureSpec, Process, SamplerFn } from '../interface.js';
import { handwrittenAdapter } from '../impls/handwritten.js';
import { scoreMembers, sigmaMembers } from '../impls/reference-score.js';
import { scoreBugs } from './score-bugs.js';
import * as R from '../../reference/index.js';
import { named, noValidation } from './core-flags.js';
import { noSigmaValidation } from './sigma-flags.js';

const H = handwrittenAdapter;
type Rows = Float64Array[];
const HS: DiffusionImpl = { ...H, ...scoreMembers, ...sigmaMembers, name: 'handwritten + reference score members', precision: 'float64' };
const refSampler = (n: string): SamplerFn => R.getSampler(n);
const selfCheck = (id: string): DiffusionImpl => {
  const b = scoreBugs.find((x) => x.id === id);
  if (!b) throw new Error(`no score self-check bug ${id}`);
  return b.impl;
};
/**
 * A buggy sampler that validates its inputs like the reference (one bug, not two): the reference
 * sampler runs first on the same inputs with a private Rng, only for its input checks.
 */
function validated(name: string, fn: SamplerFn): SamplerFn {
  return (m, x, g, o = {}) => {
    refSampler(name)(m, x, g, { ...o, rng: new R.Rng(1), callback: undefined });
    return fn(m, x, g, o);
  };
}
/** Replace the samplers named in `fns` (validated); the others are the reference's. */
function samplers(fns: Record<string, SamplerFn>): Partial<DiffusionImpl> {
  return { scoreSampler: (n: string) => (fns[n] ? validated(n, fns[n]) : refSampler(n)) };
}
/** The broken sampler `name` of a score self-check implementation, validated. */
function selfCheckSampler(id: string, name: string): Partial<DiffusionImpl> {
  return samplers({ [name]: selfCheck(id).scoreSampler!(name) });
}
/** Every sampler sees the model through `wrap` (a conversion bug inside the implementation). */
function viewModel(wrap: (m: DiffusionModel) => DiffusionModel): Partial<DiffusionImpl> {
  return { scoreSampler: (n: string) => { const f = refSampler(n); return (m, x, g, o) => f(wrap(m), x, g, o); } };
}
const mapRows = (x: Rows, fn: (v: number, r: number, i: number) => number): Rows => x.map((row, r) => row.map((v, i) => fn(v, r, i)));

/** A grid loop for one-step-at-a-time bug samplers. */
function loop(x: Rows, grid: ArrayLike<number>, step: (x: Rows, t: number, tn: number, i: number) => Rows): Rows {
  let cur = R.checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) cur = step(cur, grid[i], grid[i + 1], i);
  return cur;
}

/** (Annealed) Langevin with a noise scale c·√τ (correct: c = √2) and optional annealing. */
function langevinQ(noiseScale: number, anneal: boolean): SamplerFn {
  return (model, x, grid, o = {}) => {
    const rng = o.rng!;
    const levels = Array.from(grid);
    const sL = model.process.sigma(levels[levels.length - 1]);
    let cur = R.checkBatch(x);
    for (const t of levels) {
      const tau = anneal ? R.annealedStepSize(o.stepSize!, model.process.sigma(t), sL) : o.stepSize!;
      for (let m = 0; m < (o.stepsPerLevel ?? 1); m++) {
        const s = R.modelScore(model, cur, t);
        const z = cur.map((r) => rng.normals(r.length));
        cur = mapRows(cur, (v, r, i) => v + tau * s[r][i] + noiseScale * Math.sqrt(tau) * z[r][i]);
      }
    }
    return cur;
  };
}

/** PF-ODE solvers with the reverse-SDE drift f x - g² s (the ½ dropped). */
function odeNoHalf(step: typeof R.eulerStep): SamplerFn {
  return (model, x, grid) => {
    const drift = (xx: Rows, t: number) => {
      const s = R.modelScore(model, xx, t);
      return mapRows(xx, (v, r, i) => model.process.f(t) * v - model.process.g2(t) * s[r][i]);
    };
    return loop(x, grid, (cur, t, tn) => step(drift, cur, t, tn - t));
  };
}

/** Singlestep DPM-Solver of order 1-3 with one bug switched on. */
function dpmQ(order: 1 | 2 | 3, q: { reverse?: boolean; linearTime?: boolean; coef3?: boolean }): SamplerFn {
  const lin = (terms: [number, Rows][]) => terms[0][1].map((row, r) => row.map((_, i) => terms.reduce((a, [c, y]) => a + c * y[r][i], 0)));
  const phi2 = (h: number) => Math.expm1(h) / h - 1;
  return (model, x, grid) =>
    loop(x, grid, (cur, s, t) => {
      const p: Process = model.process;
      const ls = p.lambda(s);
      const lt = p.lambda(t);
      const h = q.reverse ? ls - lt : lt - ls;
      const mid = (r: number) => (q.linearTime ? s + r * (t - s) : p.tOfLambda(ls + r * (lt - ls)));
      const es = R.modelEps(model, cur, s);
      const base: [number, Rows][] = [[p.alpha(t) / p.alpha(s), cur], [-p.sigma(t) * Math.expm1(h), es]];
      if (order === 1) return lin(base);
      const r1 = order === 2 ? 0.5 : 1 / 3;
      const s1 = mid(r1);
      const u1 = lin([[p.alpha(s1) / p.alpha(s), cur], [-p.sigma(s1) * Math.expm1(r1 * h), es]]);
      const d1 = lin([[1, R.modelEps(model, u1, s1)], [-1, es]]);
      if (order === 2) return lin([...base, [(-p.sigma(t) / (2 * r1)) * Math.expm1(h), d1]]);
      const r2 = 2 / 3;
      const s2 = mid(r2);
      const u2 = lin([[p.alpha(s2) / p.alpha(s), cur], [-p.sigma(s2) * Math.expm1(r2 * h), es], [((-p.sigma(s2) * r2) / r1) * phi2(r2 * h), d1]]);
      const d2 = lin([[1, R.modelEps(model, u2, s2)], [-1, es]]);
      return lin([...base, [(-p.sigma(t) / (q.coef3 ? r1 : r2)) * phi2(h), d2]]);
    });
}

/** The guidance bug models validate w like the reference (they have one bug each, not two). */
function checkScale(w: number, min: number): void {
  if (!(Number.isFinite(w) && w >= min)) throw new Error(`guidance scale w = ${w} must be finite and ≥ ${min}`);
}

/** Stochastic InDI with seed 004 eq. (67)'s √(t-τ) instead of (t-τ). */
const indiSqrtT: SamplerFn = (model, x, grid, o = {}) => {
  const c = model.process.indiExtraNoise ?? 0;
  const se = (t: number) => c * (1 - t);
  return loop(x, grid, (cur, t, tn) => {
    const d = R.modelX0(model, cur, t);
    const det = R.indiStep(cur, d, t, tn);
    if (!(o.stochastic ?? c > 0)) return det;
    const k = Math.sqrt(tn) * Math.sqrt(se(tn) ** 2 - se(t) ** 2);
    const z = cur.map((r) => o.rng!.normals(r.length));
    return mapRows(det, (v, r, i) => v + k * z[r][i]);
  });
};

function equalWeights(m: MixtureSpec): MixtureSpec {
  return { ...m, weights: Array.from(m.weights, () => 1 / m.weights.length) };
}
/** αΣ_k + σ²I instead of α²Σ_k + σ²I: the same mixture with covariances Σ_k/α (α > 0). */
function alphaCov(m: MixtureSpec, alpha: number): MixtureSpec {
  if (!(alpha > 0) || alpha === 1) return m;
  const sc = (v: number | ArrayLike<number>) => (typeof v === 'number' ? v / alpha : Array.from(v, (e) => e / alpha));
  if (m.covariances) return { ...m, covariances: m.covariances.map((c) => Array.from(c, (row) => Array.from(row, (e) => e / alpha))) };
  if (m.variances) return { ...m, variances: m.variances.map(sc) };
  return { ...m, stds: m.stds!.map((v) => (typeof v === 'number' ? v / Math.sqrt(alpha) : Array.from(v, (e) => e / Math.sqrt(alpha)))) };
}
/** Mixture members evaluated on a transformed spec (per α). */
function mixtureVia(tr: (m: MixtureSpec, alpha: number) => MixtureSpec): Partial<DiffusionImpl> {
  const S = scoreMembers;
  return {
    mixtureLogPdf: (m, a, s, x) => S.mixtureLogPdf!(tr(m, a), a, s, x),
    mixtureScore: (m, a, s, x) => S.mixtureScore!(tr(m, a), a, s, x),
    mixturePosteriorMean: (m, a, s, x) => S.mixturePosteriorMean!(tr(m, a), a, s, x),
    mixtureModel: (m, p, out) => ({ process: p, output: out, apply: (x: Rows, t: number) => S.mixtureModel!(tr(m, p.alpha(t)), p, out).apply(x, t) }),
  };
}
/** The score negated (s = +C⁻¹(x - αμ), s = +ε/σ): mixture score/ε outputs and every sampler's view of the model. */
function flipScore(): Partial<DiffusionImpl> {
  const S = scoreMembers;
  return {
    mixtureScore: (m, a, s, x) => Array.from(S.mixtureScore!(m, a, s, x), (v) => -v),
    mixtureModel: (m, p, out) => {
      const good = S.mixtureModel!(m, p, out);
      return out === 'score' || out === 'eps' ? { ...good, apply: (x: Rows, t: number) => good.apply(x, t).map((r) => r.map((v) => -v)) } : good;
    },
    ...viewModel((m) => ({ process: m.process, output: 'score', apply: (x, t) => R.modelScore(m, x, t).map((r) => r.map((v) => -v)) })),
  };
}
/** Tweedie with σ instead of σ²: x̂_0 = (x + σ s)/α. */
function tweedieSigma(): Partial<DiffusionImpl> {
  const S = scoreMembers;
  const tw = (x: Rows, s: Rows, a: number, sg: number) => mapRows(x, (v, r, i) => (v + sg * s[r][i]) / a);
  return {
    mixturePosteriorMean: (m, a, s, x) => {
      if (!(a > 0)) return S.mixturePosteriorMean!(m, a, s, x);
      return tw([Float64Array.from(x)], [Float64Array.from(S.mixtureScore!(m, a, s, x))], a, s)[0];
    },
    mixtureModel: (m, p, out) => {
      const good = S.mixtureModel!(m, p, out);
      if (out !== 'x0') return good;
      const sc = S.mixtureModel!(m, p, 'score');
      return { ...good, apply: (x: Rows, t: number) => tw(x, sc.apply(x, t), p.alpha(t), p.sigma(t)) };
    },
    ...viewModel((m) => (m.output !== 'score' ? m : { process: m.process, output: 'x0', apply: (x, t) => tw(x, m.apply(x, t), m.process.alpha(t), m.process.sigma(t)) })),
  };
}

/** No validation at all, through returned processes, samplers and models: every error becomes NaN output. */
function nanRows(x: unknown): Rows {
  return Array.isArray(x) ? x.map((r: ArrayLike<number>) => Float64Array.from(r, () => NaN)) : [Float64Array.of(NaN)];
}
function nanProcess(): Process {
  const nan = () => NaN;
  return { kind: 'vp', tMin: 0, tMax: Infinity, label: 'unvalidated', alpha: nan, sigma: nan, lambda: nan, tOfLambda: nan, f: nan, g2: nan };
}
function safeModel(make: () => DiffusionModel, process: Process): DiffusionModel {
  let m: DiffusionModel;
  try {
    m = make();
  } catch {
    return { process, output: 'eps', apply: (x) => nanRows(x) };
  }
  return { ...m, apply: (x, t) => { try { return m.apply(x, t); } catch { return nanRows(x); } } };
}
function noScoreValidation(impl: DiffusionImpl): Partial<DiffusionImpl> {
  const safeSampler = (f: SamplerFn): SamplerFn => (m, x, g, o) => { try { return f(m, x, g, o); } catch { return nanRows(x); } };
  return {
    scoreProcess: (k, o) => {
      let p: Process;
      try {
        p = impl.scoreProcess!(k, o);
      } catch {
        return nanProcess();
      }
      const safe = (f: (t: number) => number) => (t: number) => { try { return f(t); } catch { return NaN; } };
      return { ...p, alpha: safe(p.alpha), sigma: safe(p.sigma), lambda: safe(p.lambda), tOfLambda: safe(p.tOfLambda), f: safe(p.f), g2: safe(p.g2) };
    },
    scoreSampler: (n) => { try { return safeSampler(impl.scoreSampler!(n)); } catch { return (_m, x) => nanRows(x); } },
    mixtureModel: (m, p, out) => safeModel(() => impl.mixtureModel!(m, p, out), p),
    classifierGuidance: (m, g, w) => safeModel(() => impl.classifierGuidance!(m, g, w), m.process),
    classifierFreeGuidance: (c, u, w) => safeModel(() => impl.classifierFreeGuidance!(c, u, w), c.process),
  };
}

/** Score flag (and INPUT_VALIDATION) → an implementation with that bug. */
export const SCORE_BUG_MODELS: Record<string, () => DiffusionImpl> = {
  INPUT_VALIDATION: () => named('INPUT_VALIDATION', { ...noValidation(HS), ...noScoreValidation(HS), ...noSigmaValidation(HS) }),
  SCORE_SIGN: () => named('SCORE_SIGN', HS, flipScore()),
  MIXTURE_WEIGHTS: () => named('MIXTURE_WEIGHTS', HS, mixtureVia((m) => equalWeights(m))),
  NOISY_MARGINAL: () => named('NOISY_MARGINAL', HS, mixtureVia(alphaCov)),
  TWEEDIE_SCALE: () => named('TWEEDIE_SCALE', HS, tweedieSigma()),
  LANGEVIN_NOISE_SCALE: () => named('LANGEVIN_NOISE_SCALE', HS, samplers({ langevin: selfCheck('langevin-sqrt-tau').scoreSampler!('langevin'), 'annealed-langevin': langevinQ(1, true) })),
  ANNEALED_STEP_SIZE: () => named('ANNEALED_STEP_SIZE', HS, selfCheckSampler('annealed-no-scaling', 'annealed-langevin')),
  VP_SDE_DRIFT: () => named('VP_SDE_DRIFT', HS, selfCheckSampler('vp-reverse-half-beta', 'vp-reverse-sde')),
  VE_SDE_INCREMENT: () => named('VE_SDE_INCREMENT', HS, selfCheckSampler('ve-sigma-increments', 've-reverse-sde')),
  PF_ODE_DRIFT: () => named('PF_ODE_DRIFT', HS, samplers({ 'ode-euler': odeNoHalf(R.eulerStep), 'ode-heun': odeNoHalf(R.heunStep), 'ode-rk4': odeNoHalf(R.rk4Step) })),
  HEUN_CORRECTION: () => named('HEUN_CORRECTION', HS, selfCheckSampler('heun-no-correction', 'ode-heun')),
  RK4_WEIGHTS: () => named('RK4_WEIGHTS', HS, selfCheckSampler('rk4-equal-weights', 'ode-rk4')),
  DPM_LAMBDA_DIRECTION: () => named('DPM_LAMBDA_DIRECTION', HS, samplers({ 'dpm-solver-1': dpmQ(1, { reverse: true }), 'dpm-solver-2': dpmQ(2, { reverse: true }), 'dpm-solver-3': dpmQ(3, { reverse: true }) })),
  DPM_INTERMEDIATE_TIME: () => named('DPM_INTERMEDIATE_TIME', HS, samplers({ 'dpm-solver-2': dpmQ(2, { linearTime: true }), 'dpm-solver-3': dpmQ(3, { linearTime: true }) })),
  DPM_SOLVER3_COEF: () => named('DPM_SOLVER3_COEF', HS, samplers({ 'dpm-solver-3': dpmQ(3, { coef3: true }) })),
  GUIDANCE_ON_X0: () => named('GUIDANCE_ON_X0', HS, { classifierGuidance: (m, g, w) => (checkScale(w, 0), selfCheck('guidance-on-x0').classifierGuidance!(m, g, w)) }),
  GUIDANCE_SIGMA_SCALE: () =>
    named('GUIDANCE_SIGMA_SCALE', HS, {
      classifierGuidance: (m, grad, w) => (checkScale(w, 0), { process: m.process, output: 'eps', apply: (x: Rows, t: number) => { const e = R.modelEps(m, x, t); const g = grad(x, t); return mapRows(e, (v, r, i) => v - w * g[r][i]); } }),
    }),
  CFG_SCALE_CONVENTION: () =>
    named('CFG_SCALE_CONVENTION', HS, {
      classifierFreeGuidance: (c, u, w) => (checkScale(w, -1), { process: c.process, output: 'eps', apply: (x: Rows, t: number) => { const ec = R.modelEps(c, x, t); const eu = R.modelEps(u, x, t); return mapRows(eu, (v, r, i) => v + w * (ec[r][i] - v)); } }),
    }),
  PC_SNR_STEP: () => named('PC_SNR_STEP', HS, selfCheckSampler('pc-snr-not-squared', 'predictor-corrector')),
  INDI_EXTRA_NOISE: () => named('INDI_EXTRA_NOISE', HS, samplers({ indi: indiSqrtT })),
  SCORE_MATCHING_HALF: () =>
    named('SCORE_MATCHING_HALF', HS, {
      explicitScoreMatchingLoss: (...a) => 2 * scoreMembers.explicitScoreMatchingLoss!(...a),
      denoisingScoreMatchingLoss: (...a) => 2 * scoreMembers.denoisingScoreMatchingLoss!(...a),
    }),
  DSM_TARGET: () =>
    named('DSM_TARGET', HS, {
      // Seed 004 eq. (84): the target ∇q(x|x') = q·∇log q with q = N(x; x', σ²I) at x = x' + σz.
      denoisingScoreMatchingLoss: (score, clean, sigma, noise) => {
        let acc = 0;
        clean.forEach((x0, i) => {
          const z = Array.from(noise[i]);
          const x = Float64Array.from(x0, (v, k) => v + sigma * z[k]);
          const q = Math.exp(-0.5 * z.reduce((a, v) => a + v * v, 0)) / (2 * Math.PI * sigma * sigma) ** (z.length / 2);
          const s = score(x);
          for (let k = 0; k < z.length; k++) acc += 0.5 * (s[k] + (q * z[k]) / sigma) ** 2;
        });
        return acc / clean.length;
      },
    }),
};
