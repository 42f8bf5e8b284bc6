/**
 * Every ```ts block of README.md and docs/*.md is type-checked (tsc, with the project's settings)
 * and run. A block that cannot run says so just before it, with a reason:
 *
 *   <!-- not-run: reason -->          neither compiled nor run (a signature, a fragment with `…`)
 *   <!-- typecheck-only: reason -->   compiled, not run (needs data or a model the test lacks)
 *
 * Imports of the package ('diffusion-oracle', 'diffusion-oracle/reference', …) are mapped to the
 * source file that package.json's "exports" names (dist/X.js → X.ts), so no build is needed, and
 * './src/…' means the repository root's src/. Shell blocks are left to issue 19.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

export interface Block {
  file: string;
  line: number;
  code: string;
  mode: 'run' | 'typecheck-only' | 'not-run';
  reason?: string;
}

/** The ```ts blocks of one markdown text, each with the marker (if any) on the nearest non-blank line before it. */
export function tsBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
    if (open[1] === 'ts' || open[1] === 'typescript') {
      let k = i - 1;
      while (k >= 0 && lines[k].trim() === '') k--;
      const m = k >= 0 ? /^<!--\s*(not-run|typecheck-only):\s*(.*?)\s*-->\s*$/.exec(lines[k]) : null;
      out.push({ file, line: i + 1, code: lines.slice(i + 1, j).join('\n'), mode: m ? (m[1] as Block['mode']) : 'run', reason: m?.[2] });
    }
    i = j;
  }
  return out;
}

/** package.json "exports": specifier → source file (absolute path). */
function packageImports(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string> };
  const map = new Map<string, string>();
  for (const [sub, target] of Object.entries(pkg.exports)) {
    const src = target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
    map.set(sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`, join(ROOT, src));
  }
  return map;
}

/** The block with its imports pointing at the sources, as a module in `dir`. */
function rewrite(code: string, dir: string, pkg: Map<string, string>): string {
  const rel = (abs: string) => {
    const r = relative(dir, abs).replace(/\.ts$/, '.js');
    return r.startsWith('.') ? r : `./${r}`;
  };
  const body = code.replace(/(from\s+|import\s*\(\s*)'([^']+)'/g, (all, pre: string, spec: string) => {
    if (pkg.has(spec)) return `${pre}'${rel(pkg.get(spec)!)}'`;
    if (spec.startsWith('./src/')) return `${pre}'${rel(join(ROOT, spec))}'`;
    return all;
  });
  return `${body}\nexport {};\n`;
}

const blocks = DOCS.flatMap((f) => tsBlocks(f, readFileSync(join(ROOT, f), 'utf8')));
const checked = blocks.filter((b) => b.mode !== 'not-run');
const name = (b: Block) => `${b.file}:${b.line}`;
const modName = (b: Block) => `${b.file.replace(/[^A-Za-z0-9]/g, '_')}_${b.line}.ts`;

describe('code blocks in README.md and docs/*.md', () => {
  it('finds the blocks, and every block that opts out gives a reason', () => {
    expect(checked.length).toBeGreaterThanOrEqual(4);
    for (const b of blocks) if (b.mode !== 'run') expect(b.reason, `${name(b)}: ${b.mode} needs a reason`).toBeTruthy();
  });

  // One folder inside the repository (so that node_modules and the sources resolve), removed afterwards.
  const dir = join(ROOT, `.scratch-doc-blocks-${process.pid}`);

  it('every block that is not marked not-run type-checks with the project settings', () => {
    const pkg = packageImports();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const b of checked) writeFileSync(join(dir, modName(b)), rewrite(b.code, dir, pkg));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '..' }, include: ['*.ts'] }),
    );
    let out = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
    } catch (e) {
      out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}` || String(e);
    }
    // Name the markdown line of each error rather than the scratch file's.
    for (const b of checked) out = out.split(`${relative(ROOT, dir)}/${modName(b)}(`).join(`${name(b)} + (line, column) in the block: (`);
    expect(out, 'tsc errors in documentation code blocks').toBe('');
  }, 300_000);

  for (const b of checked) {
    it.runIf(b.mode === 'run')(`${name(b)} runs`, async () => {
      const file = join(dir, modName(b));
      expect(existsSync(file), 'written by the type-check test above').toBe(true);
      await import(pathToFileURL(file).href);
    });
  }

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
