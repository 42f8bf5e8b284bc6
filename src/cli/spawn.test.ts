/**
 * The real launcher, as a separate process: bin/diffusion-oracle.js importing the compiled
 * dist/src/cli/main.js. To test the current sources (not whatever dist/ holds), the CLI is
 * transpiled with the TypeScript API into a temporary folder inside the repository (so that
 * node_modules and package.json resolve as in the package), next to a copy of the launcher.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { betaSchedule, makeSchedule } from '../reference/schedules.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = join(repo, `cli-spawn-${process.pid}.tmp`); // *.tmp is git-ignored
const bare = mkdtempSync(join(tmpdir(), 'cli-bare-'));

/** Every non-test .ts file under src/ (the CLI's import closure is a subset). */
function sources(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = join(d, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

beforeAll(() => {
  // Transpile only (no type check: `tsc --noEmit` does that), file by file: fast.
  for (const file of sources(join(repo, 'src'))) {
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false },
    });
    const dest = join(build, 'dist', relative(repo, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, out.outputText);
  }
  mkdirSync(join(build, 'bin'), { recursive: true });
  copyFileSync(join(repo, 'bin/diffusion-oracle.js'), join(build, 'bin/diffusion-oracle.js'));
  mkdirSync(join(bare, 'bin'));
  copyFileSync(join(repo, 'bin/diffusion-oracle.js'), join(bare, 'bin/diffusion-oracle.js'));
}, 120_000);

afterAll(() => {
  rmSync(build, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
});

const cli = (root: string, args: string[]) => spawnSync(process.execPath, [join(root, 'bin/diffusion-oracle.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

describe('bin/diffusion-oracle.js in a child process', () => {
  it('schedule prints the reference values (CSV, full precision), exit 0', () => {
    const r = cli(build, ['schedule', '--name', 'cosine', '-T', '100', '--every', '25', '--format', 'csv']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = makeSchedule(betaSchedule('cosine', 100));
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    expect(rows.map((x) => x[0])).toEqual([1, 25, 50, 75, 100]);
    for (const [t, beta, ab, snr, ls] of rows) expect([beta, ab, snr, ls]).toEqual([s.beta(t), s.alphaBar(t), s.snr(t), s.logSnr(t)]);
  });

  it('unknown command: exit code 2, one line on stderr, no stack', () => {
    const r = cli(build, ['nonsense']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^diffusion-oracle: error: unknown command "nonsense"/);
  });

  it('--version and --help', () => {
    expect(cli(build, ['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = cli(build, ['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Commands:\n {2}schedule/);
  });

  it('without a compiled dist/, the launcher explains what to do (exit 1)', () => {
    const r = cli(bare, ['--help']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compiled program is missing .*dist[\\/]src[\\/]cli[\\/]main\.js/);
    expect(r.stderr).toMatch(/npm run build/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
