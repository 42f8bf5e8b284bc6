/**
 * Core claims of catalog section A (schedules): the named schedules are what their definitions
 * say (A1-A5).
 */
import fc from 'fast-check';
import type { Arr } from '../../interface.js';
import { ErrorTracker, unitRoundoff, type Claim, underflowFloor } from '../../harness.js';
import { arbSchedule, assertProperty, closeVec, cosineBetas, fcParams, linearBetas, Sched, vec } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Schedules (A1-A5): the named schedules are what their definitions say
// ---------------------------------------------------------------------------------------------

export const scheduleDefinitions: Claim = {
  id: 'core.schedule-definitions',
  title: 'named schedules match their definitions: linear reaches β_T inclusive, cosine follows f(t)/f(0) with β ≤ 0.999, scaled-linear is linear in √β, constant/constant-γ are constant, and the zero-terminal rescale gives ᾱ_T = 0 while keeping √ᾱ_1',
  catalog: 'A1-A5',
  requires: ['betaSchedule'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const get = (name: string, T: number): Float64Array => {
      let b: Arr = [];
      try {
        b = impl.betaSchedule!(name, T);
      } catch (e) {
        tr.fail(`betaSchedule('${name}', ${T}) threw: ${(e as Error).message}`);
      }
      if (b.length !== T) tr.fail(`betaSchedule('${name}', ${T}) has length ${b.length}`);
      return Float64Array.from(b);
    };
    assertProperty(this.id,
      fc.property(fc.integer({ min: 2, max: 2000 }), (T) => {
        // A1: Ho et al. linear from 1e-4 to 0.02 *inclusive* (seed 001's code stops short of β_T).
        const lin = get('linear', T);
        closeVec(tr, `linear T=${T}`, lin, linearBetas(T), 8 * u * 0.02);
        tr.close(`linear T=${T}: β_1`, lin[0], 1e-4, 4 * u, 0);
        tr.close(`linear T=${T}: β_T reaches 0.02`, lin[T - 1], 0.02, 4 * u, 0);
        // A2: cosine. Where 1-f(t)/f(t-1) ≤ 0.999, ᾱ_t = f(t)/f(0); β is clipped at 0.999.
        const cos = get('cosine', T);
        const want = cosineBetas(T);
        for (let i = 0; i < T; i++) {
          if (!(cos[i] <= 0.999)) tr.fail(`cosine T=${T}: β_${i + 1} = ${cos[i]} exceeds the clip 0.999`);
        }
        // β_t = 1 - f(t)/f(t-1), f = cos²θ. The angle θ_t = ((t/T+s)/(1+s))·π/2 carries ≈ 2u·θ
        // absolute error (its rounding depends on the order of operations), which cos² turns into a
        // relative error 2·θ·tan θ·2u of f: large near θ → π/2 (t → T). Then β's absolute error is
        // (1-β_t)·(rel. error of f(t) + of f(t-1)) plus a few u for the ratio and the subtraction.
        const theta = (t: number) => ((t / T + 0.008) / 1.008) * (Math.PI / 2);
        const relF = (t: number) => 4 * u * theta(t) * Math.tan(theta(t));
        closeVec(tr, `cosine T=${T}`, cos, want, vec(T, (i) => 16 * u + 4 * (1 - want[i]) * (relF(i + 1) + relF(i))));
        tr.close(`cosine T=${T}: β_T clipped to 0.999`, cos[T - 1], 0.999, 0, 4 * u);
        // A3: scaled-linear: √β equally spaced from √0.00085 to √0.012.
        const sl = get('scaled-linear', T);
        const a = Math.sqrt(0.00085);
        const b = Math.sqrt(0.012);
        closeVec(tr, `scaled-linear T=${T}`, sl, vec(T, (i) => (a + ((b - a) * i) / (T - 1)) ** 2), 16 * u * 0.012);
        // A3 constant, A4 constant-γ: one β in (0, 1) for every t.
        for (const name of ['constant', 'constant-gamma']) {
          const c = get(name, T);
          if (!(c[0] > 0 && c[0] < 1)) tr.fail(`${name} T=${T}: β = ${c[0]} not in (0, 1)`);
          closeVec(tr, `${name} T=${T}: constant`, c, new Float64Array(T).fill(c[0]), 0);
        }
        // A3 sigmoid: increasing, between its end points.
        const sg = get('sigmoid', T);
        for (let i = 1; i < T; i++) if (!(sg[i] > sg[i - 1])) tr.fail(`sigmoid T=${T}: β not increasing at t=${i + 1}`);
        if (!(sg[0] >= 1e-4 - 1e-12 && sg[T - 1] <= 0.02 + 1e-12)) tr.fail(`sigmoid T=${T}: β outside [1e-4, 0.02]`);
      }),
      fcParams(60),
    );
    // A5: zero-terminal-SNR rescale (Lin et al. 2024 Alg. 1): √ᾱ'_t = (√ᾱ_t - √ᾱ_T)·√ᾱ_1/(√ᾱ_1 - √ᾱ_T).
    if (impl.rescaleZeroTerminalSnr) {
      assertProperty(this.id,
        fc.property(arbSchedule({ minT: 2, maxT: 300, maxBeta: 0.5 }), (src) => {
          const s = new Sched(src);
          const T = src.length;
          const r = new Sched(Float64Array.from(impl.rescaleZeroTerminalSnr!(src)));
          if (r.T !== T) tr.fail(`rescale: length ${r.T}, expected ${T}`);
          tr.close(`rescale T=${T}: ᾱ_T = 0 exactly (β_T = 1)`, r.beta(T), 1, 0, 0);
          tr.close(`rescale T=${T}: √ᾱ_1 kept`, r.sab(1), s.sab(1), 16 * s.Ka(1) * u, 0);
          const first = s.sab(1);
          const last = s.sab(T);
          const sc = first / (first - last);
          // √ᾱ'_t is an affine function of √ᾱ_t; its error is the accumulated error of the product
          // (Ka(t) relative) times the amplification sc = √ᾱ_1/(√ᾱ_1-√ᾱ_T) of the shift.
          // Plus the representation error of the output (issue 21): the rescale returns β', and
          // β' near 1 cannot carry α' = 1-β' to better than an absolute u·β' (the rounding of
          // fl(1 - ᾱ'_t/ᾱ'_{t-1}), correctly rounded at best), i.e. a relative error u·β'/(1-β')
          // of α'_s, which the product ᾱ'_t = Π α'_s accumulates and the square root halves:
          //   |δ√ᾱ'_t| ≤ √ᾱ'_t · ½u · Σ_{s≤t} β'_s/(1-β'_s)   (×4 for the rounding of ᾱ'_t/ᾱ'_{t-1} itself).
          // It was missing: at T = 3, β = [0.5, 0.5, 1.4e-6] (seeds 2222, 444444) √ᾱ'_2 ≈ 1.2e-6,
          // β'_2 = 1 - 2.8e-12 and β'_2/(1-β'_2) = 3.5e11: the term is 2.3e-11, while the old bound,
          // 3.033e-12, was hit exactly (error 3.033e-12).
          let cond = 0;
          for (let t = 1; t < T; t++) {
            cond += r.beta(t) / r.alpha(t);
            const repr = 2 * u * r.sab(t) * cond;
            tr.close(`rescale T=${T}: √ᾱ'_${t}`, r.sab(t), (s.sab(t) - last) * sc, 0, 64 * sc * (s.Ka(T) + r.Ka(t)) * u + repr);
          }
        }),
        { ...fcParams(40), examples: [[Float64Array.of(0.5, 0.5, 1.4e-6)]] }, // issue 21: seeds 2222, 444444
      );
    }
    return tr.result();
  },
};
