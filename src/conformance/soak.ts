/**
 * The soak run (issue 21): every claim (core, score, σ-space, multistep) on the float64 reference and on the tensor
 * tier (tfjs backends), and the tier cross-check test files, over N seeds, in parallel processes.
 * A correct implementation must pass every claim for every seed; the report gives per claim the
 * failures, the worst statistic/threshold ratio over seeds, and the empirical false-alarm rate
 * beside the documented one (`Claim.falseAlarmRate`).
 *
 *   npm run soak -- --seeds 50                 # seeds 1..50 of the soak sequence, all tiers
 *   npm run soak -- --seed-list 2222,5555555   # these seeds
 *   npm run soak -- --tiers reference,wasm --jobs 2 --out soak-report --no-crosscheck
 *
 * Options: --seeds N (default 10), --seed-list a,b,… (replaces --seeds), --tiers (default
 * reference,wasm,cpu: the backends present), --claims id,id (only these), --jobs J (parallel
 * processes, default 2), --out DIR (default soak-report: soak.json and soak.md), --crosscheck /
 * --no-crosscheck (the vitest tier cross-check files, once per seed, with DIFFUSION_ORACLE_SEED;
 * default on), --selfcheck (also every broken implementation at every seed: each must be caught
 * by a claim it names; an escape is reported as a failure of tier selfcheck-core/score),
 * --only-selfcheck (the self-check alone), --only-crosscheck (the cross-check files alone),
 * --report-from a.json,b.json (merge earlier runs' soak.json into one report).
 * The "consistent" column is P(X ≥ failures) for X ~ Binomial(runs, documented rate): below 0.05
 * the documented false-alarm rate is refuted (with no failures it is 1).
 *
 * The seed sequence is fixed (`soakSeeds`), so two soak runs of the same size check the same seeds.
 * Each job (tier × seed, or a cross-check file run × seed) runs in a worker process (this file with
 * --worker), which sets the seed with `setSeed` and runs `claim.run(impl)` directly.
 *
 * Empirical false-alarm rate: failures/seeds with its one-sided 95% Clopper-Pearson upper bound
 * (1 - 0.05^(1/n) for 0 failures, ≈ 3/n). N seeds cannot confirm a documented rate of 1e-6; they
 * reject a claim whose real rate is above the upper bound (a mis-calibrated threshold shows up as
 * failures, or as worst ratios creeping towards 1).
 */
import { fork, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { applicable, setSeed, type Claim } from './harness.js';
import type { DiffusionImpl } from './interface.js';

export interface SoakClaimResult {
  tier: string;
  seed: number;
  claim: string;
  ok: boolean;
  /** worstError/bound of a passing claim; for a failure, parsed from the message where it states one (else Infinity). */
  ratio: number;
  ms: number;
  message?: string;
}

/** The i-th seed (1-based) of the soak sequence: a fixed, well-spread list in [0, 2^31). */
export function soakSeeds(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) out.push(Number((BigInt(i) * 2654435761n + 97n) % 2147483647n));
  return out;
}

/** worstError/bound out of a failure message ("error X > bound Y", "X exceeds Y"), else Infinity. */
export function ratioFromMessage(msg: string): number {
  let m = /error ([-+0-9.eE]+|Infinity|NaN) > bound ([-+0-9.eE]+)/.exec(msg);
  if (m) return Number(m[1]) / Number(m[2]);
  m = /: ([-+0-9.eE]+|Infinity|NaN) exceeds ([-+0-9.eE]+)/.exec(msg);
  if (m) return Number(m[1]) / Number(m[2]);
  return Infinity;
}

async function loadClaims(): Promise<Claim[]> {
  const { coreClaims } = await import('./claims/core.js');
  const { scoreClaims } = await import('./claims/score.js');
  const { sigmaClaims } = await import('./claims/sigma.js');
  const { multistepClaims } = await import('./claims/multistep.js');
  return [...coreClaims, ...scoreClaims, ...sigmaClaims, ...multistepClaims];
}

const impls = new Map<string, DiffusionImpl>();
async function implFor(tier: string): Promise<DiffusionImpl> {
  const have = impls.get(tier);
  if (have) return have;
  let impl: DiffusionImpl;
  if (tier === 'reference') {
    // Core claims need the core reference, score claims the score reference: one merged adapter.
    const { referenceImpl } = await import('./impls/reference.js');
    const { referenceScoreImpl } = await import('./impls/reference-score.js');
    impl = { ...referenceImpl, ...referenceScoreImpl, name: 'reference', precision: 'float64' } as DiffusionImpl;
  } else {
    const { useBackend } = await import('../backend/backend.js');
    const { makeTfjsImpl } = await import('./impls/tfjs.js');
    await useBackend(tier as 'wasm' | 'cpu' | 'tensorflow');
    impl = makeTfjsImpl(tier);
  }
  impls.set(tier, impl);
  return impl;
}

/** Runs every applicable claim (or those in `only`) on one tier for one seed. */
export async function soakClaims(tier: string, seed: number, only?: string[]): Promise<SoakClaimResult[]> {
  const impl = await implFor(tier);
  const claims = (await loadClaims()).filter((c) => applicable(c, impl) && (!only || only.includes(c.id)));
  const prev = setSeed(seed);
  const out: SoakClaimResult[] = [];
  try {
    for (const c of claims) {
      const t0 = performance.now();
      try {
        const r = await c.run(impl);
        const ratio = r.bound > 0 ? r.worstError / r.bound : r.worstError === 0 ? 0 : Infinity;
        out.push({ tier, seed, claim: c.id, ok: r.worstError <= r.bound, ratio, ms: performance.now() - t0, message: r.worstError <= r.bound ? undefined : `worst error ${r.worstError} > bound ${r.bound}` });
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        out.push({ tier, seed, claim: c.id, ok: false, ratio: ratioFromMessage(message), ms: performance.now() - t0, message });
      }
    }
  } finally {
    setSeed(prev);
  }
  return out;
}

/** The vitest files of the tier cross-checks, run per seed as one job each. */
export const CROSSCHECK_FILES = ['properties/tier-crosscheck.test.ts', 'properties/tier-crosscheck-steps.test.ts', 'properties/samplers-crosscheck.test.ts'];

/** One cross-check file under vitest with DIFFUSION_ORACLE_SEED = seed; one result per test. */
async function soakVitest(file: string, seed: number): Promise<SoakClaimResult[]> {
  const outFile = join(tmpdir(), `soak-${process.pid}-${seed}-${file.replace(/\W/g, '_')}.json`);
  const t0 = performance.now();
  const code = await new Promise<number>((res) => {
    const p = spawn(process.execPath, [resolve('node_modules/vitest/vitest.mjs'), 'run', file, '--reporter=json', `--outputFile=${outFile}`, '--maxWorkers=1', '--coverage.enabled=false'], {
      env: { ...process.env, DIFFUSION_ORACLE_SEED: String(seed), DIFFUSION_ORACLE_SOAK: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err = (err + String(d)).slice(-4000)));
    p.on('exit', (c) => {
      if (c && !existsSync(outFile)) process.stderr.write(err);
      res(c ?? 1);
    });
  });
  const ms = performance.now() - t0;
  const tier = `crosscheck:${file.replace(/^.*\//, '').replace('.test.ts', '')}`;
  if (!existsSync(outFile)) return [{ tier, seed, claim: '(vitest run)', ok: false, ratio: Infinity, ms, message: `vitest exited ${code} without a report` }];
  const rep = JSON.parse(readFileSync(outFile, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[]; duration?: number }[] }[] };
  rmSync(outFile, { force: true });
  const out: SoakClaimResult[] = [];
  for (const f of rep.testResults) {
    for (const a of f.assertionResults) {
      if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') continue;
      const ok = a.status === 'passed';
      // Test names carry the backend: "[wasm]"; claims registered there are named by their id.
      out.push({ tier, seed, claim: a.fullName.slice(0, 160), ok, ratio: ok ? NaN : ratioFromMessage(a.failureMessages.join('\n')), ms: a.duration ?? 0, message: ok ? undefined : a.failureMessages.join('\n').slice(0, 600) });
    }
  }
  return out;
}

/**
 * The self-check at one seed: every broken implementation (core and score) against the claims,
 * as properties/selfcheck-*.test.ts do (core: every core claim, no shrinking; score: the light
 * claims plus the heavy ones it names). One result per bug: ok = caught by an expected claim.
 */
export async function soakSelfcheck(seed: number, which: 'core' | 'score'): Promise<SoakClaimResult[]> {
  // As suite.ts's failingClaims, without importing suite.ts (it imports vitest).
  const failingClaims = async (claims: Claim[], impl: DiffusionImpl) => {
    const failed: { id: string; message: string }[] = [];
    for (const c of claims) {
      if (!applicable(c, impl)) continue;
      try {
        const r = await c.run(impl);
        if (!(r.worstError <= r.bound)) failed.push({ id: c.id, message: `worst error ${r.worstError} > bound ${r.bound}` });
      } catch (e) {
        failed.push({ id: c.id, message: (e as Error).message });
      }
    }
    return failed;
  };
  const prev = setSeed(seed);
  const out: SoakClaimResult[] = [];
  try {
    const bugs =
      which === 'core'
        ? (await import('./broken/core-bugs.js')).coreBugs.map((b) => ({ ...b, claims: undefined as Claim[] | undefined }))
        : (await import('./broken/score-bugs.js')).scoreBugs.map((b) => ({ ...b, claims: undefined as Claim[] | undefined }));
    const { coreClaims, coreClaimOptions } = await import('./claims/core.js');
    const { scoreClaims } = await import('./claims/score.js');
    coreClaimOptions.shrink = false;
    for (const b of bugs) {
      const t0 = performance.now();
      const claims = which === 'core' ? coreClaims : scoreClaims.filter((c) => !c.heavy || b.expectedCaughtBy.includes(c.id));
      const failed = await failingClaims(claims, b.impl);
      const caught = failed.map((f) => f.id);
      const ok = b.expectedCaughtBy.some((c) => caught.includes(c));
      out.push({ tier: `selfcheck-${which}`, seed, claim: b.id, ok, ratio: NaN, ms: performance.now() - t0, message: ok ? undefined : `ESCAPED: caught by [${caught.join(', ')}], none of the expected [${b.expectedCaughtBy.join(', ')}]` });
    }
    coreClaimOptions.shrink = true;
  } finally {
    setSeed(prev);
  }
  return out;
}

interface Job {
  kind: 'claims' | 'vitest' | 'selfcheck';
  tier: string;
  seed: number;
  only?: string[];
}

async function runJob(j: Job): Promise<SoakClaimResult[]> {
  if (j.kind === 'selfcheck') return soakSelfcheck(j.seed, j.tier as 'core' | 'score');
  return j.kind === 'claims' ? soakClaims(j.tier, j.seed, j.only) : soakVitest(j.tier, j.seed);
}

// ---- the report -------------------------------------------------------------------------------

export interface SoakSummaryRow {
  tier: string;
  claim: string;
  runs: number;
  failures: number;
  failedSeeds: number[];
  worstRatio: number;
  worstSeed: number;
  meanRatio: number;
  empiricalRate: number;
  /** One-sided 95% upper bound of the false-alarm rate (Clopper-Pearson). */
  rateUpper95: number;
  documentedRate: number | null;
  /** P(≥ failures | runs, documented rate): below 0.05 the documented rate is refuted (1 with no failures). */
  pDocumented: number | null;
  meanMs: number;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (p <= 0) return 0;
  let cdf = 0;
  let term = (1 - p) ** n;
  for (let i = 0; i < k; i++) {
    cdf += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - cdf);
}

/** One-sided 95% Clopper-Pearson upper bound on a rate from k failures in n runs (bisection on the binomial CDF). */
export function rateUpper95(k: number, n: number): number {
  if (n === 0) return 1;
  if (k >= n) return 1;
  const cdf = (p: number) => {
    let s = 0;
    let term = (1 - p) ** n;
    for (let i = 0; i <= k; i++) {
      s += term;
      term *= ((n - i) / (i + 1)) * (p / (1 - p));
    }
    return s;
  };
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > 0.05) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function summarize(results: SoakClaimResult[], documented: Map<string, number | undefined>): SoakSummaryRow[] {
  const groups = new Map<string, SoakClaimResult[]>();
  for (const r of results) {
    if (typeof r.ratio !== 'number') r.ratio = r.ok ? NaN : Infinity; // a result that crossed JSON
    const k = `${r.tier}\u0000${r.claim}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const rows: SoakSummaryRow[] = [];
  for (const [, rs] of groups) {
    const fails = rs.filter((r) => !r.ok);
    const withRatio = rs.filter((r) => !Number.isNaN(r.ratio));
    let worst = withRatio[0];
    for (const r of withRatio) if (r.ratio > worst.ratio) worst = r;
    const claimId = rs[0].claim;
    const doc = documented.get(claimId);
    rows.push({
      tier: rs[0].tier,
      claim: claimId,
      runs: rs.length,
      failures: fails.length,
      failedSeeds: fails.map((r) => r.seed),
      worstRatio: worst ? worst.ratio : NaN,
      worstSeed: worst ? worst.seed : NaN,
      meanRatio: withRatio.length ? withRatio.reduce((a, r) => a + Math.min(r.ratio, 1e9), 0) / withRatio.length : NaN,
      empiricalRate: fails.length / rs.length,
      rateUpper95: rateUpper95(fails.length, rs.length),
      documentedRate: doc === undefined ? null : doc,
      pDocumented: doc === undefined ? null : binomialTail(fails.length, rs.length, doc),
      meanMs: rs.reduce((a, r) => a + r.ms, 0) / rs.length,
    });
  }
  return rows.sort((a, b) => (a.tier === b.tier ? a.claim.localeCompare(b.claim) : a.tier.localeCompare(b.tier)));
}

function fmt(x: number, d = 3): string {
  if (Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? '0' : x >= 1e-3 && x < 1e4 ? x.toFixed(d) : x.toExponential(2);
}

export function markdownReport(rows: SoakSummaryRow[], results: SoakClaimResult[], meta: { seeds: number[]; tiers: string[]; jobs: number; wallS: number; started: string }): string {
  const fails = results.filter((r) => !r.ok);
  const lines = [
    `# Soak run`,
    '',
    `${meta.started}: ${meta.seeds.length} seeds × tiers [${meta.tiers.join(', ')}], ${meta.jobs} processes, wall time ${meta.wallS.toFixed(0)} s. ` +
      `${results.length} claim runs, **${fails.length} failures**.`,
    '',
    `Seeds: ${meta.seeds.join(', ')}`,
    '',
    'Ratio: the claim\'s worst statistic/threshold (error/bound) — a pass is ≤ 1. Rate: failures/runs with its one-sided 95% upper bound; documented: the claim\'s stated false-alarm rate (0: an exact error bound, never exceeded by a correct implementation).',
    '',
    '| tier | claim | runs | failures | worst ratio (seed) | mean ratio | empirical rate (95% upper) | documented rate | consistent (P ≥ failures) | mean s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.tier} | ${r.claim.replace(/\|/g, '\\|')} | ${r.runs} | ${r.failures}${r.failures ? ` (seeds ${r.failedSeeds.slice(0, 5).join(', ')}${r.failedSeeds.length > 5 ? ', …' : ''})` : ''} | ${fmt(r.worstRatio)}${Number.isNaN(r.worstRatio) ? '' : ` (${r.worstSeed})`} | ${fmt(r.meanRatio)} | ${fmt(r.empiricalRate)} (${fmt(r.rateUpper95)}) | ${r.documentedRate === null ? '–' : fmt(r.documentedRate)} | ${r.pDocumented === null ? '–' : r.pDocumented >= 0.05 ? 'yes' : `**no** (${r.pDocumented.toExponential(1)})`} | ${fmt(r.meanMs / 1000, 1)} |`);
  }
  if (fails.length) {
    lines.push('', '## Failures', '');
    for (const f of fails) lines.push(`- ${f.tier}, seed ${f.seed}, ${f.claim}: ${(f.message ?? '').split('\n')[0].slice(0, 500)}`);
  }
  return lines.join('\n') + '\n';
}

// ---- the command line ----------------------------------------------------------------------------

interface Args {
  seeds: number[];
  tiers: string[];
  claims?: string[];
  jobs: number;
  out: string;
  crosscheck: boolean;
  onlyCrosscheck?: boolean;
  /** Re-summarize earlier soak.json files (merged) instead of running. */
  reportFrom?: string[];
  selfcheck: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: soakSeeds(10), tiers: [], jobs: 2, out: 'soak-report', crosscheck: true, selfcheck: false };
  let tiers: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`soak: ${k} needs a value`);
      return x;
    };
    if (k === '--seeds') a.seeds = soakSeeds(Number(v()));
    else if (k === '--seed-list') a.seeds = v().split(',').map((s) => Number(s));
    else if (k === '--tiers') tiers = v().split(',');
    else if (k === '--claims') a.claims = v().split(',');
    else if (k === '--jobs') a.jobs = Number(v());
    else if (k === '--out') a.out = v();
    else if (k === '--crosscheck') a.crosscheck = true;
    else if (k === '--no-crosscheck') a.crosscheck = false;
    else if (k === '--selfcheck') a.selfcheck = true;
    else if (k === '--report-from') a.reportFrom = v().split(',');
    else if (k === '--only-crosscheck') {
      a.crosscheck = true;
      a.onlyCrosscheck = true;
    } else if (k === '--only-selfcheck') {
      a.selfcheck = true;
      a.crosscheck = false;
      tiers = [];
    }
    else throw new Error(`soak: unknown option ${k}`);
  }
  if (!a.seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31)) throw new Error('soak: seeds must be integers in [0, 2^31)');
  a.tiers = tiers ?? ['reference', 'wasm', 'cpu'];
  a.tiers = a.tiers.filter((t) => t !== '');
  return a;
}

async function worker(): Promise<void> {
  process.on('message', (msg: { job?: Job; exit?: boolean }) => {
    if (msg.exit) process.exit(0);
    const job = msg.job!;
    runJob(job).then(
      (results) => process.send!({ results }),
      (e: unknown) => process.send!({ results: [{ tier: job.tier, seed: job.seed, claim: '(job)', ok: false, ratio: Infinity, ms: 0, message: `job threw: ${(e as Error)?.stack ?? e}` }] }),
    );
  });
  process.send!({ ready: true });
}

async function reportFrom(files: string[], out: string): Promise<void> {
  const results: SoakClaimResult[] = [];
  const seeds = new Set<number>();
  const tiers = new Set<string>();
  let wallS = 0;
  let started = '';
  for (const f of files) {
    const j = JSON.parse(readFileSync(f, 'utf8')) as { meta: { seeds: number[]; wallS: number; started: string }; results: SoakClaimResult[] };
    for (const r of j.results) {
      if (typeof r.ratio === 'string') r.ratio = Number(r.ratio);
      results.push(r);
      tiers.add(r.tier);
    }
    j.meta.seeds.forEach((s) => seeds.add(s));
    wallS += j.meta.wallS;
    started ||= j.meta.started;
  }
  const claims = await loadClaims();
  const rows = summarize(results, new Map(claims.map((c) => [c.id, c.falseAlarmRate])));
  mkdirSync(out, { recursive: true });
  const md = markdownReport(rows, results, { seeds: [...seeds], tiers: [...tiers], jobs: 2, wallS, started: `${started} (merged from ${files.length} runs; wall time summed)` });
  writeFileSync(join(out, 'soak.md'), md);
  writeFileSync(join(out, 'soak.json'), JSON.stringify({ summary: rows, results }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1));
  console.log(md);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.reportFrom) return reportFrom(args.reportFrom, args.out);
  const started = new Date().toISOString();
  const t0 = performance.now();
  let tiers = args.tiers;
  // Drop tfjs backends that cannot be loaded here (said so in the report).
  const skipped: string[] = [];
  if (tiers.some((t) => t !== 'reference')) {
    const { probeBackend } = await import('../backend/backend.js');
    const ok: string[] = [];
    for (const t of tiers) {
      if (t === 'reference') ok.push(t);
      else {
        const p = await probeBackend(t as 'wasm');
        if (p.ok) ok.push(t);
        else skipped.push(`${t} (${p.reason})`);
      }
    }
    tiers = ok;
  }
  const jobs: Job[] = [];
  // Heavy jobs first so the two processes finish together.
  if (args.crosscheck && tiers.some((t) => t !== 'reference')) for (const s of args.seeds) for (const f of CROSSCHECK_FILES) jobs.push({ kind: 'vitest', tier: f, seed: s });
  if (args.selfcheck) for (const s of args.seeds) for (const w of ['score', 'core']) jobs.push({ kind: 'selfcheck', tier: w, seed: s });
  if (!args.onlyCrosscheck) for (const s of args.seeds) for (const t of tiers) jobs.push({ kind: 'claims', tier: t, seed: s, only: args.claims });
  console.log(`soak: ${args.seeds.length} seeds × [${tiers.join(', ')}]${args.crosscheck ? ' + cross-check files' : ''}: ${jobs.length} jobs on ${args.jobs} processes${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}`);
  const results: SoakClaimResult[] = [];
  let next = 0;
  let done = 0;
  const self = fileURLToPath(import.meta.url);
  await Promise.all(
    Array.from({ length: Math.min(args.jobs, jobs.length) }, () =>
      new Promise<void>((res, rej) => {
        // 'advanced' serialization keeps NaN (no ratio) and Infinity (a failure without one) apart.
        const w = fork(self, ['--worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
        const give = () => {
          if (next >= jobs.length) {
            w.send({ exit: true });
            return;
          }
          w.send({ job: jobs[next++] });
        };
        w.on('message', (m: { ready?: boolean; results?: SoakClaimResult[] }) => {
          if (m.results) {
            results.push(...m.results);
            done++;
            const bad = m.results.filter((r) => !r.ok);
            const r0 = m.results[0];
            console.log(`  [${done}/${jobs.length}] ${r0?.tier ?? '?'} seed ${r0?.seed ?? '?'}: ${m.results.length} checks, ${bad.length} failed${bad.length ? `: ${bad.map((b) => b.claim).join(', ')}` : ''} (${(performance.now() - t0) / 1000 | 0} s)`);
            for (const b of bad) console.log(`      ${b.claim}: ${(b.message ?? '').split('\n')[0].slice(0, 400)}`);
          }
          give();
        });
        w.on('exit', (code) => (code === 0 ? res() : rej(new Error(`soak worker exited with ${code}`))));
      }),
    ),
  );
  const wallS = (performance.now() - t0) / 1000;
  const claims = await loadClaims();
  const documented = new Map<string, number | undefined>(claims.map((c) => [c.id, c.falseAlarmRate]));
  const rows = summarize(results, documented);
  mkdirSync(args.out, { recursive: true });
  const meta = { seeds: args.seeds, tiers, jobs: args.jobs, wallS, started, skipped };
  writeFileSync(join(args.out, 'soak.json'), JSON.stringify({ meta, summary: rows, results }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1));
  const md = markdownReport(rows, results, meta);
  writeFileSync(join(args.out, 'soak.md'), md);
  console.log(md);
  // Non-zero exit on any failure, and so on any claim whose failures refute its documented rate.
  process.exitCode = results.some((r) => !r.ok) || rows.some((r) => r.pDocumented !== null && r.pDocumented < 0.05) ? 1 : 0;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv.includes('--worker')) void worker();
  else
    main().catch((e) => {
      console.error(e);
      process.exit(2);
    });
}
