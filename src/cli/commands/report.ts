/**
 * `report`: one self-contained HTML page (src/report): schedules, ELBO terms of the golden model,
 * property-suite results, sample plots per sampler, the training loss curve and the benchmark
 * charts. No network: pictures are data: URIs, CSS is inline, the only script is inline.
 * See docs/report.md.
 */
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { writeFileAtomic } from '../../io/atomic.js';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Write a self-contained HTML report (schedules, ELBO, properties, samples, loss, benchmarks)',
  description: `Sections: the linear and cosine schedules (ᾱ, SNR, posterior variance); the ELBO terms
    per t of the golden model (<golden>/unet; a labelled placeholder when none is committed); every
    claim of the property suite run on the float64 reference with its worst error against its bound
    (or --properties-json from an earlier report; --no-properties to skip); a 2-D scatter of each
    sampler's output with the exact mixture oracle; with --run, the training loss curve and a U-Net
    sample grid of the run's latest checkpoint; the newest benchmark result in --bench.

    Writes the page and, when the claims were run, <out>.properties.json (reusable with
    --properties-json). Running every claim takes about 15 s; the whole report about a minute.`,
  options: [
    { name: 'out', short: 'o', type: 'string', default: 'out/report/report.html', valueName: 'FILE', description: 'The HTML file to write' },
    { name: 'run', type: 'string', valueName: 'DIR', description: 'Training run, checkpoint directory or golden U-Net export: loss curve (when it has one) and U-Net samples' },
    { name: 'golden', type: 'string', default: 'golden', valueName: 'DIR', description: 'Golden folder (the golden U-Net is <DIR>/unet)' },
    { name: 'bench', type: 'string', default: 'bench/results', valueName: 'DIR', description: 'Benchmark results folder (newest full run is shown)' },
    { name: 'properties', type: 'boolean', default: true, description: 'Run the property suite on the reference (--no-properties to skip)' },
    { name: 'properties-json', type: 'file', valueName: 'FILE', description: 'Use the claim results saved by an earlier report instead of running them' },
    { name: 'claims', type: 'string', valueName: 'LIST', description: 'Run only these claim ids (comma-separated)' },
    { name: 'scatter', type: 'int', min: 0, max: 5000, default: 300, valueName: 'N', description: 'Points per sampler scatter plot (0: none)' },
    { name: 'samples', type: 'int', min: 0, max: 256, default: 16, description: 'U-Net samples drawn from the run (0: none)' },
    { name: 'sample-steps', type: 'int', min: 1, max: 1000, default: 50, description: 'DDIM steps of the U-Net samples' },
    { name: 'golden-samples', type: 'int', min: 0, max: 256, default: 16, valueName: 'N', description: 'Golden U-Net samples per sampler (DDIM-50, DDPM-100, DPM-Solver-2; 0: none)' },
    { name: 'elbo-t', type: 'int', min: 2, max: 1000, default: 24, valueName: 'N', description: 'Timesteps at which the golden ELBO terms are evaluated' },
    { name: 'elbo-batch', type: 'int', min: 1, max: 512, default: 16, description: 'Held-out images per ELBO term' },
    { name: 'backend', type: 'string', choices: ['tensorflow', 'webgpu', 'wasm', 'cpu'], description: 'Force a tfjs backend for the U-Net parts' },
  ],
  examples: ['report', 'report --run runs/mnist-unet-32-64-64 --out out/report/report.html', 'report --no-properties --scatter 100'],
  async run(args: ParsedArgs, ctx: CommandContext) {
    const out = resolve(ctx.cwd, args.require<string>('out'));
    if (!out.endsWith('.html')) throw new UsageError(`--out must name an .html file (got ${out})`);
    const pj = args.string('properties-json');
    const properties = pj ? { file: resolve(ctx.cwd, pj) } : args.boolean('properties') ? ('run' as const) : ('skip' as const);
    const claims = args.string('claims')?.split(',').map((s) => s.trim()).filter(Boolean);
    const { selectBackend } = await import('../../backend/backend.js');
    type BackendName = import('../../backend/backend.js').BackendName;
    const backend = await selectBackend({ backend: args.string('backend') as BackendName | undefined, env: ctx.env, log: (l) => ctx.note(l) });
    const { buildReport } = await import('../../report/build.js');
    const os = await import('node:os');
    const built = await buildReport({
      golden: resolve(ctx.cwd, args.require<string>('golden')),
      run: args.string('run') ? resolve(ctx.cwd, args.string('run')!) : undefined,
      benchDir: resolve(ctx.cwd, args.require<string>('bench')),
      properties,
      claims,
      scatterN: args.require<number>('scatter'),
      samples: args.require<number>('samples'),
      sampleSteps: args.require<number>('sample-steps'),
      elboCount: args.require<number>('elbo-t'),
      elboBatch: args.require<number>('elbo-batch'),
      goldenSamples: args.require<number>('golden-samples'),
      context: `${os.cpus()[0]?.model?.trim() ?? 'CPU'}, ${os.cpus().length} cores, Node ${process.version}; tfjs backend ${backend.description}.`,
      log: (l) => ctx.note(l),
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileAtomic(out, built.html);
    if (built.properties && properties === 'run') {
      const pjOut = join(dirname(out), `${out.slice(dirname(out).length + 1, -'.html'.length)}.properties.json`);
      writeFileAtomic(pjOut, JSON.stringify(built.properties, null, 1) + '\n');
      ctx.note(`wrote ${pjOut}`);
    }
    ctx.stdout.write(`${out}\n`);
  },
};
