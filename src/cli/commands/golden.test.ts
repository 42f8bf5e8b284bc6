/**
 * `golden` command: user mistakes are one-line errors with exit 2 (the computations themselves are
 * tested in golden/golden.test.ts and src/golden/*.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'golden-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe('golden command', () => {
  it('rejects an unknown action in one line', async () => {
    const r = await run(['golden', 'chek']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown action 'chek'.*classifier, check, update, tables/);
    expect(r.err).not.toMatch(/^\s+at /m);
  });

  it('check without a stats.json says how to make one', async () => {
    const r = await run(['golden', 'check', '--golden', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/golden update.*stats\.json/);
  });

  it('update rejects an unknown --only configuration and a stray --train-note', async () => {
    const a = await run(['golden', 'update', '--golden', dir, '--train-note', 'x']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--train-note applies with --unet-from only/);
    const b = await run(['golden', 'update', '--golden', dir, '--only', 'ddim51']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/only.*unknown configuration.*ddim51/);
  });

  it('tables prints the committed statistics and --write splices them into a marked document only', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const { TABLES_BEGIN, TABLES_END } = await import('../../golden/tables.js');
    const p = await run(['golden', 'tables']);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/\*\*vlb-k99\*\*/);
    const doc = join(dir, 'doc.md');
    writeFileSync(doc, `# x\n\n${TABLES_BEGIN}\n\nstale\n${TABLES_END}\n`);
    const w = await run(['golden', 'tables', '--write', doc]);
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/^updated /);
    expect(readFileSync(doc, 'utf8')).toBe(`# x\n\n${TABLES_BEGIN}\n\n${p.out}\n${TABLES_END}\n`);
    expect((await run(['golden', 'tables', '--write', doc])).out).toMatch(/^unchanged /);
    const bare = join(dir, 'bare.md');
    writeFileSync(bare, '# no markers\n');
    const b = await run(['golden', 'tables', '--write', bare]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/no section between/);
    expect(readFileSync(bare, 'utf8')).toBe('# no markers\n');
    const c = await run(['golden', 'check', '--golden', dir, '--write', doc]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--write applies to golden tables only/);
  });

  it('lists the command in --help', async () => {
    const r = await run(['golden', '--help']);
    expect(r.code).toBe(0);
    expect(r.out + r.err).toMatch(/golden classifier --out golden\/classifier/);
  });
});
