/**
 * The conformance kit (`diffusion-oracle/conformance`, issue 8): checks any implementation of the
 * diffusion formulas, given as an adapter (any subset of the `DiffusionImpl` interface), against
 *  - every applicable claim of the property suite (coreClaims + scoreClaims), and
 *  - every applicable portable test vector (vectors/*.json; see docs/vectors.md).
 *
 * Two ways to run it:
 *  - `await runConformance(adapter)` → a plain report {passed, failed: [{id, kind, flags, message}],
 *    notApplicable}, printable with `formatReport`;
 *  - `await registerConformance(adapter)` at the top level of a vitest test file → one vitest test
 *    per claim and per vector (vitest is imported only then).
 *
 * Members the adapter lacks make the claims and vectors that need them "not applicable" (listed,
 * never counted as passed). Vector tolerances follow the adapter's declared precision.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiffusionImpl } from './interface.js';
import { applicable, missingMembers, setSeed, type Claim } from './harness.js';
import { coreClaims } from './claims/core.js';
import { scoreClaims } from './claims/score.js';
import { sigmaClaims } from './claims/sigma.js';
import { multistepClaims } from './claims/multistep.js';

/** The claims run by default: every claim of the property suite (core, score, σ-space, multistep/flow). */
export const DEFAULT_CLAIMS: Claim[] = [...coreClaims, ...scoreClaims, ...sigmaClaims, ...multistepClaims];
import { OPS, callOp, compareOutput, decodeNumber, opMembers, type OpName, type VectorCase, type VectorFile, type VectorGroup } from './vectors/format.js';

export type { VectorFile, VectorCase, VectorGroup } from './vectors/format.js';

export interface ConformanceOptions {
  /** Claims to run (default coreClaims + scoreClaims); `false` runs none. */
  claims?: Claim[] | false;
  /** A vectors directory, loaded vector files, or `false` for none (default: the package's vectors/). */
  vectors?: string | VectorFile[] | false;
  /** Only these vector families (file `family` fields), e.g. ['ddim']. */
  families?: string[];
  /** Called with one line per checked item as the run progresses. */
  report?: (line: string) => void;
  /**
   * The seed of every fast-check property and Monte Carlo draw of the claims (default: the
   * DIFFUSION_ORACLE_SEED environment variable, else the suite's fixed DEFAULT_SEED). Set for the
   * run and restored afterwards; failures print it.
   */
  seed?: number;
}

export interface ConformanceFailure {
  id: string;
  kind: 'claim' | 'vector';
  /** The flags of a failing vector: the bugs it was built to expose (empty for claims). */
  flags: string[];
  message: string;
}

export interface ConformanceReport {
  implementation: string;
  precision: 'float64' | 'float32';
  /** Ids of the claims and vectors that passed. */
  passed: string[];
  failed: ConformanceFailure[];
  notApplicable: { id: string; kind: 'claim' | 'vector'; reason: string }[];
}

/** The package's vectors/ directory (two levels up from src/conformance/ in the source tree, three from dist/src/conformance/). */
export function defaultVectorsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const cand of [join(here, '..', '..', 'vectors'), join(here, '..', '..', '..', 'vectors')]) {
    if (existsSync(join(cand, 'schema', 'vectors.schema.json'))) return cand;
  }
  throw new Error(`conformance kit: no vectors/ directory found near ${here}`);
}

/** Every vector file (*.json, not the schema) of a directory, sorted by name. */
export function loadVectors(dir: string = defaultVectorsDir()): VectorFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as VectorFile);
}

export interface CaseOutcome {
  status: 'passed' | 'failed' | 'notApplicable';
  message: string;
}

/** The interface members of `op` that the adapter lacks (derived score operations need several). */
export function missingOpMembers(adapter: DiffusionImpl, op: OpName): string[] {
  return opMembers(op).filter((m) => typeof (adapter as unknown as Record<string, unknown>)[m] !== 'function');
}

/** Run one vector case on an adapter. */
export function runVectorCase(adapter: DiffusionImpl, group: VectorGroup, c: VectorCase): CaseOutcome {
  const op = group.op as OpName;
  if (!(op in OPS)) return { status: 'notApplicable', message: `unknown operation ${op} (newer vector format?)` };
  const lacking = missingOpMembers(adapter, op);
  if (lacking.length) return { status: 'notApplicable', message: `${adapter.name} lacks ${lacking.join(', ')}` };
  if (c.result === 'invalid') {
    let out: unknown;
    try {
      out = callOp(adapter, op, c.inputs, group.betas);
    } catch (e) {
      return { status: 'passed', message: `rejected: ${(e as Error).message}` };
    }
    return { status: 'failed', message: `accepted an invalid input (${c.reason}); returned ${JSON.stringify(out).slice(0, 200)}` };
  }
  let out: Record<string, number | number[]>;
  try {
    out = callOp(adapter, op, c.inputs, group.betas);
  } catch (e) {
    return { status: 'failed', message: `threw on a valid input: ${(e as Error).message}` };
  }
  const precision = adapter.precision === 'float64' ? 'float64' : 'float32';
  for (const key of Object.keys(c.expected ?? {})) {
    if (!(key in out)) return { status: 'failed', message: `output ${key} missing` };
    const tol = c.tolerance?.[key]?.[precision];
    if (typeof tol !== 'number') return { status: 'failed', message: `vector has no ${precision} tolerance for ${key}` };
    const msg = compareOutput(key, out[key], c.expected![key], tol);
    if (msg) return { status: 'failed', message: msg };
  }
  return { status: 'passed', message: 'ok' };
}

/**
 * The largest |actual - expected| / tolerance over the valid vectors an adapter passes (how close
 * to its tolerances an implementation runs), with the element where it occurs.
 */
export function worstErrorRatio(adapter: DiffusionImpl, files: VectorFile[]): { ratio: number; id: string } {
  let worst = { ratio: 0, id: '(all exact)' };
  const precision = adapter.precision === 'float64' ? 'float64' : 'float32';
  for (const f of files) {
    for (const g of f.testGroups) {
      for (const c of g.tests) {
        if (c.result !== 'valid' || runVectorCase(adapter, g, c).status !== 'passed') continue;
        const out = callOp(adapter, g.op as OpName, c.inputs, g.betas);
        for (const key of Object.keys(c.expected!)) {
          const e = ([] as unknown[]).concat(c.expected![key]).map(decodeNumber);
          const a = ([] as number[]).concat(out[key]);
          const tol = c.tolerance![key][precision];
          for (let i = 0; i < e.length; i++) {
            if (!Number.isFinite(e[i])) continue;
            const err = Math.abs(a[i] - e[i]);
            const r = err === 0 ? 0 : err / tol;
            if (r > worst.ratio) worst = { ratio: r, id: `${c.id}:${key}[${i}]` };
          }
        }
      }
    }
  }
  return worst;
}

function resolveVectors(v: ConformanceOptions['vectors'], families?: string[]): VectorFile[] {
  if (v === false) return [];
  const files = Array.isArray(v) ? v : loadVectors(typeof v === 'string' ? v : undefined);
  return families ? files.filter((f) => families.includes(f.family)) : files;
}

/** Run every applicable claim and vector on `adapter`; returns the report. */
export async function runConformance(adapter: DiffusionImpl, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  if (options.seed === undefined) return runConformanceSeeded(adapter, options);
  const prev = setSeed(options.seed);
  try {
    return await runConformanceSeeded(adapter, options);
  } finally {
    setSeed(prev);
  }
}

async function runConformanceSeeded(adapter: DiffusionImpl, options: ConformanceOptions): Promise<ConformanceReport> {
  const log = options.report ?? (() => {});
  const rep: ConformanceReport = { implementation: adapter.name, precision: adapter.precision, passed: [], failed: [], notApplicable: [] };
  const claims = options.claims === false ? [] : (options.claims ?? DEFAULT_CLAIMS);
  for (const claim of claims) {
    if (!applicable(claim, adapter)) {
      rep.notApplicable.push({ id: claim.id, kind: 'claim', reason: `lacks ${missingMembers(claim, adapter).join(', ')}` });
      continue;
    }
    try {
      const r = await claim.run(adapter);
      if (r.worstError <= r.bound) {
        rep.passed.push(claim.id);
        log(`PASS claim ${claim.id}: worst error ${r.worstError.toExponential(3)} ≤ ${r.bound.toExponential(3)}`);
      } else {
        const message = `worst error ${r.worstError} > bound ${r.bound}`;
        rep.failed.push({ id: claim.id, kind: 'claim', flags: [], message });
        log(`FAIL claim ${claim.id}: ${message}`);
      }
    } catch (e) {
      rep.failed.push({ id: claim.id, kind: 'claim', flags: [], message: (e as Error).message });
      log(`FAIL claim ${claim.id}: ${(e as Error).message}`);
    }
  }
  for (const file of resolveVectors(options.vectors, options.families)) {
    for (const group of file.testGroups) {
      for (const c of group.tests) {
        const o = runVectorCase(adapter, group, c);
        if (o.status === 'passed') rep.passed.push(c.id);
        else if (o.status === 'notApplicable') rep.notApplicable.push({ id: c.id, kind: 'vector', reason: o.message });
        else {
          rep.failed.push({ id: c.id, kind: 'vector', flags: c.flags, message: o.message });
          log(`FAIL vector ${c.id} [${c.flags.join(', ')}]: ${o.message}`);
        }
      }
    }
  }
  return rep;
}

/** The report as text: a summary line, every failure with its flags, and counts of not-applicable items. */
export function formatReport(r: ConformanceReport): string {
  const lines = [
    `Conformance of ${r.implementation} (${r.precision}): ${r.passed.length} passed, ${r.failed.length} failed, ${r.notApplicable.length} not applicable`,
  ];
  if (r.failed.length) {
    lines.push('', 'Failed:');
    for (const f of r.failed) lines.push(`  ${f.kind} ${f.id}${f.flags.length ? ` [${f.flags.join(', ')}]` : ''}: ${f.message}`);
    const flagCounts = new Map<string, number>();
    for (const f of r.failed) for (const fl of f.flags) flagCounts.set(fl, (flagCounts.get(fl) ?? 0) + 1);
    if (flagCounts.size) {
      lines.push('', 'Flags of failing vectors (the bugs they are built to expose; see the notes in each vector file):');
      for (const [fl, n] of [...flagCounts].sort((a, b) => b[1] - a[1])) lines.push(`  ${fl}: ${n}`);
    }
  }
  if (r.notApplicable.length) {
    const reasons = new Map<string, number>();
    for (const n of r.notApplicable) reasons.set(`${n.kind}: ${n.reason}`, (reasons.get(`${n.kind}: ${n.reason}`) ?? 0) + 1);
    lines.push('', 'Not applicable:');
    for (const [reason, n] of reasons) lines.push(`  ${n} × ${reason}`);
  }
  return lines.join('\n');
}

/**
 * Register the conformance run as vitest tests: one test per claim and per vector case, named by
 * its id (and a vector's flags), in describe blocks per claim set and vector family. Not-applicable
 * items are registered as skipped with the reason. Call at the top level of a test file:
 * `await registerConformance(myAdapter)`.
 */
export async function registerConformance(adapter: DiffusionImpl, options: ConformanceOptions = {}): Promise<void> {
  const { describe, it, expect } = await import('vitest');
  const claims = options.claims === false ? [] : (options.claims ?? DEFAULT_CLAIMS);
  const files = resolveVectors(options.vectors, options.families);
  describe(`conformance [${adapter.name}, ${adapter.precision}]`, () => {
    describe('claims', () => {
      for (const claim of claims) {
        const name = `${claim.id}: ${claim.title}`;
        if (!applicable(claim, adapter)) {
          it.skip(`${name} — not applicable: lacks ${missingMembers(claim, adapter).join(', ')}`, () => {});
          continue;
        }
        it(name, async () => {
          const prev = options.seed === undefined ? undefined : setSeed(options.seed);
          try {
            const r = await claim.run(adapter);
            expect(r.worstError).toBeLessThanOrEqual(r.bound);
          } finally {
            if (prev !== undefined) setSeed(prev);
          }
        });
      }
    });
    for (const file of files) {
      describe(`vectors: ${file.family}`, () => {
        for (const group of file.testGroups) {
          for (const c of group.tests) {
            const name = `${c.id}${c.flags.length ? ` [${c.flags.join(', ')}]` : ''}`;
            const lacking = group.op in OPS ? missingOpMembers(adapter, group.op as OpName) : [group.op];
            if (lacking.length) {
              it.skip(`${name} — not applicable: lacks ${lacking.join(', ')}`, () => {});
              continue;
            }
            it(name, () => {
              const o = runVectorCase(adapter, group, c);
              if (o.status === 'failed') expect.fail(o.message);
              expect(o.status).toBe('passed');
            });
          }
        }
      });
    }
  });
}
