/**
 * The vector families: which cases each file holds and which bug each case is built to expose.
 * Inputs are chosen so that every flagged bug changes the result by far more than the float64
 * tolerance (vectors/vectors.test.ts checks this with a bug model per flag).
 *
 * Changing a case changes its expected values: keep ids stable (never reuse an id for a different
 * case), add new cases under new names.
 */
import type { DiffusionImpl } from '../interface.js';
import { FamilyBuilder, type FamilyFn } from './builder.js';

const D = 4; // data dimension of vector cases: small, so files stay readable

function sched(impl: DiffusionImpl, name: string, T: number, options: Record<string, number | boolean>): Float64Array {
  return Float64Array.from(impl.betaSchedule!(name, T, options));
}

const LINEAR = { betaStart: 1e-4, betaEnd: 0.02 };
const COSINE = { s: 0.008, maxBeta: 0.999 };

function linear1000(impl: DiffusionImpl) {
  return { betas: sched(impl, 'linear', 1000, LINEAR), schedule: { name: 'linear', T: 1000, options: LINEAR } };
}
function cosine50(impl: DiffusionImpl) {
  return { betas: sched(impl, 'cosine', 50, COSINE), schedule: { name: 'cosine', T: 50, options: COSINE } };
}
/** Linear T = 10 rescaled to zero terminal SNR: β_10 = 1, ᾱ_10 = 0. */
function ztsnr10(impl: DiffusionImpl) {
  const betas = Float64Array.from(impl.rescaleZeroTerminalSnr!(sched(impl, 'linear', 10, { betaStart: 0.01, betaEnd: 0.2 })));
  return { betas, schedule: { name: 'linear', T: 10, options: { betaStart: 0.01, betaEnd: 0.2 }, transform: 'rescaleZeroTerminalSnr' } };
}

// ---------------------------------------------------------------------------------------------

export const schedules: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'schedules', [
    'Section A of the formula catalog: named β schedules (A1-A4), the zero-terminal-SNR rescale (A5),',
    'ᾱ_t, the posterior variance β̃_t and its clipped log (C1, C3). Options are always given explicitly,',
    'so an implementation\'s defaults do not matter.',
  ]);
  const g = f.group('beta-schedule', 'betaSchedule', 'β_1..β_T of a named schedule; names: linear, cosine, scaled-linear, sigmoid, constant, constant-gamma.');
  g.valid('linear-T10', { name: 'linear', T: 10, options: LINEAR }, ['LINEAR_ENDPOINT'], 'β_1 = 1e-4 and β_10 = 0.02 exactly (inclusive endpoints)');
  g.valid('linear-T1000', { name: 'linear', T: 1000, options: LINEAR }, ['LINEAR_ENDPOINT'], 'Ho et al. 2020');
  g.valid('linear-T50-scaled', { name: 'linear', T: 50, options: { ...LINEAR, scaleToT: true } }, ['LINEAR_ENDPOINT'], 'scaleToT: endpoints × 1000/T (improved-diffusion)');
  g.valid('cosine-T10', { name: 'cosine', T: 10, options: COSINE }, ['COSINE_CLIP'], 'β_T is clipped to maxBeta = 0.999');
  g.valid('cosine-T1000', { name: 'cosine', T: 1000, options: COSINE }, ['COSINE_CLIP'], 'Nichol & Dhariwal 2021');
  g.valid('scaled-linear-T10', { name: 'scaled-linear', T: 10, options: { betaStart: 0.00085, betaEnd: 0.012 } }, [], '√β linear (latent diffusion)');
  g.valid('sigmoid-T10', { name: 'sigmoid', T: 10, options: { betaStart: 1e-4, betaEnd: 0.02, sigmoidRange: 6 } }, [], 'β = start + (end-start)·sigmoid(linspace(-6, 6, T))');
  g.valid('constant-T5', { name: 'constant', T: 5, options: { beta: 0.05 } }, [], '004 §4.3 example');
  g.valid('constant-gamma-T5', { name: 'constant-gamma', T: 5, options: { gamma: 0.9 } }, [], '000: β = 1-γ²');
  g.invalid('unknown-name', { name: 'quadratic', T: 10, options: {} }, 'unknown schedule name');
  g.invalid('T0', { name: 'linear', T: 0, options: LINEAR }, 'T must be a positive integer');
  g.invalid('T-fractional', { name: 'linear', T: 2.5, options: LINEAR }, 'T must be a positive integer');
  g.invalid('linear-beta-above-1', { name: 'linear', T: 10, options: { betaStart: 1e-4, betaEnd: 1.5 } }, 'β_T = 1.5 > 1: invalid schedule');
  g.invalid('constant-beta-0', { name: 'constant', T: 5, options: { beta: 0 } }, 'β = 0 is not a noise step');
  g.invalid('constant-gamma-1', { name: 'constant-gamma', T: 5, options: { gamma: 1 } }, 'γ must lie in (0, 1)');

  const r = f.group('rescale-zero-terminal-snr', 'rescaleZeroTerminalSnr', 'A5: rescale √ᾱ so that √ᾱ_T = 0 while √ᾱ_1 is kept; the result has β_T = 1 exactly.');
  r.valid('linear-T10', { betas: sched(impl, 'linear', 10, { betaStart: 0.01, betaEnd: 0.2 }) }, ['ZERO_TERMINAL_SNR']);
  r.valid('scaled-linear-T20', { betas: sched(impl, 'scaled-linear', 20, { betaStart: 0.00085, betaEnd: 0.012 }) }, ['ZERO_TERMINAL_SNR']);
  r.valid('cosine-T16', { betas: sched(impl, 'cosine', 16, COSINE) }, ['ZERO_TERMINAL_SNR']);
  r.invalid('T1', { betas: [0.5] }, 'the rescale needs T ≥ 2');
  r.invalid('beta-nan', { betas: [0.1, 'NaN', 0.2] }, 'NaN in the schedule');

  const L = linear1000(impl);
  const a = f.group('alpha-bar-linear-T1000', 'alphaBar', 'ᾱ_t = ∏_{s≤t}(1-β_s), t ∈ {0..T}, ᾱ_0 = 1.', L.betas, L.schedule);
  a.valid('t0', { t: 0 }, ['OFF_BY_ONE'], 'ᾱ_0 = 1 (empty product)');
  for (const t of [1, 2, 10, 500, 999, 1000]) a.valid(`t${t}`, { t }, ['OFF_BY_ONE']);
  a.invalid('t1001', { t: 1001 }, 't out of range {0..T}');
  a.invalid('t-1', { t: -1 }, 't out of range {0..T}');
  a.invalid('t1.5', { t: 1.5 }, 't must be an integer');
  a.invalid('betas-zero', { betas: [0.1, 0, 0.2], t: 2 }, 'β_2 = 0: invalid schedule');
  a.invalid('betas-one-not-last', { betas: [0.1, 1, 0.2], t: 2 }, 'β_2 = 1 before t = T: invalid schedule (only β_T may be 1)');
  a.invalid('betas-negative', { betas: [0.1, -0.1, 0.2], t: 2 }, 'β_2 < 0: invalid schedule');
  a.invalid('betas-above-1', { betas: [0.1, 0.2, 1.5], t: 2 }, 'β_3 > 1: invalid schedule');
  a.invalid('betas-nan', { betas: [0.1, 'NaN', 0.2], t: 1 }, 'NaN in the schedule');
  a.invalid('betas-infinite', { betas: [0.1, 'Infinity', 0.2], t: 1 }, '∞ in the schedule');
  a.invalid('betas-empty', { betas: [], t: 0 }, 'empty schedule');

  const Z = ztsnr10(impl);
  const az = f.group('alpha-bar-ztsnr-T10', 'alphaBar', 'A zero-terminal-SNR schedule (β_T = 1): ᾱ_T = 0 exactly.', Z.betas, Z.schedule);
  az.valid('t1', { t: 1 });
  az.valid('t9', { t: 9 });
  az.valid('t10', { t: 10 }, ['ZERO_TERMINAL_SNR'], 'ᾱ_T = 0 exactly');

  const pv = f.group('posterior-variance-linear-T1000', 'posteriorVariance', 'β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t, t ∈ {1..T}; β̃_1 = 0.', L.betas, L.schedule);
  pv.valid('t1', { t: 1 }, ['T_ZERO_VARIANCE'], 'β̃_1 = 0 exactly: ᾱ_0 = 1');
  for (const t of [2, 10, 500, 1000]) pv.valid(`t${t}`, { t }, ['OFF_BY_ONE']);
  pv.invalid('t0', { t: 0 }, 'β̃_t is defined for t ∈ {1..T}');
  pv.invalid('t1001', { t: 1001 }, 't out of range {1..T}');
  const pvc = f.group('posterior-variance-cosine-T50', 'posteriorVariance', 'β̃_t on the cosine schedule.', cosine50(impl).betas, cosine50(impl).schedule);
  for (const t of [1, 2, 25, 50]) pvc.valid(`t${t}`, { t }, t === 1 ? ['T_ZERO_VARIANCE'] : ['OFF_BY_ONE']);

  const lv = f.group('posterior-log-variance-clipped-linear-T1000', 'posteriorLogVarianceClipped', 'log β̃_t with t = 1 clipped to log β̃_2 (C3).', L.betas, L.schedule);
  lv.valid('t1', { t: 1 }, ['LOG_VARIANCE_CLIP'], 'log β̃_2, not log 0');
  for (const t of [2, 3, 500, 1000]) lv.valid(`t${t}`, { t }, ['OFF_BY_ONE']);
  lv.invalid('t0', { t: 0 }, 't out of range {1..T}');
  return f;
};

// ---------------------------------------------------------------------------------------------

export const forward: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'forward', ['Section B: q(x_t|x_0) (B2) and q(x_t|x_{t-1}) (B1) with the noise given.']);
  const L = linear1000(impl);
  const g = f.group('q-sample-linear-T1000', 'qSample', 'x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε (B2).', L.betas, L.schedule);
  for (const t of [1, 2, 10, 500, 1000]) g.valid(`t${t}`, { x0: g.uniforms(D, -1, 1), t, eps: g.normals(D) }, ['MISSING_SQRT', 'OFF_BY_ONE']);
  g.valid('t0', { x0: g.uniforms(D, -1, 1), t: 0, eps: g.normals(D) }, ['OFF_BY_ONE'], 't = 0 returns x_0 (ᾱ_0 = 1)');
  g.invalid('t1001', { x0: g.uniforms(D, -1, 1), t: 1001, eps: g.normals(D) }, 't out of range');
  g.invalid('t2.5', { x0: g.uniforms(D, -1, 1), t: 2.5, eps: g.normals(D) }, 't must be an integer');
  g.invalid('x0-nan', { x0: [0.1, 'NaN', 0.3, 0.4], t: 5, eps: g.normals(D) }, 'NaN in x0');
  g.invalid('eps-infinite', { x0: g.uniforms(D, -1, 1), t: 5, eps: [0.1, 0.2, '-Infinity', 0.4] }, '∞ in eps');
  g.invalid('shape-mismatch', { x0: g.uniforms(D, -1, 1), t: 5, eps: g.normals(D - 1) }, 'eps has a different length than x0');
  const c = cosine50(impl);
  const gc = f.group('q-sample-cosine-T50', 'qSample', 'B2 on the cosine schedule.', c.betas, c.schedule);
  for (const t of [1, 25, 50]) gc.valid(`t${t}`, { x0: gc.uniforms(D, -1, 1), t, eps: gc.normals(D) }, ['MISSING_SQRT', 'OFF_BY_ONE']);
  const Z = ztsnr10(impl);
  const gz = f.group('q-sample-ztsnr-T10', 'qSample', 'At t = T of a zero-terminal-SNR schedule, x_T = ε exactly.', Z.betas, Z.schedule);
  gz.valid('t10', { x0: gz.uniforms(D, -1, 1), t: 10, eps: gz.normals(D) }, ['ZERO_TERMINAL_SNR']);
  gz.valid('t9', { x0: gz.uniforms(D, -1, 1), t: 9, eps: gz.normals(D) }, ['MISSING_SQRT', 'OFF_BY_ONE']);

  const s = f.group('q-step-linear-T1000', 'qStep', 'x_t = √α_t x_{t-1} + √β_t ε (B1), t ∈ {1..T}.', L.betas, L.schedule);
  for (const t of [1, 2, 500, 1000]) s.valid(`t${t}`, { xPrev: s.normals(D), t, eps: s.normals(D) }, ['MISSING_SQRT', 'OFF_BY_ONE']);
  s.invalid('t0', { xPrev: s.normals(D), t: 0, eps: s.normals(D) }, 'a forward step goes from t-1 to t ∈ {1..T}');
  s.invalid('shape-mismatch', { xPrev: s.normals(D), t: 3, eps: s.normals(D + 1) }, 'eps has a different length than xPrev');
  const sz = f.group('q-step-ztsnr-T10', 'qStep', 'The last step of a zero-terminal-SNR schedule (β_T = 1) discards x_{T-1}.', Z.betas, Z.schedule);
  sz.valid('t10', { xPrev: sz.normals(D), t: 10, eps: sz.normals(D) }, ['ZERO_TERMINAL_SNR']);
  return f;
};

// ---------------------------------------------------------------------------------------------

export const posterior: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'posterior', [
    'Section C: q(x_{t-1}|x_t, x_0) = N(μ̃_t, β̃_t I) (C1). Outputs: mean μ̃_t, variance β̃_t (0 at t = 1),',
    'logVariance = the clipped log variance of C3 (log β̃_2 at t = 1).',
  ]);
  for (const [name, S] of [['linear-T1000', linear1000(impl)], ['cosine-T50', cosine50(impl)]] as const) {
    const g = f.group(`q-posterior-${name}`, 'qPosterior', 'μ̃ = √ᾱ_{t-1}β_t/(1-ᾱ_t)·x_0 + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t)·x_t.', S.betas, S.schedule);
    const T = S.betas.length;
    for (const t of [1, 2, Math.round(T / 2), T]) {
      const flags = t === 1 ? ['T_ZERO_VARIANCE', 'LOG_VARIANCE_CLIP'] : ['OFF_BY_ONE'];
      g.valid(`t${t}`, { x0: g.uniforms(D, -1, 1), xt: g.normals(D), t }, flags, t === 1 ? 'the posterior at t = 1 is the point mass at x_0' : undefined);
    }
    if (name === 'linear-T1000') {
      g.invalid('t0', { x0: g.uniforms(D, -1, 1), xt: g.normals(D), t: 0 }, 't out of range {1..T}');
      g.invalid('shape-mismatch', { x0: g.uniforms(D, -1, 1), xt: g.normals(D + 1), t: 3 }, 'xt has a different length than x0');
      g.invalid('xt-nan', { x0: g.uniforms(D, -1, 1), xt: ['NaN', 0, 0, 0], t: 3 }, 'NaN in xt');
    }
  }
  const Z = ztsnr10(impl);
  const gz = f.group('q-posterior-ztsnr-T10', 'qPosterior', 'At t = T of a zero-terminal-SNR schedule the posterior ignores x_T.', Z.betas, Z.schedule);
  gz.valid('t10', { x0: gz.uniforms(D, -1, 1), xt: gz.normals(D), t: 10 }, ['ZERO_TERMINAL_SNR']);
  return f;
};

// ---------------------------------------------------------------------------------------------

export const parameterizations: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'parameterizations', [
    'Section D: conversions between ε, x_0, v and the score given x_t (D1-D3).',
    'v = √ᾱ_t ε - √(1-ᾱ_t) x_0; score = -ε/√(1-ᾱ_t).',
  ]);
  const L = linear1000(impl);
  const Z = ztsnr10(impl);
  const ops = [
    ['predict-x0-from-eps', 'predictX0FromEps', 'eps', 'x̂_0 = (x_t - √(1-ᾱ_t) ε)/√ᾱ_t (D1).', []],
    ['predict-eps-from-x0', 'predictEpsFromX0', 'x0', 'ε = (x_t - √ᾱ_t x_0)/√(1-ᾱ_t) (D1 reversed).', []],
    ['v-from-eps-x0', 'vFromEpsX0', 'eps', 'v from (x_t, ε): v = (ε - √(1-ᾱ_t) x_t)/√ᾱ_t (D2).', ['V_CONVERSION']],
    ['eps-from-v', 'epsFromV', 'v', 'ε = √(1-ᾱ_t) x_t + √ᾱ_t v (D2).', ['V_CONVERSION']],
    ['x0-from-v', 'x0FromV', 'v', 'x_0 = √ᾱ_t x_t - √(1-ᾱ_t) v (D2).', ['V_CONVERSION']],
    ['score-from-eps', 'scoreFromEps', 'eps', 's = -ε/√(1-ᾱ_t) (D3).', ['SCORE_SCALE']],
  ] as const;
  for (const [name, op, arg, comment, flags] of ops) {
    const g = f.group(`${name}-linear-T1000`, op, comment, L.betas, L.schedule);
    for (const t of [1, 10, 500, 1000]) g.valid(`t${t}`, { xt: g.normals(D), t, [arg]: g.normals(D) }, [...flags, 'OFF_BY_ONE']);
    g.invalid('t0', { xt: g.normals(D), t: 0, [arg]: g.normals(D) }, 't out of range {1..T}');
    g.invalid('shape-mismatch', { xt: g.normals(D), t: 5, [arg]: g.normals(D - 2) }, `${arg} has a different length than xt`);
    const gz = f.group(`${name}-ztsnr-T10`, op, `${comment} At t = T of a zero-terminal-SNR schedule (ᾱ_T = 0).`, Z.betas, Z.schedule);
    const inputs = { xt: gz.normals(D), t: 10, [arg]: gz.normals(D) };
    if (op === 'predictX0FromEps' || op === 'vFromEpsX0') {
      gz.invalid('t10', inputs, 'undefined where ᾱ_t = 0 (division by √ᾱ_T = 0): must be rejected, not answered with ∞/NaN', ['ZERO_TERMINAL_SNR', 'INPUT_VALIDATION']);
    } else {
      // (at ᾱ = 0, √(1-ᾱ) = 1-ᾱ = 1: SCORE_SCALE cannot show here)
      gz.valid('t10', inputs, ['ZERO_TERMINAL_SNR', ...flags.filter((fl) => fl !== 'SCORE_SCALE')]);
    }
    gz.valid('t9', { xt: gz.normals(D), t: 9, [arg]: gz.normals(D) }, [...flags, 'OFF_BY_ONE']);
  }
  return f;
};

// ---------------------------------------------------------------------------------------------

export const ddpm: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'ddpm', [
    'Section E1: one DDPM ancestral step x_{t-1} = μ_θ(x_t, t) + σ_t z (t ≥ 2), x_0 = μ_θ(x_1, 1) (no noise at t = 1).',
    "options: prediction 'eps' | 'x0' | 'v'; variance 'posterior' (σ² = β̃_t) | 'beta' (σ² = β_t); clip (x̂_0 to [-1, 1]); noise z.",
  ]);
  const L = linear1000(impl);
  const g = f.group('ddpm-step-linear-T1000', 'ddpmStep', 'DDPM step with explicit noise z.', L.betas, L.schedule);
  const step = (name: string, t: number, options: Record<string, unknown>, flags: string[], comment?: string, xt?: number[], mo?: number[]) =>
    g.valid(name, { xt: xt ?? g.normals(D), t, modelOutput: mo ?? g.normals(D), options: { ...options, noise: g.normals(D) } }, flags, comment);
  for (const t of [1000, 500, 2]) step(`eps-posterior-t${t}`, t, { prediction: 'eps', variance: 'posterior', clip: false }, ['OFF_BY_ONE', ...(t === 2 ? ['VARIANCE_TYPE'] : [])]);
  step('eps-beta-t2', 2, { prediction: 'eps', variance: 'beta', clip: false }, ['VARIANCE_TYPE', 'OFF_BY_ONE'], 'σ_2² = β_2, about twice β̃_2');
  step('eps-beta-t500', 500, { prediction: 'eps', variance: 'beta', clip: false }, ['OFF_BY_ONE']);
  step('eps-posterior-t1', 1, { prediction: 'eps', variance: 'posterior', clip: false }, ['NOISE_AT_T1', 'OFF_BY_ONE'], 'the noise given must be ignored at t = 1');
  step('eps-beta-t1', 1, { prediction: 'eps', variance: 'beta', clip: false }, ['NOISE_AT_T1', 'OFF_BY_ONE'], 'no noise at t = 1 whatever the variance');
  step('x0-posterior-t100', 100, { prediction: 'x0', variance: 'posterior', clip: false }, ['PREDICTION_TYPE', 'OFF_BY_ONE']);
  step('v-posterior-t100', 100, { prediction: 'v', variance: 'posterior', clip: false }, ['PREDICTION_TYPE', 'V_CONVERSION', 'OFF_BY_ONE']);
  step('v-posterior-t900', 900, { prediction: 'v', variance: 'posterior', clip: false }, ['PREDICTION_TYPE', 'V_CONVERSION', 'OFF_BY_ONE']);
  step('eps-clip-t500', 500, { prediction: 'eps', variance: 'posterior', clip: true }, ['CLIP_X0', 'OFF_BY_ONE'], 'x̂_0 = (x_t - √(1-ᾱ)ε̂)/√ᾱ lies far outside [-1, 1] here', [2, -1.5, 0.7, 1.2], [-1.2, 1.4, 0.1, -0.8]);
  step('x0-clip-t50', 50, { prediction: 'x0', variance: 'posterior', clip: true }, ['CLIP_X0', 'PREDICTION_TYPE'], 'x̂_0 given outside [-1, 1]', undefined, [1.7, -2.5, 0.3, -0.9]);
  g.invalid('t0', { xt: g.normals(D), t: 0, modelOutput: g.normals(D), options: { noise: g.normals(D) } }, 't out of range {1..T}');
  g.invalid('t1001', { xt: g.normals(D), t: 1001, modelOutput: g.normals(D), options: { noise: g.normals(D) } }, 't out of range {1..T}');
  g.invalid('unknown-prediction', { xt: g.normals(D), t: 5, modelOutput: g.normals(D), options: { prediction: 'score', noise: g.normals(D) } }, 'unknown prediction type');
  g.invalid('unknown-variance', { xt: g.normals(D), t: 5, modelOutput: g.normals(D), options: { variance: 'learned', noise: g.normals(D) } }, 'unknown variance type');
  g.invalid('noise-shape-mismatch', { xt: g.normals(D), t: 5, modelOutput: g.normals(D), options: { noise: g.normals(D + 1) } }, 'noise has a different length than xt');
  g.invalid('model-output-nan', { xt: g.normals(D), t: 5, modelOutput: [0, 'NaN', 0, 0], options: { noise: g.normals(D) } }, 'NaN in the model output');
  const Z = ztsnr10(impl);
  const gz = f.group('ddpm-step-ztsnr-T10', 'ddpmStep', 'The first step of a zero-terminal-SNR schedule: defined for v- and x0-prediction, undefined for ε.', Z.betas, Z.schedule);
  gz.valid('v-t10', { xt: gz.normals(D), t: 10, modelOutput: gz.normals(D), options: { prediction: 'v', variance: 'posterior', noise: gz.normals(D) } }, ['ZERO_TERMINAL_SNR', 'V_CONVERSION']);
  gz.valid('x0-t10', { xt: gz.normals(D), t: 10, modelOutput: gz.uniforms(D, -1, 1), options: { prediction: 'x0', variance: 'posterior', noise: gz.normals(D) } }, ['ZERO_TERMINAL_SNR']);
  gz.invalid('eps-t10', { xt: gz.normals(D), t: 10, modelOutput: gz.normals(D), options: { prediction: 'eps', variance: 'posterior', noise: gz.normals(D) } }, 'ε-prediction at ᾱ_T = 0: x̂_0 is undefined (division by zero)', ['ZERO_TERMINAL_SNR', 'INPUT_VALIDATION']);
  return f;
};

// ---------------------------------------------------------------------------------------------

export const ddim: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'ddim', [
    'Section E2: DDIM timestep subsequences (1-based, descending) and one DDIM step from t to tPrev < t',
    '(tPrev = 0: to x_0, ᾱ_0 = 1): x_tPrev = √ᾱ_tPrev x̂_0 + √(1-ᾱ_tPrev-σ²) ε̂ + σ z, σ = σ_t(η).',
  ]);
  const ts = f.group('ddim-timesteps', 'ddimTimesteps', "Strided timesteps of diffusers' three spacings, converted to 1-based t = i+1 (exact integers).");
  for (const [T, steps] of [[1000, 10], [1000, 7], [1000, 1000], [10, 3], [50, 1], [1000, 3]] as const) {
    for (const spacing of ['leading', 'trailing', 'linspace']) {
      ts.valid(`T${T}-steps${steps}-${spacing}`, { T, steps, spacing }, ['TIMESTEP_SPACING', 'OFF_BY_ONE']);
    }
  }
  ts.valid('T994-steps495-linspace-tie', { T: 994, steps: 495, spacing: 'linspace' }, ['TIMESTEP_SPACING', 'OFF_BY_ONE'],
    "a rounding tie: numpy's linspace gives 247·(993/494) = 496.50000000000006, which rounds to 497 (t = 498); exact rational arithmetic gives 496.5 → 496");
  ts.valid('T379-steps376-trailing-tie', { T: 379, steps: 376, spacing: 'trailing' }, ['TIMESTEP_SPACING', 'OFF_BY_ONE'],
    'a rounding tie: T - k·(T/steps) as np.arange(T, 0, -T/steps) computes it (k = 188 lands next to 189.5), not (k·T)/steps = 189.5 exactly');
  ts.invalid('steps0', { T: 1000, steps: 0, spacing: 'leading' }, 'steps must be a positive integer');
  ts.invalid('steps-above-T', { T: 10, steps: 11, spacing: 'leading' }, 'steps must not exceed T');
  ts.invalid('unknown-spacing', { T: 1000, steps: 10, spacing: 'karras' }, 'unknown spacing');

  const L = linear1000(impl);
  const g = f.group('ddim-step-linear-T1000', 'ddimStep', 'DDIM step t → tPrev; noise z given where σ > 0.', L.betas, L.schedule);
  const step = (name: string, t: number, tPrev: number, options: Record<string, unknown>, flags: string[], comment?: string) =>
    g.valid(name, { xt: g.normals(D), t, tPrev, modelOutput: g.normals(D), options: { prediction: 'eps', ...options, noise: g.normals(D) } }, flags, comment);
  step('strided-901-801-eta0', 901, 801, { eta: 0 }, ['PREV_TIMESTEP', 'OFF_BY_ONE'], "leading spacing, 10 steps");
  step('strided-901-801-eta1', 901, 801, { eta: 1 }, ['PREV_TIMESTEP', 'ETA_SIGMA', 'OFF_BY_ONE']);
  step('strided-834-667-eta0.5', 834, 667, { eta: 0.5 }, ['PREV_TIMESTEP', 'ETA_SIGMA', 'OFF_BY_ONE'], 'linspace spacing, 7 steps (uneven strides)');
  step('strided-101-1-eta1', 101, 1, { eta: 1 }, ['PREV_TIMESTEP', 'ETA_SIGMA', 'OFF_BY_ONE']);
  step('strided-101-1-eta0', 101, 1, { eta: 0 }, ['PREV_TIMESTEP', 'OFF_BY_ONE']);
  step('final-1-0-eta0', 1, 0, { eta: 0 }, ['FINAL_ALPHA'], 'the last step returns x̂_0 (ᾱ_0 = 1)');
  step('final-1-0-eta1', 1, 0, { eta: 1 }, ['FINAL_ALPHA'], 'σ = 0 on the last step whatever η');
  step('final-100-0-eta0', 100, 0, { eta: 0 }, ['FINAL_ALPHA', 'PREV_TIMESTEP'], "trailing spacing's last step (t = 100) goes straight to x_0");
  step('full-500-499-eta1', 500, 499, { eta: 1 }, ['OFF_BY_ONE'], 'η = 1 on the full sequence: σ² = β̃_t (DDPM)');
  step('x0-pred-601-401', 601, 401, { eta: 0, prediction: 'x0' }, ['PREDICTION_TYPE', 'PREV_TIMESTEP']);
  step('v-pred-601-401', 601, 401, { eta: 0, prediction: 'v' }, ['PREDICTION_TYPE', 'V_CONVERSION', 'PREV_TIMESTEP']);
  g.invalid('tPrev-equals-t', { xt: g.normals(D), t: 500, tPrev: 500, modelOutput: g.normals(D), options: { eta: 0 } }, 'tPrev must be < t');
  g.invalid('tPrev-negative', { xt: g.normals(D), t: 500, tPrev: -1, modelOutput: g.normals(D), options: { eta: 0 } }, 'tPrev must be ≥ 0');
  g.invalid('eta-negative', { xt: g.normals(D), t: 500, tPrev: 400, modelOutput: g.normals(D), options: { eta: -0.5, noise: g.normals(D) } }, 'η must be ≥ 0');
  g.invalid('eta-inadmissible', { xt: g.normals(D), t: 500, tPrev: 400, modelOutput: g.normals(D), options: { eta: 5, noise: g.normals(D) } }, 'σ_t(η)² > 1-ᾱ_tPrev: η too large for this step');
  g.invalid('t1001', { xt: g.normals(D), t: 1001, tPrev: 1, modelOutput: g.normals(D), options: { eta: 0 } }, 't out of range {1..T}');
  const Z = ztsnr10(impl);
  const gz = f.group('ddim-step-ztsnr-T10', 'ddimStep', 'First DDIM step of a zero-terminal-SNR schedule with v-prediction (trailing spacing starts at t = T).', Z.betas, Z.schedule);
  gz.valid('v-10-5', { xt: gz.normals(D), t: 10, tPrev: 5, modelOutput: gz.normals(D), options: { eta: 0, prediction: 'v' } }, ['ZERO_TERMINAL_SNR', 'V_CONVERSION']);
  gz.invalid('eps-10-5', { xt: gz.normals(D), t: 10, tPrev: 5, modelOutput: gz.normals(D), options: { eta: 0, prediction: 'eps' } }, 'ε-prediction at ᾱ_T = 0: x̂_0 is undefined', ['ZERO_TERMINAL_SNR', 'INPUT_VALIDATION']);
  return f;
};

// ---------------------------------------------------------------------------------------------

/** 8-bit grid value k ∈ {0..255} in [-1, 1]. */
function grid(k: number): number {
  return (2 * k) / 255 - 1;
}

export const klDecoder: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'kl-decoder', [
    'Section F2/F3: elementwise KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) in nats (log variances), and the',
    'discretized Gaussian log-likelihood (nats) of 8-bit data x ∈ [-1, 1] (bins of width 2/255, open edge',
    'bins) under N(mean, e^{2·logScale}) (logScale = log σ). Φ is the exact normal CDF.',
  ]);
  const k = f.group('normal-kl', 'normalKl', 'KL of diagonal Gaussians, elementwise.');
  const m = k.normals(D);
  const l = k.uniforms(D, -3, 1);
  k.valid('equal', { mean1: m, logVar1: l, mean2: m, logVar2: l }, [], 'KL = 0 when the distributions are equal');
  k.valid('general', { mean1: k.normals(D), logVar1: k.uniforms(D, -3, 1), mean2: k.normals(D), logVar2: k.uniforms(D, -3, 1) }, ['LOG_SCALE_CONVENTION']);
  k.valid('variance-only', { mean1: [0, 0, 0, 0], logVar1: [-2, -1, 0.5, 1], mean2: [0, 0, 0, 0], logVar2: [0, 0, 0, 0] }, ['LOG_SCALE_CONVENTION'], 'KL(N(0, e^{lv}) ‖ N(0, 1))');
  k.valid('small-posterior-variance', { mean1: k.normals(D), logVar1: [-9.2, -9.2, -9.2, -9.2], mean2: k.normals(D), logVar2: [-8.5, -8.5, -8.5, -8.5] }, ['LOG_SCALE_CONVENTION'], 'variances of the size of β̃_2 (linear schedule)');
  k.invalid('nan', { mean1: ['NaN', 0, 0, 0], logVar1: l, mean2: m, logVar2: l }, 'NaN in mean1');
  k.invalid('shape-mismatch', { mean1: m, logVar1: l, mean2: m.slice(0, 3), logVar2: l }, 'mean2 has a different length');

  const d = f.group('discretized-gaussian', 'discretizedGaussianLogLikelihood', 'log P(bin of x) under N(mean, σ²), σ = e^{logScale}; x on the 8-bit grid.');
  d.valid('edges-narrow', { x: [-1, 1, -1, 1], mean: [-0.99, 0.99, -0.9, 0.95], logScale: [-4, -4, -3, -3.5] }, ['DECODER_EDGE_BINS', 'LOG_SCALE_CONVENTION'], 'x = ±1: open edge bins');
  d.valid('edges-wide', { x: [-1, 1, -1, 1], mean: [-0.5, 0.2, 0.3, 0.8], logScale: [-1, -0.5, 0, -1.5] }, ['DECODER_EDGE_BINS', 'LOG_SCALE_CONVENTION']);
  d.valid('interior', { x: [grid(3), grid(100), grid(128), grid(250)], mean: [-0.97, -0.2, 0.01, 0.95], logScale: [-5, -4, -6, -4.5] }, ['DECODER_BIN_WIDTH', 'LOG_SCALE_CONVENTION'], 'interior bins [x-1/255, x+1/255]');
  d.valid('interior-wide', { x: [grid(1), grid(60), grid(200), grid(254)], mean: [-0.5, 0.1, 0.2, 0.6], logScale: [-1, -2, -0.5, -1.2] }, ['DECODER_BIN_WIDTH', 'LOG_SCALE_CONVENTION']);
  d.invalid('nan', { x: [0, 'NaN', 0, 0], mean: [0, 0, 0, 0], logScale: [0, 0, 0, 0] }, 'NaN in x');
  d.invalid('shape-mismatch', { x: [0, 0, 0, 0], mean: [0, 0, 0], logScale: [0, 0, 0, 0] }, 'mean has a different length');
  return f;
};

// ---------------------------------------------------------------------------------------------

export const vlb: FamilyFn = (impl) => {
  const f = new FamilyBuilder(impl, 'vlb', [
    'Section F1-F3: one term of the variational bound, in bits per dimension, for one x_0, with x_t = √ᾱ_t x_0 + √(1-ᾱ_t)·noise.',
    't = 1: decoder NLL -log p_θ(x_0|x_1) (discretized Gaussian, log σ = ½·clipped log β̃); t ≥ 2: KL(q(x_{t-1}|x_t,x_0) ‖ p_θ(x_{t-1}|x_t)),',
    'p_θ = N(μ_θ from ε̂, β̃_t I). The model is given as data: ε̂(x_t, t) = scale·x_t + shift (elementwise).',
  ]);
  const L = linear1000(impl);
  const g = f.group('vb-terms-linear-T1000', 'vbTerms', 'VLB terms with an affine ε-model.', L.betas, L.schedule);
  const x0 = () => Array.from({ length: D }, () => grid(g.rng.int(256)));
  for (const t of [1, 2, 10, 500, 1000]) {
    const flags = t === 1 ? ['VLB_DECODER_T1', 'LOG_VARIANCE_CLIP', 'BITS_PER_DIM'] : ['BITS_PER_DIM', 'OFF_BY_ONE'];
    g.valid(`t${t}`, { model: { kind: 'affine', scale: 0.3, shift: g.uniforms(D, -0.2, 0.2) }, x0: x0(), t, noise: g.normals(D) }, flags);
  }
  g.valid('t1-edges', { model: { kind: 'affine', scale: 0.1, shift: [0, 0, 0, 0] }, x0: [-1, 1, -1, 1], t: 1, noise: g.normals(D) }, ['VLB_DECODER_T1', 'DECODER_EDGE_BINS', 'BITS_PER_DIM']);
  g.invalid('t0', { model: { kind: 'affine', scale: 0.3, shift: [0, 0, 0, 0] }, x0: x0(), t: 0, noise: g.normals(D) }, 't out of range {1..T}');
  g.invalid('noise-shape-mismatch', { model: { kind: 'affine', scale: 0.3, shift: [0, 0, 0, 0] }, x0: x0(), t: 5, noise: g.normals(D + 1) }, 'noise has a different length than x0');
  return f;
};

/** File name → family, in the order files are written. */
export const FAMILIES: [string, FamilyFn][] = [
  ['schedules.json', schedules],
  ['forward.json', forward],
  ['posterior.json', posterior],
  ['parameterizations.json', parameterizations],
  ['ddpm.json', ddpm],
  ['ddim.json', ddim],
  ['kl-decoder.json', klDecoder],
  ['vlb.json', vlb],
];
