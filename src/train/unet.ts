/**
 * A small U-Net denoiser for TensorFlow.js (issue 5), sized for CPU/wasm training on MNIST.
 *
 * Architecture (defaults = the measured 32-64-64 model of shared/wasm-facts.md):
 *   time:  sinusoidal embedding (D5, dim `timeEmbedDim`) → dense → SiLU → dense (`timeHiddenDim`);
 *          with class conditioning, + onehot(y) · E, E ∈ R^{(K+1)×timeHiddenDim}, where row K is
 *          the null class ∅ of classifier-free guidance (Ho & Salimans 2022). One-hot × matrix,
 *          not gather: gather's gradient is missing on wasm.
 *   stem:  3×3 conv, inChannels → channels[0].
 *   down:  at level l (resolution imageSize/2^l) one residual block → channels[l]; every level
 *          but the last stores a skip and average-pools by 2.
 *   up:    for l = L-2..0: nearest 2× upsampling (reshape + broadcast), concat the level-l skip,
 *          one residual block → channels[l].
 *   head:  GroupNorm → SiLU → 3×3 conv → outChannels.
 *   block: h = conv3×3(SiLU(GN(x))); h += dense(SiLU(temb)) (per channel, every block);
 *          h = conv3×3(SiLU(GN(h))); out = h + (x, or a 1×1 conv of x when channel counts differ).
 *
 * No layer is zero-initialized (improved-diffusion zero-initializes the last conv of each block;
 * that makes every earlier layer of the block receive a zero gradient at step 0, which our
 * "every variable gets a nonzero gradient" test would flag as a dead layer).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { Rng } from '../reference/rng.js';
import {
  type ParamSet,
  type ParamSpec,
  avgPool2,
  conv2d,
  conv2dSpecs,
  dense,
  denseSpecs,
  groupNorm,
  groupNormSpecs,
  initParamValues,
  oneHotRows,
  shapeSize,
  silu,
  upsample2,
} from './nn.js';
import { timestepEmbedding } from '../gpu/embedding.js';

// The architecture config and its validation are plain data shared with the float64 reference U-Net
// (src/reference/layers/unet_reference.ts); they live beside it and are re-exported here.
export { type UNetConfig, DEFAULT_UNET_CONFIG, validateUNetConfig } from '../reference/layers/unet_config.js';
import { type UNetConfig, validateUNetConfig } from '../reference/layers/unet_config.js';

function blockSpecs(name: string, cin: number, cout: number, tdim: number): ParamSpec[] {
  const s: ParamSpec[] = [
    ...groupNormSpecs(`${name}.gn1`, cin),
    ...conv2dSpecs(`${name}.conv1`, 3, cin, cout),
    ...denseSpecs(`${name}.temb`, tdim, cout),
    ...groupNormSpecs(`${name}.gn2`, cout),
    ...conv2dSpecs(`${name}.conv2`, 3, cout, cout),
  ];
  if (cin !== cout) s.push(...conv2dSpecs(`${name}.skip`, 1, cin, cout));
  return s;
}

/** Every parameter of the U-Net, in a fixed order (the order of checkpoints and of initialization). */
export function unetParamSpecs(config: Partial<UNetConfig>): ParamSpec[] {
  const c = validateUNetConfig(config);
  const ch = c.channels;
  const L = ch.length;
  const specs: ParamSpec[] = [
    ...denseSpecs('time.dense1', c.timeEmbedDim, c.timeHiddenDim),
    ...denseSpecs('time.dense2', c.timeHiddenDim, c.timeHiddenDim),
  ];
  if (c.numClasses > 0) {
    // Embedding rows ~ U(-1, 1): fan-in 1, as a one-hot input has exactly one active entry.
    specs.push({ name: 'class.embed', shape: [c.numClasses + 1, c.timeHiddenDim], init: 'fan-in-uniform', fanIn: 1 });
  }
  specs.push(...conv2dSpecs('stem', 3, c.inChannels, ch[0]));
  let cur = ch[0];
  for (let l = 0; l < L; l++) {
    specs.push(...blockSpecs(`down${l}`, cur, ch[l], c.timeHiddenDim));
    cur = ch[l];
  }
  for (let l = L - 2; l >= 0; l--) {
    specs.push(...blockSpecs(`up${l}`, cur + ch[l], ch[l], c.timeHiddenDim));
    cur = ch[l];
  }
  specs.push(...groupNormSpecs('head.gn', cur), ...conv2dSpecs('head.conv', 3, cur, c.outChannels));
  return specs;
}

export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((a, s) => a + shapeSize(s.shape), 0);
}

function resBlock(p: ParamSet, name: string, x: tf.Tensor4D, temb: tf.Tensor2D, groups: number): tf.Tensor4D {
  let h = conv2d(p, `${name}.conv1`, silu(groupNorm(p, `${name}.gn1`, x, groups)));
  const e = dense(p, `${name}.temb`, silu(temb));
  h = tf.add(h, tf.reshape(e, [e.shape[0], 1, 1, e.shape[1]]));
  h = conv2d(p, `${name}.conv2`, silu(groupNorm(p, `${name}.gn2`, h, groups)));
  const skip = p[`${name}.skip.w`] ? conv2d(p, `${name}.skip`, x) : x;
  return tf.add(skip, h);
}

/**
 * The U-Net forward pass on a parameter set.
 *
 * @param x      images, NHWC [N, imageSize, imageSize, inChannels]
 * @param t      N timesteps (the catalog's 1-based t; any real value is accepted by the embedding)
 * @param labels N class labels in {0..K} (K = the null class) when numClasses > 0; else omitted
 * @returns      [N, imageSize, imageSize, outChannels]
 */
export function unetApply(config: UNetConfig, p: ParamSet, x: tf.Tensor4D, t: ArrayLike<number>, labels?: ArrayLike<number> | null): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  if (h !== config.imageSize || w !== config.imageSize || cin !== config.inChannels) {
    throw new DiffusionInputError('x.shape', x.shape, `shape mismatch: expected [N, ${config.imageSize}, ${config.imageSize}, ${config.inChannels}]`);
  }
  if (t.length !== n) throw new DiffusionInputError('t', `length ${t.length}`, `shape mismatch: batch has ${n} images`);
  for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i])) throw new DiffusionInputError(`t[${i}]`, t[i], 'must be finite');
  return tf.tidy(() => {
    let temb = dense(p, 'time.dense2', silu(dense(p, 'time.dense1', timestepEmbedding(t, config.timeEmbedDim))));
    if (config.numClasses > 0) {
      if (!labels) throw new DiffusionInputError('labels', labels, `required: the model is class-conditional (${config.numClasses} classes + null ${config.numClasses})`);
      if (labels.length !== n) throw new DiffusionInputError('labels', `length ${labels.length}`, `shape mismatch: batch has ${n} images`);
      temb = tf.add(temb, tf.matMul(oneHotRows(labels, config.numClasses + 1), p['class.embed'] as tf.Tensor2D));
    } else if (labels) {
      throw new DiffusionInputError('labels', labels, 'the model is unconditional (numClasses = 0)');
    }
    const L = config.channels.length;
    let hcur = conv2d(p, 'stem', x);
    const skips: tf.Tensor4D[] = [];
    for (let l = 0; l < L; l++) {
      hcur = resBlock(p, `down${l}`, hcur, temb, config.groups);
      if (l < L - 1) {
        skips.push(hcur);
        hcur = avgPool2(hcur);
      }
    }
    for (let l = L - 2; l >= 0; l--) {
      hcur = tf.concat([upsample2(hcur), skips[l]], 3);
      hcur = resBlock(p, `up${l}`, hcur, temb, config.groups);
    }
    return conv2d(p, 'head.conv', silu(groupNorm(p, 'head.gn', hcur, config.groups)));
  });
}

/** A U-Net with its trainable variables. */
export class UNet {
  readonly config: UNetConfig;
  readonly specs: ParamSpec[];
  readonly vars: Record<string, tf.Variable>;
  constructor(config: Partial<UNetConfig>, init: { seed: number } | { values: Map<string, Float32Array> }) {
    this.config = validateUNetConfig(config);
    this.specs = unetParamSpecs(this.config);
    const values = 'seed' in init ? initParamValues(this.specs, new Rng(init.seed)) : init.values;
    this.vars = {};
    for (const s of this.specs) {
      const v = values.get(s.name);
      if (!v) throw new DiffusionInputError('values', s.name, 'missing parameter');
      if (v.length !== shapeSize(s.shape)) throw new DiffusionInputError(`values.${s.name}`, `length ${v.length}`, `shape mismatch: expected ${JSON.stringify(s.shape)}`);
      // unnamed (tfjs variable names are global); tidy disposes the initial tensor
      this.vars[s.name] = tf.tidy(() => tf.variable(tf.tensor(v, s.shape, 'float32'), true));
    }
  }
  get numParams(): number {
    return countParams(this.specs);
  }
  /** The variables in spec order. */
  varList(): tf.Variable[] {
    return this.specs.map((s) => this.vars[s.name]);
  }
  apply(x: tf.Tensor4D, t: ArrayLike<number>, labels?: ArrayLike<number> | null, params?: ParamSet): tf.Tensor4D {
    return unetApply(this.config, params ?? this.vars, x, t, labels);
  }
  /** Current values, copied to JS (spec order). */
  values(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const s of this.specs) m.set(s.name, (this.vars[s.name].dataSync() as Float32Array).slice());
    return m;
  }
  dispose(): void {
    for (const v of Object.values(this.vars)) v.dispose();
  }
}
