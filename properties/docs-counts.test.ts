/**
 * Counts in README.md and docs/*.md that describe the code (broken implementations, claims,
 * sampler cases, vector cases and flags) equal the values computed from the code, and every
 * count-like phrase in the docs is either checked here or listed in ALLOWED with the reason it is
 * not a count of code (a measured result, a catalog section name, …). A new count in the docs
 * therefore needs a rule here.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const text = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/**
 * Where the counted arrays live: the first path that exists wins. The conformance code is moving
 * from properties/ to src/conformance/ (issue 13); the candidates list both, new first. When the
 * move has landed, drop the old paths.
 */
/** Where each counted array lives (src/conformance; issue 13's layout). */
const SOURCES: Record<string, { path: string; name: string }> = {
  coreBugs: { path: 'src/conformance/broken/core-bugs.ts', name: 'coreBugs' },
  scoreBugs: { path: 'src/conformance/broken/score-bugs.ts', name: 'scoreBugs' },
  coreClaims: { path: 'src/conformance/claims/core.ts', name: 'coreClaims' },
  scoreClaims: { path: 'src/conformance/claims/score.ts', name: 'scoreClaims' },
  samplerCases: { path: 'src/conformance/claims/score.ts', name: 'SAMPLER_CASES' },
};

async function loadArray(key: keyof typeof SOURCES): Promise<unknown[]> {
  const { path, name } = SOURCES[key];
  const m = (await import(pathToFileURL(join(ROOT, path)).href)) as Record<string, unknown>;
  if (!Array.isArray(m[name])) throw new Error(`docs-counts: no array ${name} in ${path}: update SOURCES in properties/docs-counts.test.ts`);
  return m[name];
}

interface VectorFile {
  family: string;
  numberOfTests: number;
  testGroups: { tests: { result: string; flags?: string[] }[] }[];
}
/** Every vector file (*.json with testGroups) under vectors/, wherever the restructure puts them. */
function vectorFiles(dir = join(ROOT, 'vectors')): { file: string; data: VectorFile }[] {
  const out: { file: string; data: VectorFile }[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'schema') out.push(...vectorFiles(p));
    } else if (e.endsWith('.json')) {
      const data = JSON.parse(readFileSync(p, 'utf8')) as VectorFile;
      if (Array.isArray(data.testGroups)) out.push({ file: e.replace(/\.json$/, ''), data });
    }
  }
  return out;
}
const cases = (v: VectorFile) => v.testGroups.flatMap((g) => g.tests);

/** The score families are the ones docs/vectors.md names in "(score-mixture 112, score-steps 54, …)". */
function scoreFamilyCounts(): [string, number][] {
  const m = /of the score family\s*\(([^)]*)\)/.exec(text('docs/vectors.md'));
  if (!m) throw new Error('docs/vectors.md: the score family list "(score-mixture N, …)" is missing');
  return m[1].split(',').map((s) => {
    const [name, n] = s.trim().split(/\s+/);
    return [name, Number(n)];
  });
}

interface Rule {
  file: string;
  /** Matches the phrase; the first capture group is the number. */
  pattern: RegExp;
  what: string;
  value: () => number | Promise<number>;
}

const num = (s: string) => Number(s.replace(/,/g, ''));
const len = (k: keyof typeof SOURCES) => async () => (await loadArray(k)).length;
const sum = (...fs: (() => Promise<number>)[]) => async () => (await Promise.all(fs.map((f) => f()))).reduce((a, b) => a + b, 0);
const vec = () => vectorFiles();
const scoreNames = () => new Set(scoreFamilyCounts().map(([n]) => n));

const RULES: Rule[] = [
  { file: 'README.md', pattern: /self-checks \((\d+) broken implementations\)/, what: 'broken implementations (core + score)', value: sum(len('coreBugs'), len('scoreBugs')) },
  { file: 'README.md', pattern: /(\d+) deliberately broken core implementations/, what: 'broken core implementations', value: len('coreBugs') },
  { file: 'README.md', pattern: /and (\d+) broken samplers/, what: 'broken samplers', value: len('scoreBugs') },
  { file: 'README.md', pattern: /All (\d+) core claims/, what: 'core claims', value: len('coreClaims') },
  { file: 'README.md', pattern: /KS tests for (\d+) sampler set-ups/, what: 'sampling-distribution cases', value: len('samplerCases') },
  { file: 'docs/properties-core.md', pattern: /has (\d+) broken implementations/, what: 'broken core implementations', value: len('coreBugs') },
  { file: 'docs/report.md', pattern: /\((\d+) claims;/, what: 'claims (core + score)', value: sum(len('coreClaims'), len('scoreClaims')) },
  { file: 'docs/samplers.md', pattern: /(\d+) sampler configurations/, what: 'sampling-distribution cases', value: len('samplerCases') },
  { file: 'docs/samplers.md', pattern: /\((\d+) bugs\)/, what: 'broken score implementations', value: len('scoreBugs') },
  { file: 'docs/samplers.md', pattern: /score-bugs\.ts`\): (\d+) broken implementations/, what: 'broken score implementations', value: len('scoreBugs') },
  { file: 'docs/vectors.md', pattern: /^(\d+) cases \(\d+ of them invalid inputs\)/m, what: 'vector cases', value: () => vec().reduce((a, f) => a + cases(f.data).length, 0) },
  { file: 'docs/vectors.md', pattern: /^\d+ cases \((\d+) of them invalid inputs\)/m, what: 'invalid vector cases', value: () => vec().reduce((a, f) => a + cases(f.data).filter((c) => c.result === 'invalid').length, 0) },
  { file: 'docs/multistep.md', pattern: /vectors\/multistep\.json` \((\d+) cases\)/, what: 'multistep vector cases', value: () => cases(vec().find((f) => f.file === 'multistep')!.data).length },
  { file: 'docs/vectors.md', pattern: /(\d+) core cases and \d+ of the score family/, what: 'core-family vector cases', value: () => vec().filter((f) => !scoreNames().has(f.file)).reduce((a, f) => a + cases(f.data).length, 0) },
  { file: 'docs/vectors.md', pattern: /(\d+) of the score family/, what: 'score-family vector cases', value: () => vec().filter((f) => scoreNames().has(f.file)).reduce((a, f) => a + cases(f.data).length, 0) },
  { file: 'docs/vectors.md', pattern: /INPUT_VALIDATION covers the (\d+) score-family\s+invalid cases/, what: 'score-family invalid cases', value: () => vec().filter((f) => scoreNames().has(f.file)).reduce((a, f) => a + cases(f.data).filter((c) => c.result === 'invalid').length, 0) },
];

/**
 * Count-like phrases that are not counts of code, each with the reason. Matched against the line
 * holding the phrase.
 */
const ALLOWED: { file: string; phrase: string; reason: string }[] = [
  { file: 'README.md', phrase: '1,562 tests in 78', reason: 'measured by the timed fresh-clone run the sentence reports (re-measure with the timings)' },
  { file: 'README.md', phrase: '363 tests are reported as skipped', reason: 'measured by the same run (depends on what the machine has installed)' },
  { file: 'README.md', phrase: 'F5/F6 score', reason: 'catalog section names, not a count' },
  { file: 'docs/samplers.md', phrase: 'Bonferroni over 118 tests', reason: 'sub-tests counted inside the sampling-distribution claim at run time (one KS and one mean test per coordinate)' },
  { file: 'docs/samplers.md', phrase: 'over 118 tests', reason: 'the same run-time sub-test count of score.sampling-distribution, quoted again in the σ-space section' },
  { file: 'docs/multistep.md', phrase: 'over 118 tests', reason: 'the same run-time sub-test count of score.sampling-distribution' },
  { file: 'docs/samplers.md', phrase: 'split over 78 tests', reason: 'sub-tests counted inside sigma.sampling-distribution at run time (KS, mean and variance per coordinate of 13 runs)' },
  { file: 'docs/sampling.md', phrase: '23 cases', reason: 'the case list lives in properties/samplers-crosscheck.test.ts, a test file this test cannot import; check it once the sampler descriptor gives the list a home (issue 13)' },
  { file: 'docs/vectors.md', phrase: 'those 102 vectors are not applicable', reason: 'which vectors are applicable to the tfjs adapter is decided by the kit at run time (vectors/kit.test.ts)' },
  { file: 'docs/vectors.md', phrase: 'inject-bug', reason: 'a command line, not a count' },
  { file: 'docs/vectors.md', phrase: 'check_numpy.py vectors/', reason: 'a command line, not a count' },
  { file: 'docs/vectors.md', phrase: 'check_schema.py vectors/', reason: 'a command line, not a count' },
];

/** Phrases that look like counts of code: a number followed by one of these words. */
const COUNT_LIKE = /\b\d[\d,]*,?\s+(?:deliberately\s+)?(?:broken|core|score|sampler|samplers|claims?|vectors?|cases|famil\w*|bugs|implementations|files|commands|flags|tests|invalid|members|checks)\b/gi;

describe('counts in the docs come from the code', () => {
  for (const r of RULES) {
    it(`${r.file}: ${r.what} (${r.pattern.source})`, async () => {
      const m = r.pattern.exec(text(r.file));
      expect(m, `${r.file} no longer says ${r.pattern}: update the rule in properties/docs-counts.test.ts`).not.toBeNull();
      expect(num(m![1]), `${r.file}: "${m![0]}"`).toBe(await r.value());
    });
  }

  it('docs/vectors.md: each score family count and each vector file numberOfTests equal the files', () => {
    const files = new Map(vectorFiles().map((f) => [f.file, f.data]));
    for (const [name, n] of scoreFamilyCounts()) {
      expect(files.has(name), `docs/vectors.md names score family ${name}, which has no vector file`).toBe(true);
      expect(cases(files.get(name)!).length, `docs/vectors.md: ${name} ${n}`).toBe(n);
    }
    for (const [name, v] of files) expect(v.numberOfTests, `${name}.json numberOfTests`).toBe(cases(v).length);
  });

  it('docs/vectors.md: the table lists every vector file, and only those', () => {
    const listed = [...text('docs/vectors.md').matchAll(/^\| `([\w-]+)\.json` \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(vectorFiles().map((f) => f.file).sort());
  });

  it('docs/vectors.md: the score-family flag counts equal the files', () => {
    const para = /Flag counts: ([^;]*);/.exec(text('docs/vectors.md'));
    expect(para, 'docs/vectors.md "Flag counts: …;"').not.toBeNull();
    const stated = Object.fromEntries([...para![1].matchAll(/([A-Z][A-Z0-9_]+)\s+(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    const names = scoreNames();
    const actual: Record<string, number> = {};
    for (const f of vectorFiles()) {
      if (!names.has(f.file)) continue;
      for (const c of cases(f.data)) for (const fl of c.flags ?? []) if (fl !== 'INPUT_VALIDATION') actual[fl] = (actual[fl] ?? 0) + 1;
    }
    expect(stated).toEqual(actual);
  });

  it('every count-like phrase in README.md and docs/*.md is checked above or listed in ALLOWED with a reason', () => {
    const unexplained: string[] = [];
    for (const f of DOCS) {
      const t = text(f);
      const covered: [number, number][] = [];
      for (const r of RULES.filter((x) => x.file === f)) {
        const m = r.pattern.exec(t);
        if (m) covered.push([m.index, m.index + m[0].length]);
      }
      const flags = /Flag counts: [^;]*;/.exec(t);
      if (f === 'docs/vectors.md' && flags) covered.push([flags.index, flags.index + flags[0].length]);
      const fam = /of the score family\s*\([^)]*\)/.exec(t);
      if (f === 'docs/vectors.md' && fam) covered.push([fam.index, fam.index + fam[0].length]);
      for (const m of t.matchAll(COUNT_LIKE)) {
        const at = m.index!;
        if (covered.some(([a, b]) => at >= a && at < b)) continue;
        const lineStart = t.lastIndexOf('\n', at) + 1;
        const lineEnd = t.indexOf('\n', at);
        const line = t.slice(Math.max(0, lineStart - 200), lineEnd < 0 ? t.length : lineEnd + 200);
        if (ALLOWED.some((a) => a.file === f && line.includes(a.phrase))) continue;
        unexplained.push(`${f}:${t.slice(0, at).split('\n').length} "${m[0]}"`);
      }
    }
    expect(unexplained, 'counts in the docs with neither a rule nor a reason in properties/docs-counts.test.ts').toEqual([]);
  });
});
