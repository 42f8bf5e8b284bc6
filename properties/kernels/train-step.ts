/**
 * The training-step check (properties/kernels/train-step.test.ts, and on webgpu in
 * kernels.webgpu.test.ts): a training step of a small U-Net-shaped conv net runs on every backend present (wasm with our
 * kernel patches; unpatched wasm cannot train a conv at all): convolutions (stride 1 'same', a
 * stride-2 'same' downsampling conv, which also exercises the Conv2D 'same' + stride > filter
 * patch on its 1×1 skip), group norm, SiLU, average pooling, nearest 2× upsampling, concatenated
 * skips, a sinusoidal time embedding through dense layers (plain and fused matmul), MSE loss, Adam.
 * Checks: loss finite; every variable receives a finite, nonzero gradient; the tensor count is
 * the same after every step (no leaks in the patches or the step); the loss goes down over the steps
 * on a fixed batch (the gradients point downhill).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/reference/rng.js';
import { groupNormTf, siluTf, upsample2Tf } from './composites.js';

function init(rng: Rng, shape: number[], fanIn: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) / Math.sqrt(fanIn));
  return tf.variable(tf.tensor(v, shape));
}

function makeParams(rng: Rng): Record<string, tf.Variable> {
  const C = 8;
  return {
    t1w: init(rng, [8, 16], 8),
    t1b: init(rng, [16], 8),
    t2w: init(rng, [16, C], 16),
    t2b: init(rng, [C], 16),
    c1w: init(rng, [3, 3, 1, C], 9),
    c1b: init(rng, [C], 9),
    g1: tf.variable(tf.ones([C])),
    b1: tf.variable(tf.zeros([C])),
    c2w: init(rng, [3, 3, C, C], 9 * C),
    c2b: init(rng, [C], 9 * C),
    downw: init(rng, [3, 3, C, C], 9 * C),
    skipw: init(rng, [1, 1, C, C], C),
    up1w: init(rng, [3, 3, 2 * C, C], 18 * C),
    g2: tf.variable(tf.ones([C])),
    b2: tf.variable(tf.zeros([C])),
    up2w: init(rng, [3, 3, 2 * C, C], 18 * C),
    outw: init(rng, [1, 1, C, 1], C),
    outb: init(rng, [1], C),
  };
}

function forward(p: Record<string, tf.Variable>, x: tf.Tensor4D, t: tf.Tensor2D): tf.Tensor4D {
  const half = 4;
  const freqs = tf.tensor2d(Float32Array.from({ length: half }, (_, k) => Math.exp((-Math.log(10000) * k) / (half - 1))), [1, half]);
  const args = tf.mul(t, freqs);
  const emb = tf.concat([tf.sin(args), tf.cos(args)], 1); // [B, 8]
  const e1 = siluTf(tf.add(tf.matMul(emb, p.t1w), p.t1b)); // plain matmul
  const e2 = tf.fused.matMul({ a: e1, b: p.t2w, bias: p.t2b }); // fused matmul with bias
  const temb = tf.reshape(e2, [-1, 1, 1, 8]);
  const c1 = tf.add(tf.add(tf.conv2d(x, p.c1w as tf.Tensor4D, 1, 'same'), p.c1b), temb) as tf.Tensor4D;
  const h1 = siluTf(groupNormTf(c1, p.g1, p.b1, 4, 1e-5)); // [B,8,8,C]
  const d1 = tf.avgPool(h1, 2, 2, 'valid'); // [B,4,4,C]
  const h2 = siluTf(tf.add(tf.conv2d(d1, p.c2w as tf.Tensor4D, 1, 'same'), p.c2b)) as tf.Tensor4D;
  const d2 = tf.add(tf.conv2d(h2, p.downw as tf.Tensor4D, 2, 'same'), tf.conv2d(h2, p.skipw as tf.Tensor4D, 2, 'same')) as tf.Tensor4D; // [B,2,2,C]
  const u1 = siluTf(groupNormTf(tf.conv2d(tf.concat([upsample2Tf(d2), h2], 3), p.up1w as tf.Tensor4D, 1, 'same'), p.g2, p.b2, 2, 1e-5)); // [B,4,4,C]
  const u2 = siluTf(tf.conv2d(tf.concat([upsample2Tf(u1), h1], 3), p.up2w as tf.Tensor4D, 1, 'same')); // [B,8,8,C]
  return tf.add(tf.conv2d(u2, p.outw as tf.Tensor4D, 1, 'same'), p.outb) as tf.Tensor4D;
}

/** Result of `runTrainSteps`: throws (naming the variable and backend) on any failed check. */
export interface TrainStepReport {
  losses: number[];
  counts: number[];
  variables: number;
}

/**
 * Runs `steps` Adam steps on a fixed batch of `batch` 8×8 images. Checks: loss finite; every
 * variable gets a finite, nonzero gradient; from the second step on (Adam creates its moment
 * variables on the first) the tensor count is constant; the loss goes down. Reads are
 * asynchronous (WebGPU has no synchronous read in Node).
 */
export async function runTrainSteps(backend: string, batch = 4, steps = 6): Promise<TrainStepReport> {
  const rng = new Rng(99);
  const p = makeParams(rng);
  const B = batch;
  const x = tf.tensor4d(Float32Array.from({ length: B * 64 }, () => rng.normal()), [B, 8, 8, 1]);
  const target = tf.tensor4d(Float32Array.from({ length: B * 64 }, () => rng.normal()), [B, 8, 8, 1]);
  const t = tf.tensor2d(Float32Array.from({ length: B }, () => 1 + Math.floor(rng.uniform() * 1000)), [B, 1]);
  const opt = tf.train.adam(1e-2);
  const counts: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(forward(p, x, t), target))) as tf.Scalar);
    const loss = (await value.data())[0];
    if (!Number.isFinite(loss)) throw new Error(`train step [${backend}]: loss ${loss} at step ${step}`);
    losses.push(loss);
    if (Object.keys(grads).length !== Object.keys(p).length) throw new Error(`train step [${backend}]: ${Object.keys(grads).length} gradients for ${Object.keys(p).length} variables`);
    for (const [name, g] of Object.entries(grads)) {
      const gv = await g.data();
      let norm = 0;
      for (const v of gv) {
        if (!Number.isFinite(v)) throw new Error(`variable ${name} got a non-finite gradient on ${backend}`);
        norm += v * v;
      }
      if (!(norm > 0)) throw new Error(`variable ${name} got a zero gradient on ${backend}`);
    }
    opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
    tf.dispose([value, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  tf.dispose([x, target, t, ...Object.values(p)]);
  opt.dispose();
  return { losses, counts, variables: Object.keys(p).length };
}
