/**
 * The layer check (`npm run layers`: dependency-cruiser with .dependency-cruiser.cjs) catches what
 * it is meant to catch: each test below writes a small tree with one deliberate violation into a
 * temporary folder, runs the same command on it, and asserts the violation is reported. The last
 * tests run it on the real tree.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BIN = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
/** The folders `npm run layers` checks (keep in step with package.json's "layers" script). */
const FOLDERS = ['src', 'properties', 'vectors', 'bench', 'golden'];

interface Violation {
  rule: string;
  from: string;
  to: string;
  cycle: string[];
}

/** Runs dependency-cruiser as `npm run layers` does, in `cwd`; returns the violations. */
function layers(cwd: string): Violation[] {
  const folders = FOLDERS.filter((f) => existsSync(join(cwd, f)));
  let out: string;
  try {
    out = execFileSync(process.execPath, [BIN, ...folders, '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  } catch (e) {
    // exit status = number of errors; the JSON report is on stdout all the same
    out = (e as { stdout?: string }).stdout ?? '';
    if (!out) throw e;
  }
  const r = JSON.parse(out) as { summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[] } };
  return r.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to, cycle: (v.cycle ?? []).map((c) => c.name) }));
}

/** A scratch project: the given files (path → source) plus the real tsconfig.json. */
function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true } }));
  for (const [p, src] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), src);
  }
  return dir;
}

function withScratch(files: Record<string, string>, f: (v: Violation[]) => void) {
  const dir = scratch(files);
  try {
    f(layers(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLEAN = {
  'src/reference/errors.ts': 'export class DiffusionInputError extends Error {}\n',
  'src/gpu/ops.ts': "import { DiffusionInputError } from '../reference/errors.js';\nexport const e = DiffusionInputError;\n",
  'src/cli/main.ts': "import { e } from '../gpu/ops.js';\nexport const m = e;\n",
  'properties/kit.ts': "import { e } from '../src/gpu/ops.js';\nexport const k = e;\n",
  'properties/kit.test.ts': "import { k } from './kit.js';\nexport const t = k;\n",
};

describe('layer check (dependency-cruiser) on deliberate violations', () => {
  it('a clean tree passes (tests may import src/, src/cli may import below)', () => {
    withScratch(CLEAN, (v) => expect(v).toEqual([]));
  });

  it('reports an import from src/ into a test folder (properties/, vectors/)', () => {
    withScratch(
      {
        ...CLEAN,
        'src/report/sections.ts': "import { k } from '../../properties/kit.js';\nexport const s = k;\n",
        'vectors/generate.ts': 'export const g = 1;\n',
        'src/cli/vectors.ts': "import { g } from '../../vectors/generate.js';\nexport const c = g;\n",
      },
      (v) => {
        expect(v).toContainEqual(expect.objectContaining({ rule: 'no-src-to-test-folders', from: 'src/report/sections.ts', to: 'properties/kit.ts' }));
        expect(v).toContainEqual(expect.objectContaining({ rule: 'no-src-to-test-folders', from: 'src/cli/vectors.ts', to: 'vectors/generate.ts' }));
      },
    );
  });

  it('reports a cycle, type-only imports included', () => {
    withScratch(
      {
        ...CLEAN,
        'src/train/checkpoint.ts': "import type { Cfg } from './train.js';\nexport const save = (c: Cfg) => c;\n",
        'src/train/train.ts': "import { save } from './checkpoint.js';\nexport type Cfg = { n: number };\nexport const run = save;\n",
      },
      (v) => {
        const cyc = v.filter((x) => x.rule === 'no-circular');
        expect(cyc.length).toBeGreaterThan(0);
        expect(cyc.flatMap((x) => [x.from, ...x.cycle]).sort()).toEqual(expect.arrayContaining(['src/train/checkpoint.ts', 'src/train/train.ts']));
      },
    );
  });

  it('reports an upward import between areas (reference → gpu, gpu → train, train → cli)', () => {
    withScratch(
      {
        ...CLEAN,
        'src/reference/up.ts': "import { e } from '../gpu/ops.js';\nexport const u = e;\n",
        'src/train/loop.ts': 'export const l = 1;\n',
        'src/gpu/uses-train.ts': "import { l } from '../train/loop.js';\nexport const x = l;\n",
        'src/train/uses-cli.ts': "import { m } from '../cli/main.js';\nexport const y = m;\n",
      },
      (v) => {
        expect(v).toContainEqual(expect.objectContaining({ rule: 'layer-reference', from: 'src/reference/up.ts', to: 'src/gpu/ops.ts' }));
        expect(v).toContainEqual(expect.objectContaining({ rule: 'layer-gpu', from: 'src/gpu/uses-train.ts', to: 'src/train/loop.ts' }));
        expect(v).toContainEqual(expect.objectContaining({ rule: 'layer-train', from: 'src/train/uses-cli.ts', to: 'src/cli/main.ts' }));
      },
    );
  });

  it('reports a new folder under src/ that has no layer rule', () => {
    withScratch({ ...CLEAN, 'src/misc/x.ts': "import { e } from '../gpu/ops.js';\nexport const x = e;\n" }, (v) =>
      expect(v).toContainEqual(expect.objectContaining({ rule: 'no-unknown-area', from: 'src/misc/x.ts' })),
    );
  });
});

const show = (v: Violation) => `${v.rule} ${v.from} → ${v.to}`;

describe('layer check on the real tree', () => {
  it('passes with no violation at all', () => {
    expect(layers(ROOT).map(show)).toEqual([]);
  });
});
