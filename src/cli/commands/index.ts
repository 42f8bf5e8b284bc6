/**
 * The command table of the CLI, in the order `--help` lists them.
 *
 * Adding a command: write it in its own file in this folder, exporting a `Command`
 * (see ../command.ts: name, summary, description, options, examples, run), import it here and add
 * it to COMMANDS. main.ts then gives it parsing, `--help`, error reporting and exit codes.
 * Keep `--help` fast: a command that needs TensorFlow.js (or anything heavy) should load it with
 * `await import(...)` inside run(), not with a top-level import, since every command module is
 * loaded on every start.
 * Planned (issue 5), each in its own file by its owner:
 *   train    (./train.ts)    train the U-Net / MLP denoiser with checkpoints and resume
 *   sample   (./sample.ts)   draw samples with a named sampler into a PNG grid
 *   golden   (./golden.ts)   write / verify golden files
 *   bench    (./bench.ts)    run the benchmarks
 *   vectors  (./vectors.ts)  write / check the test vectors
 *   report   (./report.ts)   assemble the HTML report (charts via io/chart.ts renderLineChartSvg)
 */
import type { Command } from '../command.js';
import { dataCheckCommand } from './data-check.js';
import { scheduleCommand } from './schedule.js';
import { trainCommand } from './train.js';
import { sampleCommand } from './sample.js';
import { vectorsCommand } from './vectors.js';
import { goldenCommand } from './golden.js';
import { benchCommand } from './bench.js';
import { reportCommand } from './report.js';

export const COMMANDS: Command[] = [scheduleCommand, dataCheckCommand, trainCommand, sampleCommand, vectorsCommand, goldenCommand, benchCommand, reportCommand];
