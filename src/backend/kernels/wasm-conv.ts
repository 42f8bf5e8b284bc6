/**
 * Fast convolution gradients for the wasm backend, expressed as forward convolutions so that they
 * run on XNNPACK's Conv2D (the only fast convolution wasm has).
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` at all (training any convolution throws),
 * and its `Conv2DBackpropInput` is a scalar loop at 2-3 GFLOP/s (shared/wasm-facts.md). With
 * x: [N, H, W, Ci], w: [KH, KW, Ci, Co], dy: [N, Ho, Wo, Co], stride s and padding (top pt, left pl):
 *
 * Filter gradient. ∂L/∂w[a, b, c, o] = Σ_{n,i,j} x[n, i·s − pt + a, j·s − pl + b, c] · dy[n, i, j, o].
 *   Read c as the batch, n as the input channel and (i, j) as filter taps: this is Conv2D of
 *   X' = xᵀ [Ci, H, W, N] with the "filter" F' = dyᵀ [Ho, Wo, N, Co], stride 1, dilation s,
 *   padding (pt, pb') with pb' = KH + (Ho − 1)·s − H − pt chosen so the output has KH rows
 *   (when pb' < 0 the unused bottom rows of x are sliced off first); the result [Ci, KH, KW, Co] is
 *   transposed to [KH, KW, Ci, Co].
 *
 * Input gradient. ∂L/∂x[n, h, w, c] = Σ dy[n, i, j, o] · w[a, b, c, o] over i·s − pt + a = h.
 *   Insert s − 1 zeros between the rows/columns of dy (a "zero-dilated" dy_d with row i at i·s);
 *   then ∂L/∂x = Conv2D(dy_d, w'), stride 1, with w' = w flipped in a and b and with in/out
 *   channels swapped ([KH, KW, Co, Ci]), padding top KH − 1 − pt (and whatever bottom padding
 *   gives H rows; negative paddings become slices). For s = 1 no zeros are inserted.
 *
 * Both are exact rearrangements of the same sums (no algebraic shortcut), so the float32 error
 * bound of each output is that of a length-K dot product; see src/conformance/bounds/kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Temporaries, callKernel, input, kernelFunc, type KernelArgs } from './util.js';

type Shape4 = [number, number, number, number];

function conv2dInfo(xShape: Shape4, filterShape: Shape4, attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') throw new Error(`wasm conv2d gradient patch: only NHWC is supported (got dataFormat '${dataFormat}')`);
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
    false,
    'channelsLast',
  );
}

/** Forward Conv2D on the wasm backend with explicit (possibly negative → sliced) paddings. */
function convExplicit(
  backend: KernelArgs['backend'],
  t: Temporaries,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
): tf.TensorInfo {
  let xx = x;
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -pads.top);
  const cropLeft = Math.max(0, -pads.left);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropRight = Math.max(0, -pads.right);
  if (cropTop + cropLeft + cropBottom + cropRight > 0) {
    xx = t.keep(
      callKernel(kernelFunc('Slice', 'wasm'), backend, { x }, { begin: [0, cropTop, cropLeft, 0], size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c] }),
    );
  }
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, pads.top), Math.max(0, pads.bottom)],
    [Math.max(0, pads.left), Math.max(0, pads.right)],
    [0, 0],
  ];
  return callKernel(kernelFunc('Conv2D', 'wasm'), backend, { x: xx, filter }, { strides: [1, 1], dilations, pad, dataFormat: 'NHWC' });
}

/** `Conv2DBackpropFilter` for wasm (inputs x, dy; attrs strides, pad, filterShape, …). */
export function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const attrs = args.attrs ?? {};
  const backend = args.backend;
  const info = conv2dInfo(x.shape as Shape4, attrs.filterShape as Shape4, attrs);
  const [, H, W] = x.shape;
  const { filterHeight: KH, filterWidth: KW, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const t = new Temporaries(backend);
  try {
    const xT = t.keep(callKernel(kernelFunc('Transpose', 'wasm'), backend, { x }, { perm: [3, 1, 2, 0] }));
    const dyT = t.keep(callKernel(kernelFunc('Transpose', 'wasm'), backend, { x: dy }, { perm: [1, 2, 0, 3] }));
    const pads = { top, left, bottom: KH + (Ho - 1) * sh - H - top, right: KW + (Wo - 1) * sw - W - left };
    const g = t.keep(convExplicit(backend, t, xT, dyT, pads, [sh, sw]));
    return callKernel(kernelFunc('Transpose', 'wasm'), backend, { x: g }, { perm: [1, 2, 0, 3] });
  } finally {
    t.dispose();
  }
}

/** `Conv2DBackpropInput` for wasm (inputs dy, filter; attrs strides, pad, inputShape, …). */
export function conv2DBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const attrs = args.attrs ?? {};
  const backend = args.backend;
  const inputShape = attrs.inputShape as Shape4;
  const info = conv2dInfo(inputShape, filter.shape as Shape4, attrs);
  const [N, H, W] = inputShape;
  const { filterHeight: KH, filterWidth: KW, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw, outChannels: Co } = info;
  const { top, left } = info.padInfo;
  const t = new Temporaries(backend);
  try {
    const flipped = t.keep(callKernel(kernelFunc('Reverse', 'wasm'), backend, { x: filter }, { dims: [0, 1] }));
    const wT = t.keep(callKernel(kernelFunc('Transpose', 'wasm'), backend, { x: flipped }, { perm: [0, 1, 3, 2] }));
    let d = dy;
    let Hd = Ho;
    let Wd = Wo;
    if (sh > 1 || sw > 1) {
      const r = t.keep(callKernel(kernelFunc('Reshape', 'wasm'), backend, { x: dy }, { shape: [N, Ho, 1, Wo, 1, Co] }));
      const p = t.keep(
        callKernel(kernelFunc('PadV2', 'wasm'), backend, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }),
      );
      Hd = Ho * sh;
      Wd = Wo * sw;
      d = t.keep(callKernel(kernelFunc('Reshape', 'wasm'), backend, { x: p }, { shape: [N, Hd, Wd, Co] }));
    }
    const pt = KH - 1 - top;
    const pl = KW - 1 - left;
    const pads = { top: pt, left: pl, bottom: H + KH - 1 - Hd - pt, right: W + KW - 1 - Wd - pl };
    return convExplicit(backend, t, d, wT, pads, [1, 1]);
  } finally {
    t.dispose();
  }
}

/**
 * Wraps the wasm `Conv2D` / `FusedConv2D` so that 'same' padding with a stride larger than the
 * filter (in either axis) is passed as the equivalent explicit padding. tfjs-backend-wasm 4.22
 * hands 'same' to XNNPACK as its TensorFlow-SAME flag, which XNNPACK rejects for stride > filter
 * size; the kernel then returns an unwritten (zero/garbage) output without an error. Found by
 * properties/kernels.test.ts (e.g. a 2×1 filter, stride 2, 'same' on a 7×6 image): in a grid of
 * 1,944 shapes, 474 of the 'stride > filter' ones were wrong and none of the others. Explicit
 * padding (the same numbers tfjs computes for 'same') gives the right result on all of them.
 */
export function explicitSamePadding(original: tf.KernelFunc): (args: KernelArgs) => tf.TensorInfo {
  return (args: KernelArgs) => {
    const attrs = args.attrs ?? {};
    if (attrs.pad !== 'same') return callKernel(original, args.backend, args.inputs, attrs);
    const x = input(args, 'x');
    const filter = input(args, 'filter');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filter.shape as Shape4,
      attrs.strides as [number, number],
      (attrs.dilations as [number, number] | undefined) ?? 1,
      'same',
      attrs.dimRoundingMode as 'floor' | undefined,
      false,
      'channelsLast',
    );
    if (info.strideHeight <= info.effectiveFilterHeight && info.strideWidth <= info.effectiveFilterWidth) {
      return callKernel(original, args.backend, args.inputs, attrs);
    }
    const { top, bottom, left, right } = info.padInfo;
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
    return callKernel(original, args.backend, args.inputs, { ...attrs, pad });
  };
}
