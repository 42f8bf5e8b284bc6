/**
 * The numpy harness (vectors/check_numpy.py) against the committed vectors: its own small numpy
 * implementation must pass every vector, and with a deliberately injected bug it must fail, naming
 * the vectors flagged for that bug. Needs python3 with numpy (CI: Debian's python3-numpy); where
 * that is missing the tests are registered as skipped with the reason in their names.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = new URL('.', import.meta.url).pathname;
const SCRIPT = `${DIR}check_numpy.py`;
/** The first Python on this machine with numpy: PATH's python3, else Debian's (apt's python3-numpy installs there). */
const PYTHONS = ['python3', '/usr/bin/python3'];
const withModule = (mod: string) => PYTHONS.find((py) => spawnSync(py, ['-c', `import ${mod}`], { encoding: 'utf8' }).status === 0);
const PY = withModule('numpy') ?? 'python3';
const probe = spawnSync(PY, ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
const numpyVersion = probe.status === 0 ? probe.stdout.trim() : null;
const runIt = numpyVersion ? it : it.skip;
const suffix = numpyVersion ? `(numpy ${numpyVersion})` : '— SKIPPED: python3 with numpy not available (apt-get install python3-numpy)';

function run(...args: string[]) {
  const r = spawnSync(PY, [SCRIPT, DIR, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe(`numpy harness ${suffix}`, () => {
  runIt('its numpy implementation passes every vector family', () => {
    const r = run();
    console.log(r.out.split('\n').filter((l) => /^(PASS|FAIL|N\/A)/.test(l)).join('\n'));
    expect(r.out).toContain('all applicable vectors passed');
    expect(r.status).toBe(0);
    for (const fam of ['schedules', 'forward', 'posterior', 'parameterizations', 'ddpm', 'ddim', 'kl-decoder', 'vlb', 'score-mixture', 'score-steps', 'dpm-solver', 'guidance', 'score-matching', 'multistep']) {
      expect(r.out).toMatch(new RegExp(`PASS ${fam}\\s`));
    }
  });

  runIt('--inject-bug prev_timestep fails, naming PREV_TIMESTEP vectors', () => {
    const r = run('--inject-bug', 'prev_timestep', '--verbose');
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/FAIL ddim\s/);
    expect(r.out).toContain('ddim/ddim-step-linear-T1000/strided-901-801-eta0 [OFF_BY_ONE, PREV_TIMESTEP]');
    expect(r.out).toContain('FAILED');
  });

  runIt('--inject-bug final_alpha fails exactly the FINAL_ALPHA vectors', () => {
    const r = run('--inject-bug', 'final_alpha', '--verbose');
    expect(r.status).toBe(1);
    const failing = r.out.split('\n').filter((l) => /^\s+\S+\/\S+\/\S+ \[/.test(l));
    expect(failing.length).toBeGreaterThan(0);
    for (const l of failing) expect(l).toContain('FINAL_ALPHA');
  });

  runIt('each score-family --inject-bug fails every vector flagged for it', () => {
    const flagged = new Map<string, Set<string>>();
    for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
      const data = JSON.parse(readFileSync(`${DIR}${f}`, 'utf8')) as { testGroups: { tests: { id: string; flags: string[] }[] }[] };
      for (const g of data.testGroups) for (const c of g.tests) for (const fl of c.flags) flagged.set(fl, (flagged.get(fl) ?? new Set()).add(c.id));
    }
    const bugs = ['score_sign', 'mixture_weights', 'noisy_marginal', 'tweedie_scale', 'langevin_noise_scale', 'vp_sde_drift', 've_sde_increment',
      'heun_correction', 'rk4_weights', 'dpm_lambda_direction', 'indi_extra_noise', 'cfg_scale_convention', 'score_matching_half',
      // σ-space (issue 14)
      'karras_rho_power', 'sigma_final_zero', 'ancestral_clamp', 'ancestral_noise_level', 'heun_second_stage_sigma', 'dpmpp_2m_final_order', 'lms_coefficients', 'dpmpp_3m_second_derivative',
      // multistep and flow (issue 15)
      'multistep_warmup', 'lower_order_final', 'pndm_raw_v', 'flow_velocity_sign'];
    for (const bug of bugs) {
      const r = run('--inject-bug', bug, '--verbose');
      expect(r.status, bug).toBe(1);
      const failing = new Set(r.out.split('\n').map((l) => /^\s+(\S+\/\S+\/\S+) \[/.exec(l)?.[1]).filter((x): x is string => !!x));
      const ids = [...(flagged.get(bug.toUpperCase()) ?? [])];
      expect(ids.length, bug).toBeGreaterThan(0);
      expect(ids.filter((id) => !failing.has(id)), `${bug}: flagged vectors the numpy bug passes`).toEqual([]);
      console.log(`  --inject-bug ${bug}: ${failing.size} failing vectors, all ${ids.length} flagged ${bug.toUpperCase()} among them`);
    }
  });

  const PYS = withModule('jsonschema');
  const hasJsonschema = PYS !== undefined;
  (hasJsonschema ? it : it.skip)(`every file matches the JSON schema, every score spec its $defs (python jsonschema)${hasJsonschema ? '' : ' — SKIPPED: python3-jsonschema not available'}`, () => {
    const ok = spawnSync(PYS!, [`${DIR}check_schema.py`, DIR], { encoding: 'utf8' });
    console.log(`  ${ok.stdout.trim()}`);
    expect(ok.status).toBe(0);
    // A broken spec is caught: a VP process without its options, a model without an output kind.
    const tmp = mkdtempSync(join(tmpdir(), 'vectors-schema-'));
    try {
      mkdirSync(join(tmp, 'schema'));
      copyFileSync(`${DIR}schema/vectors.schema.json`, join(tmp, 'schema', 'vectors.schema.json'));
      const data = JSON.parse(readFileSync(`${DIR}score-steps.json`, 'utf8'));
      const c = data.testGroups.find((g: { name: string }) => g.name === 'euler-maruyama').tests[0];
      c.inputs.process = { kind: 'vp' };
      c.inputs.model = { kind: 'given', value: c.inputs.model.value };
      writeFileSync(join(tmp, 'score-steps.json'), JSON.stringify(data));
      const bad = spawnSync(PYS!, [`${DIR}check_schema.py`, tmp], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain(`${c.id}: processSpec`);
      expect(bad.stdout).toContain(`${c.id}: modelSpec`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  runIt('a usage error exits 2 (no vector files)', () => {
    const r = spawnSync(PY, [SCRIPT, '/nonexistent-dir'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});
