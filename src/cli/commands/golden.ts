/**
 * `golden`: the golden MNIST files (docs/golden.md).
 *   golden classifier --out golden/classifier   retrain the evaluation classifier (FD-LeNet features)
 *   golden check                                  recompute the full statistics, compare with golden/stats.json
 *   golden update                                 recompute them over every seed and rewrite golden/stats.json
 *   golden tables [--write docs/golden.md]        golden/stats.json as the Markdown tables of docs/golden.md
 */
import { resolve } from 'node:path';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';

const ACTIONS = ['classifier', 'check', 'update', 'tables'] as const;

export const goldenCommand: Command = {
  name: 'golden',
  summary: 'Golden MNIST: retrain the evaluation classifier, check or update golden/stats.json',
  description: `golden classifier trains the LeNet-like evaluation classifier (src/golden/classifier.ts) on MNIST
    train[0:55000] and writes it in the tfjs layers format (model.json, weights.bin, meta.json with its measured
    test accuracy) to --out.

    golden check recomputes the sample statistics of the golden U-Net (golden/unet) for every sampler and seed
    listed in golden/stats.json (or only the fast subset with --fast) and fails (exit 1) when a value leaves its
    tolerance band or a quality floor, printing the golden value, the new value and the band.

    golden update recomputes every statistic over all seeds, derives the bands (mean ± k·sd over seeds) and
    rewrites golden/stats.json, printing what moved.

    golden tables prints golden/stats.json as the Markdown tables of docs/golden.md (with --write FILE: replaces
    FILE's generated section, written atomically; a test keeps docs/golden.md equal to the committed file).`,
  positionals: [{ name: 'action', description: `one of ${ACTIONS.join(', ')}`, required: true }],
  options: [
    { name: 'out', short: 'o', type: 'string', valueName: 'DIR', description: 'classifier: output folder (default golden/classifier)' },
    { name: 'golden', type: 'string', valueName: 'DIR', default: 'golden', description: 'check/update/tables: the golden folder (stats.json, unet/, classifier/)' },
    { name: 'seed', type: 'int', default: 0, description: 'classifier: seed of initialization and shuffling' },
    { name: 'epochs', type: 'int', min: 1, max: 100, default: 4, description: 'classifier: epochs' },
    { name: 'batch', type: 'int', min: 1, max: 4096, default: 128, description: 'classifier: batch size' },
    { name: 'lr', type: 'number', min: 0, default: 1e-3, description: 'classifier: Adam learning rate (the last epoch uses lr/4)' },
    { name: 'fast', type: 'boolean', description: 'check: only the fast subset (what npm test runs)' },
    { name: 'seeds', type: 'int', min: 1, max: 100, description: 'update: number of seeds (default: those in stats.json, else 5)' },
    { name: 'samples', type: 'string', valueName: 'PNG', description: 'update: where to write the sample grid PNG (default <golden>/samples.png)' },
    { name: 'only', type: 'string', valueName: 'IDS', description: 'check: only these comma-separated configurations (all seeds); update: recompute only these and merge them into stats.json' },
    { name: 'unet-from', type: 'string', valueName: 'CKPT', description: 'update: first export the EMA weights of this training checkpoint (or run directory: its latest) to <golden>/unet' },
    { name: 'write', type: 'string', valueName: 'FILE', description: 'tables: replace the generated section of this Markdown file instead of printing' },
    { name: 'train-note', type: 'string', valueName: 'TEXT', description: 'update --unet-from: how the checkpoint was trained (command, seed, backend, wall time), stored in <golden>/unet/model.json' },
  ],
  examples: [
    'golden classifier --out golden/classifier --epochs 4 --seed 0',
    'golden check',
    'golden check --fast',
    'golden update',
    'golden tables --write docs/golden.md',
    'golden update --unet-from runs/mnist --train-note "train --data mnist --steps 2000 ... (seed 0, wasm, 3 h)"',
  ],
  async run(args, ctx) {
    const action = args.positionals[0];
    if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown action '${action}': expected one of ${ACTIONS.join(', ')}`);
    if (action === 'tables') {
      const { readGoldenFile } = await import('../../golden/golden.js');
      const { goldenMarkdown, spliceTables } = await import('../../golden/tables.js');
      const md = goldenMarkdown(readGoldenFile(resolve(ctx.cwd, args.require<string>('golden'))));
      const target = args.string('write');
      if (target === undefined) {
        ctx.stdout.write(md);
        return 0;
      }
      const { readFileSync } = await import('node:fs');
      const { writeFileAtomic } = await import('../../io/atomic.js');
      const file = resolve(ctx.cwd, target);
      let doc: string;
      try {
        doc = readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`--write ${target}: cannot read it (${(e as Error).message})`);
      }
      let next: string;
      try {
        next = spliceTables(doc, md);
      } catch (e) {
        throw new UsageError(`--write ${target}: ${(e as Error).message}`);
      }
      writeFileAtomic(file, next);
      ctx.stdout.write(`${next === doc ? 'unchanged' : 'updated'} ${file}\n`);
      return 0;
    }
    if (args.given.has('write')) throw new UsageError('--write applies to golden tables only');
    const { selectBackend } = await import('../../backend/backend.js');
    const backend = await selectBackend({ env: { ...ctx.env }, log: (line) => ctx.stderr.write(`${line}\n`) });
    if (action === 'classifier') {
      const { trainClassifier, saveClassifier } = await import('../../golden/classifier.js');
      const out = resolve(ctx.cwd, args.string('out') ?? 'golden/classifier');
      const epochs = args.require<number>('epochs');
      const { CLASSIFIER_TRAIN_N } = await import('../../golden/classifier.js');
      const bar = ctx.progress({ total: epochs * Math.floor(CLASSIFIER_TRAIN_N / args.require<number>('batch')), label: 'classifier' });
      const c = await trainClassifier({
        seed: args.require<number>('seed'),
        epochs,
        batchSize: args.require<number>('batch'),
        lr: args.require<number>('lr'),
        log: (l) => ctx.note(l),
        onBatch: (done, _total, loss) => {
          if (ctx.signal.aborted) throw new Error('interrupted');
          bar.update(done, { loss: Math.round(loss * 1e4) / 1e4 });
        },
      });
      bar.done();
      const argv = ['golden', 'classifier', '--out', args.string('out') ?? 'golden/classifier', '--seed', String(args.require<number>('seed')), '--epochs', String(epochs), '--batch', String(args.require<number>('batch')), '--lr', String(args.require<number>('lr'))];
      const meta = await saveClassifier(c, out, { command: `diffusion-oracle ${argv.join(' ')}`, backend: backend.name });
      ctx.stdout.write(
        `wrote ${out}: ${meta.params} parameters, test accuracy ${(100 * meta.testAccuracy).toFixed(2)}% (10,000 MNIST test images), ` +
          `held-out train[55000:60000] ${(100 * meta.heldOutAccuracy).toFixed(2)}%, mean test confidence ${meta.testConfidence.toFixed(4)}, ` +
          `${meta.training.wallSeconds.toFixed(0)} s on ${backend.name}\n`,
      );
      return meta.testAccuracy >= 0.99 ? 0 : 1;
    }
    const { runGoldenCheck, runGoldenUpdate } = await import('../../golden/golden.js');
    const goldenDir = resolve(ctx.cwd, args.require<string>('golden'));
    if (action === 'check') {
      const only = args.string('only')?.split(',').map((x) => x.trim()).filter((x) => x);
      const report = await runGoldenCheck({ goldenDir, fast: args.boolean('fast'), only, log: (l) => ctx.note(l), signal: ctx.signal });
      ctx.stdout.write(report.text);
      return report.ok ? 0 : 1;
    }
    const from = args.string('unet-from');
    if (from !== undefined) {
      const { exportGoldenUnet } = await import('../../golden/generate.js');
      const { latestCheckpoint } = await import('../../train/checkpoint.js');
      const { existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      let ck = resolve(ctx.cwd, from);
      if (!existsSync(join(ck, 'manifest.json'))) ck = latestCheckpoint(ck) ?? ck;
      const j = exportGoldenUnet(ck, join(goldenDir, 'unet'), { note: args.string('train-note') ?? null });
      ctx.note(`golden update: exported the EMA weights of ${ck} (step ${j.step}) to ${join(goldenDir, 'unet')}`);
    } else if (args.given.has('train-note')) throw new UsageError('--train-note applies with --unet-from only');
    const report = await runGoldenUpdate({
      goldenDir,
      seeds: args.number('seeds'),
      only: args.string('only')?.split(',').map((x) => x.trim()).filter((x) => x),
      samplesPng: args.string('samples') === undefined ? undefined : resolve(ctx.cwd, args.string('samples')!),
      log: (l) => ctx.note(l),
      signal: ctx.signal,
    });
    ctx.stdout.write(report.text);
    return report.ok ? 0 : 1;
  },
};
