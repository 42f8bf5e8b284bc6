/**
 * `train`: train the U-Net denoiser (src/train/unet.ts) with the trainer of src/train/trainer.ts and the run loop of src/train/loop.ts on MNIST
 * or on the synthetic Gaussian-mixture images, with crash-safe checkpoints (src/train/checkpoint.ts)
 * and exact resume.
 */
import { resolve } from 'node:path';
import { UsageError, type OptionSpec, type ParsedArgs } from '../args.js';
import type { Command, CommandContext } from '../command.js';
// Static imports are TensorFlow.js-free (`--help` must not load tfjs; src/cli/commands/train.test.ts
// checks it): the trainer, checkpoints, data and backend are imported inside run().
import { BACKEND_NAMES, type BackendName } from '../../backend/names.js';
import { TRAIN_OBJECTIVES, type ScheduleConfig, type TrainConfig, type TrainerInit, WEIGHTINGS, validateTrainConfig } from '../../train/config.js';
import type { TrainData } from '../../train/train_data.js';
import type { UNetConfig } from '../../reference/layers/unet_config.js';
import { SCHEDULE_NAMES, type ScheduleName } from '../../reference/schedules.js';

function parseChannels(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map(Number);
  if (parts.length === 0 || out.some((c) => !Number.isInteger(c) || c < 1)) throw new UsageError(`--channels must be a comma-separated list of positive integers (got ${JSON.stringify(s)})`);
  return out;
}

/** A training config under construction from the command line. */
type ConfigDraft = Omit<Partial<TrainConfig>, 'unet' | 'schedule'> & { unet: Partial<UNetConfig>; schedule: Partial<ScheduleConfig> };

/**
 * One command-line option that sets a part of the training config: its spec (name, type, default,
 * help), how it writes the config (`set`) and which part of a config it stands for (`get`). This
 * one table drives the option list, configFromArgs, the --resume consistency check (every row is
 * run-defining) and the --init-from architecture check (rows with `arch`).
 */
interface ConfigOption {
  spec: OptionSpec;
  /** Part of the architecture / conditioning: taken from the source run by --init-from. */
  arch?: boolean;
  get(c: TrainConfig): unknown;
  set(d: ConfigDraft, args: ParsedArgs): void;
}

const num = (args: ParsedArgs, name: string) => args.require<number>(name);
const str = (args: ParsedArgs, name: string) => args.require<string>(name);

/** The training-config options, in the order `--help` lists them. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  { spec: { name: 'objective', type: 'string', choices: TRAIN_OBJECTIVES, default: 'eps', description: "What the network predicts: ε, x_0 or v on the VP schedule, or 'flow': the rectified-flow velocity ε - x_0 (logit-normal times)" }, get: (c) => c.objective, set: (d, a) => (d.objective = str(a, 'objective') as TrainConfig['objective']) },
  { spec: { name: 'weighting', type: 'string', choices: WEIGHTINGS, default: 'simple', description: 'Loss weighting over t (catalog F4)' }, get: (c) => c.weighting, set: (d, a) => (d.weighting = str(a, 'weighting') as TrainConfig['weighting']) },
  { spec: { name: 'min-snr-gamma', type: 'number', min: 1e-6, default: 5, description: 'γ of min-SNR-γ' }, get: (c) => c.minSnrGamma, set: (d, a) => (d.minSnrGamma = num(a, 'min-snr-gamma')) },
  { spec: { name: 'vlb-variance', type: 'string', choices: ['posterior', 'beta'], default: 'posterior', description: 'Fixed reverse variance σ_t² of the vlb weighting' }, get: (c) => c.vlbVariance, set: (d, a) => (d.vlbVariance = str(a, 'vlb-variance') as TrainConfig['vlbVariance']) },
  { spec: { name: 'timesteps', type: 'string', choices: ['uniform', 'importance'], default: 'uniform', description: 'Timestep sampling: uniform or loss-aware importance sampling' }, get: (c) => c.sampler, set: (d, a) => (d.sampler = str(a, 'timesteps') as TrainConfig['sampler']) },
  { spec: { name: 'batch', short: 'b', type: 'int', min: 1, max: 4096, default: 64, description: 'Batch size' }, get: (c) => c.batchSize, set: (d, a) => (d.batchSize = num(a, 'batch')) },
  { spec: { name: 'lr', type: 'number', min: 1e-9, max: 1, default: 1e-3, description: 'Adam learning rate' }, get: (c) => c.lr, set: (d, a) => (d.lr = num(a, 'lr')) },
  { spec: { name: 'warmup', type: 'int', min: 0, default: 100, description: 'Linear learning-rate warm-up steps' }, get: (c) => c.warmupSteps, set: (d, a) => (d.warmupSteps = num(a, 'warmup')) },
  { spec: { name: 'clip', type: 'number', min: 1e-9, default: 1, description: 'Clip the global gradient norm to this value' }, get: (c) => c.clipNorm, set: (d, a) => (d.clipNorm = num(a, 'clip')) },
  { spec: { name: 'ema', type: 'number', min: 0, max: 0.999999, default: 0.999, description: 'EMA decay (with warm-up min(decay, (1+k)/(10+k)))' }, get: (c) => c.emaDecay, set: (d, a) => (d.emaDecay = num(a, 'ema')) },
  { spec: { name: 'seed', short: 's', type: 'int', default: 0, description: 'Seed of every random number of the run' }, get: (c) => c.seed, set: (d, a) => (d.seed = num(a, 'seed')) },
  { spec: { name: 'channels', type: 'string', default: '32,64,64', valueName: 'LIST', description: 'U-Net channels per level (resolution halves per level)' }, arch: true, get: (c) => c.unet.channels, set: (d, a) => (d.unet.channels = parseChannels(str(a, 'channels'))) },
  { spec: { name: 'groups', type: 'int', min: 1, default: 8, description: 'GroupNorm groups' }, arch: true, get: (c) => c.unet.groups, set: (d, a) => (d.unet.groups = num(a, 'groups')) },
  { spec: { name: 'time-embed', type: 'int', min: 4, default: 64, description: 'Sinusoidal time-embedding size' }, arch: true, get: (c) => c.unet.timeEmbedDim, set: (d, a) => (d.unet.timeEmbedDim = num(a, 'time-embed')) },
  { spec: { name: 'time-hidden', type: 'int', min: 1, default: 256, description: 'Time-MLP width (added in every block)' }, arch: true, get: (c) => c.unet.timeHiddenDim, set: (d, a) => (d.unet.timeHiddenDim = num(a, 'time-hidden')) },
  {
    spec: { name: 'class-cond', type: 'boolean', description: 'Class-conditional training (with a null class for classifier-free guidance)' },
    arch: true,
    get: (c) => c.classCond,
    set: (d, a) => {
      d.classCond = a.boolean('class-cond');
      d.unet.numClasses = d.classCond ? (str(a, 'data') === 'mnist' ? 10 : num(a, 'mixture-k')) : 0;
    },
  },
  { spec: { name: 'label-dropout', type: 'number', min: 0, max: 0.99, default: 0.1, description: 'Probability of training on the null class instead of the label' }, get: (c) => c.labelDropout, set: (d, a) => (d.labelDropout = num(a, 'label-dropout')) },
  { spec: { name: 'schedule', type: 'string', choices: SCHEDULE_NAMES, default: 'linear', description: 'Noise schedule' }, get: (c) => c.schedule.name, set: (d, a) => (d.schedule.name = str(a, 'schedule') as ScheduleName) },
  { spec: { name: 'T', type: 'int', min: 1, max: 100000, default: 1000, description: 'Number of diffusion steps' }, get: (c) => c.schedule.T, set: (d, a) => (d.schedule.T = num(a, 'T')) },
  { spec: { name: 'eval-size', type: 'int', min: 1, default: 256, description: 'Held-out examples per evaluation' }, get: (c) => c.evalSize, set: (d, a) => (d.evalSize = num(a, 'eval-size')) },
  {
    spec: { name: 'image-size', type: 'int', min: 2, default: 28, description: 'Mixture images: height = width' },
    arch: true,
    get: (c) => c.unet.imageSize,
    set: (d, a) => (d.unet.imageSize = str(a, 'data') === 'mnist' ? 28 : num(a, 'image-size')),
  },
];

const configOption = (name: string) => CONFIG_OPTIONS.find((o) => o.spec.name === name)!;

/** The part of a config that one command-line option sets (for the --resume and --init-from checks). */
function projection(c: TrainConfig, option: string): unknown {
  return configOption(option).get(c);
}

/** The training config described by the command line. */
export function configFromArgs(args: ParsedArgs): TrainConfig {
  const draft: ConfigDraft = { unet: { inChannels: 1, outChannels: 1 }, schedule: {} };
  for (const o of CONFIG_OPTIONS) o.set(draft, args);
  return validateTrainConfig(draft as Parameters<typeof validateTrainConfig>[0]);
}

/**
 * --init-from: the starting weights of a fine-tuning run and its config. The architecture and
 * class conditioning come from the source checkpoint (given explicitly, they must agree with it);
 * everything else (objective, weighting, timestep sampling, lr, ...) from the command line.
 */
export async function fineTuneStart(args: ParsedArgs, cwd: string, config: TrainConfig): Promise<{ config: TrainConfig; init: TrainerInit }> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { latestCheckpoint, loadCheckpointDir } = await import('../../train/checkpoint.js');
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
  const archFlags = CONFIG_OPTIONS.filter((o) => o.arch).map((o) => o.spec.name);
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
export async function dataFromArgs(args: ParsedArgs, config: TrainConfig): Promise<TrainData> {
  const { mixtureData, mnistData } = await import('../../train/train_data.js');
  const data = args.require<string>('data');
  if (data === 'mnist') return mnistData({ batchSize: config.batchSize, seed: config.seed, limit: args.number('limit') });
  return mixtureData({ imageSize: config.unet.imageSize, batchSize: config.batchSize, seed: config.seed, K: args.require<number>('mixture-k'), nTrain: args.number('limit') });
}

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
    ...CONFIG_OPTIONS.map((o) => o.spec),
    { name: 'checkpoint-every', type: 'int', min: 1, default: 100, valueName: 'N', description: 'Checkpoint every N steps (and at the end)' },
    { name: 'eval-every', type: 'int', min: 0, default: 200, valueName: 'N', description: 'Held-out loss every N steps (0: only at the end)' },
    { name: 'sample-every', type: 'int', min: -1, default: 0, valueName: 'N', description: 'Sample grid every N steps (0: only at the end; -1: never)' },
    { name: 'samples', type: 'int', min: 1, max: 1024, default: 64, description: 'Images per sample grid' },
    { name: 'sample-steps', type: 'int', min: 1, default: 50, description: 'DDIM steps of the sample grids' },
    { name: 'limit', type: 'int', min: 1, description: 'Use only the first N training images (MNIST) / N mixture images (default 4096)' },
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
    const { existsSync } = await import('node:fs');
    const { selectBackend } = await import('../../backend/backend.js');
    const { latestCheckpoint, loadLatestCheckpoint } = await import('../../train/checkpoint.js');
    const { GradientWorkers } = await import('../../train/parallel.js');
    const { Trainer } = await import('../../train/trainer.js');
    const { runTraining } = await import('../../train/loop.js');
    const { countParams, unetParamSpecs } = await import('../../train/unet.js');
    const out = resolve(ctx.cwd, args.require<string>('out'));
    const backend = await selectBackend({ backend: args.string('backend') as BackendName | undefined, env: ctx.env, log: (l) => ctx.note(l) });
    let config = configFromArgs(args);
    let trainer: import('../../train/trainer.js').Trainer;
    const existing = existsSync(out) ? latestCheckpoint(out) : null;
    if (existing && !args.boolean('resume')) {
      throw new UsageError(`${out} already holds a training run (${existing}); pass --resume to continue it or choose another --out`);
    }
    if (existing) {
      const { dir, state } = loadLatestCheckpoint(out);
      const conflicts = CONFIG_OPTIONS.map((o) => o.spec.name).filter((k) => args.given.has(k)).filter((k) => {
        const mine = configFromArgs(args);
        return JSON.stringify(projection(mine, k)) !== JSON.stringify(projection(state.config, k));
      });
      if (args.given.has('init-from') && args.string('init-from') !== state.config.initFrom?.checkpoint) conflicts.push('init-from');
      if (conflicts.length) throw new UsageError(`--resume: ${conflicts.map((c) => `--${c}`).join(', ')} differ from the checkpoint's run (${dir}); omit them to continue that run`);
      config = state.config;
      if (args.require<number>('steps') < state.step) throw new UsageError(`--steps ${args.require<number>('steps')} is below the checkpoint's step ${state.step}`);
      trainer = new Trainer(config, await dataFromArgs(args, config), state);
      ctx.note(`resuming ${out} from ${dir} (step ${state.step})`);
    } else {
      if (args.boolean('resume')) ctx.note(`--resume: no checkpoint in ${out}; starting a new run`);
      const from = args.string('init-from');
      if (from === undefined) trainer = new Trainer(config, await dataFromArgs(args, config));
      else {
        const { config: c, init } = await fineTuneStart(args, ctx.cwd, config);
        config = c;
        trainer = new Trainer(config, await dataFromArgs(args, config), undefined, init);
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
