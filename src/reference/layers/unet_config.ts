/**
 * The U-Net architecture config (stored in every checkpoint) and its validation: plain data shared
 * by the float64 reference U-Net (./unet_reference.ts) and the tfjs U-Net (src/train/unet.ts).
 */
import { DiffusionInputError } from '../errors.js';

/** The architecture config, stored in every checkpoint so that a loader can rebuild the model. */
export interface UNetConfig {
  /** Height = width of the (square) input. Must be divisible by 2^(levels-1). */
  imageSize: number;
  inChannels: number;
  outChannels: number;
  /** Channels per level, e.g. [32, 64, 64] at 28/14/7. */
  channels: number[];
  /** GroupNorm groups; must divide every channel count a norm sees. */
  groups: number;
  /** Sinusoidal embedding size (even). */
  timeEmbedDim: number;
  /** Width of the time MLP and of the embedding added in each block. */
  timeHiddenDim: number;
  /** 0: unconditional. K > 0: K classes plus the null class (index K). */
  numClasses: number;
}

export const DEFAULT_UNET_CONFIG: UNetConfig = {
  imageSize: 28,
  inChannels: 1,
  outChannels: 1,
  channels: [32, 64, 64],
  groups: 8,
  timeEmbedDim: 64,
  timeHiddenDim: 256,
  numClasses: 0,
};

function posInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new DiffusionInputError(name, v, 'must be a positive integer');
  return v;
}

/** Validate a config (throws naming the bad field) and return a normalized copy. */
export function validateUNetConfig(c: Partial<UNetConfig>): UNetConfig {
  const cfg: UNetConfig = { ...DEFAULT_UNET_CONFIG, ...c, channels: [...(c.channels ?? DEFAULT_UNET_CONFIG.channels)] };
  posInt('config.imageSize', cfg.imageSize);
  posInt('config.inChannels', cfg.inChannels);
  posInt('config.outChannels', cfg.outChannels);
  posInt('config.groups', cfg.groups);
  posInt('config.timeHiddenDim', cfg.timeHiddenDim);
  if (!Number.isInteger(cfg.numClasses) || cfg.numClasses < 0) throw new DiffusionInputError('config.numClasses', cfg.numClasses, 'must be an integer ≥ 0');
  if (!Number.isInteger(cfg.timeEmbedDim) || cfg.timeEmbedDim < 4 || cfg.timeEmbedDim % 2) {
    throw new DiffusionInputError('config.timeEmbedDim', cfg.timeEmbedDim, 'must be an even integer ≥ 4');
  }
  if (!Array.isArray(cfg.channels) || cfg.channels.length < 1) throw new DiffusionInputError('config.channels', cfg.channels, 'must be a non-empty list');
  cfg.channels.forEach((ch, i) => {
    posInt(`config.channels[${i}]`, ch);
    if (ch % cfg.groups !== 0) throw new DiffusionInputError(`config.channels[${i}]`, ch, `must be divisible by groups = ${cfg.groups}`);
  });
  const L = cfg.channels.length;
  if (cfg.imageSize % 2 ** (L - 1) !== 0) {
    throw new DiffusionInputError('config.imageSize', cfg.imageSize, `must be divisible by 2^(levels-1) = ${2 ** (L - 1)}`);
  }
  return cfg;
}
