/**
 * The docs table of the samplers (docs/samplers.md, between the markers), generated from the
 * descriptor table; src/reference/samplers_doc.test.ts fails when the committed table differs.
 * Regenerate: `UPDATE_DOCS=1 npx vitest run src/reference/samplers_doc.test.ts`.
 */
import { describeOption } from './sampling.js';
import { SAMPLER_LIST } from './samplers.js';

export const SAMPLERS_TABLE_BEGIN = '<!-- samplers table: generated from src/reference/samplers.ts SAMPLER_TABLE (src/reference/samplers_doc.ts); do not edit by hand -->';
export const SAMPLERS_TABLE_END = '<!-- end of samplers table -->';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown table: one row per sampler. */
export function samplersMarkdown(): string {
  const rows = [
    '| name | family | grid (default spacing) | processes | deterministic | options | formula (source) | k-diffusion / diffusers / paper | example |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const d of SAMPLER_LIST) {
    const grid = `${d.grid} (${d.spacing})${d.reversible ? ', either direction' : ''}${d.order !== undefined ? `; order ${d.order}` : ''}`;
    const opts = d.options.length ? d.options.map(describeOption).join('<br>') : '—';
    rows.push(
      `| \`${d.name}\` | \`${d.family}.ts\` \`${d.fn}\` | ${cell(grid)} | ${d.processes.join(', ')} | ${d.deterministic ? 'yes' : 'no'} | ${cell(opts)} | ${cell(d.summary)} (${d.catalog}) | ${cell(d.aka ?? '—')} | \`${cell(d.example)}\` |`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/** The generated section of a document (null without markers). */
export function extractSamplersTable(doc: string): string | null {
  const a = doc.indexOf(SAMPLERS_TABLE_BEGIN);
  const b = doc.indexOf(SAMPLERS_TABLE_END);
  if (a < 0 || b < a) return null;
  return doc.slice(a + SAMPLERS_TABLE_BEGIN.length, b).replace(/^\n+/, '').replace(/\n+$/, '\n');
}

/** The document with its generated section replaced by `table`. */
export function spliceSamplersTable(doc: string, table: string): string {
  const a = doc.indexOf(SAMPLERS_TABLE_BEGIN);
  const b = doc.indexOf(SAMPLERS_TABLE_END);
  if (a < 0 || b < a) throw new Error(`no section between ${SAMPLERS_TABLE_BEGIN} and ${SAMPLERS_TABLE_END}`);
  return `${doc.slice(0, a + SAMPLERS_TABLE_BEGIN.length)}\n\n${table}\n${doc.slice(b)}`;
}
