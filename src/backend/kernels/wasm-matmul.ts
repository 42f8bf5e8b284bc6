/**
 * Fast transposed matrix products for the wasm backend. tfjs-backend-wasm 4.22 runs `BatchMatMul`
 * and `_FusedMatMul` through XNNPACK only when neither operand is transposed; with transposeA or
 * transposeB it falls back to a scalar loop (0.6 / 2.1 GFLOP/s, shared/wasm-facts.md). Every
 * backward pass of a dense layer needs both flags (dA = dC·Bᵀ, dB = Aᵀ·dC). The patch materializes
 * the transposed operand with the wasm `Transpose` kernel (a copy, exact) and calls the original
 * kernel with both flags false; the products and their rounding are those of the fast path.
 */
import * as tf from '@tensorflow/tfjs';
import { Temporaries, callKernel, input, kernelFunc, type KernelArgs } from './util.js';

function swapLastTwo(backend: KernelArgs['backend'], t: Temporaries, x: tf.TensorInfo): tf.TensorInfo {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return t.keep(callKernel(kernelFunc('Transpose', 'wasm'), backend, { x }, { perm }));
}

/**
 * `_FusedMatMul` (matmul + bias + activation) of tfjs-backend-wasm 4.22 also adds the bias wrongly
 * whenever an operand is transposed or the batch size is > 1 (properties/kernels.test.ts shows it;
 * found there). With the transposes materialized only the batched case remains; for it the patch
 * runs the plain product, then the wasm `Add` (bias, broadcast over rows) and activation kernels.
 */
function activate(backend: KernelArgs['backend'], t: Temporaries, y: tf.TensorInfo, attrs: tf.NamedAttrMap, prelu?: tf.TensorInfo): tf.TensorInfo {
  const act = (attrs.activation as string | undefined) ?? 'linear';
  if (act === 'linear') return y;
  t.keep(y);
  const simple: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid' };
  if (simple[act]) return callKernel(kernelFunc(simple[act], 'wasm'), backend, { x: y });
  if (act === 'leakyrelu') return callKernel(kernelFunc('LeakyRelu', 'wasm'), backend, { x: y }, { alpha: attrs.leakyreluAlpha as number });
  if (act === 'prelu' && prelu) return callKernel(kernelFunc('Prelu', 'wasm'), backend, { x: y, alpha: prelu });
  throw new Error(`wasm _FusedMatMul patch: activation '${act}' is not supported`);
}

function batchSize(x: tf.TensorInfo): number {
  return x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

/** Wraps an original (Batch|_Fused)MatMul kernel function so transposed operands take the fast path. */
export function untransposedMatMul(original: tf.KernelFunc): (args: KernelArgs) => tf.TensorInfo {
  return (args: KernelArgs) => {
    const attrs = args.attrs ?? {};
    const tA = !!attrs.transposeA;
    const tB = !!attrs.transposeB;
    const batchedBias = !!args.inputs.bias && Math.max(batchSize(input(args, 'a')), batchSize(input(args, 'b'))) > 1;
    if (!tA && !tB && !batchedBias) return callKernel(original, args.backend, args.inputs, attrs);
    const t = new Temporaries(args.backend);
    try {
      const inputs: tf.NamedTensorInfoMap = { ...args.inputs };
      if (tA) inputs.a = swapLastTwo(args.backend, t, input(args, 'a'));
      if (tB) inputs.b = swapLastTwo(args.backend, t, input(args, 'b'));
      const plain = { ...attrs, transposeA: false, transposeB: false };
      if (inputs.bias && Math.max(batchSize(input(args, 'a')), batchSize(input(args, 'b'))) > 1) {
        const y = t.keep(callKernel(kernelFunc('BatchMatMul', 'wasm'), args.backend, { a: inputs.a!, b: inputs.b! }, plain));
        const z = callKernel(kernelFunc('Add', 'wasm'), args.backend, { a: y, b: inputs.bias });
        return activate(args.backend, t, z, attrs, inputs.preluActivationWeights);
      }
      return callKernel(original, args.backend, inputs, plain);
    } finally {
      t.dispose();
    }
  };
}
