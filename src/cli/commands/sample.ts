/**
 * `sample`: draw images from trained U-Net weights (a run directory, a checkpoint or a golden export,
 * loaded by the one adapter src/train/adapter.ts) with any sampler of
 * the tensor registry (src/gpu/samplers.ts) that applies to a discrete VP schedule, and write them
 * as a PNG grid (src/io/png.ts).
 *
 * The U-Net is a model of its training objective (ε̂, x̂_0 or v̂: `config.objective`) on the discrete
 * VP process of its schedule (reference discreteVpProcess, continuous time t ∈ [0, T] with the
 * 1-based t at integers), fed the same 1-based t as in training. DDPM/DDIM run on the integer grid
 * ddimTimesteps(T, steps, spacing) + 0; the continuous-time samplers (PF-ODE, reverse SDEs,
 * predictor-corrector, DPM-Solver) run from t = T to t = 1 with `steps` steps and finish with
 * x̂_0(x_1, 1) (the "noise removal" step of Song et al. 2021). Classifier-free guidance combines the
 * conditional and the null-class outputs: ε̃ = (1 + w) ε̂(x, y) - w ε̂(x, ∅) (E9).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';

import { CLI_SAMPLERS, CLI_SAMPLER_DESCRIPTORS, INTEGER_SPACINGS, SAMPLER_FLAGS, TIME_SPACINGS, samplerOptionsFromFlags, samplerSpacing } from '../sampler_flags.js';
import { SIGMA_SCHEDULES } from '../../reference/samplers.js';

/** The σ-space samplers (grid kind 'sigma': k-diffusion names). */
const SIGMA_SAMPLERS = CLI_SAMPLER_DESCRIPTORS.filter((d) => d.grid === 'sigma').map((d) => d.name);

/** Samplers that apply to the discrete VP process of a trained U-Net (read from the sampler descriptors). */
export { CLI_SAMPLERS };

class Interrupted extends Error {}

/** The weights folder named by --checkpoint: a checkpoint, a golden U-Net export, or a run directory (its `latest`). */
async function resolveCheckpoint(dir: string): Promise<string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--checkpoint ${dir}: no such directory`);
  const { resolveWeightsFolder } = await import('../../train/adapter.js');
  const { DiffusionInputError } = await import('../../reference/errors.js');
  try {
    return resolveWeightsFolder(dir).dir;
  } catch (e) {
    if (e instanceof DiffusionInputError) throw new UsageError(`--checkpoint ${dir}: neither a checkpoint (no manifest.json) nor a golden U-Net export (no model.json) nor a run directory (no 'latest' file)`);
    throw e;
  }
}

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'Draw images from a U-Net checkpoint with a named sampler into a PNG grid',
  description: `Loads U-Net weights: a run directory written by 'train' (its latest checkpoint is used), one
    checkpoint directory, or a golden U-Net export (model.json + ema.bin, e.g. golden/unet); rebuilds the U-Net and samples on the discrete VP process of its noise schedule with
    the tensor tier's samplers (src/gpu/samplers.ts; the same samplers as the float64 reference).

    ddim and ddpm step along ddimTimesteps(T, steps, spacing) followed by 0 (spacing leading, trailing or
    linspace; ddpm on a strided grid is the respaced chain of Nichol & Dhariwal). The σ-space samplers
    (k-diffusion's names: euler, heun, dpm_2, lms, dpmpp_2m, … ; docs/samplers.md) run on a σ grid from the
    model's σ_T to σ_1 (--sigmas karras|exponential|polyexponential|vp|discrete), then σ = 0, starting from
    σ_T·z in σ-space (x/α). The other samplers integrate from t = T to t = 1 on a grid uniform in time or
    in log-SNR (spacing time or logsnr) and end with x̂_0.

    A class-conditional model samples class --class (or classes i mod K when omitted); --guidance w applies
    classifier-free guidance. The initial noise and every random draw come from --seed.`,
  options: [
    { name: 'checkpoint', short: 'c', type: 'string', required: true, valueName: 'DIR', description: 'Run directory (uses its latest checkpoint), checkpoint directory or golden U-Net export (e.g. golden/unet)' },
    { name: 'sampler', short: 's', type: 'string', choices: CLI_SAMPLERS, default: 'ddim', description: 'Sampler (docs/samplers.md)' },
    { name: 'steps', type: 'int', min: 1, max: 100_000, default: 50, description: 'Number of sampler steps' },
    { name: 'n', type: 'int', min: 1, max: 4096, default: 64, description: 'Number of images' },
    ...SAMPLER_FLAGS.map((f) => f.flag),
    { name: 'sigmas', type: 'string', choices: SIGMA_SCHEDULES, description: `σ schedule of the σ-space samplers (${SIGMA_SAMPLERS.join(', ')}): karras (ρ = --rho, default 7), exponential, polyexponential (ρ = --rho, default 1), vp (continuous VP σ's), discrete (the model's own σ_t, --spacing linspace|leading|trailing); σ from the model's σ_T down to σ_1, then 0 (default karras)` },
    { name: 'rho', type: 'number', description: 'ρ of --sigmas karras (default 7) or polyexponential (default 1)' },
    { name: 'spacing', type: 'string', choices: [...INTEGER_SPACINGS, ...TIME_SPACINGS], description: `Grid spacing: ${INTEGER_SPACINGS.join('|')} (integer-grid samplers: ddim, ddpm; default leading) or ${TIME_SPACINGS.join('|')} (others; default logsnr for dpm-solver, else time)` },
    { name: 'guidance', short: 'w', type: 'number', min: -1, description: 'Classifier-free guidance weight w (class-conditional models)' },
    { name: 'class', type: 'int', min: 0, description: 'Class label to sample (class-conditional models)' },
    { name: 'seed', type: 'int', default: 0, description: 'Seed of the noise' },
    { name: 'png', type: 'string', required: true, valueName: 'FILE', description: 'Output PNG grid' },
    { name: 'ema', type: 'boolean', description: 'Use the EMA weights (the default; every weights folder has them)' },
    { name: 'raw', type: 'boolean', description: 'Use the raw (non-EMA) weights of a training checkpoint instead' },
    { name: 'cols', type: 'int', min: 1, description: 'Images per row (default ⌈√n⌉)' },
    { name: 'scale', type: 'int', min: 1, max: 16, default: 2, description: 'Pixel magnification of the grid' },
  ],
  examples: [
    'sample --checkpoint runs/mnist --sampler ddim --steps 50 --n 64 --seed 1 --png grid.png --ema',
    'sample -c runs/mnist --sampler ddpm --steps 1000 --variance beta --png ddpm.png',
    'sample -c runs/mnist-cond --sampler dpm-solver++2m --steps 20 --guidance 3 --class 7 --png sevens.png',
    'sample -c golden/unet --sampler dpmpp_2m --sigmas karras --steps 20 --png x.png',
  ],
  async run(args, ctx) {
    const sampler = args.require<string>('sampler');
    const steps = args.require<number>('steps');
    const n = args.require<number>('n');
    const seed = args.require<number>('seed');
    const png = resolve(ctx.cwd, args.require<string>('png'));
    const samplerOptions = samplerOptionsFromFlags(sampler, (f) => (!args.given.has(f.name) ? undefined : f.type === 'boolean' ? args.boolean(f.name) : f.type === 'string' ? args.string(f.name) : args.number(f.name)));
    const { spacing, integer: ancestral } = samplerSpacing(sampler, args.string('spacing'));
    const sigmaSpace = SIGMA_SAMPLERS.includes(sampler);
    const sigmasName = args.string('sigmas');
    if (!sigmaSpace && (sigmasName !== undefined || args.given.has('rho'))) throw new UsageError(`--${sigmasName !== undefined ? 'sigmas' : 'rho'} applies to the σ-space samplers only (${SIGMA_SAMPLERS.join(', ')})`);
    if (sigmaSpace && args.given.has('spacing') && (sigmasName ?? 'karras') !== 'discrete') throw new UsageError('--spacing applies to --sigmas discrete only');
    const ckDir = await resolveCheckpoint(resolve(ctx.cwd, args.require<string>('checkpoint')));

    const tf = await import('@tensorflow/tfjs');
    const { selectBackend } = await import('../../backend/backend.js');
    const { loadUnet, unetTensorModel } = await import('../../train/adapter.js');
    const { DataFileError } = await import('../../data/idx.js');
    const { modelX0 } = await import('../../gpu/model.js');
    const { getTensorSampler } = await import('../../gpu/samplers.js');
    const { flushDeferredChecks } = await import('../../gpu/deferred.js');
    const { ancestralTimeGrid } = await import('../../reference/ancestral.js');
    const { makeTimeGrid } = await import('../../reference/model.js');
    const { Rng } = await import('../../reference/rng.js');
    const { writeImageGrid } = await import('../../io/png.js');

    const backend = await selectBackend({ env: { ...ctx.env }, log: (line) => ctx.stderr.write(`${line}\n`) });
    if (args.boolean('ema') && args.boolean('raw')) throw new UsageError('--ema and --raw exclude each other');
    const which = args.boolean('raw') ? 'raw' : 'ema';
    let g;
    try {
      g = loadUnet(ckDir, { weights: which });
    } catch (e) {
      if (e instanceof Error && e.name === 'CheckpointError') throw new DataFileError((e as Error & { file: string }).file, e.message.replace(/^checkpoint file \S+: /, ''));
      if (e instanceof Error && e.name === 'DiffusionInputError' && which === 'raw') throw new UsageError(`--raw: ${e.message}`);
      throw e;
    }
    const { config, unet: u, process } = g;
    const K = u.numClasses;
    if (u.inChannels !== 1 && u.inChannels !== 3) throw new UsageError(`the checkpoint's images have ${u.inChannels} channels; a PNG grid needs 1 or 3`);
    const guidance = args.number('guidance');
    const cls = args.number('class');
    if (K === 0 && (guidance !== undefined || cls !== undefined)) throw new UsageError(`--${guidance !== undefined ? 'guidance' : 'class'} needs a class-conditional model; ${ckDir} is unconditional`);
    if (cls !== undefined && cls >= K) throw new UsageError(`--class ${cls} is out of range: the model has classes 0..${K - 1}`);
    const T = config.schedule.T;
    if (ancestral && steps > T) throw new UsageError(`--steps ${steps} exceeds the model's T = ${T} for --sampler ${sampler}`);

    const [H, W, C] = [u.imageSize, u.imageSize, u.inChannels];
    const D = H * W * C;
    const labels = K > 0 ? Array.from({ length: n }, (_, i) => cls ?? i % K) : null;
    const model = unetTensorModel(g, { labels, guidance });

    let grid: number[];
    if (sigmaSpace) {
      const S = await import('../../reference/sigma.js');
      const table = S.discreteSigmas(process.betas!);
      const [lo, hi] = [table[0], table[table.length - 1]];
      const name = sigmasName ?? 'karras';
      const rho = args.number('rho');
      try {
        grid = Array.from(
          name === 'karras' ? S.karrasSigmas(steps, lo, hi, rho ?? 7)
          : name === 'exponential' ? S.exponentialSigmas(steps, lo, hi)
          : name === 'polyexponential' ? S.polyexponentialSigmas(steps, lo, hi, rho ?? 1)
          : name === 'vp' ? S.vpSigmas(steps)
          : S.discreteScheduleSigmas(table, steps, { spacing: spacing as 'linspace', stepsOffset: spacing === 'leading' ? 1 : 0 }),
        );
      } catch (e) {
        if (e instanceof Error && e.name === 'DiffusionInputError') throw new UsageError(`--sigmas ${name} --steps ${steps}: ${e.message}`);
        throw e;
      }
      if (grid[0] > hi * (1 + 1e-12)) throw new UsageError(`--sigmas ${name}: σ_0 = ${grid[0]} exceeds the model's σ_T = ${hi}`);
    } else grid = ancestral ? ancestralTimeGrid(T, steps, spacing as 'leading') : Array.from(makeTimeGrid(process, steps, { spacing: spacing as 'time' }));
    const total = grid.length - 1 + (ancestral || sigmaSpace ? 0 : 1);
    const rng = new Rng(seed);
    // σ-space samplers start from x̃ = σ_0·z (k-diffusion), the others from x_T = z.
    const x0 = tf.tensor2d(Float32Array.from(rng.normals(n * D), (v) => (sigmaSpace ? v * grid[0] : v)), [n, D]);
    const bar = ctx.progress({ total, label: `sample ${sampler}` });
    const started = performance.now();
    let out: import('@tensorflow/tfjs').Tensor2D | null = null;
    try {
      out = getTensorSampler(sampler)(model, x0, grid, {
        ...samplerOptions,
        rng,
        callback: (info) => {
          if (ctx.signal.aborted) throw new Interrupted();
          bar.update(info.i + 1, { t: Math.round(info.tNext * 100) / 100 });
        },
      });
      if (!ancestral && !sigmaSpace) {
        const xt = out;
        out = tf.tidy(() => modelX0(model, xt, grid[grid.length - 1]));
        xt.dispose();
        bar.update(total);
      }
      bar.done();
      // Deferred finiteness checks (webgpu: no synchronous reads), then one asynchronous read.
      await flushDeferredChecks();
      const pixels = (await out.data()) as Float32Array;
      const secs = (performance.now() - started) / 1000;
      const grid2 = writeImageGrid(png, pixels, { n, height: H, width: W, channels: C as 1 | 3, cols: args.number('cols'), scale: args.require<number>('scale') });
      let mean = 0;
      let outside = 0;
      for (const v of pixels) {
        mean += v;
        if (v < -1 || v > 1) outside++;
      }
      mean /= pixels.length;
      ctx.stdout.write(
        `wrote ${png} (${grid2.width}×${grid2.height}): ${n} images ${H}×${W}×${C}, ${sampler} ${grid.length - 1} steps` +
          `${sampler === 'ddim' ? ` η=${samplerOptions.eta}` : ''}${ancestral ? ` spacing=${spacing}` : sigmaSpace ? ` sigmas=${sigmasName ?? 'karras'} (σ ${grid[0].toPrecision(4)} → ${grid[grid.length - 2].toPrecision(4)} → 0)` : ` spacing=${spacing} + final x̂_0`}` +
          `${guidance !== undefined ? ` guidance w=${guidance}` : ''}${labels ? ` classes ${cls ?? `i mod ${K}`}` : ''}, ${which === 'ema' ? 'EMA' : 'raw'} weights of ${ckDir} (step ${g.step}), ` +
          `seed ${seed}, backend ${backend.name}, ${secs.toFixed(2)} s; pixel mean ${mean.toFixed(4)}, ${((100 * outside) / pixels.length).toFixed(2)}% outside [-1, 1] (clamped)\n`,
      );
      return 0;
    } catch (e) {
      if (e instanceof Interrupted) {
        ctx.note('sample: interrupted; no image written');
        return 130;
      }
      throw e;
    } finally {
      out?.dispose();
      x0.dispose();
      g.dispose();
    }
  },
};
