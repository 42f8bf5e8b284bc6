/**
 * Tests of the portable vectors (issue 8):
 *  - drift: regenerating gives byte-identical files (deterministic generation, fixed seeds);
 *  - format: every file matches the schema's structure, ids are unique across files, every flag
 *    has a note, every valid case has a tolerance per output and precision;
 *  - the float64 reference passes every vector, and so does the independent handwritten example
 *    implementation (a cross-check of the expected values and of the tolerance model);
 *  - every flag is honest: the bug model of each flag (src/conformance/broken/vector-bugs.ts) fails every vector that
 *    carries the flag;
 *  - the conformance report of a broken adapter names the failing vectors and their flags.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateVectorTexts } from '../src/conformance/vectors/generate.js';
import { OPS, FLAG_NOTES, callOp, decodeNumber, type VectorFile } from '../src/conformance/vectors/format.js';
import { BUG_MODELS } from '../src/conformance/broken/vector-bugs.js';
import { loadVectors, runConformance, runVectorCase, formatReport } from '../src/conformance/kit.js';
import { referenceImpl } from '../src/conformance/impls/reference.js';
import { referenceScoreImpl } from '../src/conformance/impls/reference-score.js';
import { handwrittenAdapter } from '../src/conformance/impls/handwritten.js';
import type { DiffusionImpl } from '../src/conformance/interface.js';

const DIR = new URL('.', import.meta.url).pathname;
const files = loadVectors(DIR);

describe('vectors: generation', () => {
  it('regenerating the vectors gives byte-identical files (run `diffusion-oracle vectors --out vectors/` after an intended change)', async () => {
    const texts = await generateVectorTexts();
    const committed = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
    expect(committed).toEqual([...texts.keys()].filter((k) => !k.includes('/')).sort());
    for (const [rel, text] of texts) {
      const onDisk = readFileSync(join(DIR, rel), 'utf8');
      expect(onDisk === text, `${rel} drifted from the generator`).toBe(true);
    }
  });

  it('total size stays modest (< 5 MB)', () => {
    const total = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .reduce((n, f) => n + readFileSync(join(DIR, f)).length, 0);
    console.log(`  vectors: ${files.length} files, ${files.reduce((n, f) => n + f.numberOfTests, 0)} cases, ${(total / 1024).toFixed(0)} KiB`);
    expect(total).toBeLessThan(5 * 1024 * 1024);
  });
});

describe('vectors: format', () => {
  it('every file has the schema\'s structure; ids are unique; flags have notes; tolerances are complete', () => {
    const schema = JSON.parse(readFileSync(join(DIR, 'schema', 'vectors.schema.json'), 'utf8'));
    const idPattern = new RegExp(schema.properties.testGroups.items.properties.tests.items.properties.id.pattern);
    const ids = new Set<string>();
    for (const f of files) {
      for (const k of schema.required as string[]) expect(f, `${f.family} lacks ${k}`).toHaveProperty(k);
      expect(f.version).toBe(schema.properties.version.const);
      let n = 0;
      for (const g of f.testGroups) {
        expect(Object.keys(OPS)).toContain(g.op);
        for (const c of g.tests) {
          n++;
          expect(idPattern.test(c.id), c.id).toBe(true);
          expect(c.id.startsWith(`${f.family}/${g.name}/`), c.id).toBe(true);
          expect(ids.has(c.id), `duplicate ${c.id}`).toBe(false);
          ids.add(c.id);
          for (const fl of c.flags) {
            expect(f.notes[fl], `${c.id}: flag ${fl} has no note in ${f.family}`).toBeDefined();
            expect(f.notes[fl]).toEqual(FLAG_NOTES[fl]);
          }
          if (c.result === 'valid') {
            for (const key of OPS[g.op].outputs) {
              expect(c.expected, c.id).toHaveProperty(key);
              const tol = c.tolerance![key];
              expect(tol.float64 >= 0 && tol.float32 >= tol.float64, c.id).toBe(true);
              const vals = ([] as unknown[]).concat(c.expected![key]);
              for (const v of vals) expect(Number.isNaN(decodeNumber(v)), c.id).toBe(false);
            }
          } else {
            expect(c.reason, c.id).toBeTruthy();
          }
        }
      }
      expect(f.numberOfTests).toBe(n);
    }
  });
});

/** Largest |actual - expected| / tolerance over all valid vectors an implementation passes. */
function worstRatio(impl: DiffusionImpl, fs: VectorFile[]): { ratio: number; id: string } {
  let worst = { ratio: 0, id: '(all exact)' };
  for (const f of fs) {
    for (const g of f.testGroups) {
      for (const c of g.tests) {
        if (c.result !== 'valid' || runVectorCase(impl, g, c).status !== 'passed') continue;
        const out = callOp(impl, g.op, c.inputs, g.betas);
        for (const key of Object.keys(c.expected!)) {
          const e = ([] as unknown[]).concat(c.expected![key]).map(decodeNumber);
          const a = ([] as number[]).concat(out[key]);
          const tol = c.tolerance![key][impl.precision];
          for (let i = 0; i < e.length; i++) {
            if (!Number.isFinite(e[i])) continue;
            const err = Math.abs(a[i] - e[i]);
            const r = err === 0 ? 0 : err / tol;
            if (r > worst.ratio) worst = { ratio: r, id: `${c.id}:${key}[${i}]` };
          }
        }
      }
    }
  }
  return worst;
}

const SCORE_FAMILY_NAMES = ['score-mixture', 'score-steps', 'dpm-solver', 'guidance', 'score-matching', 'sigma', 'multistep'];

describe('vectors: implementations that must pass', () => {
  // The reference with its score members passes every vector; the handwritten example (core
  // formulas only) every core vector, the score families being not applicable to it.
  for (const impl of [referenceScoreImpl, referenceImpl, handwrittenAdapter]) {
    it(`${impl.name} passes every vector it implements`, async () => {
      const rep = await runConformance(impl, { claims: false, vectors: files });
      if (rep.failed.length) console.log(formatReport(rep));
      expect(rep.failed).toEqual([]);
      const scoreIds = new Set(files.filter((f) => SCORE_FAMILY_NAMES.includes(f.family)).flatMap((f) => f.testGroups.flatMap((g) => g.tests.map((c) => c.id))));
      expect(scoreIds.size).toBeGreaterThan(150);
      if (impl === referenceScoreImpl) expect(rep.notApplicable).toEqual([]);
      else expect(rep.notApplicable.map((n) => n.id).sort()).toEqual([...scoreIds].sort());
      const w = worstRatio(impl, files);
      console.log(`  ${impl.name}: ${rep.passed.length} vectors passed; worst error/tolerance ${w.ratio.toExponential(2)} at ${w.id}`);
    });
  }
});

describe('vectors: score-family cases agree with the core families where the formulas coincide', () => {
  const find = (id: string) => {
    for (const f of files) for (const g of f.testGroups) for (const c of g.tests) if (c.id === id) return c;
    throw new Error(`no vector ${id}`);
  };
  const within = (out: number[], c: ReturnType<typeof find>) => {
    const e = (c.expected!.out as number[]).map(decodeNumber);
    const tol = c.tolerance!.out.float64;
    return out.map((v, i) => Math.abs(v - e[i]) / tol);
  };
  it('DPM-Solver-1 between integer times of a discrete schedule = the core ddimStep with η = 0 (Lu et al. 2022 §4.1)', () => {
    const c = find('dpm-solver/dpm-solver-1/discrete-vp-eps-15-10');
    const i = c.inputs as { process: { betas: number[] }; x: number[]; model: { value: number[] } };
    const out = callOp(referenceImpl, 'ddimStep', { betas: i.process.betas, xt: i.x, t: 15, tPrev: 10, modelOutput: i.model.value, options: { eta: 0 } }).out as number[];
    for (const r of within(out, c)) expect(r).toBeLessThanOrEqual(1);
  });
  it('the VP reverse-SDE step between integer times t → t-1 = the core ddpmStep with σ² = β_t', () => {
    const c = find('score-steps/vp-reverse-sde/discrete-vp-eps-10-9');
    const i = c.inputs as { process: { betas: number[] }; x: number[]; model: { value: number[] }; options: { noise: number[][] } };
    const out = callOp(referenceImpl, 'ddpmStep', { betas: i.process.betas, xt: i.x, t: 10, modelOutput: i.model.value, options: { prediction: 'eps', variance: 'beta', noise: i.options.noise[0] } }).out as number[];
    for (const r of within(out, c)) expect(r).toBeLessThanOrEqual(1);
  });
});

describe('vectors: every flag exposes its bug', () => {
  const flagged = new Map<string, { file: VectorFile; id: string }[]>();
  for (const f of files) for (const g of f.testGroups) for (const c of g.tests) for (const fl of c.flags) {
    if (!flagged.has(fl)) flagged.set(fl, []);
    flagged.get(fl)!.push({ file: f, id: c.id });
  }
  it('every flag used has a bug model', () => {
    expect([...flagged.keys()].filter((fl) => !BUG_MODELS[fl])).toEqual([]);
  });
  for (const [flag, make] of Object.entries(BUG_MODELS)) {
    it(`bug model ${flag} fails every vector flagged ${flag}`, async () => {
      const cases = flagged.get(flag) ?? [];
      expect(cases.length, `no vector carries ${flag}`).toBeGreaterThan(0);
      const rep = await runConformance(make(), { claims: false, vectors: files });
      const failed = new Set(rep.failed.map((f) => f.id));
      const missed = cases.filter((c) => !failed.has(c.id)).map((c) => c.id);
      expect(missed, `vectors flagged ${flag} that the bug model passes`).toEqual([]);
      // How many of them a float32 implementation with this bug would also fail.
      const rep32 = await runConformance({ ...make(), precision: 'float32' }, { claims: false, vectors: files });
      const failed32 = new Set(rep32.failed.map((f) => f.id));
      console.log(`  ${flag}: ${cases.length} flagged vectors fail in float64; ${cases.filter((c) => failed32.has(c.id)).length} also at float32 tolerances`);
    });
  }
});

describe('conformance report of a broken adapter', () => {
  it('names the failing vectors and their flags', async () => {
    // A diffusers-style port with two bugs: DDIM's final step uses ᾱ_1 as "final alpha", and the
    // last DDPM step adds noise.
    const broken: DiffusionImpl = { ...BUG_MODELS.FINAL_ALPHA(), ddpmStep: BUG_MODELS.NOISE_AT_T1().ddpmStep, name: 'broken port' };
    const rep = await runConformance(broken, { claims: false, vectors: files });
    const text = formatReport(rep);
    console.log(text.split('\n').slice(0, 12).join('\n'));
    expect(rep.failed.length).toBeGreaterThan(0);
    expect(rep.failed.map((f) => f.id)).toContain('ddim/ddim-step-linear-T1000/final-1-0-eta0');
    expect(rep.failed.map((f) => f.id)).toContain('ddpm/ddpm-step-linear-T1000/eps-posterior-t1');
    for (const f of rep.failed) expect(f.flags.includes('FINAL_ALPHA') || f.flags.includes('NOISE_AT_T1'), f.id).toBe(true);
    expect(text).toContain('ddim/ddim-step-linear-T1000/final-1-0-eta0 [FINAL_ALPHA]');
    expect(text).toMatch(/FINAL_ALPHA: \d+/);
    expect(text).toMatch(/NOISE_AT_T1: \d+/);
  });

  it('names the failing score-family vectors of a broken score port (seed eq. 103, diffusers CFG scale)', async () => {
    const broken: DiffusionImpl = { ...BUG_MODELS.VP_SDE_DRIFT(), classifierFreeGuidance: BUG_MODELS.CFG_SCALE_CONVENTION().classifierFreeGuidance, name: 'broken score port' };
    const rep = await runConformance(broken, { claims: false, vectors: files });
    const text = formatReport(rep);
    console.log(text.split('\n').filter((l) => !l.includes(' vector ') || /VP_SDE_DRIFT|CFG_SCALE/.test(l)).slice(0, 14).join('\n'));
    expect(rep.notApplicable).toEqual([]);
    expect(rep.failed.map((f) => f.id)).toContain('score-steps/vp-reverse-sde/vp-score-0.5-0.45');
    expect(rep.failed.map((f) => f.id)).toContain('guidance/classifier-free-guidance/vp-t0.3-w0');
    for (const f of rep.failed) expect(f.flags.includes('VP_SDE_DRIFT') || f.flags.includes('CFG_SCALE_CONVENTION'), f.id).toBe(true);
    expect(text).toMatch(/VP_SDE_DRIFT: \d+/);
    expect(text).toMatch(/CFG_SCALE_CONVENTION: \d+/);
  });

  it('reports members an adapter lacks as not applicable, never as passed', async () => {
    const partial: DiffusionImpl = { name: 'schedules only', precision: 'float64', alphaBar: handwrittenAdapter.alphaBar };
    const rep = await runConformance(partial, { claims: false, vectors: files });
    expect(rep.failed).toEqual([]);
    expect(rep.passed.every((id) => id.startsWith('schedules/alpha-bar'))).toBe(true);
    expect(rep.passed.length).toBeGreaterThan(0);
    expect(rep.notApplicable.length).toBe(files.reduce((n, f) => n + f.numberOfTests, 0) - rep.passed.length);
  });
});
