/** `diffusion-oracle vectors`: writes the committed files; `--check` detects drift. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const DIR = new URL('.', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'vectors-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe('diffusion-oracle vectors', () => {
  it('--out writes the same files as committed under vectors/', async () => {
    const r = await run(['vectors', '--out', tmp]);
    expect(r.code).toBe(0);
    // every committed vector file plus the schema
    const files = readdirSync(DIR).filter((x) => x.endsWith('.json')).length + 1;
    expect(r.out).toMatch(new RegExp(`wrote ${files} files \\(\\d+ cases\\)`));
    for (const f of readdirSync(DIR).filter((x) => x.endsWith('.json'))) {
      expect(readFileSync(join(tmp, f), 'utf8') === readFileSync(join(DIR, f), 'utf8'), f).toBe(true);
    }
    expect(readFileSync(join(tmp, 'schema', 'vectors.schema.json'), 'utf8')).toBe(readFileSync(join(DIR, 'schema', 'vectors.schema.json'), 'utf8'));
  });

  it('--check passes on fresh files and fails (exit 1) on an edited one', async () => {
    expect((await run(['vectors', '--check', '--out', tmp])).code).toBe(0);
    const p = join(tmp, 'ddim.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"version": "1.0.0"', '"version": "0.9.0"'));
    const r = await run(['vectors', '--check', '--out', tmp]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ddim.json: differs from a fresh generation');
  });
});
