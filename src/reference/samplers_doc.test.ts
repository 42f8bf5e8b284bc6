/**
 * docs/samplers.md publishes the descriptor table: its generated section must be exactly what
 * samplersMarkdown() makes of SAMPLER_TABLE (regenerate: `UPDATE_DOCS=1 npx vitest run src/reference/samplers_doc.test.ts`).
 * The README's hand-written table must name every sampler.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLER_NAMES } from './samplers.js';
import { extractSamplersTable, samplersMarkdown, spliceSamplersTable } from './samplers_doc.js';

const docUrl = new URL('../../docs/samplers.md', import.meta.url);

describe('samplers docs table', () => {
  it('docs/samplers.md carries the table generated from the sampler descriptors', () => {
    let doc = readFileSync(docUrl, 'utf8');
    if (process.env.UPDATE_DOCS) {
      doc = spliceSamplersTable(doc, samplersMarkdown());
      writeFileSync(docUrl, doc);
    }
    const published = extractSamplersTable(doc);
    expect(published, 'docs/samplers.md has no generated samplers table').not.toBeNull();
    expect(published, 'docs/samplers.md is stale: run UPDATE_DOCS=1 npx vitest run src/reference/samplers_doc.test.ts').toBe(samplersMarkdown());
  });

  it('the README names every sampler', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // A name appears as itself, or grouped: `dpm-solver-1/2/3` or `dpm-solver-1`, `-2`, `-3`.
    const grouped = [...readme.matchAll(/`([a-z+-]+-)(\d(?:\/\d)+)`/g)].flatMap((m) => m[2].split('/').map((k) => `${m[1]}${k}`));
    const suffixed = (n: string) => {
      const m = /^(.*-)(\d)$/.exec(n);
      return m !== null && readme.includes(`\`${m[1]}`) && readme.includes(`\`-${m[2]}\``);
    };
    for (const n of SAMPLER_NAMES) expect(readme.includes(`\`${n}\``) || grouped.includes(n) || suffixed(n), n).toBe(true);
  });
});
