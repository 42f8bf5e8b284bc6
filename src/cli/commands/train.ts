/**
 * `train`: train the U-Net denoiser (src/train/unet.ts) with the trainer of src/train/train.ts on MNIST
 * or on the synthetic Gaussian-mixture images, with crash-safe checkpoints (src/train/checkpoint.ts)
 * and exact resume.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { BACKEND_NAMES, type BackendName, selectBackend } from '../../backend/backend.js';
import { latestCheckpoint, loadCheckpointDir, loadLatestCheckpoint } from '../../train/checkpoint.js';
import { GradientWorkers } from '../../train/parallel.js';
import { OBJECTIVES, Trainer, type TrainConfig, type TrainerInit, WEIGHTINGS, runTraining, validateTrainConfig } from '../../train/train.js';
import { type TrainData, mixtureData, mnistData } from '../../train/train_data.js';
import { countParams, unetParamSpecs } from '../../train/unet.js';
import { SCHEDULE_NAMES, type ScheduleName } from '../../reference/schedules.js';

function parseChannels(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map(Number);
  if (parts.length === 0 || out.some((c) => !Number.isInteger(c) || c < 1)) throw new UsageError(`--channels must be a comma-separated list of positive integers (got ${JSON.stringify(s)})`);
  return out;
}

/** The training config described by the command line. */
export function configFromArgs(args: ParsedArgs): TrainConfig {
  const data = args.require<string>('data');
  const imageSize = data === 'mnist' ? 28 : args.require<number>('image-size');
  const classCond = args.boolean('class-cond');
  const numClasses = data === 'mnist' ? 10 : args.require<number>('mixture-k');
  return validateTrainConfig({
    unet: {
      imageSize,
      inChannels: 1,
      outChannels: 1,
      channels: parseChannels(args.require<string>('channels')),
      groups: args.require<number>('groups'),
      timeEmbedDim: args.require<number>('time-embed'),
      timeHiddenDim: args.require<number>('time-hidden'),
      numClasses: classCond ? numClasses : 0,
    },
    schedule: { name: args.require<string>('schedule') as ScheduleName, T: args.require<number>('T') },
    objective: args.require<string>('objective') as TrainConfig['objective'],
    weighting: args.require<string>('weighting') as TrainConfig['weighting'],
    minSnrGamma: args.require<number>('min-snr-gamma'),
    vlbVariance: args.require<string>('vlb-variance') as TrainConfig['vlbVariance'],
    sampler: args.require<string>('timesteps') as TrainConfig['sampler'],
    batchSize: args.require<number>('batch'),
    lr: args.require<number>('lr'),
    warmupSteps: args.require<number>('warmup'),
    clipNorm: args.require<number>('clip'),
    emaDecay: args.require<number>('ema'),
    classCond,
    labelDropout: args.require<number>('label-dropout'),
    seed: args.require<number>('seed'),
    evalSize: args.require<number>('eval-size'),
  });
}

/**
 * --init-from: the starting weights of a fine-tuning run and its config. The architecture and
 * class conditioning come from the source checkpoint (given explicitly, they must agree with it);
 * everything else (objective, weighting, timestep sampling, lr, ...) from the command line.
 */
export function fineTuneStart(args: ParsedArgs, cwd: string, config: TrainConfig): { config: TrainConfig; init: TrainerInit } {
  const from = args.require<string>('init-from');
  let ck = resolve(cwd, from);
  if (!existsSync(join(ck, 'manifest.json'))) ck = latestCheckpoint(ck) ?? ck;
  let loaded;
  try {
    loaded = loadCheckpointDir(ck);
  } catch (e) {
    throw new UsageError(`--init-from ${from}: ${(e as Error).message}`);
  }
  const src = loaded.state.config;
  const archFlags = ['channels', 'groups', 'time-embed', 'time-hidden', 'image-size', 'class-cond'];
  const differ = archFlags.filter((k) => args.given.has(k) && JSON.stringify(projection(config, k)) !== JSON.stringify(projection(src, k)));
  if (src.unet.imageSize !== config.unet.imageSize || src.unet.inChannels !== config.unet.inChannels) differ.push('data (image size)');
  if (differ.length) throw new UsageError(`--init-from ${from}: ${differ.join(', ')} differ from the source run's architecture; omit them to use the source's`);
  const next = validateTrainConfig({
    ...config,
    unet: src.unet,
    classCond: src.classCond,
    initFrom: { checkpoint: from, step: loaded.state.step, weightsSha256: loaded.sha256['weights.bin'], emaSha256: loaded.sha256['ema.bin'] },
  });
  return { config: next, init: { params: loaded.state.params, ema: loaded.state.ema, emaUpdates: loaded.state.emaUpdates } };
}

/** The data set named on the command line (MNIST or the mixture), for a given config. */
export function dataFromArgs(args: ParsedArgs, config: TrainConfig): TrainData {
  const data = args.require<string>('data');
  if (data === 'mnist') return mnistData({ batchSize: config.batchSize, seed: config.seed, limit: args.number('limit') });
  return mixtureData({ imageSize: config.unet.imageSize, batchSize: config.batchSize, seed: config.seed, K: args.require<number>('mixture-k'), nTrain: args.number('limit') });
}

/** Options that define the run: on --resume they must agree with the checkpoint (or be omitted). */
const RUN_DEFINING = ['channels', 'groups', 'time-embed', 'time-hidden', 'schedule', 'T', 'objective', 'weighting', 'min-snr-gamma', 'vlb-variance', 'timesteps', 'batch', 'lr', 'warmup', 'clip', 'ema', 'class-cond', 'label-dropout', 'seed', 'eval-size', 'image-size'];

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train the U-Net denoiser (MNIST or mixture images) with crash-safe checkpoints and exact resume',
  description: `Trains the tfjs U-Net of src/train/unet.ts (residual blocks, GroupNorm, SiLU, sinusoidal time
    embedding in every block, optional class embedding with a null class for classifier-free guidance)
    with Adam (warm-up, global-norm clipping) and EMA weights. Every random number comes from the
    seeded generator, so the same seed on the same backend gives the same loss curve.

    The run directory gets checkpoints (ckpt-<step>/ with model.json + weights.bin in tfjs format, EMA
    weights, Adam moments, RNG/data/sampler state and a manifest of SHA-256 checksums; 'latest' names
    the newest; the previous one is kept), loss.png, samples-<step>.png (DDIM, EMA weights) and
    timing.json. After a crash or kill, rerun with --resume: training continues from the latest
    checkpoint and reproduces the uninterrupted run exactly. --steps is the total step count.

    The backend is printed first (DIFFUSION_ORACLE_BACKEND or --backend forces one).`,
  options: [
    { name: 'data', type: 'string', choices: ['mnist', 'mixture'], default: 'mnist', description: 'Training data: MNIST (28×28) or synthetic Gaussian-mixture images' },
    { name: 'steps', type: 'int', min: 1, required: true, valueName: 'N', description: 'Total number of training steps (including steps already done when resuming)' },
    { name: 'out', short: 'o', type: 'string', required: true, valueName: 'DIR', description: 'Run directory for checkpoints, charts and samples' },
    { name: 'resume', type: 'boolean', description: 'Continue the run in --out from its latest checkpoint (a fresh run if there is none)' },
    { name: 'init-from', type: 'string', valueName: 'CKPT', description: "Fine-tune: start a new run from this checkpoint's (or run directory's latest) raw and EMA weights, with its architecture and class conditioning and this command's objective, weighting, lr, ... (Adam, data order and t sampler start fresh; --steps counts the new run's steps)" },
    { name: 'objective', type: 'string', choices: OBJECTIVES, default: 'eps', description: 'What the network predicts: ε, x_0 or v' },
    { name: 'weighting', type: 'string', choices: WEIGHTINGS, default: 'simple', description: 'Loss weighting over t (catalog F4)' },
    { name: 'min-snr-gamma', type: 'number', min: 1e-6, default: 5, description: 'γ of min-SNR-γ' },
    { name: 'vlb-variance', type: 'string', choices: ['posterior', 'beta'], default: 'posterior', description: 'Fixed reverse variance σ_t² of the vlb weighting' },
    { name: 'timesteps', type: 'string', choices: ['uniform', 'importance'], default: 'uniform', description: 'Timestep sampling: uniform or loss-aware importance sampling' },
    { name: 'batch', short: 'b', type: 'int', min: 1, max: 4096, default: 64, description: 'Batch size' },
    { name: 'lr', type: 'number', min: 1e-9, max: 1, default: 1e-3, description: 'Adam learning rate' },
    { name: 'warmup', type: 'int', min: 0, default: 100, description: 'Linear learning-rate warm-up steps' },
    { name: 'clip', type: 'number', min: 1e-9, default: 1, description: 'Clip the global gradient norm to this value' },
    { name: 'ema', type: 'number', min: 0, max: 0.999999, default: 0.999, description: 'EMA decay (with warm-up min(decay, (1+k)/(10+k)))' },
    { name: 'seed', short: 's', type: 'int', default: 0, description: 'Seed of every random number of the run' },
    { name: 'channels', type: 'string', default: '32,64,64', valueName: 'LIST', description: 'U-Net channels per level (resolution halves per level)' },
    { name: 'groups', type: 'int', min: 1, default: 8, description: 'GroupNorm groups' },
    { name: 'time-embed', type: 'int', min: 4, default: 64, description: 'Sinusoidal time-embedding size' },
    { name: 'time-hidden', type: 'int', min: 1, default: 256, description: 'Time-MLP width (added in every block)' },
    { name: 'class-cond', type: 'boolean', description: 'Class-conditional training (with a null class for classifier-free guidance)' },
    { name: 'label-dropout', type: 'number', min: 0, max: 0.99, default: 0.1, description: 'Probability of training on the null class instead of the label' },
    { name: 'schedule', type: 'string', choices: SCHEDULE_NAMES, default: 'linear', description: 'Noise schedule' },
    { name: 'T', type: 'int', min: 1, max: 100000, default: 1000, description: 'Number of diffusion steps' },
    { name: 'checkpoint-every', type: 'int', min: 1, default: 100, valueName: 'N', description: 'Checkpoint every N steps (and at the end)' },
    { name: 'eval-every', type: 'int', min: 0, default: 200, valueName: 'N', description: 'Held-out loss every N steps (0: only at the end)' },
    { name: 'eval-size', type: 'int', min: 1, default: 256, description: 'Held-out examples per evaluation' },
    { name: 'sample-every', type: 'int', min: -1, default: 0, valueName: 'N', description: 'Sample grid every N steps (0: only at the end; -1: never)' },
    { name: 'samples', type: 'int', min: 1, max: 1024, default: 64, description: 'Images per sample grid' },
    { name: 'sample-steps', type: 'int', min: 1, default: 50, description: 'DDIM steps of the sample grids' },
    { name: 'limit', type: 'int', min: 1, description: 'Use only the first N training images (MNIST) / N mixture images (default 4096)' },
    { name: 'image-size', type: 'int', min: 2, default: 28, description: 'Mixture images: height = width' },
    { name: 'mixture-k', type: 'int', min: 1, max: 255, default: 10, description: 'Mixture images: number of components (classes)' },
    { name: 'backend', type: 'string', choices: BACKEND_NAMES, description: 'Force a tfjs backend (default: automatic, see docs/backends.md)' },
    { name: 'workers', type: 'int', min: 1, max: 64, default: 1, valueName: 'N', description: 'Threads computing gradients (data parallel; N-1 worker threads + this one). Reproducible for a fixed N' },
  ],
  examples: [
    'train --data mnist --steps 1800 --out runs/mnist',
    'train --data mnist --steps 3600 --out runs/mnist --resume',
    'train --data mixture --image-size 8 --channels 8,16 --groups 4 --steps 300 --out runs/mix --backend cpu',
    'train --data mnist --steps 2000 --out runs/cfg --class-cond --objective v --weighting min-snr',
    'train --data mnist --steps 1000 --out runs/mnist-vlb --init-from runs/mnist --weighting vlb --timesteps importance --lr 2e-4',
  ],
  async run(args: ParsedArgs, ctx: CommandContext) {
    const out = resolve(ctx.cwd, args.require<string>('out'));
    const backend = await selectBackend({ backend: args.string('backend') as BackendName | undefined, env: ctx.env, log: (l) => ctx.note(l) });
    let config = configFromArgs(args);
    let trainer: Trainer;
    const existing = existsSync(out) ? latestCheckpoint(out) : null;
    if (existing && !args.boolean('resume')) {
      throw new UsageError(`${out} already holds a training run (${existing}); pass --resume to continue it or choose another --out`);
    }
    if (existing) {
      const { dir, state } = loadLatestCheckpoint(out);
      const conflicts = RUN_DEFINING.filter((k) => args.given.has(k)).filter((k) => {
        const mine = configFromArgs(args);
        return JSON.stringify(projection(mine, k)) !== JSON.stringify(projection(state.config, k));
      });
      if (args.given.has('init-from') && args.string('init-from') !== state.config.initFrom?.checkpoint) conflicts.push('init-from');
      if (conflicts.length) throw new UsageError(`--resume: ${conflicts.map((c) => `--${c}`).join(', ')} differ from the checkpoint's run (${dir}); omit them to continue that run`);
      config = state.config;
      if (args.require<number>('steps') < state.step) throw new UsageError(`--steps ${args.require<number>('steps')} is below the checkpoint's step ${state.step}`);
      trainer = new Trainer(config, dataFromArgs(args, config), state);
      ctx.note(`resuming ${out} from ${dir} (step ${state.step})`);
    } else {
      if (args.boolean('resume')) ctx.note(`--resume: no checkpoint in ${out}; starting a new run`);
      const from = args.string('init-from');
      if (from === undefined) trainer = new Trainer(config, dataFromArgs(args, config));
      else {
        const { config: c, init } = fineTuneStart(args, ctx.cwd, config);
        config = c;
        trainer = new Trainer(config, dataFromArgs(args, config), undefined, init);
        ctx.note(`fine-tuning from ${config.initFrom!.checkpoint} (step ${config.initFrom!.step}): its raw and EMA weights; fresh Adam, data order and timestep sampler`);
      }
    }
    const nParams = countParams(unetParamSpecs(config.unet));
    ctx.note(
      `train: ${trainer.data.name}, U-Net ${config.unet.channels.join('-')} at ${config.unet.imageSize}px (${nParams.toLocaleString('en-US')} parameters), ` +
        `${config.objective}/${config.weighting}, ${config.sampler} t, batch ${config.batchSize}, lr ${config.lr}, seed ${config.seed}, backend ${backend.name}`,
    );
    const steps = args.require<number>('steps');
    const threads = args.require<number>('workers');
    if (threads > config.batchSize) throw new UsageError(`--workers ${threads} exceeds the batch size ${config.batchSize}`);
    const workers = threads > 1 ? await GradientWorkers.start({ count: threads - 1, backend: backend.name, unet: config.unet }) : null;
    if (workers) ctx.note(`data parallel: ${threads} threads (${threads - 1} worker thread${threads > 2 ? 's' : ''} + main), batch split ${config.batchSize} = ${splitSizes(config.batchSize, threads).join(' + ')}`);
    const bar = ctx.progress({ total: steps, label: 'train', startStep: trainer.step });
    let summary;
    try {
      summary = await runTraining(trainer, {
        steps,
        outDir: out,
        checkpointEvery: args.require<number>('checkpoint-every'),
        evalEvery: args.require<number>('eval-every'),
        sampleEvery: args.require<number>('sample-every'),
        sampleCount: args.require<number>('samples'),
        sampleSteps: args.require<number>('sample-steps'),
        signal: ctx.signal,
        workers,
        onStep: (r, ms) => bar.update(r.step, { loss: r.loss, 'ms/step': Math.round(ms) }),
        onNote: (l) => bar.log(l),
      });
    } finally {
      bar.done();
      await workers?.terminate();
    }
    const ev = trainer.evals[trainer.evals.length - 1];
    ctx.stdout.write(
      JSON.stringify({
        out,
        step: summary.step,
        interrupted: summary.interrupted,
        checkpoint: summary.lastCheckpoint,
        msPerStep: Math.round(summary.msPerStep),
        backend: backend.name,
        threads,
        params: nParams,
        heldOutLoss: ev?.loss,
        heldOutLossEma: ev?.emaLoss,
      }) + '\n',
    );
    trainer.dispose();
    return summary.interrupted ? 130 : 0;
  },
};

function splitSizes(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** The part of a config that one command-line option sets (for the --resume consistency check). */
function projection(c: TrainConfig, option: string): unknown {
  const u = c.unet;
  const map: Record<string, unknown> = {
    channels: u.channels, groups: u.groups, 'time-embed': u.timeEmbedDim, 'time-hidden': u.timeHiddenDim,
    schedule: c.schedule.name, T: c.schedule.T, objective: c.objective, weighting: c.weighting,
    'min-snr-gamma': c.minSnrGamma, 'vlb-variance': c.vlbVariance, timesteps: c.sampler, batch: c.batchSize,
    lr: c.lr, warmup: c.warmupSteps, clip: c.clipNorm, ema: c.emaDecay, 'class-cond': c.classCond,
    'label-dropout': c.labelDropout, seed: c.seed, 'eval-size': c.evalSize, 'image-size': u.imageSize,
  };
  return map[option];
}
