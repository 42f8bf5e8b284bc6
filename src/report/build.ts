/**
 * Gather the report's sections (./sections.ts) and render the page (./html.ts). Each optional part
 * that is absent (no golden model, no run directory, no benchmark result, properties not run)
 * becomes a clearly labelled placeholder — never made-up numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchCharts, headlineTable } from '../bench/output.js';
import { renderReportHtml, type Placeholder, type ReportData } from './html.js';
import { checkpointOf, elboFigure, goldenSamplerFigures, latestBenchResult, runFigures, runPropertySuite, samplerFigures, scheduleFigures, type PropertyResults } from './sections.js';

export interface ReportOptions {
  /** Golden folder: the golden U-Net is `<golden>/unet` (a run or checkpoint directory) or `<golden>` itself. */
  golden: string;
  /** Training run directory for the loss curve and U-Net samples (optional). */
  run?: string;
  /** Directory with benchmark results (the newest full run is used). */
  benchDir: string;
  /** 'run' (every claim on the reference), 'skip', or a JSON file written by an earlier report. */
  properties: 'run' | 'skip' | { file: string };
  /** Restrict the claims run (ids). */
  claims?: string[];
  /** Points per sampler scatter (0: no scatter plots). */
  scatterN: number;
  /** U-Net samples from the run's checkpoint (0: none) and their DDIM steps. */
  samples: number;
  sampleSteps: number;
  /** ELBO: timesteps evaluated and batch size. */
  elboCount: number;
  elboBatch: number;
  /** U-Net samples per sampler from the golden model (0: none). */
  goldenSamples?: number;
  /** Context line (machine, backend). */
  context: string;
  log?: (line: string) => void;
}

export interface BuiltReport {
  html: string;
  properties: PropertyResults | null;
}

/** The golden U-Net: any weights folder (golden export, checkpoint, run directory; src/train/adapter.ts) at `<dir>/unet` or `<dir>`. */
async function goldenModelDir(dir: string): Promise<string | null> {
  for (const cand of [join(dir, 'unet'), dir]) {
    if (!existsSync(cand)) continue;
    const ck = await checkpointOf(cand);
    if (ck) return ck;
  }
  return null;
}

export async function buildReport(o: ReportOptions): Promise<BuiltReport> {
  const log = o.log ?? (() => {});
  log('schedules');
  const schedules = scheduleFigures();

  let elbo: ReportData['elbo'];
  const gck = await goldenModelDir(o.golden);
  if (!gck) {
    elbo = { placeholder: `No golden model is committed yet: no golden U-Net (model.json + ema.bin) or checkpoint found in ${o.golden}/unet or ${o.golden}. This section shows the ELBO terms per t once one exists; nothing here is estimated without it.` };
  } else {
    log(`ELBO terms of ${gck}`);
    elbo = await elboFigure(gck, { batch: o.elboBatch, count: o.elboCount, log });
  }
  const goldenGrids = gck && (o.goldenSamples ?? 0) > 0 ? await goldenSamplerFigures(gck, { n: o.goldenSamples!, log }) : [];

  let properties: PropertyResults | null = null;
  let propSection: PropertyResults | Placeholder;
  if (o.properties === 'skip') propSection = { placeholder: 'The property suite was not run for this report (--no-properties). `npm test` runs it; `diffusion-oracle report` runs every claim on the reference by default.' };
  else if (o.properties === 'run') {
    log('property suite (every claim on the float64 reference)');
    properties = await runPropertySuite({ only: o.claims, log });
    propSection = properties;
  } else {
    properties = JSON.parse(readFileSync(o.properties.file, 'utf8')) as PropertyResults;
    if (!Array.isArray(properties.outcomes)) throw new Error(`${o.properties.file}: not a property-results file (no outcomes array)`);
    propSection = properties;
  }

  let samplers: ReportData['samplers'];
  if (o.scatterN > 0) {
    log('sampler scatter plots (exact mixture oracle)');
    samplers = await samplerFigures(o.scatterN);
  } else samplers = { placeholder: 'Sampler scatter plots were not drawn for this report (--scatter 0).' };

  let run: ReportData['run'];
  if (!o.run) run = { placeholder: 'No training run was given (--run DIR): no loss curve and no U-Net samples in this report.' };
  else {
    log(`run ${o.run}`);
    run = await runFigures(o.run, { samples: o.samples, steps: o.sampleSteps, log });
  }

  let bench: ReportData['bench'];
  const b = latestBenchResult(o.benchDir);
  if (!b) bench = { placeholder: `No benchmark result in ${o.benchDir}: run \`npm run bench\` (or \`diffusion-oracle bench\`) first.` };
  else bench = { path: b.path, result: b.result, charts: benchCharts(b.result), headline: headlineTable(b.result) };

  const html = renderReportHtml({ generated: new Date().toISOString().slice(0, 19) + 'Z', context: o.context, schedules, elbo, properties: propSection, samplers, goldenGrids, run, bench });
  return { html, properties };
}
