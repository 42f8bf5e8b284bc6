/**
 * Core claims of catalog section B (forward process): claim 1, variance preservation (B2, B3,
 * A4, A5), and claim 2, composition of one-step transitions (B1 ∘ … ∘ B1 = B2).
 */
import fc from 'fast-check';
import type { DiffusionImpl } from '../../interface.js';
import { ErrorTracker, unitRoundoff, type Claim, underflowFloor } from '../../harness.js';
import { Rng } from '../../../reference/rng.js';
import { arbSchedule, arbVec, assertProperty, closeVec, cosineBetas, fcParams, linearBetas, one, scalarOut, Sched, vec, withT } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Claim 1: variance preservation (B3, A4, A5)
// ---------------------------------------------------------------------------------------------

/**
 * Probes x_0, ε ↦ qSample(β, x_0, t, ε) (affine by B2) for its coefficients a, b and checks
 * a = √ᾱ_t, b² = 1-ᾱ_t, hence Var x_t = a²·Var x_0 + b² = ᾱ_t Var x_0 + 1-ᾱ_t and a² + b² = 1.
 */
function checkMarginalCoefficients(tr: ErrorTracker, impl: DiffusionImpl, betas: Float64Array, t: number, x0: Float64Array, eps: Float64Array): { a: number; b: number } {
  const u = unitRoundoff(impl);
  const s = new Sched(betas);
  const a = scalarOut(tr, `qSample(t=${t}, x0=1, ε=0)`, impl.qSample!(betas, one(1), t, one(0)));
  const b = scalarOut(tr, `qSample(t=${t}, x0=0, ε=1)`, impl.qSample!(betas, one(0), t, one(1)));
  const c = scalarOut(tr, `qSample(t=${t}, x0=0, ε=0)`, impl.qSample!(betas, one(0), t, one(0)));
  const ka = s.Ka(t);
  const T = betas.length;
  tr.close(`T=${T} t=${t}: offset of x_t`, c, 0, 0, u);
  // a = √ᾱ_t: relative error ≤ ½·(ᾱ error) + 2u.
  tr.close(`T=${T} t=${t}: coefficient of x_0 (√ᾱ_t)`, a, s.sab(t), 8 * ka * u, 0);
  // b² = 1-ᾱ_t: absolute error ≤ Ka·u (see file comment), plus 2u for squaring b.
  tr.close(`T=${T} t=${t}: squared coefficient of ε (1-ᾱ_t)`, b * b, s.omab(t), 4 * u, 8 * ka * u);
  // Unit variance preserved: a² + b² = 1.
  tr.close(`T=${T} t=${t}: Var x_t for Var x_0 = 1 (a²+b²)`, a * a + b * b, 1, 0, 16 * ka * u);
  // Var x_t = ᾱ_t·v + (1-ᾱ_t) for other data variances v.
  for (const v of [0, 0.25, 4]) tr.close(`T=${T} t=${t}: Var x_t for Var x_0 = ${v}`, a * a * v + b * b, s.ab(t) * v + s.omab(t), 0, 16 * ka * u * (1 + v));
  // Affine on random inputs (not only at the probes).
  const out = impl.qSample!(betas, x0, t, eps);
  closeVec(tr, `T=${T} t=${t}: qSample(x0, ε) = a·x0 + b·ε`, out, vec(x0.length, (i) => a * x0[i] + b * eps[i]), vec(x0.length, (i) => 8 * u * (Math.abs(a * x0[i]) + Math.abs(b * eps[i]))));
  return { a, b };
}

export const variancePreservation: Claim = {
  id: 'core.variance-preservation',
  title: 'for arbitrary valid schedules (incl. constant-γ and zero-terminal-SNR) x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε exactly, so Var x_t = ᾱ_t Var x_0 + 1-ᾱ_t and unit variance is preserved',
  catalog: 'claim 1 (B2, B3, A4, A5)',
  requires: ['qSample'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 80, zeroTerminal: true })), arbVec(4, 10), arbVec(4, 5), ([betas, t], x0, eps) => {
        checkMarginalCoefficients(tr, impl, betas, t, x0, eps);
        if (impl.alphaBar) {
          const s = new Sched(betas);
          tr.close(`alphaBar(t=${t})`, impl.alphaBar(betas, t), s.ab(t), 8 * s.Ka(t) * u, 0);
          tr.close('alphaBar(t=0)', impl.alphaBar(betas, 0), 1, 0, u);
        }
      }),
      fcParams(300),
    );
    // A4 (seed 000, first section): constant γ, σ² = 1-γ²: Var z_t = γ^{2t} Var x + 1-γ^{2t} → 1.
    for (const [T, g] of [[200, Math.sqrt(0.95)], [50, 0.5], [1000, 0.999]] as const) {
      const betas = new Float64Array(T).fill(1 - g * g);
      for (const t of [1, 2, Math.floor(T / 2), T]) {
        const { a, b } = checkMarginalCoefficients(tr, impl, betas, t, vec(3, (i) => i - 1), vec(3, (i) => 0.5 * i));
        const g2t = Math.exp(2 * t * Math.log(g));
        for (const v of [0, 3]) tr.close(`A4 γ=${g} t=${t}: Var z_t = γ^{2t}v + 1-γ^{2t}`, a * a * v + b * b, g2t * v + 1 - g2t, 0, 16 * (t + 2) * u * (1 + v));
      }
    }
    // A5 (seed 000 "Finishing exactly at N(0, I)"): with ᾱ_T = 0, x_T = ε for every x_0, so x_T ~
    // N(0, I) whatever the data. Uses the implementation's own rescale where it has one.
    const sources: Float64Array[] = [linearBetas(1000), cosineBetas(100), linearBetas(10, 0.05, 0.3)];
    for (const src of sources) {
      const betas = impl.rescaleZeroTerminalSnr ? Float64Array.from(impl.rescaleZeroTerminalSnr(src)) : Float64Array.from(src, (b, i) => (i === src.length - 1 ? 1 : b));
      const T = betas.length;
      const { a, b } = checkMarginalCoefficients(tr, impl, betas, T, vec(3, (i) => 3 * i - 2), vec(3, (i) => 1 - i));
      tr.close(`A5 T=${T}: coefficient of x_0 at t=T is 0 (ᾱ_T = 0)`, a, 0, 0, 4 * u);
      tr.close(`A5 T=${T}: coefficient of ε at t=T is 1`, b, 1, 0, 4 * u);
      if (impl.alphaBar) tr.close(`A5 T=${T}: alphaBar(T) = 0`, impl.alphaBar(betas, T), 0, 0, 4 * u);
    }
    return tr.result(`${tr.cases} comparisons; 300 generated schedules, A4 at 3 γ, A5 ${impl.rescaleZeroTerminalSnr ? 'via the implementation\'s rescaleZeroTerminalSnr' : 'with β_T = 1 set here'}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 2: composition of one-step transitions (B1 ∘ … ∘ B1 = B2)
// ---------------------------------------------------------------------------------------------

export const composition: Claim = {
  id: 'core.composition',
  title: 't one-step transitions q(x_s|x_{s-1}) = N(√α_s x_{s-1}, β_s I) compose to the closed form q(x_t|x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I) in mean and covariance',
  catalog: 'claim 2 (B1, B2)',
  requires: ['qStep', 'qSample'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 60, zeroTerminal: true })), arbVec(3, 10), fc.integer({ min: 0, max: 2 ** 30 }), ([betas, t], x0, seed) => {
        const s = new Sched(betas);
        const rng = new Rng(seed);
        // Exact propagation through linearity: x_s = c_s·x_0 + (noise with variance D_s).
        let c = 1;
        let D = 0;
        let x: Float64Array = Float64Array.from(x0);
        let pathC = 0; // worst relative error accumulated by the products, for the bound
        for (let k = 1; k <= t; k++) {
          const p = scalarOut(tr, `qStep(t=${k}, x=1, ε=0)`, impl.qStep!(betas, one(1), k, one(0)));
          const q = scalarOut(tr, `qStep(t=${k}, x=0, ε=1)`, impl.qStep!(betas, one(0), k, one(1)));
          const o = scalarOut(tr, `qStep(t=${k}, x=0, ε=0)`, impl.qStep!(betas, one(0), k, one(0)));
          tr.close(`t=${k}: qStep offset`, o, 0, 0, u);
          // B1 itself: √α_k (relative error 2u; 1-β_k rounds once) and √β_k.
          tr.close(`t=${k}: qStep coefficient of x_{t-1} (√α_t)`, p, Math.sqrt(s.alpha(k)), 4 * u, 0);
          tr.close(`t=${k}: qStep coefficient of ε (√β_t)`, q, Math.sqrt(s.beta(k)), 4 * u, 0);
          c *= p;
          D = p * p * D + q * q;
          pathC += 8 * u;
          // A genuine trajectory on random inputs, checked against the propagated map.
          const e = rng.normals(x.length);
          const y = impl.qStep!(betas, x, k, e);
          closeVec(tr, `t=${k}: qStep(x, ε) = √α x + √β ε`, y, vec(x.length, (i) => p * x[i] + q * e[i]), vec(x.length, (i) => 8 * u * (Math.abs(p * x[i]) + Math.abs(q * e[i]))));
          x = Float64Array.from(y);
        }
        const a = scalarOut(tr, `qSample(t=${t}, 1, 0)`, impl.qSample!(betas, one(1), t, one(0)));
        const b = scalarOut(tr, `qSample(t=${t}, 0, 1)`, impl.qSample!(betas, one(0), t, one(1)));
        // Mean: ∏√α_s = √ᾱ_t. The product carries ≤ 4t·u relative error; qSample's √ᾱ_t ≤ 8·Ka·u.
        tr.close(`T=${betas.length} t=${t}: mean coefficient of t steps vs closed form`, c, a, 8 * s.Ka(t) * u + pathC, 0);
        tr.close(`T=${betas.length} t=${t}: mean coefficient vs √ᾱ_t`, c, s.sab(t), 8 * s.Ka(t) * u + pathC, 0);
        // Covariance: D_t = Σ_k (∏_{s>k} α_s) β_k = 1-ᾱ_t. Absolute error ≤ (Ka + t)·u·const.
        tr.close(`T=${betas.length} t=${t}: variance of t steps vs closed form`, D, b * b, 0, 16 * (s.Ka(t) + t) * u);
        tr.close(`T=${betas.length} t=${t}: variance of t steps vs 1-ᾱ_t`, D, s.omab(t), 0, 16 * (s.Ka(t) + t) * u);
      }),
      fcParams(200),
    );
    return tr.result();
  },
};
