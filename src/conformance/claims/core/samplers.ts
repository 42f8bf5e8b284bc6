/**
 * Core claims of catalog section E (reverse process and samplers): claim 4, DDIM marginals (E2);
 * the successor claim for strided samplers; exact moment propagation of the DDPM step (E1, D4).
 */
import fc from 'fast-check';
import type { DiffusionImpl, Spacing } from '../../interface.js';
import { ErrorTracker, unitRoundoff, type Claim, underflowFloor } from '../../harness.js';
import { Rng } from '../../../reference/rng.js';
import { arbSchedule, assertProperty, closeVec, cosineBetas, dbl, fcParams, linearBetas, one, scalarOut, Sched, SPACINGS, vec } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Claim 4: DDIM marginals (E2)
// ---------------------------------------------------------------------------------------------

/**
 * Probes one DDIM step with the true x̂_0 (prediction 'x0'): x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, model
 * output x_0, noise z. The output is A·x_0 + B·ε + C·z; returns [A, B, C] after checking the
 * offset is 0 and the map is affine on a random input.
 */
function probeDdim(tr: ErrorTracker, impl: DiffusionImpl, s: Sched, t: number, tp: number, eta: number, rnd: Float64Array): [number, number, number] {
  const u = unitRoundoff(impl);
  const betas = s.betas;
  const run = (x0: number, e: number, z: number) =>
    scalarOut(tr, `ddimStep(t=${t}→${tp}, η=${eta})`, impl.ddimStep!(betas, one(s.sab(t) * x0 + s.somab(t) * e), t, tp, one(x0), { eta, noise: one(z), prediction: 'x0' }));
  const A = run(1, 0, 0);
  const B = run(0, 1, 0);
  const C = run(0, 0, 1);
  const O = run(0, 0, 0);
  tr.close(`t=${t}→${tp}: DDIM offset`, O, 0, 0, u);
  const [x0, e, z] = rnd;
  const xt = s.sab(t) * x0 + s.somab(t) * e;
  const y = scalarOut(tr, `ddimStep(t=${t}→${tp})`, impl.ddimStep!(betas, one(xt), t, tp, one(x0), { eta, noise: one(z), prediction: 'x0' }));
  // ε̂ = (x_t - √ᾱ_t x̂_0)/√(1-ᾱ_t) cancels: error u·(|x_t|+|x_0|)/√(1-ᾱ_t), times √(1-ᾱ_s-σ²) ≤ 1.
  tr.close(`t=${t}→${tp}: DDIM step affine`, y, A * x0 + B * e + C * z, 0, 32 * (s.Kom(t) + s.Kom(tp)) * u * (1 + Math.abs(x0) + Math.abs(e) + Math.abs(z)) / Math.min(1, s.somab(t)));
  return [A, B, C];
}

export const ddimMarginals: Claim = {
  id: 'core.ddim-marginals',
  title: 'for every admissible σ_t (η ∈ [0, η_max]) and every strided subsequence, a DDIM step with the true x̂_0 maps q(x_t|x_0) to q(x_{t_prev}|x_0) = N(√ᾱ_prev x_0, (1-ᾱ_prev) I) with noise σ_t(η) = η√((1-ᾱ_prev)/(1-ᾱ_t))√(1-ᾱ_t/ᾱ_prev); η = 1 on the full sequence gives σ_t² = β̃_t',
  catalog: 'claim 4 (E2)',
  requires: ['ddimStep', 'ddimTimesteps'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const arbEta = fc.oneof(fc.constant(0), fc.constant(1), dbl(0, 1), dbl(0, 1).map((f) => -1 - f));
    assertProperty(this.id,
      fc.property(
        arbSchedule({ minT: 2, maxT: 300, maxBeta: 0.3, zeroTerminal: true }),
        fc.constantFrom(...SPACINGS),
        fc.integer({ min: 1, max: 40 }),
        arbEta,
        fc.tuple(dbl(-3, 3), dbl(-3, 3), dbl(-3, 3)),
        (betas, spacing, stepsWanted, etaCode, rnd) => {
          const s = new Sched(betas);
          const T = betas.length;
          const steps = Math.min(T, stepsWanted);
          const ts = impl.ddimTimesteps!(T, steps, spacing);
          const seq = [...ts, 0];
          for (let i = 0; i + 1 < seq.length; i++) {
            const t = seq[i];
            const tp = seq[i + 1];
            // η code ≥ 0: η itself; η code in [-2, -1): a fraction of the largest admissible η
            // (σ² up to 1-ᾱ_prev; kept 1e-9 inside so √(1-ᾱ_prev-σ²) stays real after rounding).
            const eta = etaCode >= 0 ? etaCode : (-1 - etaCode) * (1 - 1e-9) * s.ddimEtaMax(t, tp);
            const [A, B, C] = probeDdim(tr, impl, s, t, tp, eta, Float64Array.from(rnd));
            const K = s.Kom(t) + s.Kom(tp);
            const lbl = `T=${T} ${spacing} steps=${steps} t=${t}→${tp} η=${eta}`;
            tr.close(`${lbl}: mean coefficient √ᾱ_prev`, A, s.sab(tp), 16 * K * u, u);
            // σ_t(η): 1-ᾱ_t/ᾱ_prev cancels when computed by subtraction: relative 1/(1-ᾱ_t/ᾱ_prev).
            const sig = s.ddimSigma(t, tp, eta);
            const kr = tp === 0 ? 1 : 1 / s.oneMinusRatio(t, tp);
            // Var = B² + C² = 1-ᾱ_prev; the ε̂ cancellation adds u/√(1-ᾱ_t) to B. B = √(1-ᾱ_prev-σ²)
            // absorbs the error of the implementation's σ² as long as 1-ᾱ_prev-σ² ≥ 0; at η → η_max
            // (σ² → 1-ᾱ_prev) a computed σ² above 1-ᾱ_prev is clamped to B = 0, and then σ²'s own
            // error, 2·16(K+kr)u relative (twice the σ bound below), shows in the variance (issue 21:
            // float32, T=4, β_2 = 5e-6, t=2→1 at η = 0.999999999·η_max: kr = 2e5, error 7.72e-5
            // against the old bound 7.716e-5, which lacked the term).
            tr.close(`${lbl}: variance 1-ᾱ_prev`, B * B + C * C, s.omab(tp), 0, 32 * K * u / Math.min(1, s.somab(t)) + 32 * (K + kr) * u * sig * sig);
            tr.close(`${lbl}: noise scale σ_t(η)`, Math.abs(C), sig, 16 * (K + kr) * u, u);
          }
          // η = 1 on the full sequence: σ_t² = β̃_t (DDPM's posterior variance), for every t.
          if (T <= 120) {
            const full = impl.ddimTimesteps!(T, T, spacing);
            const fseq = [...full, 0];
            if (full.length !== T) tr.fail(`ddimTimesteps(${T}, ${T}, ${spacing}) has length ${full.length}`);
            for (let i = 0; i < T; i++) {
              const t = fseq[i];
              const tp = fseq[i + 1];
              if (t !== T - i || tp !== t - 1) tr.fail(`full sequence T=${T} ${spacing}: step ${i} is ${t}→${tp}, expected ${T - i}→${T - i - 1}`);
              const [, , C] = probeDdim(tr, impl, s, t, tp, 1, Float64Array.from(rnd));
              tr.close(`T=${T} full sequence η=1 t=${t}: σ_t² = β̃_t`, C * C, s.postVar(t), 32 * (s.Kom(t) + s.Kom(t - 1) + 1 / s.beta(t)) * u, u);
            }
          }
        },
      ),
      fcParams(100),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim (a): successor — strided samplers land exactly on the next timestep
// ---------------------------------------------------------------------------------------------

/** numpy's round (half to even), which diffusers' timestep spacings use. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The documented strided timesteps (1-based, descending): diffusers' DDIMScheduler spacings with
 * numpy's arithmetic (linspace values k·((T-1)/(steps-1)) with the end point exact, arange values
 * T - k·(T/steps), rounding half to even), shifted by +1 from diffusers' 0-based timesteps.
 */
export function expectedTimesteps(T: number, steps: number, spacing: Spacing): number[] {
  const out: number[] = [];
  if (spacing === 'leading') {
    const r = Math.floor(T / steps);
    for (let k = steps - 1; k >= 0; k--) out.push(k * r + 1);
  } else if (spacing === 'trailing') {
    const r = T / steps;
    for (let k = 0; k < steps; k++) out.push(roundHalfEven(T - k * r));
  } else {
    const step = steps > 1 ? (T - 1) / (steps - 1) : 0;
    for (let k = steps - 1; k >= 0; k--) out.push((k === steps - 1 && steps > 1 ? T - 1 : roundHalfEven(k * step)) + 1);
  }
  return out;
}

export const successor: Claim = {
  id: 'core.successor',
  title: 'strided timesteps are strictly descending in {1..T} as documented for each spacing, and a DDIM step from timesteps[i] lands exactly on timesteps[i+1] (and on x_0 after the last): its output is the closed form with ᾱ of that timestep',
  catalog: 'claim 4 support (E2 strided subsequences)',
  requires: ['ddimTimesteps', 'ddimStep'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const betasCache = new Map<number, Float64Array>();
    assertProperty(this.id,
      fc.property(
        // steps uniform in {1..T} (an integer draw: fast-check's doubles favour 0 and 1, which
        // would make steps ∈ {1, T}, the two cases where every successor is trivially right).
        fc.integer({ min: 1, max: 1000 }).chain((T) => fc.tuple(fc.constant(T), fc.integer({ min: 1, max: T }))),
        fc.constantFrom(...SPACINGS),
        dbl(0, 1),
        fc.integer({ min: 0, max: 2 ** 30 }),
        ([T, steps], spacing, eta, seed) => {
          const ts = Array.from(impl.ddimTimesteps!(T, steps, spacing));
          const lbl = `ddimTimesteps(${T}, ${steps}, '${spacing}')`;
          if (ts.length !== steps) tr.fail(`${lbl}: length ${ts.length}, expected ${steps}`);
          for (let i = 0; i < ts.length; i++) {
            if (!Number.isInteger(ts[i]) || ts[i] < 1 || ts[i] > T) tr.fail(`${lbl}[${i}] = ${ts[i]} not an integer in {1..${T}}`);
            if (i > 0 && !(ts[i] < ts[i - 1])) tr.fail(`${lbl}: not strictly descending at ${i} (${ts[i - 1]}, ${ts[i]})`);
          }
          const want = expectedTimesteps(T, steps, spacing);
          for (let i = 0; i < steps; i++) if (ts[i] !== want[i]) tr.fail(`${lbl}[${i}] = ${ts[i]}, documented ${want[i]} (full: ${want.slice(0, 6).join(', ')}…)`);
          tr.cases++;
          // Steps land on the successor: compare with the closed form using ᾱ of timesteps[i+1].
          let betas = betasCache.get(T);
          if (!betas) {
            betas = linearBetas(T, 1e-4, Math.min(0.02 * Math.max(1, 1000 / T), 0.5));
            betasCache.set(T, betas);
          }
          const s = new Sched(betas);
          const rng = new Rng(seed);
          const seq = [...ts, 0];
          const idx = new Set<number>([0, seq.length - 2, rng.int(seq.length - 1), rng.int(seq.length - 1)]);
          for (const i of idx) {
            const t = seq[i];
            const tp = seq[i + 1];
            const x0 = rng.normals(3);
            const xt = rng.normals(3);
            const z = rng.normals(3);
            const out = impl.ddimStep!(betas, xt, t, tp, x0, { eta, noise: z, prediction: 'x0' });
            const sig = s.ddimSigma(t, tp, eta);
            const c = Math.sqrt(Math.max(0, s.omab(tp) - sig * sig));
            const want = vec(3, (k) => s.sab(tp) * x0[k] + c * ((xt[k] - s.sab(t) * x0[k]) / s.somab(t)) + sig * z[k]);
            const K = s.Kom(t) + s.Kom(tp) + (tp === 0 ? 0 : 1 / s.oneMinusRatio(t, tp));
            closeVec(tr, `T=${T} ${spacing} steps=${steps}: step ${t}→${tp} (η=${eta}) equals the closed form with ᾱ_${tp}`, out, want, vec(3, (k) => (32 * K * u * (1 + Math.abs(xt[k]) + Math.abs(x0[k]) + Math.abs(z[k]))) / s.somab(t)));
          }
        },
      ),
      fcParams(300),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim (b): exact moment propagation of the DDPM step with the exact oracle for N(0, I) data
// ---------------------------------------------------------------------------------------------

/**
 * For x_0 ~ N(0, I): x_t ~ N(0, I) for every t, E[x_0|x_t] = √ᾱ_t x_t, E[ε|x_t] = √(1-ᾱ_t) x_t.
 * The posterior-mean step then has μ = (C1 coefficients) = √α_t·x_t exactly:
 *   √ᾱ_{t-1}β_t/(1-ᾱ_t)·√ᾱ_t + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) = √α_t(ᾱ_{t-1}β_t + 1-ᾱ_{t-1})/(1-ᾱ_t) = √α_t,
 * so Var x_{t-1} = α_t + σ_t². With σ_t² = β_t ("fixedlarge") this is exactly 1 — the reverse
 * kernel then equals the true q(x_{t-1}|x_t) = N(√α_t x_t, β_t I) for N(0, I) data. With
 * σ_t² = β̃_t ("fixedsmall") it is 1 - β_t²ᾱ_{t-1}/(1-ᾱ_t) < 1. At t = 1 no noise is added, so
 * Var x_0 = α_1 for both. (The team brief guessed β̃_t gives exactly 1; the σ_t² = β_t is
 * the correct statement.)
 */
export const exactMomentPropagation: Claim = {
  id: 'core.exact-moment-propagation',
  title: 'for N(0,I) data and the exact oracle (ε̂ = √(1-ᾱ_t) x_t, x̂_0 = √ᾱ_t x_t), every DDPM step maps x_t ~ N(0,I) to mean coefficient √α_t and variance α_t + σ_t²: exactly 1 for σ_t² = β_t, 1 - β_t²ᾱ_{t-1}/(1-ᾱ_t) for β̃_t, α_1 at t = 1 (no noise)',
  catalog: 'claim 7 support (E1, D4)',
  requires: ['ddpmStep'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const schedules: [string, Float64Array][] = [
      ['linear T=1000', linearBetas(1000)],
      ['cosine T=200', cosineBetas(200)],
      ['linear T=10 (0.05..0.5)', linearBetas(10, 0.05, 0.5)],
      ['constant β=0.9 T=5', new Float64Array(5).fill(0.9)],
    ];
    for (const [name, betas] of schedules) {
      const s = new Sched(betas);
      const T = betas.length;
      for (const variance of ['beta', 'posterior'] as const) {
        for (const prediction of ['eps', 'x0'] as const) {
          let V = 1; // propagated variance, starting from x_T ~ N(0, I)
          let Kacc = 0;
          for (let t = T; t >= 1; t--) {
            const oracle = (x: number) => (prediction === 'eps' ? s.somab(t) * x : s.sab(t) * x);
            const step = (x: number, z: number) =>
              scalarOut(tr, `ddpmStep(t=${t})`, impl.ddpmStep!(betas, one(x), t, one(oracle(x)), { prediction, variance, noise: one(z), clip: false }));
            const Kc = step(1, 0);
            const S = step(0, 1);
            const O = step(0, 0);
            const lbl = `${name} ${variance}/${prediction} t=${t}`;
            tr.close(`${lbl}: offset`, O, 0, 0, u);
            const xr = 0.7;
            const zr = -1.3;
            // Kom(t)/α_t: the ε-form divides by √α_t and the x̂_0 form by 1-ᾱ_t.
            const K = 32 * (s.Kom(t) + s.Kom(t - 1)) * u / s.alpha(t);
            tr.close(`${lbl}: affine`, step(xr, zr), Kc * xr + S * zr, 0, K * 4);
            tr.close(`${lbl}: mean coefficient √α_t`, Kc, Math.sqrt(s.alpha(t)), K, 0);
            const sig2 = t === 1 ? 0 : variance === 'beta' ? s.beta(t) : s.postVar(t);
            tr.close(`${lbl}: σ_t² (${t === 1 ? 'no noise at t = 1' : variance === 'beta' ? 'β_t' : 'β̃_t'})`, S * S, sig2, K, u);
            const out = Kc * Kc + S * S;
            const want = t === 1 ? s.alpha(1) : variance === 'beta' ? 1 : 1 - (s.beta(t) ** 2 * s.ab(t - 1)) / s.omab(t);
            tr.close(`${lbl}: Var x_{t-1} for Var x_t = 1`, out, want, 0, 2 * K);
            Kacc += 2 * K;
            if (variance === 'beta') {
              // Along the whole chain (the oracle is exact for unit variance): stays 1 until x_0.
              V = Kc * Kc * V + S * S;
              tr.close(`${lbl}: chained Var x_{t-1}`, V, t === 1 ? s.alpha(1) : 1, 0, Kacc);
            }
          }
        }
      }
    }
    return tr.result();
  },
};
