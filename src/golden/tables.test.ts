/**
 * docs/golden.md publishes golden/stats.json: its generated section must be exactly what
 * goldenMarkdown makes of the committed file (regenerate: `diffusion-oracle golden tables --write docs/golden.md`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GoldenFile } from './golden.js';
import { extractTables, goldenMarkdown, num, spliceTables, TABLES_BEGIN, TABLES_END } from './tables.js';

const golden = JSON.parse(readFileSync(new URL('../../golden/stats.json', import.meta.url), 'utf8')) as GoldenFile;
const doc = readFileSync(new URL('../../docs/golden.md', import.meta.url), 'utf8');

describe('golden tables', () => {
  it('docs/golden.md carries the tables of the committed golden/stats.json', () => {
    const published = extractTables(doc);
    expect(published, 'docs/golden.md has no generated tables section').not.toBeNull();
    expect(published).toBe(goldenMarkdown(golden));
  });

  it('lists every configuration and statistic with its band', () => {
    const md = goldenMarkdown(golden);
    for (const [id, rec] of Object.entries(golden.configs)) {
      expect(md).toContain(`**${id}**`);
      for (const [k, b] of Object.entries(rec.stats)) expect(md).toContain(`| ${k} | ${num(b.golden)} | ${num(b.sd)} | [${num(b.band[0])}, ${num(b.band[1])}] |`);
    }
  });

  it('says which floors fail, from the floors stored in the file', () => {
    const g = structuredClone(golden);
    const bpd = Object.values(g.configs).find((r) => r.config.kind === 'bpd')!;
    bpd.stats.bitsPerDim.golden = g.floors.bpdMax + 0.01;
    expect(goldenMarkdown(g)).toMatch(new RegExp(`bitsPerDim ${num(g.floors.bpdMax + 0.01)} ≤ ${num(g.floors.bpdMax)}: \\*\\*fails\\*\\*`));
    bpd.stats.bitsPerDim.golden = g.floors.bpdMax - 0.01;
    expect(goldenMarkdown(g)).toMatch(new RegExp(`bitsPerDim ${num(g.floors.bpdMax - 0.01)} ≤ ${num(g.floors.bpdMax)}: passes`));
  });

  it('splices into the marked section and nowhere else; refuses a document without markers', () => {
    const d = `# t\n\nbefore\n\n${TABLES_BEGIN}\n\nold\n${TABLES_END}\n\nafter\n`;
    const s = spliceTables(d, 'new\n');
    expect(s).toBe(`# t\n\nbefore\n\n${TABLES_BEGIN}\n\nnew\n\n${TABLES_END}\n\nafter\n`);
    expect(extractTables(s)).toBe('new\n');
    expect(() => spliceTables('# no markers\n', 'x\n')).toThrow(/no section between/);
  });

  it('names the training steps, counting a fine-tuning run\'s source', () => {
    const g = structuredClone(golden);
    g.model = { ...g.model, step: 2000, train: { ...(g.model.train as object), initFrom: { checkpoint: 'x', step: 4200, weightsSha256: '', emaSha256: '' } } };
    expect(goldenMarkdown(g)).toContain('step 2000 of a fine-tuning run started from step 4200 of another (6200 steps in all)');
    g.model = { ...g.model, train: { ...(g.model.train as object), initFrom: undefined } };
    expect(goldenMarkdown(g)).toContain('training step 2000,');
  });

  it('formats numbers to four significant digits', () => {
    expect(num(1.78993)).toBe('1.790');
    expect(num(0.0000269)).toBe('2.69e-5');
    expect(num(0)).toBe('0');
    expect(num(140.72)).toBe('140.7');
  });
});
