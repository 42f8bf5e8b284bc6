/**
 * Core claims of catalog section D (parameterizations): claim 6, round trips (D1-D3) and μ_θ
 * agreement (D4); the equivalence of the three parameterizations along whole trajectories.
 */
import fc from 'fast-check';
import type { Arr, Prediction } from '../../interface.js';
import { ErrorTracker, unitRoundoff, type Claim, underflowFloor } from '../../harness.js';
import { Rng } from '../../../reference/rng.js';
import { arbSchedule, arbVec, assertProperty, closeVec, cosineBetas, dbl, fcParams, gaussianOracle, linearBetas, maxAbs, Sched, SPACINGS, vec, withT, zeros } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Claim 6: parameterization round trips (D1-D3) and μ_θ agreement (D4)
// ---------------------------------------------------------------------------------------------

const clip1 = (x: number) => Math.min(1, Math.max(-1, x));

export const parameterizationRoundTrips: Claim = {
  id: 'core.parameterization-round-trips',
  title: 'x̂_0↔ε (D1), v↔(ε, x_0) (D2) and score↔ε with Tweedie (D3) are exact inverses with the documented formulas, and ddpmStep\'s mean μ_θ is the same for ε-, x_0- and v-prediction of one denoiser, equals the posterior mean at x̂_0 (D4), and uses the clipped x̂_0 when clip is set',
  catalog: 'claim 6 (D1-D4)',
  requires: ['predictX0FromEps', 'predictEpsFromX0', 'vFromEpsX0', 'epsFromV', 'x0FromV', 'scoreFromEps', 'ddpmStep', 'qPosterior'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const d = 4;
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 400, maxBeta: 0.2 })), arbVec(d, 3), arbVec(d, 4), arbVec(d, 4), ([betas, t], x0, eps, epsHat) => {
        const s = new Sched(betas);
        const T = betas.length;
        const sa = s.sab(t);
        const so = s.somab(t);
        if (!(sa > 1e-4)) return; // x̂_0 from ε divides by √ᾱ_t: skip hopeless conditioning (documented)
        const K = s.Kom(t);
        const lbl = `T=${T} t=${t}`;
        const xt = vec(d, (i) => sa * x0[i] + so * eps[i]);
        const sc = vec(d, (i) => 1 + Math.abs(xt[i]) + Math.abs(x0[i]) + Math.abs(eps[i]));
        // D1: x̂_0 = (x_t - √(1-ᾱ)ε)/√ᾱ (error amplified by 1/√ᾱ_t) and ε = (x_t - √ᾱ x_0)/√(1-ᾱ)
        // (amplified by 1/√(1-ᾱ_t)).
        const x0b = impl.predictX0FromEps!(betas, xt, t, eps);
        closeVec(tr, `${lbl}: predictX0FromEps recovers x_0 (D1)`, x0b, x0, vec(d, (i) => (16 * K * u * sc[i]) / sa));
        const epsb = impl.predictEpsFromX0!(betas, xt, t, x0);
        closeVec(tr, `${lbl}: predictEpsFromX0 recovers ε (D1)`, epsb, eps, vec(d, (i) => (16 * K * u * sc[i]) / so));
        const rt = impl.predictEpsFromX0!(betas, xt, t, x0b);
        closeVec(tr, `${lbl}: ε → x̂_0 → ε round trip`, rt, eps, vec(d, (i) => (16 * K * u * sc[i]) * (1 / so + 1 / (sa * so))));
        // D2: v = √ᾱ ε - √(1-ᾱ) x_0; ε = √ᾱ v + √(1-ᾱ) x_t; x_0 = √ᾱ x_t - √(1-ᾱ) v.
        const vTrue = vec(d, (i) => sa * eps[i] - so * x0[i]);
        const vb = impl.vFromEpsX0!(betas, xt, t, eps);
        closeVec(tr, `${lbl}: vFromEpsX0 = √ᾱ ε - √(1-ᾱ) x_0 (D2)`, vb, vTrue, vec(d, (i) => (16 * K * u * sc[i]) / sa));
        closeVec(tr, `${lbl}: epsFromV recovers ε (D2)`, impl.epsFromV!(betas, xt, t, vTrue), eps, vec(d, (i) => 16 * K * u * (sc[i] + Math.abs(vTrue[i]))));
        closeVec(tr, `${lbl}: x0FromV recovers x_0 (D2)`, impl.x0FromV!(betas, xt, t, vTrue), x0, vec(d, (i) => 16 * K * u * (sc[i] + Math.abs(vTrue[i]))));
        // D3: s = -ε/√(1-ᾱ); Tweedie x̂_0 = (x_t + (1-ᾱ)s)/√ᾱ.
        const score = impl.scoreFromEps!(betas, xt, t, eps);
        closeVec(tr, `${lbl}: scoreFromEps = -ε/√(1-ᾱ_t) (D3)`, score, vec(d, (i) => -eps[i] / so), vec(d, (i) => (16 * K * u * Math.abs(eps[i])) / so));
        closeVec(tr, `${lbl}: Tweedie (x_t + (1-ᾱ)s)/√ᾱ = x_0 (D3)`, vec(d, (i) => (xt[i] + s.omab(t) * score[i]) / sa), x0, vec(d, (i) => (32 * K * u * sc[i]) / sa));

        // D4: one denoiser (ε̂ arbitrary) in three parameterizations; μ_θ through ddpmStep with zero
        // noise. Expected: C1 posterior mean at x̂_0 (004 eq. 52) = the ε-form (004 eq. 58).
        const x0Hat = vec(d, (i) => (xt[i] - so * epsHat[i]) / sa);
        const vHat = vec(d, (i) => sa * epsHat[i] - so * x0Hat[i]);
        const [c0, c1] = s.postCoefs(t);
        const mu = vec(d, (i) => c0 * x0Hat[i] + c1 * xt[i]);
        // Error: the conversions carry Kom·u·scale/√ᾱ (x̂_0) or /√(1-ᾱ) (ε̂); C1 multiplies x̂_0 by
        // √ᾱ_{t-1}β/(1-ᾱ) and the ε-form divides by √α_t.
        const scD = vec(d, (i) => 1 + Math.abs(xt[i]) + Math.abs(epsHat[i]) + Math.abs(x0Hat[i]) * s.sab(t - 1) + Math.abs(vHat[i]));
        const tolD = vec(d, (i) => (64 * (K + s.Kom(t - 1)) * u * scD[i]) / (Math.sqrt(s.alpha(t)) * Math.min(sa, so)));
        for (const variance of ['beta', 'posterior'] as const) {
          const z = zeros(d);
          const outs: [Prediction, Arr][] = [
            ['eps', impl.ddpmStep!(betas, xt, t, epsHat, { prediction: 'eps', variance, noise: z, clip: false })],
            ['x0', impl.ddpmStep!(betas, xt, t, x0Hat, { prediction: 'x0', variance, noise: z, clip: false })],
            ['v', impl.ddpmStep!(betas, xt, t, vHat, { prediction: 'v', variance, noise: z, clip: false })],
          ];
          for (const [p, o] of outs) closeVec(tr, `${lbl} ${variance}: μ_θ from ${p}-prediction = C1 mean at x̂_0 (D4)`, o, mu, tolD);
        }
        const post = impl.qPosterior!(betas, x0Hat, xt, t);
        closeVec(tr, `${lbl}: qPosterior mean at x̂_0 = μ_θ`, post.mean, mu, tolD);
        // Clipping: with clip, x̂_0 is clipped to [-1, 1] before forming the mean (for every
        // parameterization, since all go through x̂_0).
        const muClip = vec(d, (i) => c0 * clip1(x0Hat[i]) + c1 * xt[i]);
        for (const [p, m] of [['eps', epsHat], ['x0', x0Hat], ['v', vHat]] as [Prediction, Float64Array][]) {
          const o = impl.ddpmStep!(betas, xt, t, m, { prediction: p, variance: 'posterior', noise: zeros(d), clip: true });
          // Near the clip boundary an ulp of x̂_0 can decide clipped-or-not: allow that case's
          // mean difference (≤ c0·|x̂_0 error|, already inside tolD's scale).
          closeVec(tr, `${lbl}: μ_θ with clip from ${p}-prediction uses clip(x̂_0)`, o, muClip, tolD);
        }
      }),
      fcParams(400),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim (c): parameterization equivalence along whole trajectories
// ---------------------------------------------------------------------------------------------

export const parameterizationEquivalence: Claim = {
  id: 'core.parameterization-equivalence',
  title: 'the same analytic denoiser given as ε-, x_0- or v-prediction produces the same DDPM and DDIM trajectories (same noise) to (trajectory condition)·u (≈1e-11 in float64)',
  catalog: 'claim 6/7 support (D1, D2, D4, E1, E2)',
  requires: ['ddpmStep', 'ddimStep', 'ddimTimesteps'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const d = 3;
    assertProperty(this.id,
      fc.property(
        fc.oneof(fc.integer({ min: 2, max: 100 }).map((T) => linearBetas(T, 1e-4, Math.min(0.5, 20 / T))), fc.integer({ min: 2, max: 100 }).map((T) => cosineBetas(T))),
        arbVec(d, 1),
        fc.array(dbl(0.1, 2), { minLength: d, maxLength: d }).map((a) => Float64Array.from(a)),
        fc.constantFrom('beta', 'posterior') as fc.Arbitrary<'beta' | 'posterior'>,
        fc.constantFrom(...SPACINGS),
        fc.integer({ min: 1, max: 100 }),
        fc.oneof(fc.constant(0), fc.constant(1), dbl(0, 1)),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (betas, mu, sd, variance, spacing, stepsWanted, eta, seed) => {
          const s = new Sched(betas);
          const T = betas.length;
          // cosine's β_T = 0.999 puts ᾱ_T near 0: ε-prediction's x̂_0 divides by √ᾱ_T. The per-step
          // error is ≤ c·Kom(t)·u·scale/min(√ᾱ_t, √(1-ᾱ_t), √α_t); errors add along the chain
          // (each step is a contraction up to the data scale max(1, s)).
          let cond = 0;
          for (let t = 1; t <= T; t++) cond += (s.Kom(t) + s.Kom(t - 1)) / Math.min(s.sab(t), s.somab(t), Math.sqrt(s.alpha(t)));
          const amp = Math.max(1, ...Array.from(sd));
          const rng = new Rng(seed);
          const xT = rng.normals(d);
          // DDPM
          const noises = Array.from({ length: T + 1 }, () => rng.normals(d));
          const traj: Record<Prediction, Float64Array> = { eps: xT, x0: xT, v: xT };
          let scale = maxAbs(xT);
          for (let t = T; t >= 1; t--) {
            for (const p of ['eps', 'x0', 'v'] as Prediction[]) {
              const o = gaussianOracle(s, t, mu, sd, traj[p]);
              traj[p] = Float64Array.from(impl.ddpmStep!(betas, traj[p], t, o[p], { prediction: p, variance, noise: noises[t], clip: false }));
            }
            scale = Math.max(scale, maxAbs(traj.eps, noises[t]));
            const tol = 64 * cond * amp * u * (1 + scale);
            closeVec(tr, `DDPM T=${T} ${variance} t=${t}: x0- vs ε-prediction`, traj.x0, traj.eps, tol);
            closeVec(tr, `DDPM T=${T} ${variance} t=${t}: v- vs ε-prediction`, traj.v, traj.eps, tol);
          }
          // DDIM on a strided subsequence.
          const steps = Math.min(T, stepsWanted);
          const ts = [...impl.ddimTimesteps!(T, steps, spacing), 0];
          const traj2: Record<Prediction, Float64Array> = { eps: xT, x0: xT, v: xT };
          scale = maxAbs(xT);
          for (let i = 0; i + 1 < ts.length; i++) {
            const z = rng.normals(d);
            for (const p of ['eps', 'x0', 'v'] as Prediction[]) {
              const o = gaussianOracle(s, ts[i], mu, sd, traj2[p]);
              traj2[p] = Float64Array.from(impl.ddimStep!(betas, traj2[p], ts[i], ts[i + 1], o[p], { eta, noise: z, prediction: p }));
            }
            scale = Math.max(scale, maxAbs(traj2.eps, z));
            const tol = 64 * cond * amp * u * (1 + scale);
            closeVec(tr, `DDIM T=${T} ${spacing} η=${eta} ${ts[i]}→${ts[i + 1]}: x0- vs ε-prediction`, traj2.x0, traj2.eps, tol);
            closeVec(tr, `DDIM T=${T} ${spacing} η=${eta} ${ts[i]}→${ts[i + 1]}: v- vs ε-prediction`, traj2.v, traj2.eps, tol);
          }
        },
      ),
      fcParams(100),
    );
    return tr.result();
  },
};
