/**
 * `vectors`: write (or check) the portable test vectors (issue 8; docs/vectors.md): one JSON file
 * per formula family plus the JSON schema, generated deterministically from the float64 reference
 * by src/conformance/vectors/generate.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';

export const vectorsCommand: Command = {
  name: 'vectors',
  summary: 'Write (or --check) the portable JSON test vectors, one file per formula family',
  description: `Generates the test vectors from the float64 reference: schedules, forward process,
    posterior, parameterizations, DDPM step, DDIM timesteps and step, KL and decoder terms, VLB terms,
    and the score family (mixture log density, score and Tweedie mean; process coefficients; single
    Langevin / reverse-SDE / predictor-corrector / PF-ODE / InDI / DPM-Solver steps; guidance;
    score-matching losses). Each file has a version, notes explaining every flag (the bug a vector is built to expose) and
    test groups of cases with stable ids, inputs, float64 expected outputs, float64/float32 tolerances
    and flags; invalid cases name inputs an implementation must reject. Generation is deterministic:
    the same sources give byte-identical files.

    --check compares the files in --out with a fresh generation and exits 1 on any difference.
    Check an implementation against the vectors with the conformance kit
    (diffusion-oracle/conformance) or, for Python, vectors/check_numpy.py.`,
  options: [
    { name: 'out', short: 'o', type: 'string', valueName: 'DIR', default: 'vectors', description: 'Directory to write (or check)' },
    { name: 'check', type: 'boolean', description: 'Do not write: verify that DIR holds exactly what would be written' },
  ],
  examples: ['vectors --out vectors/', 'vectors --check --out vectors/'],
  async run(args, ctx) {
    const dir = resolve(ctx.cwd, args.require<string>('out'));
    const gen = await import('../../conformance/vectors/generate.js');
    if (args.boolean('check')) {
      const texts = await gen.generateVectorTexts();
      const bad: string[] = [];
      for (const [rel, text] of texts) {
        const p = join(dir, rel);
        if (!existsSync(p)) bad.push(`${rel}: missing`);
        else if (readFileSync(p, 'utf8') !== text) bad.push(`${rel}: differs from a fresh generation`);
      }
      for (const b of bad) ctx.stderr.write(`${b}\n`);
      ctx.stdout.write(bad.length ? `vectors in ${dir}: ${bad.length} of ${texts.size} files out of date\n` : `vectors in ${dir}: all ${texts.size} files up to date\n`);
      return bad.length ? 1 : 0;
    }
    const files = await gen.writeVectors(dir);
    let cases = 0;
    for (const f of files) {
      if (f.includes('/')) continue;
      cases += (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { numberOfTests: number }).numberOfTests;
    }
    ctx.stdout.write(`wrote ${files.length} files (${cases} cases) to ${dir}\n`);
    return 0;
  },
};
