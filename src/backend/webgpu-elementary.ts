/**
 * Accurate float32 elementary functions for tfjs's WebGPU backend, as WGSL kernels that replace
 * tfjs-backend-webgpu 4.22's Exp, Expm1, Log, Log1p and Sigmoid (registered kernel patches).
 *
 * Why (measured on SwiftShader, properties/kernels.webgpu.test.ts): tfjs computes expm1 as
 * `exp(a) - 1.0` and log1p as `log(1.0 + a)` (relative error 1 near 0), and WGSL's builtin exp/log
 * are only as accurate as the WGSL spec demands (exp: 3 + 2|x| ulp; log: absolute 2^-21 on
 * [0.5, 2]): measured exp 16 u at x = −15, log 13 u, log near 1 ~6·10^6 u relative, sigmoid 15 u.
 * The project's bounds assume each elementary function within C_FN = 4 units (bounds.ts), and the
 * schedules need expm1 and log near 1 (1 − ᾱ_t = −expm1(log ᾱ_t), log α_t = log1p(−β_t)).
 *
 * The kernels use only +, −, ×, ÷ (correctly rounded in WGSL's f32), ldexp and frexp (exact):
 * - exp(x) = 2^k·(1 + p(r)), k = round(x/ln 2), r = x − k·ln2_hi − k·ln2_lo (Cody–Waite, the first
 *   product exact), |r| ≤ ln2/2, p(r) = e^r − 1 by Taylor to r^9 (truncation < 10^-9 relative).
 * - expm1(x) = p(x) for |x| ≤ ln2/2 (no cancellation); else 2^k·p(r) + (2^k − 1) (exact 2^k − 1).
 * - log(x) = k·ln2_hi + (log(1+f) + k·ln2_lo), x = 2^k·(1+f), 1+f ∈ [√½, √2), with fdlibm's
 *   log(1+f) = f − (½f² − s·(½f² + R(s²))), s = f/(2+f).
 * - log1p(x) = the same series in f = x where 1 + x ∈ [√½, √2) (1 + x never formed), else log(1 + x).
 *   (The compensated log(w) + (x − (w − 1))/w is folded to log(w) by the shader compiler: measured.)
 * - sigmoid(x) = 1/(1 + exp(−x)) for x ≥ 0, e^x/(1 + e^x) for x < 0.
 */
import * as tf from '@tensorflow/tfjs';

export type ElementaryOp = 'exp' | 'expm1' | 'log' | 'log1p' | 'sigmoid';

/** tfjs kernel name of each op. */
export const ELEMENTARY_KERNELS: Record<ElementaryOp, string> = {
  exp: 'Exp',
  expm1: 'Expm1',
  log: 'Log',
  log1p: 'Log1p',
  sigmoid: 'Sigmoid',
};

const WGSL_LIB = /* wgsl */ `
  const ORACLE_LN2_HI : f32 = 0.693145751953125;
  const ORACLE_LN2_LO : f32 = 1.4286068203094172e-6;
  const ORACLE_INV_LN2 : f32 = 1.4426950408889634;

  // ±inf and NaN from bit patterns at run time (a const-expression may not be inf or NaN in WGSL).
  fn oracle_bits(bits : u32, x : f32) -> f32 {
    return bitcast<f32>(select(bits, bits, x == x));
  }

  // e^r - 1 for |r| <= ln2/2, Taylor series to r^9 in Horner form.
  fn oracle_em1_poly(r : f32) -> f32 {
    var q : f32 = 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    return r + (r * r) * q;
  }

  fn oracle_reduce(x : f32) -> vec2<f32> {
    let k = round(x * ORACLE_INV_LN2);
    let r = (x - k * ORACLE_LN2_HI) - k * ORACLE_LN2_LO;
    return vec2<f32>(k, r);
  }

  fn oracle_exp(x : f32) -> f32 {
    if (x != x) { return x; }
    if (x > 88.72283935546875) { return oracle_bits(0x7f800000u, x); }
    if (x < -103.97) { return 0.0; }
    let kr = oracle_reduce(x);
    let k = i32(kr.x);
    let y = 1.0 + oracle_em1_poly(kr.y);
    if (k > 126) { return ldexp(ldexp(y, k - 2), 2); }
    if (k < -125) { return ldexp(ldexp(y, k + 60), -60); }
    return ldexp(y, k);
  }

  fn oracle_expm1(x : f32) -> f32 {
    if (x != x) { return x; }
    if (abs(x) <= 0.34657359) { return oracle_em1_poly(x); }
    if (x > 88.72283935546875) { return oracle_bits(0x7f800000u, x); }
    if (x < -18.0) { return -1.0; }
    let kr = oracle_reduce(x);
    let k = i32(kr.x);
    let p = oracle_em1_poly(kr.y);
    if (k > 24) { return ldexp(1.0 + p, k) - 1.0; }
    return ldexp(p, k) + (ldexp(1.0, k) - 1.0);
  }

  // log(1 + f) for 1 + f in [sqrt(1/2), sqrt(2)), f exact.
  fn oracle_log1pf_reduced(f : f32) -> f32 {
    let s = f / (2.0 + f);
    let z = s * s;
    let R = z * (0.6666666666666666 + z * (0.4 + z * (0.2857142857142857 + z * (0.2222222222222222 + z * 0.18181818181818182))));
    let hfsq = 0.5 * f * f;
    return f - (hfsq - s * (hfsq + R));
  }

  fn oracle_log(x : f32) -> f32 {
    if (x != x || x < 0.0) { return oracle_bits(0x7fc00000u, x); }
    if (x == 0.0) { return oracle_bits(0xff800000u, x); }
    if (x == oracle_bits(0x7f800000u, x)) { return x; }
    let fe = frexp(x);
    var m = fe.fract;
    var k = fe.exp;
    if (m < 0.70710678) { m = m * 2.0; k = k - 1; }
    let f = m - 1.0;
    let kf = f32(k);
    return kf * ORACLE_LN2_HI + (oracle_log1pf_reduced(f) + kf * ORACLE_LN2_LO);
  }

  fn oracle_log1p(x : f32) -> f32 {
    if (x != x || x < -1.0) { return oracle_bits(0x7fc00000u, x); }
    if (x == -1.0) { return oracle_bits(0xff800000u, x); }
    // 1 + x in [sqrt(1/2), sqrt(2)): the series in f = x itself (1 + x is never rounded).
    if (x >= -0.29289321 && x < 0.41421356) { return oracle_log1pf_reduced(x); }
    // Elsewhere |log1p(x)| > 0.34, so rounding 1 + x costs at most ~3 u relative. (A compensated
    // log(w) + (x - (w - 1))/w is folded to log(w) by shader compilers: measured on SwiftShader.)
    return oracle_log(1.0 + x);
  }

  fn oracle_sigmoid(x : f32) -> f32 {
    if (x != x) { return x; }
    if (x >= 0.0) { return 1.0 / (1.0 + oracle_exp(-x)); }
    let e = oracle_exp(x);
    return e / (1.0 + e);
  }
`;

interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

interface WebgpuBackendLike {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

/** A flat elementwise WGSL program in tfjs-backend-webgpu 4.22's program format. */
class ElementaryProgram {
  variableNames = ['A'];
  size = true;
  workgroupSize: [number, number, number] = [64, 1, 1];
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  constructor(
    util: WebgpuUtil,
    shape: number[],
    private readonly op: ElementaryOp,
  ) {
    this.outputShape = shape;
    this.dispatchLayout = util.flatDispatchLayout(shape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    this.shaderKey = `diffusion_oracle_${op}`;
  }
  getUserCode(): string {
    return `${WGSL_LIB}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let a = getAByOutputIndex(index);
          setOutputAtIndex(index, oracle_${this.op}(a));
        }
      }`;
  }
}

/** The kernel function of one accurate elementary op on the webgpu backend. */
export function elementaryKernel(util: WebgpuUtil, op: ElementaryOp): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') throw new Error(`webgpu ${ELEMENTARY_KERNELS[op]} patch: float32 input expected, got ${x.dtype}`);
    return (backend as unknown as WebgpuBackendLike).runWebGPUProgram(new ElementaryProgram(util, [...x.shape], op), [x], 'float32');
  };
}
