/**
 * What every sampler shares besides the model: the per-step report, the common options (rng,
 * callback) and the data spec of a sampler's own options, with the one validator built from it.
 *
 * A sampler's own options are written once, as data (`OptionSpec[]`, next to the sampler in its
 * family file); from that list come
 *  - the options type (`OptionsOf<typeof SPEC>`: number, boolean or the enum's string union),
 *  - the value check every sampler of both tiers runs (`readOption`: type, range, default; throws a
 *    DiffusionInputError naming `options.<name>`),
 *  - the strict parser (`parseOptions`: also rejects unknown keys, for the CLI and for callers who
 *    want a typo caught), the CLI flags and the docs table (src/reference/samplers.ts SAMPLER_TABLE).
 */
import { DiffusionInputError, describe } from './errors.js';
import type { Rng } from './rng.js';
import type { Rows } from './rows.js';

/** Per-step report given to `options.callback` (k-diffusion style). */
export interface StepInfo {
  /** Step index 0..N-1. */
  i: number;
  /** Time at the start and end of the step. */
  t: number;
  tNext: number;
  /** State after the step. */
  x: Rows;
  /** x̂_0 at the start of the step where the sampler computed it. */
  denoised?: Rows;
}

/** The options every sampler takes (its own fields come from its OptionSpec list). */
export interface SamplerBaseOptions {
  /** Random numbers; required by stochastic samplers. */
  rng?: Rng;
  /** Called after every step. */
  callback?: (info: StepInfo) => void;
}

/** Keys of the common options on either tier (the tensor tier adds `noise`): never "unknown". */
export const COMMON_OPTION_KEYS = ['rng', 'callback', 'noise', 'noiseSampler'] as const;

export function requireRng(options: { rng?: Rng } | undefined, sampler: string): Rng {
  const rng = options?.rng;
  if (!rng || typeof (rng as Rng).normal !== 'function') throw new DiffusionInputError('options.rng', rng, `${sampler} is stochastic: pass a seeded Rng`);
  return rng;
}

// ---------------------------------------------------------------------------------------------
// Option specs

/** One option of a sampler, as data: the type, admissible range, default and a one-line doc. */
export interface OptionSpec {
  readonly name: string;
  readonly type: 'number' | 'integer' | 'boolean' | 'enum';
  /** enum: the admissible values. */
  readonly values?: readonly string[];
  /** Used when the option is absent (no default and not required: the sampler decides, see doc). */
  readonly default?: number | boolean | string;
  /** Must be given (no default). */
  readonly required?: boolean;
  /** number/integer: lower bound, inclusive unless `minExclusive`. */
  readonly min?: number;
  readonly minExclusive?: boolean;
  /** number/integer: upper bound (inclusive). */
  readonly max?: number;
  readonly doc: string;
}

type ValueOf<S> = S extends { type: 'enum'; values: readonly (infer V)[] } ? V : S extends { type: 'boolean' } ? boolean : number;

/** The options type of a spec list: every field optional, typed from its spec. */
export type OptionsOf<S extends readonly OptionSpec[]> = { [K in S[number] as K['name']]?: ValueOf<K> };

/** The admissible range of a spec in words ("> 0", "an integer ≥ 0", "one of 'a', 'b'"). */
export function describeRange(spec: OptionSpec): string {
  if (spec.type === 'boolean') return 'true or false';
  if (spec.type === 'enum') return `one of ${(spec.values ?? []).map((v) => `'${v}'`).join(', ')}`;
  const parts: string[] = [];
  if (spec.min !== undefined) parts.push(`${spec.minExclusive ? '>' : '≥'} ${spec.min}`);
  if (spec.max !== undefined) parts.push(`≤ ${spec.max}`);
  const kind = spec.type === 'integer' ? 'an integer' : 'a finite number';
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

/**
 * The value of option `spec` (its default when `value` is undefined); throws a DiffusionInputError
 * naming `options.<name>` when it is missing but required, of the wrong type, or out of range.
 * Every sampler of both tiers reads its own options through this one check.
 */
export function readOption<S extends OptionSpec>(spec: S, value: unknown, sampler?: string): ValueOf<S> {
  const name = `options.${spec.name}`;
  const who = sampler ? `${sampler}: ` : '';
  if (value === undefined) {
    if (spec.required) throw new DiffusionInputError(name, value, `${who}required (${spec.doc})`);
    return spec.default as ValueOf<S>;
  }
  switch (spec.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw new DiffusionInputError(name, value, `${who}must be true or false`);
      return value as ValueOf<S>;
    case 'enum':
      if (typeof value !== 'string' || !(spec.values ?? []).includes(value)) throw new DiffusionInputError(name, value, `${who}must be ${describeRange(spec)}`);
      return value as ValueOf<S>;
    default: {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (spec.type !== 'integer' || Number.isInteger(value)) &&
        (spec.min === undefined || (spec.minExclusive ? value > spec.min : value >= spec.min)) &&
        (spec.max === undefined || value <= spec.max);
      if (!ok) throw new DiffusionInputError(name, value, `${who}must be ${describeRange(spec)}`);
      return value as ValueOf<S>;
    }
  }
}

/**
 * Strict parse of a sampler's options: every own option read by `readOption` (defaults filled in),
 * the common keys (rng, callback, noise) passed through, and any other key refused with a
 * DiffusionInputError naming it and listing the sampler's options.
 */
export function parseOptions<S extends readonly OptionSpec[]>(specs: S, raw: unknown, sampler: string): SamplerBaseOptions & OptionsOf<S> & Record<string, unknown> {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new DiffusionInputError('options', raw, `${sampler}: must be an object of options`);
  const src = raw as Record<string, unknown>;
  const own = new Set(specs.map((s) => s.name));
  for (const k of Object.keys(src)) {
    if (own.has(k) || (COMMON_OPTION_KEYS as readonly string[]).includes(k)) continue;
    const known = specs.length ? specs.map((s) => s.name).join(', ') : 'none besides rng and callback';
    throw new DiffusionInputError(`options.${k}`, src[k], `unknown option of ${sampler} (its options: ${known})`);
  }
  const out: Record<string, unknown> = {};
  for (const k of COMMON_OPTION_KEYS) if (src[k] !== undefined) out[k] = src[k];
  for (const s of specs) {
    const v = readOption(s, src[s.name], sampler);
    if (v !== undefined) out[s.name] = v;
  }
  return out as SamplerBaseOptions & OptionsOf<S> & Record<string, unknown>;
}

/** One-line doc of an option for tables and help: "`snr` (number > 0, default 0.16): …". */
export function describeOption(spec: OptionSpec): string {
  const dflt = spec.required ? 'required' : spec.default === undefined ? 'no default' : `default ${typeof spec.default === 'string' ? `'${spec.default}'` : describe(spec.default)}`;
  return `\`${spec.name}\` (${describeRange(spec)}, ${dflt}): ${spec.doc}`;
}
