/**
 * Core claims of catalog section C (posterior and Gaussian algebra): claim 3, posterior moments
 * (C1 = C4 Bayes = Monte Carlo; C1 = C2; C3).
 */
import fc from 'fast-check';
import { Matrix, inverse } from 'ml-matrix';
import { ErrorTracker, FALSE_ALARM_RATE, FC_SEED, bonferroni, unitRoundoff, zTwoSided, type Claim, underflowFloor } from '../../harness.js';
import { Rng } from '../../../reference/rng.js';
import { arbSchedule, arbVec, assertProperty, closeVec, combined, cosineBetas, fcParams, linearBetas, Sched, TINY, vec, withT, zeros } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Claim 3: posterior moments (C1 = C4 Bayes = Monte Carlo; C1 = C2; C3)
// ---------------------------------------------------------------------------------------------

/**
 * C4 (002 §2.1-2.2) through ml-matrix: prior x ~ N(μ, Λ⁻¹), likelihood y | x ~ N(Ax + b, L⁻¹) ⇒
 * x | y ~ N(Σ(AᵀL(y-b) + Λμ), Σ = (Λ + AᵀLA)⁻¹).
 */
function bayesC4(mu: Matrix, Lambda: Matrix, A: Matrix, b: Matrix, L: Matrix, y: Matrix): { mean: Matrix; cov: Matrix } {
  const cov = inverse(Lambda.clone().add(A.transpose().mmul(L).mmul(A)));
  const mean = cov.mmul(A.transpose().mmul(L).mmul(y.clone().sub(b)).add(Lambda.mmul(mu)));
  return { mean, cov };
}

/** Wilson-Hilferty: for V ~ χ²_n, (V/n)^{1/3} ≈ N(1 - 2/(9n), 2/(9n)). Returns the z-score. */
function chiSquareZ(sumSq: number, n: number): number {
  const m = 1 - 2 / (9 * n);
  return (Math.cbrt(sumSq / n) - m) / Math.sqrt(2 / (9 * n));
}

export const posteriorMoments: Claim = {
  id: 'core.posterior-moments',
  title: 'q(x_{t-1}|x_t,x_0) from qPosterior equals Bayes\' rule (C4, ml-matrix) on q(x_{t-1}|x_0)·q(x_t|x_{t-1}), matches Monte Carlo moments of the forward chain, equals the ε-form (C2), and has the clipped log variance at t = 1 (C3)',
  catalog: 'claim 3 (C1, C2, C3, C4)',
  requires: ['qPosterior', 'predictEpsFromX0'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const d = 3;
    // (i) exact: Bayes through ml-matrix on generated schedules, t and data.
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 80, zeroTerminal: true })), arbVec(d, 5), arbVec(d, 5), ([betas, t], x0, xt) => {
        const s = new Sched(betas);
        const T = betas.length;
        const post = impl.qPosterior!(betas, x0, xt, t);
        if (t === 1) {
          // ᾱ_0 = 1: the posterior is the point mass at x_0 (β̃_1 = 0), log variance clipped (C3).
          // log β̃_2 = log((1-ᾱ_1)/(1-ᾱ_2)·β_2) carries the relative errors of both 1-ᾱ_1 and 1-ᾱ_2.
          // Its coefficient β_1/(1-ᾱ_1) = 1 carries the relative error of 1-ᾱ_1 (Kom(1)).
          closeVec(tr, 't=1: posterior mean is x_0', post.mean, x0, vec(d, (i) => 4 * s.Kom(1) * u * Math.abs(x0[i])));
          tr.close('t=1: β̃_1 = 0', post.variance, 0, 0, 4 * u);
          if (!Number.isFinite(post.logVariance)) tr.fail(`t=1: logVariance = ${post.logVariance} (C3 clips it to log β̃_2)`);
          tr.close(`T=${T} t=1: logVariance clipped to log β̃_2 (C3)`, post.logVariance, s.postLogVarClipped(1), 0, 16 * (s.Kom(1) + s.Kom(Math.min(2, T))) * u);
          if (impl.posteriorLogVarianceClipped) tr.close(`T=${T}: posteriorLogVarianceClipped(1)`, impl.posteriorLogVarianceClipped(betas, 1), s.postLogVarClipped(1), 0, 16 * (s.Kom(1) + s.Kom(Math.min(2, T))) * u);
          return;
        }
        const pv = s.omab(t - 1);
        const Lambda = Matrix.eye(d, d).mul(1 / pv);
        const mu = Matrix.columnVector(Array.from(x0, (v) => s.sab(t - 1) * v));
        const A = Matrix.eye(d, d).mul(Math.sqrt(s.alpha(t)));
        const L = Matrix.eye(d, d).mul(1 / s.beta(t));
        const { mean, cov } = bayesC4(mu, Lambda, A, Matrix.zeros(d, 1), L, Matrix.columnVector(Array.from(xt)));
        // Condition: the posterior precision Λ + α/β·I is a sum of positives (well conditioned); the
        // mean Σ(√α/β·x_t + √ᾱ_{t-1}/(1-ᾱ_{t-1})·x_0) may cancel between its two terms, so the
        // absolute tolerance scales with the sum of their magnitudes. The implementation's
        // 1-ᾱ_{t-1}, 1-ᾱ_t enter relatively: Kom(t-1) + Kom(t).
        const K = s.Kom(t - 1) + s.Kom(t);
        const v = cov.get(0, 0);
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) if (i !== j && cov.get(i, j) !== 0) tr.fail('Bayes covariance not isotropic (claim arithmetic broken)');
          const scale = v * (Math.abs((Math.sqrt(s.alpha(t)) / s.beta(t)) * xt[i]) + Math.abs((s.sab(t - 1) / pv) * x0[i]));
          tr.close(`T=${T} t=${t}: posterior mean[${i}] vs Bayes (C4)`, post.mean[i], mean.get(i, 0), 0, 32 * K * u * scale + TINY);
        }
        tr.close(`T=${T} t=${t}: posterior variance vs Bayes (C4)`, post.variance, v, 32 * K * u, 0);
        tr.close(`T=${T} t=${t}: log variance = log β̃_t`, post.logVariance, Math.log(v), 0, 32 * K * u);
        if (impl.posteriorVariance) tr.close(`T=${T} t=${t}: posteriorVariance`, impl.posteriorVariance(betas, t), v, 32 * K * u, 0);
        if (impl.posteriorLogVarianceClipped) tr.close(`T=${T} t=${t}: posteriorLogVarianceClipped`, impl.posteriorLogVarianceClipped(betas, t), Math.log(v), 0, 32 * K * u);
        // (iii) C1 = C2: μ̃ = (x_t - β_t/√(1-ᾱ_t)·ε)/√α_t with ε = predictEpsFromX0(x_t, x_0). Undefined
        // at α_t = 0 (β_T = 1). Error: ε carries Kom(t)·u·(|x_t|+|x_0|)/√(1-ᾱ_t), multiplied by
        // β_t/(√(1-ᾱ_t)√α_t) ≤ 1/√α_t since β_t ≤ 1-ᾱ_t.
        if (s.beta(t) < 1) {
          const eps = impl.predictEpsFromX0!(betas, xt, t, x0);
          const c = s.beta(t) / s.somab(t);
          const ia = 1 / Math.sqrt(s.alpha(t));
          closeVec(tr, `T=${T} t=${t}: C1 mean = C2 ε-form`, post.mean, vec(d, (i) => (xt[i] - c * eps[i]) * ia), vec(d, (i) => 64 * K * u * ia * (1 + Math.abs(xt[i]) + Math.abs(x0[i]))));
        }
      }),
      fcParams(300),
    );

    // (ii) Monte Carlo: draw (x_{t-1}, x_t) from the forward chain given x_0 (generated here, not
    // by the implementation); the residual r = x_{t-1} - μ̃(x_t, x_0) must be N(0, β̃_t) and
    // uncorrelated with x_t (the defining property of the Gaussian conditional). Per coordinate
    // four z-tests (mean; variance vs β̃_t and vs the reported variance, via Wilson-Hilferty;
    // covariance with x_t), Bonferroni over all.
    const configs: { name: string; betas: Float64Array; ts: number[] }[] = [
      { name: 'linear T=100', betas: linearBetas(100), ts: [2, 50, 100] },
      { name: 'cosine T=50', betas: cosineBetas(50), ts: [2, 25] },
      { name: 'constant β=0.3 T=6', betas: new Float64Array(6).fill(0.3), ts: [2, 6] },
    ];
    const N = 6000;
    const mc = new ErrorTracker(this.id, underflowFloor(impl));
    const dm = 4;
    const nTests = configs.reduce((k, c) => k + c.ts.length, 0) * dm * 4;
    const zMax = zTwoSided(bonferroni(FALSE_ALARM_RATE, nTests));
    const rng = new Rng(FC_SEED);
    for (const cfg of configs) {
      const s = new Sched(cfg.betas);
      for (const t of cfg.ts) {
        const x0 = vec(dm, (i) => -1.5 + i);
        const sm = s.sab(t - 1);
        const sv = s.somab(t - 1);
        const sa = Math.sqrt(s.alpha(t));
        const sb = Math.sqrt(s.beta(t));
        const sum = zeros(dm);
        const sumSq = zeros(dm);
        const sumCross = zeros(dm);
        let varPost = NaN;
        for (let n = 0; n < N; n++) {
          const xPrev = vec(dm, (i) => sm * x0[i] + sv * rng.normal());
          const xt = vec(dm, (i) => sa * xPrev[i] + sb * rng.normal());
          const post = impl.qPosterior!(cfg.betas, x0, xt, t);
          varPost = post.variance;
          for (let i = 0; i < dm; i++) {
            const r = xPrev[i] - post.mean[i];
            sum[i] += r;
            sumSq[i] += r * r;
            sumCross[i] += r * (xt[i] - s.sab(t) * x0[i]);
          }
        }
        const bt = s.postVar(t);
        for (let i = 0; i < dm; i++) {
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of residual mean`, Math.abs(sum[i] / N / Math.sqrt(bt / N)), zMax);
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of residual variance vs β̃_t (χ², Wilson-Hilferty)`, Math.abs(chiSquareZ(sumSq[i] / bt, N)), zMax);
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of Cov(residual, x_t)`, Math.abs(sumCross[i] / N / Math.sqrt((bt * s.omab(t)) / N)), zMax);
          // The reported variance must describe the residual too (a z-test against it).
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of residual variance vs reported variance`, Math.abs(chiSquareZ(sumSq[i] / varPost, N)), zMax);
        }
      }
    }
    return combined([['exact (Bayes C4, C2, C3)', tr], [`Monte Carlo |z| (N=${N} per case, ${nTests} z-tests, overall false-alarm rate ${FALSE_ALARM_RATE})`, mc]]);
  },
};
