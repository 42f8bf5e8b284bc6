/**
 * The vector builders (FamilyBuilder, GroupBuilder), tolerances and deterministic JSON output of
 * the portable test vectors (issue 8). The families (families.ts, families-score.ts) use these;
 * generate.ts assembles the files.
 *
 * Expected outputs are the float64 reference's (`src/conformance/impls/reference.ts`), called through the
 * same implementation interface that every implementation under test is called through. The
 * reference is itself checked by the property suite; the vectors are cross-checked by two
 * independent implementations (examples/handwritten-adapter.ts and vectors/check_numpy.py).
 *
 * Determinism: every random input comes from the seeded `Rng`, seeded per group by a hash of the
 * group's stable name, so adding a group never changes another group's inputs. Numbers are written
 * by JSON.stringify (shortest round-trip decimal of the float64), so regenerating is byte-identical.
 *
 * Tolerances. Each valid case carries, per output and per precision p (u = 2^-53 for float64,
 * 2^-24 for float32), an absolute tolerance K·u·S with K = 16 and S the first-order error scale of
 * the formula at these inputs, computed here by central finite differences on the reference:
 *   S_i = |f_i| + Σ_leaves |∂f_i/∂x|·|x| + Σ_blocks |Σ_{s∈block} ∂f_i/∂β_s|,
 * i.e. the effect of a relative error u on every real input (data, noise, model output, η, schedule
 * options) plus an absolute error u on every β_s, which is what rounding ᾱ_t = ∏(1-β_s) (or
 * 1-ᾱ_t) in precision p does: it is the term that makes 1-ᾱ_1 = β_1 ≈ 1e-4 lose four digits in
 * float32. Blocks are the β ranges between the timesteps an op reads (all β_s of a block enter
 * through the same product, so the block sum equals the sum of absolute values); for T ≤ 64 every
 * β_s is its own block. S is the maximum over an output's elements. K = 16 covers the handful of
 * roundings inside each formula (each contributes at most about u·S). Integer outputs
 * (ddimTimesteps) are exact (tolerance 0). The cosine schedule adds 1 to S per element: β_t =
 * 1 - f(t)/f(t-1) has absolute rounding error u however small β_t is.
 */
import type { DiffusionImpl } from '../interface.js';
import { Rng } from '../../reference/rng.js';
import * as R from '../../reference/index.js';
import {
  FLAG_NOTES,
  INDEX_CONVENTION,
  OPS,
  SCORE_OPS,
  VECTOR_FORMAT_VERSION,
  buildArgs,
  callOp,
  decodeNumber,
  normalizeOutput,
  encodeNumber,
  modelFromSpec,
  type JsonNum,
  type OpName,
  type Tolerance,
  type VectorCase,
  type VectorFile,
  type VectorGroup,
} from './format.js';
import { fixtureHook } from './score-ops.js';
import { referenceImpl, scheduleOf } from '../impls/reference.js';

export const TOLERANCE_FACTOR = 16;
const U64 = 2 ** -53;
const U32 = 2 ** -24;
const GENERATOR = 'diffusion-oracle src/conformance/vectors/generate.ts (expected values: float64 reference, src/conformance/impls/reference.ts)';

/** FNV-1a 32-bit hash of a string: per-group seeds that do not depend on generation order. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const INT_KEYS = new Set(['t', 'T', 'steps', 'tPrev']);

type Json = unknown;

function clone<X>(x: X): X {
  return JSON.parse(JSON.stringify(x)) as X;
}

function tryCall(impl: DiffusionImpl, op: OpName, inputs: Record<string, unknown>, betas?: JsonNum[]): Record<string, number | number[]> | null {
  try {
    const out = callOp(impl, op, inputs, betas);
    for (const v of Object.values(out)) {
      const arr = typeof v === 'number' ? [v] : v;
      if (arr.some((x) => Number.isNaN(x))) return null;
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * Paths to every real-valued leaf of the inputs (excluding betas and integer indices). Score-family
 * operations have real-valued times (t, timeGrid): those are leaves too.
 */
function leafPaths(inputs: Record<string, unknown>, op?: OpName): (string | number)[][] {
  const intKeys = op && SCORE_OPS.has(op) ? new Set<string>() : INT_KEYS;
  const paths: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    if (typeof v === 'number') {
      if (v !== 0 && Number.isFinite(v)) paths.push(path);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, i]));
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    }
  };
  for (const [k, v] of Object.entries(inputs)) {
    if (k === 'betas' || intKeys.has(k) || k === 'name' || k === 'spacing') continue;
    walk(v, [k]);
  }
  return paths;
}

function getAt(o: Json, path: (string | number)[]): number {
  let cur = o as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  return cur[path[path.length - 1]] as number;
}
/**
 * Set one leaf. Two leaves carry constraints that a lone perturbation would break (and the input
 * would then be rejected): mixture weights are renormalized to sum to 1 (what perturbing one log
 * weight means), and a full covariance entry moves together with its mirror entry (symmetry).
 */
function setAt(o: Json, path: (string | number)[], v: number): void {
  let cur = o as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = v;
  const n = path.length;
  if (n >= 2 && path[n - 2] === 'weights' && Array.isArray(cur)) {
    const w = cur as number[];
    const sum = w.reduce((a, b) => a + b, 0);
    for (let k = 0; k < w.length; k++) w[k] /= sum;
  }
  if (n >= 4 && path[n - 4] === 'covariances') {
    const i = path[n - 2] as number;
    const j = path[n - 1] as number;
    let mat = o as Record<string | number, unknown>;
    for (const p of path.slice(0, -2)) mat = mat[p] as Record<string | number, unknown>;
    (mat[j] as number[])[i] = v;
  }
}

function asArray(v: number | number[]): number[] {
  return typeof v === 'number' ? [v] : v;
}

/**
 * Derivative of every output element along a perturbation, by central differences where both
 * sides are valid inputs, one-sided otherwise (e.g. β_T = 1 can only decrease). Returns null when
 * neither side evaluates.
 */
function directional(
  impl: DiffusionImpl,
  op: OpName,
  base: Record<string, number | number[]>,
  h: number,
  evalAt: (delta: number) => Record<string, number | number[]> | null,
): Record<string, number[]> | null {
  const plus = evalAt(h);
  const minus = evalAt(-h);
  if (!plus && !minus) return null;
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(base)) {
    const b = asArray(base[k]);
    const p = plus ? asArray(plus[k]) : null;
    const m = minus ? asArray(minus[k]) : null;
    out[k] = b.map((bi, i) => {
      const d = p && m ? (p[i] - m[i]) / (2 * h) : p ? (p[i] - bi) / h : (bi - m![i]) / h;
      return Number.isFinite(d) ? d : 0;
    });
  }
  void impl;
  void op;
  return out;
}

/** β blocks (0-based index ranges [lo, hi)) between the timesteps an op reads. */
function betaBlocks(T: number, inputs: Record<string, unknown>): [number, number][] {
  if (T <= 64) return Array.from({ length: T }, (_, i) => [i, i + 1] as [number, number]);
  const cuts = new Set<number>([0, T]);
  for (const k of ['t', 'tPrev']) {
    const v = inputs[k];
    if (typeof v === 'number' && Number.isInteger(v)) {
      for (const c of [v - 1, v, v + 1]) if (c > 0 && c < T) cuts.add(c);
    }
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const blocks: [number, number][] = [];
  for (let i = 0; i + 1 < sorted.length; i++) blocks.push([sorted[i], sorted[i + 1]]);
  return blocks;
}

/** The error scale S per output key (see the file comment). */
export function errorScale(impl: DiffusionImpl, op: OpName, inputs: Record<string, unknown>, groupBetas?: JsonNum[]): Record<string, number> {
  const base = callOp(impl, op, inputs, groupBetas);
  const S: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(base)) S[k] = asArray(v).map((x) => Math.abs(x));
  const add = (d: Record<string, number[]> | null, w: number) => {
    if (!d) return;
    for (const k of Object.keys(S)) S[k] = S[k].map((s, i) => s + Math.abs(d[k][i]) * w);
  };
  for (const path of leafPaths(inputs, op)) {
    const v = getAt(inputs, path);
    // β's inside a process spec (discrete-vp) get an absolute error u each, like a group's betas.
    const isBeta = path.includes('betas');
    const h = isBeta ? 1e-7 * Math.min(v, 1 - v || v) : 1e-6 * Math.abs(v);
    add(
      directional(impl, op, base, h, (delta) => {
        const x = clone(inputs);
        setAt(x, path, v + delta);
        return tryCall(impl, op, x, groupBetas);
      }),
      isBeta ? 1 : Math.abs(v),
    );
  }
  const betasIn = (inputs.betas ?? groupBetas) as JsonNum[] | undefined;
  if (OPS[op].args.includes('betas' as never) && Array.isArray(betasIn) && betasIn.every((b) => typeof b === 'number')) {
    const betas = betasIn as number[];
    for (const [lo, hi] of betaBlocks(betas.length, inputs)) {
      let hmin = Infinity;
      for (let s = lo; s < hi; s++) hmin = Math.min(hmin, betas[s], 1 - betas[s] || betas[s]);
      const h = 1e-7 * hmin;
      add(
        directional(impl, op, base, h, (delta) => {
          const b = betas.slice();
          for (let s = lo; s < hi; s++) b[s] += delta;
          const x = { ...inputs, betas: b };
          return tryCall(impl, op, x, undefined);
        }),
        1,
      );
    }
  }
  // ᾱ_t rounded on its own (independently of β_t): perturb log ᾱ_{t'} of the reference's schedule
  // object, leaving β alone. This is the term that sees 1-ᾱ_1 = 1-(1-β_1) losing digits where the
  // exact formula would cancel it (e.g. the posterior mean coefficient β_1/(1-ᾱ_1) = 1 at t = 1).
  if (impl === referenceImpl && Array.isArray(betasIn) && betasIn.every((b) => typeof b === 'number')) {
    const betas = betasIn as number[];
    const T = betas.length;
    const touched = new Set<number>();
    if (T <= 64) for (let t = 1; t <= T; t++) touched.add(t);
    else {
      for (const k of ['t', 'tPrev']) {
        const v = inputs[k];
        if (typeof v === 'number' && Number.isInteger(v)) for (const c of [v - 1, v, v + 1]) if (c >= 1 && c <= T) touched.add(c);
      }
    }
    for (const tp of touched) {
      const h = 1e-7;
      add(
        directional(impl, op, base, h, (delta) => {
          const b = Float64Array.from(betas);
          const sched = scheduleOf(b); // cached per β array: the impl below receives this very object
          if (!Number.isFinite(sched.logAlphaBars[tp])) return null;
          sched.logAlphaBars[tp] += delta;
          try {
            const args = buildArgs(op, inputs, undefined);
            args[OPS[op].args.indexOf('betas' as never)] = b;
            return normalizeOutput(op, (impl as unknown as Record<string, (...a: unknown[]) => unknown>)[op](...args));
          } catch {
            return null;
          }
        }),
        1,
      );
    }
  }
  // μ_θ from an ε-prediction: the reference uses 004 eq. (58), but the equally valid route through
  // x̂_0 and the posterior coefficients (C1) is worse conditioned at small t (β_1/(1-ᾱ_1) = 1 is
  // formed from a cancelling 1-ᾱ_1): the tolerance covers both routes.
  if (impl === referenceImpl && op === 'ddpmStep') {
    const o = (inputs.options ?? {}) as Record<string, unknown>;
    if ((o.prediction ?? 'eps') === 'eps' && !o.clip) {
      const alt = x0RouteScale(inputs, groupBetas);
      S.out = S.out.map((v, i) => v + alt[i]);
    }
  }
  // A mixture fixture model evaluated at points the step computes (Heun, RK4, DPM-Solver-2/3,
  // correctors): its output at each evaluation is rounded like any computed value (relative error
  // u, independently per evaluation and element), which perturbing the inputs does not show.
  const model = inputs.model as { kind?: string } | undefined;
  if (op === 'samplerStep' && model?.kind === 'mixture') {
    let evals: { k: number; n: number }[] = [];
    fixtureHook.count = 0;
    fixtureHook.onOutput = (k, out) => evals.push({ k, n: out[0].length });
    try {
      tryCall(impl, op, inputs, groupBetas);
    } finally {
      fixtureHook.onOutput = null;
    }
    const counted = evals;
    evals = [];
    for (const { k, n } of counted) {
      for (let i = 0; i < n; i++) {
        add(
          directional(impl, op, base, 1e-6, (delta) => {
            fixtureHook.count = 0;
            fixtureHook.onOutput = (kk, out) => {
              if (kk === k) out[0][i] *= 1 + delta;
            };
            try {
              return tryCall(impl, op, inputs, groupBetas);
            } finally {
              fixtureHook.onOutput = null;
            }
          }),
          1,
        );
      }
    }
  }
  if (op === 'betaSchedule' && inputs.name === 'cosine') for (const k of Object.keys(S)) S[k] = S[k].map((s) => s + 1);
  const intrinsic = intrinsicScale(op, inputs, groupBetas, base);
  if (intrinsic) S.out = S.out.map((s, i) => s + intrinsic[i]);
  const res: Record<string, number> = {};
  for (const [k, v] of Object.entries(S)) res[k] = Math.max(0, ...v);
  return res;
}

/**
 * Error scale (per element) of μ_θ computed through x̂_0: the x0-prediction step on the reference's
 * x̂_0, plus the error of x̂_0 itself (predictX0FromEps), whose coefficient in μ_θ is ≤ 1.
 */
function x0RouteScale(inputs: Record<string, unknown>, groupBetas: JsonNum[] | undefined): number[] {
  const betas = (inputs.betas ?? groupBetas) as JsonNum[];
  const x0Hat = callOp(referenceImpl, 'predictX0FromEps', { xt: inputs.xt, t: inputs.t, eps: inputs.modelOutput }, betas).out as number[];
  const o = (inputs.options ?? {}) as Record<string, unknown>;
  const stepInputs = { xt: inputs.xt, t: inputs.t, modelOutput: x0Hat, options: { ...o, prediction: 'x0' } };
  const sStep = errorScale(referenceImpl, 'ddpmStep', stepInputs, betas).out;
  const sX0 = errorScale(referenceImpl, 'predictX0FromEps', { xt: inputs.xt, t: inputs.t, eps: inputs.modelOutput }, betas).out;
  return x0Hat.map(() => sStep + sX0);
}

const num = (v: unknown): number[] => (Array.isArray(v) ? v.map(decodeNumber) : [decodeNumber(v)]);

/**
 * Rounding inside nonlinear formulas that finite differences on the inputs do not see, because
 * large intermediate terms cancel (in units of u, per output element):
 * - normalKl: ½(e^x - 1 - x + Δm²e^{-lv2}) with x = lv1-lv2 sums terms of size 1, |x|, e^x, Δm²e^{-lv2};
 * - discretized decoder: log(Φ(b) - Φ(a)) where the CDFs (size ≤ 1) are rounded before the
 *   difference, so the log is off by u/P for a bin of probability P;
 * - vbTerms: the KL terms above (t ≥ 2) or 1/P (t = 1), averaged over dimensions, in bits.
 */
function intrinsicScale(op: OpName, inputs: Record<string, unknown>, groupBetas: JsonNum[] | undefined, base: Record<string, number | number[]>): number[] | null {
  const klTerms = (m1: number, lv1: number, m2: number, lv2: number) => {
    const x = lv1 - lv2;
    return 0.5 * (1 + Math.abs(x) + Math.exp(x) + (m1 - m2) ** 2 * Math.exp(-lv2));
  };
  if (op === 'normalKl') {
    const [m1, l1, m2, l2] = [inputs.mean1, inputs.logVar1, inputs.mean2, inputs.logVar2].map(num);
    return m1.map((_, i) => klTerms(m1[i], l1[i], m2[i], l2[i]));
  }
  if (op === 'discretizedGaussianLogLikelihood') return asArray(base.out).map((lp) => Math.exp(-lp));
  if (op === 'vbTerms') {
    const s = R.makeSchedule(num(inputs.betas ?? groupBetas));
    const t = inputs.t as number;
    const x0 = Float64Array.from(num(inputs.x0));
    const xt = R.qSample(s, x0, t, Float64Array.from(num(inputs.noise))) as Float64Array;
    const epsHat = modelFromSpec(inputs.model)(xt, t);
    const p = R.pMeanVariance(s, xt, t, epsHat, {}) as { mean: Float64Array; logVariance: Float64Array };
    // μ_θ's error through the x̂_0 route (see x0RouteScale), times |∂term/∂μ_θ|.
    const betasArr = (inputs.betas ?? groupBetas) as JsonNum[];
    const muScale = x0RouteScale({ xt: Array.from(xt), t, modelOutput: Array.from(epsHat), options: { variance: 'posterior', noise: Array.from(xt, () => 0) } }, betasArr);
    let sum = 0;
    if (t === 1) {
      const ls = p.logVariance.map((lv) => 0.5 * lv);
      const lp = R.discretizedGaussianLogLikelihood(x0, p.mean, ls) as Float64Array;
      for (let i = 0; i < x0.length; i++) {
        sum += Math.exp(-lp[i]);
        const h = 1e-7;
        const up = R.discretizedGaussianLogLikelihood([x0[i]], [p.mean[i] + h], [ls[i]]) as Float64Array;
        const dn = R.discretizedGaussianLogLikelihood([x0[i]], [p.mean[i] - h], [ls[i]]) as Float64Array;
        sum += (Math.abs(up[0] - dn[0]) / (2 * h)) * muScale[i];
      }
    } else {
      const q = R.qPosterior(s, x0, xt, t);
      const qm = q.mean as Float64Array;
      for (let i = 0; i < x0.length; i++) {
        sum += klTerms(qm[i], q.logVariance, p.mean[i], p.logVariance[i]);
        sum += Math.abs(qm[i] - p.mean[i]) * Math.exp(-p.logVariance[i]) * muScale[i];
      }
    }
    return [sum / (x0.length * Math.LN2)];
  }
  return null;
}

function encodeDeep(v: unknown): unknown {
  if (typeof v === 'number') return encodeNumber(v);
  if (v instanceof Float64Array || v instanceof Float32Array) return Array.from(v, encodeNumber);
  if (Array.isArray(v)) return v.map(encodeDeep);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = encodeDeep(x);
    return o;
  }
  return v;
}

/** Collects the groups of one family file and builds its cases through `impl`. */
export class FamilyBuilder {
  readonly groups: VectorGroup[] = [];
  private ids = new Set<string>();
  constructor(
    readonly impl: DiffusionImpl,
    readonly family: string,
    readonly header: string[],
    readonly flagsUsed = new Set<string>(),
    readonly indexConvention: string = INDEX_CONVENTION,
  ) {}

  group(name: string, op: OpName, comment: string, betas?: ArrayLike<number>, schedule?: VectorGroup['schedule']): GroupBuilder {
    const g: VectorGroup = { name, op, comment, tests: [] };
    if (schedule) g.schedule = schedule;
    if (betas) g.betas = Array.from(betas, encodeNumber);
    this.groups.push(g);
    return new GroupBuilder(this, g);
  }

  registerId(id: string): void {
    if (this.ids.has(id)) throw new Error(`duplicate vector id ${id}`);
    this.ids.add(id);
  }

  file(): VectorFile {
    const notes: Record<string, (typeof FLAG_NOTES)[string]> = {};
    for (const f of [...this.flagsUsed].sort()) {
      if (!FLAG_NOTES[f]) throw new Error(`flag ${f} has no note`);
      notes[f] = FLAG_NOTES[f];
    }
    return {
      $schema: 'schema/vectors.schema.json',
      family: this.family,
      version: VECTOR_FORMAT_VERSION,
      generator: GENERATOR,
      numberOfTests: this.groups.reduce((n, g) => n + g.tests.length, 0),
      header: this.header,
      indexConvention: this.indexConvention,
      notes,
      testGroups: this.groups,
    };
  }
}

export class GroupBuilder {
  readonly rng: Rng;
  constructor(
    readonly fam: FamilyBuilder,
    readonly g: VectorGroup,
  ) {
    this.rng = new Rng(fnv1a(`${fam.family}/${g.name}`));
  }

  /** n standard normals, as a plain array. */
  normals(n: number): number[] {
    return Array.from(this.rng.normals(n));
  }
  uniforms(n: number, lo: number, hi: number): number[] {
    return Array.from({ length: n }, () => lo + (hi - lo) * this.rng.uniform());
  }

  private id(name: string): string {
    const id = `${this.fam.family}/${this.g.name}/${name}`;
    this.fam.registerId(id);
    return id;
  }

  /** A valid case: expected outputs and tolerances from the reference. */
  valid(name: string, inputsIn: Record<string, unknown>, flags: string[] = [], comment?: string): Record<string, number | number[]> {
    const inputs = encodeDeep(inputsIn) as Record<string, unknown>;
    const id = this.id(name);
    let out: Record<string, number | number[]>;
    try {
      out = callOp(this.fam.impl, this.g.op, inputs, this.g.betas);
    } catch (e) {
      throw new Error(`vector ${id}: the reference rejected a case meant to be valid: ${(e as Error).message}`, { cause: e });
    }
    for (const [k, v] of Object.entries(out)) {
      if (asArray(v).some((x) => Number.isNaN(x))) throw new Error(`vector ${id}: NaN in ${k}`);
    }
    const tolerance: Record<string, Tolerance> = {};
    if (this.g.op === 'ddimTimesteps') {
      tolerance.out = { float64: 0, float32: 0 };
    } else {
      const S = errorScale(this.fam.impl, this.g.op, inputs, this.g.betas);
      for (const k of Object.keys(out)) {
        tolerance[k] = { float64: TOLERANCE_FACTOR * U64 * S[k], float32: TOLERANCE_FACTOR * U32 * S[k] };
      }
    }
    const c: VectorCase = { id, flags: [...flags].sort(), inputs, result: 'valid', expected: encodeDeep(out) as Record<string, unknown>, tolerance };
    if (comment) c.comment = comment;
    this.push(c);
    return out;
  }

  /** An invalid case: the reference must reject it (else generation fails). */
  invalid(name: string, inputsIn: Record<string, unknown>, reason: string, flags: string[] = ['INPUT_VALIDATION']): void {
    const inputs = encodeDeep(inputsIn) as Record<string, unknown>;
    const id = this.id(name);
    let accepted = false;
    try {
      callOp(this.fam.impl, this.g.op, inputs, this.g.betas);
      accepted = true;
    } catch {
      /* rejected, as it must be */
    }
    if (accepted) throw new Error(`vector ${id}: the reference accepted an input meant to be invalid (${reason})`);
    this.push({ id, flags: [...flags].sort(), inputs, result: 'invalid', reason });
  }

  private push(c: VectorCase): void {
    for (const f of c.flags) this.fam.flagsUsed.add(f);
    // Keys in a fixed order for readability: id, comment, flags, inputs, result, expected, tolerance, reason.
    const ordered: VectorCase = { id: c.id } as VectorCase;
    if (c.comment) ordered.comment = c.comment;
    ordered.flags = c.flags;
    ordered.inputs = c.inputs;
    ordered.result = c.result;
    if (c.expected) ordered.expected = c.expected;
    if (c.tolerance) ordered.tolerance = c.tolerance;
    if (c.reason) ordered.reason = c.reason;
    this.g.tests.push(ordered);
  }
}

/**
 * JSON text: objects indented by two spaces, arrays of numbers/strings on one line. Deterministic
 * (insertion order of keys) and parsed by any JSON reader.
 */
export function stringifyVectors(v: unknown, indent = ''): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => x === null || typeof x !== 'object')) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => inner + stringifyVectors(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringifyVectors(x, inner)}`).join(',\n')}\n${indent}}`;
}

export type FamilyFn = (impl: DiffusionImpl) => FamilyBuilder;

