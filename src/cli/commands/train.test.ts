/**
 * `train` command: `--help` must not pay for TensorFlow.js. Every command module is loaded on every
 * start of the CLI, so the train command's static import graph (not its dynamic `await import(...)`
 * inside run()) must not reach @tensorflow/tfjs. Checked on the source: the closure of static,
 * non-type-only imports from src/cli/commands/train.ts. Also: one option table drives the config.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../args.js';
import { main } from '../main.js';
import { CONFIG_OPTIONS, configFromArgs, trainCommand } from './train.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Specifiers of the static value imports/re-exports of a TypeScript source (type-only ones and dynamic import() excluded). */
function staticImports(source: string): string[] {
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of noComments.matchAll(re)) {
    if (m[5]) {
      out.push(m[5]);
      continue;
    }
    if (m[2]) continue; // import type / export type
    const clause = m[3].trim();
    // `import { type A, type B } from` is type-only too
    const inner = /^\{([^}]*)\}$/.exec(clause);
    if (inner && inner[1].split(',').map((x) => x.trim()).filter(Boolean).every((x) => x.startsWith('type '))) continue;
    out.push(m[4]);
  }
  return out;
}

/** The static import closure of `entry`: every local file reached and every package imported. */
function staticClosure(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of staticImports(readFileSync(f, 'utf8'))) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.set(spec, f);
    }
  }
  return { files, packages };
}

describe('train command', () => {
  it('the static import graph of the command does not reach @tensorflow/tfjs (tfjs loads inside run())', () => {
    const { files, packages } = staticClosure(join(here, 'train.ts'));
    expect(files.size).toBeGreaterThan(3);
    const tfjs = [...packages].filter(([p]) => p.startsWith('@tensorflow/'));
    expect(tfjs, `static tfjs imports: ${tfjs.map(([p, f]) => `${p} in ${f}`).join(', ')}`).toEqual([]);
  });

  it('the import scanner sees a static tfjs import where there is one (src/train/trainer.ts)', () => {
    const { packages } = staticClosure(resolve(here, '../../train/trainer.ts'));
    expect(packages.has('@tensorflow/tfjs')).toBe(true);
  });

  it('--help works and lists the config options of the one table', async () => {
    let out = '';
    const code = await main(['train', '--help'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => {} } });
    expect(code).toBe(0);
    for (const o of CONFIG_OPTIONS) expect(out).toContain(`--${o.spec.name}`);
  });

  it('configFromArgs: every table row sets its part of the config, and get() reads it back', () => {
    const argv = ['--steps', '1', '--out', 'x', '--data', 'mixture', '--image-size', '8', '--channels', '8,16', '--groups', '4', '--time-embed', '8', '--time-hidden', '16', '--class-cond', '--mixture-k', '3',
      '--objective', 'v', '--weighting', 'min-snr', '--min-snr-gamma', '3', '--vlb-variance', 'beta', '--timesteps', 'importance', '--batch', '7', '--lr', '0.002', '--warmup', '5', '--clip', '2',
      '--ema', '0.99', '--seed', '9', '--label-dropout', '0.2', '--schedule', 'cosine', '--T', '50', '--eval-size', '11'];
    const c = configFromArgs(parseArgs(argv, trainCommand.options));
    const expected: Record<string, unknown> = {
      objective: 'v', weighting: 'min-snr', 'min-snr-gamma': 3, 'vlb-variance': 'beta', timesteps: 'importance', batch: 7, lr: 0.002, warmup: 5, clip: 2, ema: 0.99, seed: 9,
      channels: [8, 16], groups: 4, 'time-embed': 8, 'time-hidden': 16, 'class-cond': true, 'label-dropout': 0.2, schedule: 'cosine', T: 50, 'eval-size': 11, 'image-size': 8,
    };
    expect(CONFIG_OPTIONS.map((o) => o.spec.name).sort()).toEqual(Object.keys(expected).sort());
    for (const o of CONFIG_OPTIONS) expect(o.get(c), o.spec.name).toEqual(expected[o.spec.name]);
    expect(c.unet.numClasses).toBe(3);
    expect([c.unet.inChannels, c.unet.outChannels]).toEqual([1, 1]);
    const mnist = configFromArgs(parseArgs(['--steps', '1', '--out', 'x', '--image-size', '8'], trainCommand.options));
    expect([mnist.unet.imageSize, mnist.unet.numClasses, mnist.classCond]).toEqual([28, 0, false]);
  });
});
