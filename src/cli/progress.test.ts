import { describe, expect, it } from 'vitest';
import { ProgressBar, formatDuration, formatMetric } from './progress.js';

/** A fake clock and a capturing stream. */
function setup(tty: boolean, total?: number) {
  let t = 0;
  let out = '';
  const bar = new ProgressBar({
    total,
    label: 'train',
    tty,
    stream: { write: (s: string) => (out += s), columns: 200 },
    now: () => t,
    plainIntervalMs: 10_000,
    minIntervalMs: 100,
  });
  return { bar, advance: (ms: number) => (t += ms), out: () => out };
}

describe('ProgressBar', () => {
  it('status line: bar, count, percent, rate, elapsed, ETA, metrics', () => {
    const { bar, advance } = setup(false, 1000);
    advance(50_000);
    bar.update(100, { loss: 0.031234567, lr: 0.0001 });
    // 100 steps in 50 s: 2 it/s; 900 left: 450 s = 7m30s
    expect(bar.line()).toBe('train [##··················] 100/1000 10.0% 2.00 it/s elapsed 50s ETA 7m30s loss=0.03123 lr=1.000e-4');
  });

  it('slow steps are shown as s/it; unknown total shows the step only', () => {
    const { bar, advance } = setup(false);
    advance(6000);
    bar.update(3, { loss: 1 });
    expect(bar.line()).toBe('train step 3 2.00 s/it elapsed 6.0s loss=1');
  });

  it('plain mode (no TTY): no carriage returns, a line at first update, then at most every 10 s, and the final line', () => {
    const { bar, advance, out } = setup(false, 100);
    for (let s = 1; s <= 100; s++) {
      advance(500); // 0.5 s per step: 50 s in total
      bar.update(s, { loss: 1 / s });
    }
    bar.done();
    const lines = out().trimEnd().split('\n');
    expect(out()).not.toContain('\r');
    // first update (t = 0.5 s), then at t = 10.5, 20.5, 30.5, 40.5 s, then the final line from done()
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^train \[.*\] 1\/100 1\.0%/);
    expect(lines[5]).toMatch(/100\/100 100\.0% 2\.00 it\/s elapsed 50s loss=0\.01$/);
    expect(lines[5]).not.toContain('ETA');
  });

  it('TTY mode: redraws in place with \\r and clear-to-end, throttled, newline at done', () => {
    const { bar, advance, out } = setup(true, 10);
    for (let s = 1; s <= 10; s++) {
      advance(20); // 20 ms per step: redraw every 100 ms at most
      bar.update(s);
    }
    bar.done();
    const o = out();
    expect(o.startsWith('\r')).toBe(true);
    expect(o.endsWith('\x1b[K\n')).toBe(true);
    const draws = o.split('\r').length - 1;
    expect(draws).toBeGreaterThanOrEqual(2);
    expect(draws).toBeLessThanOrEqual(4); // 200 ms of steps at ≥ 100 ms apart, plus the final draw
    expect(o.split('\n')).toHaveLength(2);
  });

  it('log() in TTY mode clears the bar, prints the message on its own line, redraws', () => {
    const { bar, out } = setup(true, 10);
    bar.update(1);
    bar.log('checkpoint saved');
    expect(out()).toContain('\r\x1b[Kcheckpoint saved\n\r');
  });

  it('a resumed run counts only its own steps in the rate', () => {
    let t = 0;
    const bar = new ProgressBar({ total: 200, startStep: 100, tty: false, stream: { write: () => 0 }, now: () => t });
    t = 10_000;
    bar.update(110);
    expect(bar.line()).toMatch(/110\/200 55\.0% 1\.00 it\/s elapsed 10s ETA 1m30s/);
  });

  it('formatting helpers', () => {
    expect(formatDuration(800)).toBe('0.8s');
    expect(formatDuration(35_000)).toBe('35s');
    expect(formatDuration(258_000)).toBe('4m18s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(NaN)).toBe('?');
    expect(formatMetric(0.000012346)).toBe('1.235e-5');
    expect(formatMetric(12.3456)).toBe('12.35');
    expect(formatMetric(42)).toBe('42');
    expect(formatMetric(NaN)).toBe('NaN');
    expect(formatMetric('ddim')).toBe('ddim');
  });
});
