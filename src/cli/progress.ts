/**
 * Progress reporting on stderr for long runs (training, sampling, benchmarks).
 *
 * On a TTY the bar redraws in place with "\r" (at most every `minIntervalMs`, default 100 ms); on
 * anything else (CI logs, files) it prints a plain line every `plainIntervalMs` (default 10 s)
 * plus the first and the final state, so logs stay readable and short.
 *
 *   train [#######·············] 3500/10000 35.0% 4.12 it/s elapsed 14m09s ETA 26m17s loss=0.03121
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Total number of steps (omit when unknown: no bar, no ETA). */
  total?: number;
  /** Short name printed first. */
  label?: string;
  /** Where to write (default: process.stderr). */
  stream?: ProgressStream;
  /** Force TTY / plain mode (default: stream.isTTY). */
  tty?: boolean;
  /** Minimum time between TTY redraws (ms, default 100). */
  minIntervalMs?: number;
  /** Time between plain lines (ms, default 10000). */
  plainIntervalMs?: number;
  /** Step the run starts from (a resumed run): the rate counts only steps done in this process. */
  startStep?: number;
  /** Clock in ms (default performance.now); injectable for tests. */
  now?: () => number;
  /** Bar width in characters (default 20). */
  barWidth?: number;
}

export type Metrics = Record<string, number | string>;

/** 4 significant digits; exponent form for very small or large magnitudes. */
export function formatMetric(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(3);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** 0.8s, 35s, 4m18s, 1h02m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private readonly startStep: number;
  private step: number;
  private metrics: Metrics = {};
  private lastDraw = -Infinity;
  private drawn = false;
  private finished = false;

  constructor(private readonly options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
    this.startStep = options.startStep ?? 0;
    this.step = this.startStep;
  }

  /** The status line for the current state (no control characters). */
  line(): string {
    const o = this.options;
    const parts: string[] = [];
    if (o.label) parts.push(o.label);
    const total = o.total;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, Math.max(0, this.step / total));
      const w = o.barWidth ?? 20;
      const filled = Math.round(frac * w);
      parts.push(`[${'#'.repeat(filled)}${'·'.repeat(w - filled)}]`);
      parts.push(`${this.step}/${total}`);
      parts.push(`${(frac * 100).toFixed(1)}%`);
    } else {
      parts.push(`step ${this.step}`);
    }
    const elapsed = this.now() - this.start;
    const done = this.step - this.startStep;
    const rate = elapsed > 0 ? (done / elapsed) * 1000 : 0; // steps per second
    if (done > 0 && elapsed > 0) parts.push(rate >= 1 ? `${rate.toFixed(2)} it/s` : `${(1 / rate).toFixed(2)} s/it`);
    parts.push(`elapsed ${formatDuration(elapsed)}`);
    if (total !== undefined && rate > 0 && this.step < total) parts.push(`ETA ${formatDuration(((total - this.step) / rate) * 1000)}`);
    for (const [k, v] of Object.entries(this.metrics)) parts.push(`${k}=${formatMetric(v)}`);
    return parts.join(' ');
  }

  private draw(force: boolean): void {
    const t = this.now();
    const interval = this.tty ? (this.options.minIntervalMs ?? 100) : (this.options.plainIntervalMs ?? 10_000);
    if (!force && this.drawn && t - this.lastDraw < interval) return;
    this.lastDraw = t;
    this.drawn = true;
    let text = this.line();
    if (this.tty) {
      const cols = this.stream.columns;
      if (cols && text.length > cols - 1) text = text.slice(0, cols - 1);
      this.stream.write(`\r${text}\x1b[K`);
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Set the current step (steps completed) and optionally the metrics to show. */
  update(step: number, metrics?: Metrics): void {
    if (this.finished) return;
    this.step = step;
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.draw(false);
  }

  /** One more step done. */
  tick(metrics?: Metrics): void {
    this.update(this.step + 1, metrics);
  }

  /** Print a message without garbling the bar (TTY: clear, print, redraw). */
  log(message: string): void {
    if (this.tty && this.drawn && !this.finished) {
      this.stream.write(`\r\x1b[K${message}\n`);
      this.lastDraw = -Infinity;
      this.draw(true);
    } else {
      this.stream.write(`${message}\n`);
    }
  }

  /** Final state: always printed, ends the line. */
  done(metrics?: Metrics): void {
    if (this.finished) return;
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.draw(true);
    if (this.tty) this.stream.write('\n');
    this.finished = true;
  }
}

export function createProgress(options: ProgressOptions = {}): ProgressBar {
  return new ProgressBar(options);
}
