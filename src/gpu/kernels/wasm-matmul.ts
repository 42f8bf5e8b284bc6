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

/** Wraps an original (Batch|_Fused)MatMul kernel function so transposed operands take the fast path. */
export function untransposedMatMul(original: tf.KernelFunc): (args: KernelArgs) => tf.TensorInfo {
  return (args: KernelArgs) => {
    const attrs = args.attrs ?? {};
    const tA = !!attrs.transposeA;
    const tB = !!attrs.transposeB;
    if (!tA && !tB) return callKernel(original, args.backend, args.inputs, attrs);
    const t = new Temporaries(args.backend);
    try {
      const inputs: tf.NamedTensorInfoMap = { ...args.inputs };
      if (tA) inputs.a = swapLastTwo(args.backend, t, input(args, 'a'));
      if (tB) inputs.b = swapLastTwo(args.backend, t, input(args, 'b'));
      return callKernel(original, args.backend, inputs, { ...attrs, transposeA: false, transposeB: false });
    } finally {
      t.dispose();
    }
  };
}
