/**
 * The `sample` command's sampler choices, grid-spacing rules and per-sampler flags, read from the
 * sampler descriptors (src/reference/samplers.ts SAMPLER_TABLE): a sampler that runs on a discrete VP
 * schedule with a step grid is a choice; each of its own options becomes a flag (camelCase →
 * kebab-case) that applies to the samplers that have it, checked by the option's spec.
 */
import { UsageError } from './args.js';
import type { OptionSpec as FlagSpec } from './args.js';
import { DiffusionInputError } from '../reference/errors.js';
import { SPACINGS } from '../reference/ddim.js';
import { GRID_SPACINGS } from '../reference/grids.js';
import { describeRange, type OptionSpec } from '../reference/sampling.js';
import { SAMPLER_LIST, parseSamplerOptions, type SamplerDescriptor } from '../reference/samplers.js';

/** Samplers that apply to the discrete VP process of a trained U-Net (and take a step grid). */
export const CLI_SAMPLER_DESCRIPTORS: readonly SamplerDescriptor[] = SAMPLER_LIST.filter((d) => (d.processes.includes('discrete-vp') || d.processes.includes('flow')) && d.grid !== 'levels');
export const CLI_SAMPLERS: readonly string[] = CLI_SAMPLER_DESCRIPTORS.map((d) => d.name);

/** Options the command sets itself (not flags): every step noisy but the last, as Song et al.'s "noise removal". */
export const CLI_FIXED_OPTIONS: Readonly<Record<string, unknown>> = { denoiseLastStep: true };

export const INTEGER_SPACINGS: readonly string[] = SPACINGS;
export const TIME_SPACINGS: readonly string[] = GRID_SPACINGS;

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface SamplerFlag {
  flag: FlagSpec;
  option: OptionSpec;
  samplers: string[];
  /** Samplers sharing a name may differ in default and doc (e.g. ddim's η = 0, the ancestral σ-space samplers' η = 1): one entry per variant. */
  variants: { option: OptionSpec; samplers: string[] }[];
}

/** The admissible range of a spec (type, values, bounds). */
const rangeKey = (o: OptionSpec) => JSON.stringify({ type: o.type, values: o.values, min: o.min, minExclusive: o.minExclusive, max: o.max });

/**
 * One flag per option name of the CLI samplers. Samplers sharing a name must agree on its type;
 * where their ranges differ (lms's order ≤ 4, the multistep solvers' ≤ 3; solverType's values), the
 * flag admits the union and the chosen sampler's own spec checks the value (parseSamplerOptions).
 */
export const SAMPLER_FLAGS: readonly SamplerFlag[] = (() => {
  const byName = new Map<string, SamplerFlag>();
  for (const d of CLI_SAMPLER_DESCRIPTORS) {
    for (const o of d.options) {
      if (o.name in CLI_FIXED_OPTIONS) continue;
      const seen = byName.get(o.name);
      if (seen) {
        if (seen.option.type !== o.type) throw new Error(`sampler option '${o.name}' has different types in ${seen.samplers[0]} and ${d.name}: rename one (the CLI has one flag per name)`);
        seen.samplers.push(d.name);
        const v = seen.variants.find((x) => JSON.stringify(x.option) === JSON.stringify(o));
        if (v) v.samplers.push(d.name);
        else seen.variants.push({ option: o, samplers: [d.name] });
        continue;
      }
      byName.set(o.name, { option: o, samplers: [d.name], variants: [{ option: o, samplers: [d.name] }], flag: { name: kebab(o.name), type: 'string', description: '' } });
    }
  }
  for (const f of byName.values()) {
    const o = f.option;
    const dflt = (x: OptionSpec) => (x.default === undefined ? '' : `; default ${String(x.default)}`);
    const oneRange = f.variants.every((v) => rangeKey(v.option) === rangeKey(o));
    const choices = [...new Set(f.variants.flatMap((v) => v.option.values ?? []))];
    f.flag = {
      name: kebab(o.name),
      type: o.type === 'integer' ? 'int' : o.type === 'number' ? 'number' : o.type === 'boolean' ? 'boolean' : 'string',
      ...(o.type === 'enum' ? { choices } : {}),
      ...(oneRange && o.min !== undefined && !o.minExclusive ? { min: o.min } : {}),
      ...(oneRange && o.max !== undefined ? { max: o.max } : {}),
      description: f.variants.map((v) => `${v.samplers.join(', ')}: ${v.option.doc} (${describeRange(v.option)}${dflt(v.option)})`).join('; '),
    };
  }
  return [...byName.values()];
})();

/** The grid spacing of a run: the given one if it applies to the sampler's grid, else the descriptor's default. */
export function samplerSpacing(sampler: string, given: string | undefined): { spacing: string; integer: boolean } {
  const d = CLI_SAMPLER_DESCRIPTORS.find((x) => x.name === sampler);
  if (!d) throw new UsageError(`--sampler ${sampler}: not a sampler of this command (${CLI_SAMPLERS.join(', ')})`);
  const integer = d.grid === 'integer';
  if (d.grid === 'sigma') {
    if (given !== undefined && !(['linspace', 'leading', 'trailing'] as string[]).includes(given)) throw new UsageError(`--spacing ${given} does not apply to --sampler ${sampler} (a σ-space sampler: use --sigmas; --spacing linspace|leading|trailing only with --sigmas discrete)`);
    return { spacing: given ?? 'linspace', integer: false };
  }
  const allowed = integer ? INTEGER_SPACINGS : TIME_SPACINGS;
  const spacing = given ?? d.spacing;
  if (!allowed.includes(spacing)) throw new UsageError(`--spacing ${spacing} does not apply to --sampler ${sampler} (use ${allowed.join(', ')})`);
  return { spacing, integer };
}

/**
 * The sampler's options from the flags: a flag of another sampler is a usage error, values are
 * checked by the option's spec, and the command's fixed options are added where the sampler has them.
 */
export function samplerOptionsFromFlags(sampler: string, given: (flag: FlagSpec) => unknown): Record<string, unknown> {
  const d = CLI_SAMPLER_DESCRIPTORS.find((x) => x.name === sampler);
  if (!d) throw new UsageError(`--sampler ${sampler}: not a sampler of this command (${CLI_SAMPLERS.join(', ')})`);
  const raw: Record<string, unknown> = {};
  for (const f of SAMPLER_FLAGS) {
    const v = given(f.flag);
    if (v === undefined) continue;
    if (!f.samplers.includes(sampler)) throw new UsageError(`--${f.flag.name} applies to --sampler ${f.samplers.join(', ')} only (got --sampler ${sampler})`);
    raw[f.option.name] = v;
  }
  for (const [k, v] of Object.entries(CLI_FIXED_OPTIONS)) if (d.options.some((o) => o.name === k)) raw[k] = v;
  try {
    return parseSamplerOptions(sampler, raw);
  } catch (e) {
    if (e instanceof DiffusionInputError) throw new UsageError(`--${kebab(e.argument.replace(/^options\./, ''))}: ${e.message.slice(e.argument.length + 2)}`);
    throw e;
  }
}
