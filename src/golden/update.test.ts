/**
 * `golden update` bookkeeping without recomputing anything: merging `--only` results into the
 * current stats.json (never mixing two models' statistics) and the provenance commit.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeCommit, mergeGoldenFiles, type GoldenFile } from './golden.js';

const committed = JSON.parse(readFileSync(new URL('../../golden/stats.json', import.meta.url), 'utf8')) as GoldenFile;

function recomputed(ids: string[], over: (g: GoldenFile) => void = () => {}): GoldenFile {
  const g = structuredClone(committed);
  g.configs = Object.fromEntries(ids.map((id) => [id, { ...structuredClone(committed.configs[id]), wallSeconds: [-1] }]));
  over(g);
  return g;
}

describe('golden update --only: merging into the current file', () => {
  it('same model, classifier and seeds: recomputed records replace theirs, the others are kept, in the canonical order', () => {
    const { file, dropped } = mergeGoldenFiles(committed, recomputed(['vlb-k99', 'ddim50']));
    expect(dropped).toEqual([]);
    expect(Object.keys(file.configs)).toEqual(Object.keys(committed.configs));
    expect(file.configs['vlb-k99'].wallSeconds).toEqual([-1]);
    expect(file.configs.ddim50.wallSeconds).toEqual([-1]);
    expect(file.configs.ddpm1000).toEqual(committed.configs.ddpm1000);
  });

  it('another U-Net, classifier or seed list: the records not recomputed are dropped and named', () => {
    for (const change of [
      (g: GoldenFile) => (g.model.weightsSha256 = 'f'.repeat(64)),
      (g: GoldenFile) => (g.classifier.weightsSha256 = 'e'.repeat(64)),
      (g: GoldenFile) => (g.seeds = [0, 1, 2]),
    ]) {
      const { file, dropped } = mergeGoldenFiles(committed, recomputed(['ddpm1000'], change));
      expect(Object.keys(file.configs)).toEqual(['ddpm1000']);
      expect(dropped).toEqual(Object.keys(committed.configs).filter((id) => id !== 'ddpm1000'));
    }
  });

  it('no current file: the recomputed records alone', () => {
    const next = recomputed(['fast-vlb-k24']);
    expect(mergeGoldenFiles(null, next)).toEqual({ file: next, dropped: [] });
  });
});

describe('provenance', () => {
  it("records this checkout's HEAD (whatever folder the golden files are in)", () => {
    let head: string | null;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('.', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      head = null; // not a git checkout (e.g. an unpacked tarball): nothing to record
    }
    if (head === null) expect(codeCommit()).toBe('unknown');
    else expect(codeCommit()).toMatch(new RegExp(`^${head}( \\(src/ modified\\))?$`));
  });
});
