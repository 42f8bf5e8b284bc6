/**
 * Line charts without a plotting library: one layout computation (axes, ticks, tick labels, data
 * → pixel mapping, legend) shared by a small rasterizer (RGBA pixels, drawn with the 5×7 font in
 * ./font.ts, encoded as PNG by ./png.ts) and an SVG writer (for the HTML report and bench charts).
 */
import { DiffusionInputError } from '../reference/errors.js';
import { GLYPH_HEIGHT, forEachTextPixel, textWidth } from './font.js';

export interface ChartSeries {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** CSS-style hex colour '#rrggbb' (default: a built-in palette by series index). */
  color?: string;
}

export interface ChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (every y must be > 0). */
  logY?: boolean;
  /** Image size in pixels (default 640×400). */
  width?: number;
  height?: number;
  /** Integer magnification of the 5×7 font (default 1, 2 for charts at least 1000 px wide). */
  fontScale?: number;
  /** Show the legend (default: when there is more than one series or a series has a name). */
  legend?: boolean;
}

/** Ten distinguishable colours (series i gets PALETTE[i % 10]). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface Tick {
  value: number;
  /** Pixel coordinate along the axis. */
  px: number;
  label: string;
}

export interface ChartLayout {
  width: number;
  height: number;
  fontScale: number;
  /** Plot area: left, top, right, bottom pixel edges (the axes are at left and bottom). */
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: Tick[];
  yTicks: Tick[];
  title?: { text: string; x: number; y: number };
  xLabel?: { text: string; x: number; y: number };
  /** Vertical label; (x, y) is the bottom-left corner of the rotated text. */
  yLabel?: { text: string; x: number; y: number };
  /** Per series: the polyline in pixel coordinates and its colour. */
  lines: { name: string; color: string; points: [number, number][] }[];
  legend?: { x: number; y: number; width: number; height: number; rowHeight: number; entries: { name: string; color: string }[] };
}

function checkSeries(series: ChartSeries[], logY: boolean): void {
  if (!Array.isArray(series) || series.length === 0) throw new DiffusionInputError('series', series, 'must be a non-empty array of {name, xs, ys}');
  series.forEach((s, k) => {
    const nm = `series[${k}]`;
    if (!s || typeof s !== 'object') throw new DiffusionInputError(nm, s, 'must be {name, xs, ys}');
    if (typeof s.name !== 'string') throw new DiffusionInputError(`${nm}.name`, s.name, 'must be a string');
    if (!s.xs || !s.ys || typeof s.xs.length !== 'number' || typeof s.ys.length !== 'number') throw new DiffusionInputError(nm, s.name, 'xs and ys must be arrays');
    if (s.xs.length !== s.ys.length) throw new DiffusionInputError(`${nm}.ys`, `length ${s.ys.length}`, `shape mismatch: xs has length ${s.xs.length}`);
    if (s.xs.length === 0) throw new DiffusionInputError(`${nm}.xs`, s.xs, 'must not be empty');
    for (let i = 0; i < s.xs.length; i++) {
      if (!Number.isFinite(s.xs[i])) throw new DiffusionInputError(`${nm}.xs[${i}]`, s.xs[i], 'must be finite');
      if (!Number.isFinite(s.ys[i])) throw new DiffusionInputError(`${nm}.ys[${i}]`, s.ys[i], 'must be finite');
      if (logY && !(s.ys[i] > 0)) throw new DiffusionInputError(`${nm}.ys[${i}]`, s.ys[i], 'must be > 0 on a logarithmic axis');
    }
    if (s.color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(s.color)) throw new DiffusionInputError(`${nm}.color`, s.color, "must be a hex colour like '#1f77b4'");
  });
}

/** "Nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/** Format a tick value: plain decimals for moderate magnitudes, otherwise 1.5e-4 style. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    let e = Math.floor(Math.log10(a));
    let m = Number((v / 10 ** e).toPrecision(3));
    if (Math.abs(m) >= 10) {
      m = Number((m / 10).toPrecision(3));
      e++;
    }
    return `${m}e${e}`; // 1e-4, 2.5e-4, -1e6
  }
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals).replace(/^-0(\.0*)?$/, '0');
}

function linearTicks(lo: number, hi: number, target: number): number[] {
  const step = niceStep(hi - lo, target);
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) out.push(Math.abs(k * step) < step * 1e-9 ? 0 : k * step);
  return out;
}

function expandRange(lo: number, hi: number, log: boolean): [number, number] {
  if (hi > lo) return [lo, hi];
  if (log) return [lo / 10 ** 0.5, hi * 10 ** 0.5];
  const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - d, hi + d];
}

/** Compute everything both renderers need. */
export function chartLayout(series: ChartSeries[], options: ChartOptions = {}): ChartLayout {
  const logY = options.logY ?? false;
  checkSeries(series, logY);
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  if (!Number.isInteger(width) || width < 120 || width > 10000) throw new DiffusionInputError('options.width', width, 'must be an integer in 120..10000');
  if (!Number.isInteger(height) || height < 100 || height > 10000) throw new DiffusionInputError('options.height', height, 'must be an integer in 100..10000');
  const fs = options.fontScale ?? (width >= 1000 ? 2 : 1);
  if (!Number.isInteger(fs) || fs < 1 || fs > 8) throw new DiffusionInputError('options.fontScale', fs, 'must be an integer in 1..8');
  const th = GLYPH_HEIGHT * fs; // text height

  let xlo = Infinity;
  let xhi = -Infinity;
  let ylo = Infinity;
  let yhi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.xs.length; i++) {
      xlo = Math.min(xlo, s.xs[i]);
      xhi = Math.max(xhi, s.xs[i]);
      const y = logY ? Math.log10(s.ys[i]) : s.ys[i];
      ylo = Math.min(ylo, y);
      yhi = Math.max(yhi, y);
    }
  }
  [xlo, xhi] = expandRange(xlo, xhi, false);
  [ylo, yhi] = expandRange(ylo, yhi, logY);
  if (!logY) {
    const pad = (yhi - ylo) * 0.05;
    ylo -= pad;
    yhi += pad;
  }

  // y tick values (in axis units: log10 y on a log axis)
  let yTickVals: number[];
  let yLabels: string[];
  if (logY) {
    const span = yhi - ylo;
    if (span >= 1) {
      const stride = Math.max(1, Math.ceil(span / 8));
      yTickVals = [];
      for (let e = Math.ceil(ylo - 1e-9); e <= yhi + 1e-9; e++) if (e % stride === 0) yTickVals.push(e);
      if (yTickVals.length < 2) yTickVals = [Math.ceil(ylo - 1e-9), Math.floor(yhi + 1e-9)].filter((v, i, a) => a.indexOf(v) === i);
      if (span < 3) {
        // Few decades: label 1, 2 and 5 of each decade, so the axis carries more than one number.
        yTickVals = [];
        for (let e = Math.floor(ylo) - 1; e <= Math.ceil(yhi); e++) {
          for (const m of [1, 2, 5]) {
            const v = e + Math.log10(m);
            if (v >= ylo - 1e-9 && v <= yhi + 1e-9) yTickVals.push(v);
          }
        }
      }
      // one style for the whole axis: plain decimals when every decade is in 0.01..10000, else 1e-k
      const plain = yTickVals.every((e) => e >= -2 && e < 5);
      yLabels = yTickVals.map((e) => {
        const d = Math.floor(e + 1e-9);
        const m = Math.round(10 ** (e - d));
        if (plain || (d === 0 && m === 1)) return String(Number((m * 10 ** d).toPrecision(12)));
        return `${m}e${d}`;
      });
    } else {
      const vals = linearTicks(10 ** ylo, 10 ** yhi, 4);
      const step = niceStep(10 ** yhi - 10 ** ylo, 4);
      yTickVals = vals.filter((v) => v > 0).map((v) => Math.log10(v));
      yLabels = vals.filter((v) => v > 0).map((v) => formatTick(v, step));
    }
  } else {
    const step = niceStep(yhi - ylo, 6);
    yTickVals = linearTicks(ylo, yhi, 6);
    yLabels = yTickVals.map((v) => formatTick(v, step));
  }
  const xStep = niceStep(xhi - xlo, Math.max(2, Math.floor(width / 110)));
  const xTickVals = linearTicks(xlo, xhi, Math.max(2, Math.floor(width / 110)));
  const xLabels = xTickVals.map((v) => formatTick(v, xStep));

  const gap = 4 * fs;
  const yTickW = Math.max(0, ...yLabels.map((l) => textWidth(l) * fs));
  const left = gap + (options.yLabel ? th + gap : 0) + yTickW + gap + 3 * fs;
  const top = gap + (options.title ? th + 2 * gap : gap);
  const right = width - gap * 3;
  const bottom = height - (gap + (options.xLabel ? th + gap : 0) + th + gap + 3 * fs);
  if (right - left < 40 || bottom - top < 30) throw new DiffusionInputError('options', `${width}×${height}`, 'chart too small for its labels');

  const mapX = (x: number) => left + ((x - xlo) / (xhi - xlo)) * (right - left);
  const mapY = (y: number) => bottom - ((y - ylo) / (yhi - ylo)) * (bottom - top);

  const xTicks: Tick[] = xTickVals.map((v, i) => ({ value: v, px: Math.round(mapX(v)), label: xLabels[i] }));
  const yTicks: Tick[] = yTickVals.map((v, i) => ({ value: logY ? 10 ** v : v, px: Math.round(mapY(v)), label: yLabels[i] }));

  const lines = series.map((s, k) => {
    const points: [number, number][] = [];
    for (let i = 0; i < s.xs.length; i++) points.push([mapX(s.xs[i]), mapY(logY ? Math.log10(s.ys[i]) : s.ys[i])]);
    return { name: s.name, color: s.color ?? PALETTE[k % PALETTE.length], points };
  });

  const layout: ChartLayout = { width, height, fontScale: fs, plot: { left, top, right, bottom }, xTicks, yTicks, lines };
  if (options.title) layout.title = { text: options.title, x: Math.round((width - textWidth(options.title) * fs) / 2), y: gap + gap / 2 };
  if (options.xLabel) layout.xLabel = { text: options.xLabel, x: Math.round((left + right - textWidth(options.xLabel) * fs) / 2), y: height - gap - th };
  if (options.yLabel) layout.yLabel = { text: options.yLabel, x: gap, y: Math.round((top + bottom + textWidth(options.yLabel) * fs) / 2) };
  const showLegend = options.legend ?? (series.length > 1 || series.some((s) => s.name !== ''));
  if (showLegend) {
    const entries = lines.map((l) => ({ name: l.name, color: l.color }));
    const rowHeight = th + 3 * fs;
    const w = 2 * gap + 14 * fs + gap + Math.max(...entries.map((e) => textWidth(e.name) * fs));
    const h = gap + entries.length * rowHeight;
    layout.legend = { x: right - w - gap, y: top + gap, width: w, height: h, rowHeight, entries };
  }
  return layout;
}

// ---------------------------------------------------------------- raster

/** An RGBA pixel buffer with the drawing primitives the chart needs. */
export class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: [number, number, number] = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[4 * i] = background[0];
      this.data[4 * i + 1] = background[1];
      this.data[4 * i + 2] = background[2];
      this.data[4 * i + 3] = 255;
    }
  }

  set(x: number, y: number, rgb: [number, number, number], clip?: { left: number; top: number; right: number; bottom: number }): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    if (clip && (x < clip.left || x > clip.right || y < clip.top || y > clip.bottom)) return;
    const o = 4 * (y * this.width + x);
    this.data[o] = rgb[0];
    this.data[o + 1] = rgb[1];
    this.data[o + 2] = rgb[2];
    this.data[o + 3] = 255;
  }

  get(x: number, y: number): [number, number, number] {
    const o = 4 * (y * this.width + x);
    return [this.data[o], this.data[o + 1], this.data[o + 2]];
  }

  fillRect(x0: number, y0: number, w: number, h: number, rgb: [number, number, number]): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, rgb);
  }

  strokeRect(x0: number, y0: number, w: number, h: number, rgb: [number, number, number]): void {
    for (let x = x0; x < x0 + w; x++) {
      this.set(x, y0, rgb);
      this.set(x, y0 + h - 1, rgb);
    }
    for (let y = y0; y < y0 + h; y++) {
      this.set(x0, y, rgb);
      this.set(x0 + w - 1, y, rgb);
    }
  }

  /** Line from (x0, y0) to (x1, y1) (Bresenham), `thickness` pixels wide (square brush). */
  line(x0: number, y0: number, x1: number, y1: number, rgb: [number, number, number], thickness = 1, clip?: { left: number; top: number; right: number; bottom: number }): void {
    let ax = Math.round(x0);
    let ay = Math.round(y0);
    const bx = Math.round(x1);
    const by = Math.round(y1);
    const dx = Math.abs(bx - ax);
    const dy = -Math.abs(by - ay);
    const sx = ax < bx ? 1 : -1;
    const sy = ay < by ? 1 : -1;
    let err = dx + dy;
    const lo = -Math.floor((thickness - 1) / 2);
    const hi = lo + thickness - 1;
    for (;;) {
      for (let oy = lo; oy <= hi; oy++) for (let ox = lo; ox <= hi; ox++) this.set(ax + ox, ay + oy, rgb, clip);
      if (ax === bx && ay === by) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        ax += sx;
      }
      if (e2 <= dx) {
        err += dx;
        ay += sy;
      }
    }
  }

  text(s: string, x: number, y: number, scale: number, rgb: [number, number, number], vertical = false): void {
    forEachTextPixel(s, Math.round(x), Math.round(y), scale, (px, py) => this.set(px, py, rgb), vertical);
  }
}

export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export const CHART_COLORS = {
  background: [255, 255, 255] as [number, number, number],
  axis: [0, 0, 0] as [number, number, number],
  grid: [228, 228, 228] as [number, number, number],
  text: [0, 0, 0] as [number, number, number],
};

/** Rasterize a line chart into RGBA pixels. */
export function rasterizeLineChart(series: ChartSeries[], options: ChartOptions = {}): Raster {
  const L = chartLayout(series, options);
  const r = new Raster(L.width, L.height, CHART_COLORS.background);
  const { left, top, right, bottom } = L.plot;
  const fs = L.fontScale;
  const th = GLYPH_HEIGHT * fs;
  // grid lines
  for (const t of L.yTicks) r.line(left + 1, t.px, right, t.px, CHART_COLORS.grid);
  for (const t of L.xTicks) r.line(t.px, top, t.px, bottom - 1, CHART_COLORS.grid);
  // series
  const clip = { left: left + 1, top, right, bottom: bottom - 1 };
  for (const l of L.lines) {
    const rgb = hexToRgb(l.color);
    if (l.points.length === 1) r.line(l.points[0][0], l.points[0][1], l.points[0][0], l.points[0][1], rgb, 3, clip);
    for (let i = 1; i < l.points.length; i++) r.line(l.points[i - 1][0], l.points[i - 1][1], l.points[i][0], l.points[i][1], rgb, 2, clip);
  }
  // axes and ticks
  r.line(left, top, left, bottom, CHART_COLORS.axis);
  r.line(left, bottom, right, bottom, CHART_COLORS.axis);
  for (const t of L.yTicks) {
    r.line(left - 3 * fs, t.px, left, t.px, CHART_COLORS.axis);
    r.text(t.label, left - 3 * fs - 2 * fs - textWidth(t.label) * fs, t.px - Math.floor(th / 2), fs, CHART_COLORS.text);
  }
  for (const t of L.xTicks) {
    r.line(t.px, bottom, t.px, bottom + 3 * fs, CHART_COLORS.axis);
    r.text(t.label, t.px - Math.floor((textWidth(t.label) * fs) / 2), bottom + 3 * fs + 2 * fs, fs, CHART_COLORS.text);
  }
  if (L.title) r.text(L.title.text, L.title.x, L.title.y, fs, CHART_COLORS.text);
  if (L.xLabel) r.text(L.xLabel.text, L.xLabel.x, L.xLabel.y, fs, CHART_COLORS.text);
  if (L.yLabel) r.text(L.yLabel.text, L.yLabel.x, L.yLabel.y, fs, CHART_COLORS.text, true);
  if (L.legend) {
    const g = L.legend;
    r.fillRect(g.x, g.y, g.width, g.height, CHART_COLORS.background);
    r.strokeRect(g.x, g.y, g.width, g.height, CHART_COLORS.axis);
    g.entries.forEach((e, i) => {
      const y = g.y + 4 * fs + i * g.rowHeight;
      const mid = y + Math.floor(th / 2);
      r.line(g.x + 4 * fs, mid, g.x + 4 * fs + 14 * fs, mid, hexToRgb(e.color), 2 * fs);
      r.text(e.name, g.x + 4 * fs + 14 * fs + 4 * fs, y, fs, CHART_COLORS.text);
    });
  }
  return r;
}

// ---------------------------------------------------------------- SVG

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (v: number) => Number(v.toFixed(1));

/** The same chart as SVG markup (a standalone <svg> element). */
let svgClipCounter = 0;

export function renderLineChartSvg(series: ChartSeries[], options: ChartOptions = {}): string {
  const L = chartLayout(series, options);
  const { left, top, right, bottom } = L.plot;
  const fs = L.fontScale;
  const fontPx = Math.round(9 * fs);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" font-family="monospace" font-size="${fontPx}">`);
  if (L.title) out.push(`<title>${esc(L.title.text)}</title>`);
  out.push(`<rect x="0" y="0" width="${L.width}" height="${L.height}" fill="#ffffff"/>`);
  out.push('<g stroke="#e4e4e4" stroke-width="1">');
  for (const t of L.yTicks) out.push(`<line x1="${left}" y1="${t.px}" x2="${right}" y2="${t.px}"/>`);
  for (const t of L.xTicks) out.push(`<line x1="${t.px}" y1="${top}" x2="${t.px}" y2="${bottom}"/>`);
  out.push('</g>');
  // A document-unique clip id, so several charts can be inlined into one HTML page.
  const clipId = `plot-area-${++svgClipCounter}`;
  out.push(`<defs><clipPath id="${clipId}"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#${clipId})" fill="none" stroke-width="1.5" stroke-linejoin="round">`);
  for (const l of L.lines) {
    const pts = l.points.map(([x, y]) => `${r1(x)},${r1(y)}`).join(' ');
    out.push(`<polyline data-series="${esc(l.name)}" stroke="${l.color}" points="${pts}"/>`);
  }
  out.push('</g>');
  out.push(`<g stroke="#000000" stroke-width="1"><line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/><line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>`);
  for (const t of L.yTicks) out.push(`<line x1="${left - 3 * fs}" y1="${t.px}" x2="${left}" y2="${t.px}"/>`);
  for (const t of L.xTicks) out.push(`<line x1="${t.px}" y1="${bottom}" x2="${t.px}" y2="${bottom + 3 * fs}"/>`);
  out.push('</g>');
  out.push('<g fill="#000000">');
  for (const t of L.yTicks) out.push(`<text x="${left - 5 * fs}" y="${t.px}" text-anchor="end" dominant-baseline="middle">${esc(t.label)}</text>`);
  for (const t of L.xTicks) out.push(`<text x="${t.px}" y="${bottom + 5 * fs}" text-anchor="middle" dominant-baseline="hanging">${esc(t.label)}</text>`);
  if (L.title) out.push(`<text x="${L.width / 2}" y="${L.title.y}" text-anchor="middle" dominant-baseline="hanging">${esc(L.title.text)}</text>`);
  if (L.xLabel) out.push(`<text x="${(left + right) / 2}" y="${L.xLabel.y}" text-anchor="middle" dominant-baseline="hanging">${esc(L.xLabel.text)}</text>`);
  if (L.yLabel) out.push(`<text transform="translate(${L.yLabel.x} ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" dominant-baseline="hanging">${esc(L.yLabel.text)}</text>`);
  out.push('</g>');
  if (L.legend) {
    const g = L.legend;
    out.push(`<g><rect x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" fill="#ffffff" stroke="#000000"/>`);
    g.entries.forEach((e, i) => {
      const mid = g.y + 4 * fs + i * g.rowHeight + (GLYPH_HEIGHT * fs) / 2;
      out.push(`<line x1="${g.x + 4 * fs}" y1="${mid}" x2="${g.x + 18 * fs}" y2="${mid}" stroke="${e.color}" stroke-width="${2 * fs}"/>`);
      out.push(`<text x="${g.x + 22 * fs}" y="${mid}" dominant-baseline="middle">${esc(e.name)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
