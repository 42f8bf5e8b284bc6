/**
 * Smoke test of the benchmark harness (issue 7): a tiny run (formula kernels at two sizes and the
 * three headline samplers at batch 4, reference and the tfjs cpu backend), written out as JSON,
 * markdown and SVG. Checks the structure and the arithmetic that links the fields (throughput from
 * the median, one row per op × size × tier, crossovers, machine description) — never a speed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from './run.js';
import { markdownReport, resultBaseName, writeBenchResult, fmtTime, fmtRate } from './output.js';
import type { BenchResult } from './types.js';
import { FORMULA_OPS, HEADLINE_SAMPLERS } from './workloads.js';
import { findPython } from './peers.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('benchmark harness (quick smoke run)', () => {
  let result: BenchResult;

  it('runs formulas and samplers on the reference and the cpu backend', async () => {
    const lines: string[] = [];
    result = await runBench({ quick: true, workloads: ['formula', 'sampler'], backends: ['cpu'], formulaSizes: [1000, 2000], log: (l) => lines.push(l) });
    expect(result.format).toBe('diffusion-oracle-bench');
    expect(result.tiers.map((t) => t.tier)).toEqual(['reference', 'cpu']);
    expect(result.tiers[1].description).toMatch(/pure JavaScript/);
    expect(result.machine.loadStart).toHaveLength(3);
    expect(result.machine.loadEnd).toHaveLength(3);
    expect(result.machine.cores).toBeGreaterThan(0);
    const formula = result.rows.filter((r) => r.workload === 'formula');
    expect(formula).toHaveLength(FORMULA_OPS.length * 2 * 2);
    for (const r of formula) {
      expect(r.timeMs!.n).toBe(3);
      expect(r.timeMs!.min).toBeLessThanOrEqual(r.timeMs!.median);
      expect(r.timeMs!.median).toBeLessThanOrEqual(r.timeMs!.max);
      expect(r.throughput).toBeCloseTo(r.size! / (r.timeMs!.median / 1000), 6);
      expect(r.inner).toBeGreaterThanOrEqual(1);
    }
    const samplers = result.rows.filter((r) => r.workload === 'sampler');
    expect(samplers.map((r) => `${r.name}/${r.tier}`).sort()).toEqual(HEADLINE_SAMPLERS.flatMap((s) => [`${s.label}/reference`, `${s.label}/cpu`]).sort());
    for (const r of samplers) expect(r.throughput).toBeCloseTo(r.batch! / (r.timeMs!.median / 1000), 6);
    expect(result.crossovers).toHaveLength(FORMULA_OPS.length);
    expect(lines.some((l) => l.startsWith('machine:'))).toBe(true);
  });

  it('writes <date>-<backend>-quick.json, .md and SVG charts', () => {
    const paths = writeBenchResult(result, dir);
    const base = resultBaseName(result);
    expect(base).toMatch(/^\d{4}-\d{2}-\d{2}-cpu-quick$/);
    const files = readdirSync(dir).sort();
    expect(files).toContain(`${base}.json`);
    expect(files).toContain(`${base}.md`);
    expect(files.filter((f) => f.endsWith('.svg')).length).toBe(FORMULA_OPS.length);
    expect(paths.length).toBe(files.length);
    const back = JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) as BenchResult;
    expect(back.rows.length).toBe(result.rows.length);
    const md = readFileSync(join(dir, `${base}.md`), 'utf8');
    expect(md).toContain('## Headline');
    expect(md).toMatch(/\| ddpm-1000 sampler, exact mixture oracle, d = 784 \|/);
    expect(md).toContain('Crossover');
    expect(md).toContain('quick mode');
    for (const f of files.filter((x) => x.endsWith('.svg'))) expect(readFileSync(join(dir, f), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('reports skipped workloads with their reason', () => {
    const r: BenchResult = { ...result, skipped: [{ workload: 'peer (PyTorch)', reason: 'no Python with torch' }] };
    expect(markdownReport(r)).toMatch(/## Skipped\n\n- peer \(PyTorch\): no Python with torch/);
  });
});

describe('number formatting', () => {
  it('times and rates in readable units', () => {
    expect(fmtTime(0.0123)).toBe('12.3 µs');
    expect(fmtTime(12.34)).toBe('12.3 ms');
    expect(fmtTime(4567)).toBe('4.57 s');
    expect(fmtRate(1.234e6)).toBe('1.23 M');
    expect(fmtRate(987)).toBe('987');
    expect(fmtRate(2.5e9)).toBe('2.50 G');
  });
});

describe('peers', () => {
  it('a Python module that no interpreter has gives a skip reason naming it (the torch-absent path)', () => {
    const r = findPython('no_such_module_for_diffusion_oracle', { DIFFUSION_ORACLE_PYTHON: '/nonexistent/python3' });
    expect('reason' in r).toBe(true);
    const reason = (r as { reason: string }).reason;
    expect(reason).toMatch(/^no Python with no_such_module_for_diffusion_oracle \(/);
    expect(reason).toMatch(/\/nonexistent\/python3: ENOENT/);
  });
});
