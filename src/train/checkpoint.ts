/**
 * Crash-safe training checkpoints in TensorFlow.js's weight format.
 *
 * Layout of a run directory:
 *   latest                  one line: the name of the newest complete checkpoint (e.g. ckpt-00000200)
 *   ckpt-00000200/
 *     model.json            tfjs ModelJSON: modelTopology = {class: 'UNet', config} (our loader
 *                           rebuilds the model from it) and weightsManifest → weights.bin
 *     weights.bin           the trainable weights, float32 little-endian, in manifest order
 *     ema.json, ema.bin     the EMA weights, same format
 *     optimizer.json/.bin   Adam's moments m/<name>, v/<name>, same format
 *     state.json            step, training config, Adam step count, EMA update count, Rng state,
 *                           data-iterator position, timestep-sampler state, losses, evaluations
 *     manifest.json         written last: byte size and SHA-256 of every other file
 *   ckpt-00000100/          the previous checkpoint (kept)
 *
 * Stock tfjs reads the weights: `tf.io.decodeWeights(bin, modelJson.weightsManifest[0].weights)`
 * (or any IOHandler that follows weightsManifest paths). For sampling, ./adapter.ts loads a
 * checkpoint (or a run directory, or a golden export) as a TensorDiffusionModel.
 *
 * Atomicity (kill -9 at any point loses at most the steps since the last checkpoint and never
 * corrupts one): the checkpoint is written into a fresh hidden directory, every file fsynced, the
 * directory fsynced and renamed to its final name, the parent fsynced, and only then is `latest`
 * replaced atomically (write a temp file, fsync, rename). All file and directory syncing is
 * io/atomic.ts's (writeFileSynced, fsyncDir, writeFileAtomic). A crash before the
 * `latest` swap leaves the previous checkpoint current; stale or half-written directories are
 * removed by the next save. Loading verifies every file's size and checksum against the manifest
 * and names the file on a mismatch.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir, sha256, writeFileAtomic, writeFileSynced } from '../io/atomic.js';
import { DiffusionInputError } from '../reference/errors.js';
import type { RngState } from '../reference/rng.js';
import { shapeSize } from './nn.js';
import type { EvalRecord, TrainConfig, TrainerState } from './config.js';
import { type UNetConfig, unetParamSpecs, validateUNetConfig } from './unet.js';

export const CHECKPOINT_FORMAT = 'diffusion-oracle-checkpoint';
export const CHECKPOINT_VERSION = 1;
const LATEST = 'latest';

/** A checkpoint that fails verification: names the file and what is wrong. */
export class CheckpointError extends Error {
  readonly file: string;
  constructor(file: string, reason: string) {
    super(`checkpoint file ${file}: ${reason}`);
    this.name = 'CheckpointError';
    this.file = file;
  }
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: { class: 'UNet'; config: UNetConfig } | { class: 'AdamMoments' };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

interface StateJson {
  format: string;
  version: number;
  step: number;
  config: TrainConfig;
  adamStep: number;
  emaUpdates: number;
  rng: RngState;
  data: unknown;
  sampler: unknown;
  losses: number[];
  evals: EvalRecord[];
  createdAt: string;
}

interface ManifestJson {
  format: string;
  version: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

export function checkpointName(step: number): string {
  return `ckpt-${String(step).padStart(8, '0')}`;
}

function stepOfName(name: string): number | null {
  const m = /^ckpt-(\d{8,})$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Concatenate named float32 arrays into one little-endian buffer (+ the manifest's weight specs). */
function packWeights(entries: { name: string; shape: number[]; values: Float32Array }[]): { bin: Uint8Array; specs: WeightSpec[] } {
  const total = entries.reduce((a, e) => a + e.values.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  const specs: WeightSpec[] = [];
  for (const e of entries) {
    if (e.values.length !== shapeSize(e.shape)) throw new DiffusionInputError(e.name, `length ${e.values.length}`, `shape mismatch: ${JSON.stringify(e.shape)}`);
    all.set(e.values, off);
    off += e.values.length;
    specs.push({ name: e.name, shape: e.shape, dtype: 'float32' });
  }
  // Float32Array is platform-endian; every platform Node supports is little-endian, as tfjs assumes.
  return { bin: new Uint8Array(all.buffer), specs };
}

function modelJson(topology: ModelJson['modelTopology'], binName: string, specs: WeightSpec[], meta: Record<string, unknown>): string {
  const j: ModelJson = {
    format: 'diffusion-oracle/unet',
    generatedBy: 'diffusion-oracle',
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [`./${binName}`], weights: specs }],
    userDefinedMetadata: meta,
  };
  return JSON.stringify(j, null, 1);
}

/**
 * Write a checkpoint of `state` into run directory `dir` and make it the latest. Keeps the
 * previous checkpoint; removes older ones, stale ones (newer than `latest`, left by a killed run)
 * and half-written temporary directories. Returns the checkpoint directory.
 */
export function saveCheckpoint(dir: string, state: TrainerState, options: { keep?: number } = {}): string {
  const keep = options.keep ?? 2;
  mkdirSync(dir, { recursive: true });
  const name = checkpointName(state.step);
  const specs = unetParamSpecs(state.config.unet);
  const pick = (m: Map<string, Float32Array>, what: string) =>
    specs.map((s) => {
      const v = m.get(s.name);
      if (!v) throw new DiffusionInputError(what, s.name, 'missing parameter');
      return { name: s.name, shape: s.shape, values: v };
    });
  const w = packWeights(pick(state.params, 'params'));
  const e = packWeights(pick(state.ema, 'ema'));
  const o = packWeights([
    ...specs.map((s, i) => ({ name: `m/${s.name}`, shape: s.shape, values: state.adam.m[i] })),
    ...specs.map((s, i) => ({ name: `v/${s.name}`, shape: s.shape, values: state.adam.v[i] })),
  ]);
  const meta = { step: state.step };
  const unetTopology = { class: 'UNet' as const, config: state.config.unet };
  const stateJson: StateJson = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: state.step,
    config: state.config,
    adamStep: state.adam.step,
    emaUpdates: state.emaUpdates,
    rng: state.rng,
    data: state.data,
    sampler: state.sampler,
    losses: state.losses,
    evals: state.evals,
    createdAt: new Date().toISOString(),
  };
  const files: [string, Uint8Array][] = [
    ['model.json', Buffer.from(modelJson(unetTopology, 'weights.bin', w.specs, { ...meta, weights: 'raw' }))],
    ['weights.bin', w.bin],
    ['ema.json', Buffer.from(modelJson(unetTopology, 'ema.bin', e.specs, { ...meta, weights: 'ema', emaUpdates: state.emaUpdates }))],
    ['ema.bin', e.bin],
    ['optimizer.json', Buffer.from(modelJson({ class: 'AdamMoments' }, 'optimizer.bin', o.specs, { ...meta, adamStep: state.adam.step }))],
    ['optimizer.bin', o.bin],
    ['state.json', Buffer.from(JSON.stringify(stateJson))],
  ];
  const manifest: ManifestJson = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: state.step, files: {} };
  for (const [f, data] of files) manifest.files[f] = { bytes: data.length, sha256: sha256(data) };
  files.push(['manifest.json', Buffer.from(JSON.stringify(manifest, null, 1))]);

  const tmp = join(dir, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    for (const [f, data] of files) writeFileSynced(join(tmp, f), data);
    fsyncDir(tmp);
    const final = join(dir, name);
    // A directory of this name that `latest` does not point to is a leftover of a killed run.
    if (existsSync(final)) {
      if (readLatestName(dir) === name) throw new DiffusionInputError('state.step', state.step, `checkpoint ${final} already exists and is the latest`);
      rmSync(final, { recursive: true, force: true });
    }
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(dir);
  writeFileAtomic(join(dir, LATEST), `${name}\n`);
  prune(dir, state.step, keep);
  return join(dir, name);
}

function prune(dir: string, currentStep: number, keep: number): void {
  const entries = readdirSync(dir);
  const steps = entries.map((n) => ({ n, s: stepOfName(n) })).filter((x): x is { n: string; s: number } => x.s !== null);
  const older = steps.filter((x) => x.s <= currentStep).sort((a, b) => b.s - a.s);
  const remove = [...older.slice(keep), ...steps.filter((x) => x.s > currentStep)];
  for (const r of remove) rmSync(join(dir, r.n), { recursive: true, force: true });
  for (const n of entries) if (n.startsWith('.tmp-ckpt-') && !n.includes(`-${process.pid}-`)) rmSync(join(dir, n), { recursive: true, force: true });
}

function readLatestName(dir: string): string | null {
  const p = join(dir, LATEST);
  if (!existsSync(p)) return null;
  return readFileSync(p, 'utf8').trim();
}

/** The directory of the latest checkpoint in run directory `dir`, or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  const name = readLatestName(dir);
  if (name === null) return null;
  if (stepOfName(name) === null) throw new CheckpointError(join(dir, LATEST), `does not name a checkpoint (got ${JSON.stringify(name)})`);
  return join(dir, name);
}

function readVerified(ckptDir: string, file: string, manifest: ManifestJson): Buffer {
  const path = join(ckptDir, file);
  const entry = manifest.files[file];
  if (!entry) throw new CheckpointError(path, 'not listed in manifest.json');
  if (!existsSync(path)) throw new CheckpointError(path, 'missing');
  const data = readFileSync(path);
  if (data.length !== entry.bytes) throw new CheckpointError(path, `size mismatch: expected ${entry.bytes} bytes, found ${data.length} (truncated or overwritten)`);
  const h = sha256(data);
  if (h !== entry.sha256) throw new CheckpointError(path, `checksum mismatch: manifest says sha256 ${entry.sha256}, file has ${h}`);
  return data;
}

function parseJson<T>(path: string, data: Buffer): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw new CheckpointError(path, `not valid JSON (${(err as Error).message})`);
  }
}

function unpackWeights(path: string, bin: Buffer, specs: WeightSpec[]): Map<string, Float32Array> {
  const total = specs.reduce((a, s) => a + shapeSize(s.shape), 0);
  if (bin.length !== total * 4) throw new CheckpointError(path, `holds ${bin.length} bytes, the manifest's weights need ${total * 4}`);
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
  const out = new Map<string, Float32Array>();
  let off = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32') throw new CheckpointError(path, `weight ${s.name} has dtype ${s.dtype}; only float32 is written`);
    const n = shapeSize(s.shape);
    out.set(s.name, all.slice(off, off + n));
    off += n;
  }
  return out;
}

/** A loaded checkpoint: the trainer state plus where it came from. */
export interface LoadedCheckpoint {
  dir: string;
  state: TrainerState;
  /** SHA-256 of each file, from the verified manifest. */
  sha256: Record<string, string>;
}

/**
 * Read and verify one checkpoint directory (every file's size and SHA-256 against manifest.json;
 * weight names and shapes against the architecture the config describes). Throws CheckpointError
 * naming the file on any mismatch.
 */
export function loadCheckpointDir(ckptDir: string): LoadedCheckpoint {
  const mPath = join(ckptDir, 'manifest.json');
  if (!existsSync(mPath)) throw new CheckpointError(mPath, 'missing (incomplete checkpoint)');
  const manifest = parseJson<ManifestJson>(mPath, readFileSync(mPath));
  if (manifest.format !== CHECKPOINT_FORMAT || manifest.version !== CHECKPOINT_VERSION || !manifest.files) {
    throw new CheckpointError(mPath, `not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} manifest`);
  }
  const buf: Record<string, Buffer> = {};
  for (const f of ['model.json', 'weights.bin', 'ema.json', 'ema.bin', 'optimizer.json', 'optimizer.bin', 'state.json']) buf[f] = readVerified(ckptDir, f, manifest);
  const st = parseJson<StateJson>(join(ckptDir, 'state.json'), buf['state.json']);
  const model = parseJson<ModelJson>(join(ckptDir, 'model.json'), buf['model.json']);
  const emaJ = parseJson<ModelJson>(join(ckptDir, 'ema.json'), buf['ema.json']);
  const optJ = parseJson<ModelJson>(join(ckptDir, 'optimizer.json'), buf['optimizer.json']);
  const cfg = validateUNetConfig(st.config.unet);
  const specs = unetParamSpecs(cfg);
  const params = unpackWeights(join(ckptDir, 'weights.bin'), buf['weights.bin'], model.weightsManifest[0].weights);
  const ema = unpackWeights(join(ckptDir, 'ema.bin'), buf['ema.bin'], emaJ.weightsManifest[0].weights);
  const opt = unpackWeights(join(ckptDir, 'optimizer.bin'), buf['optimizer.bin'], optJ.weightsManifest[0].weights);
  for (const s of specs) {
    for (const [m, file, key] of [[params, 'weights.bin', s.name], [ema, 'ema.bin', s.name], [opt, 'optimizer.bin', `m/${s.name}`], [opt, 'optimizer.bin', `v/${s.name}`]] as const) {
      const v = m.get(key);
      if (!v || v.length !== shapeSize(s.shape)) throw new CheckpointError(join(ckptDir, file), `weight ${key} is missing or has the wrong size for the architecture in state.json`);
    }
  }
  const state: TrainerState = {
    config: st.config,
    step: st.step,
    params,
    ema,
    emaUpdates: st.emaUpdates,
    adam: { step: st.adamStep, m: specs.map((s) => opt.get(`m/${s.name}`)!), v: specs.map((s) => opt.get(`v/${s.name}`)!) },
    rng: st.rng,
    data: st.data,
    sampler: st.sampler,
    losses: st.losses,
    evals: st.evals,
  };
  const sha256 = Object.fromEntries(Object.entries(manifest.files).map(([f, e]) => [f, e.sha256]));
  return { dir: ckptDir, state, sha256 };
}

/** Load the latest checkpoint of run directory `dir` (throws if there is none or it is corrupt). */
export function loadLatestCheckpoint(dir: string): LoadedCheckpoint {
  const ck = latestCheckpoint(dir);
  if (ck === null) throw new CheckpointError(join(dir, LATEST), 'missing: no checkpoint to resume from in this directory');
  if (!existsSync(ck) || !statSync(ck).isDirectory()) throw new CheckpointError(ck, `named by ${join(dir, LATEST)} but missing`);
  return loadCheckpointDir(ck);
}
