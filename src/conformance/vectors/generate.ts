/**
 * Generator of the portable test vectors (issue 8): `writeVectors(outDir)` writes one JSON file
 * per formula family plus the JSON schema; `diffusion-oracle vectors --out vectors/` calls it.
 * The builders, the tolerance rule and the number format are in builder.ts; the families in
 * families.ts (core) and families-score.ts (score family).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import type { DiffusionImpl } from '../interface.js';
import { referenceImpl } from '../impls/reference.js';
import { referenceScoreImpl } from '../impls/reference-score.js';
import { stringifyVectors } from './builder.js';
import { FAMILIES } from './families.js';
import { SCORE_FAMILIES } from './families-score.js';
import { VECTOR_SCHEMA } from './schema.js';

export { FamilyBuilder, GroupBuilder, stringifyVectors, type FamilyFn } from './builder.js';

/**
 * All vector files as {fileName: text}, in a fixed order. Core families are generated with
 * `referenceImpl`, score families (src/conformance/vectors/families-score.ts) with `referenceScoreImpl` (the same
 * core members plus the score family), unless `impl` is given.
 */
export async function generateVectorTexts(impl?: DiffusionImpl): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [file, fn] of FAMILIES) {
    out.set(file, `${stringifyVectors(fn(impl ?? referenceImpl).file())}\n`);
  }
  for (const [file, fn] of SCORE_FAMILIES) {
    out.set(file, `${stringifyVectors(fn(impl ?? referenceScoreImpl).file())}\n`);
  }
  const { SIGMA_FAMILIES } = await import('./families-sigma.js');
  const { referenceSigmaImpl } = await import('../impls/reference-sigma.js');
  for (const [file, fn] of SIGMA_FAMILIES) {
    out.set(file, `${stringifyVectors(fn(impl ?? referenceSigmaImpl).file())}\n`);
  }
  out.set('schema/vectors.schema.json', `${stringifyVectors(VECTOR_SCHEMA)}\n`);
  return out;
}

/** Write every vector file under `outDir` (creating it); returns the relative paths written. */
export async function writeVectors(outDir: string, impl?: DiffusionImpl): Promise<string[]> {
  const texts = await generateVectorTexts(impl);
  for (const [rel, text] of texts) {
    const path = join(outDir, rel);
    writeFileAtomic(path, text);
  }
  return [...texts.keys()];
}
