import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffusionInputError } from '../reference/errors.js';
import { CHART_COLORS, chartLayout, formatTick, hexToRgb, rasterizeLineChart } from './chart.js';
import { GLYPH_ADVANCE, glyphRows, hasGlyph, textWidth } from './font.js';
import { decodePng, imageGrid, renderLineChart, renderLineChartSvg, signedToByte, writeImageGrid } from './png.js';

const dir = mkdtempSync(join(tmpdir(), 'png-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Read back a PNG with pngjs and return a pixel getter. */
function readPng(path: string) {
  const img = decodePng(readFileSync(path));
  const at = (x: number, y: number) => {
    const o = 4 * (y * img.width + x);
    return [img.data[o], img.data[o + 1], img.data[o + 2], img.data[o + 3]];
  };
  return { ...img, at };
}

describe('writeImageGrid', () => {
  it('round trip: byte images scaled to [-1,1] come back as the same bytes at the expected positions', () => {
    // 5 images of 3×4, pixel (k, y, x) = byte (37k + 11y + 3x) mod 256, scaled as x/127.5 - 1
    const n = 5, h = 3, w = 4;
    const bytes = new Uint8Array(n * h * w);
    for (let k = 0; k < n; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) bytes[(k * h + y) * w + x] = (37 * k + 11 * y + 3 * x + 200) % 256;
    const imgs = Float32Array.from(bytes, (b) => b / 127.5 - 1);
    const p = join(dir, 'grid.png');
    const size = writeImageGrid(p, imgs, { n, height: h, width: w, cols: 2, scale: 2, pad: 1, padValue: -1 });
    // 2 columns, 3 rows: width = 1 + 2·(8+1) = 19, height = 1 + 3·(6+1) = 22
    expect(size).toEqual({ width: 19, height: 22 });
    const png = readPng(p);
    expect([png.width, png.height]).toEqual([19, 22]);
    for (let k = 0; k < n; k++) {
      const gx = 1 + (k % 2) * 9;
      const gy = 1 + Math.floor(k / 2) * 7;
      for (let y = 0; y < h * 2; y++) {
        for (let x = 0; x < w * 2; x++) {
          const b = bytes[(k * h + Math.floor(y / 2)) * w + Math.floor(x / 2)];
          expect(png.at(gx + x, gy + y)).toEqual([b, b, b, 255]);
        }
      }
    }
    // padding is black (padValue -1), and so is the unused sixth cell
    expect(png.at(0, 0)).toEqual([0, 0, 0, 255]);
    expect(png.at(9, 5)).toEqual([0, 0, 0, 255]);
    expect(png.at(12, 17)).toEqual([0, 0, 0, 255]);
    // a grayscale PNG was written (colour type 0 in the IHDR chunk, byte 25)
    expect(readFileSync(p)[25]).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('RGB images keep their channels', () => {
    const imgs = Float64Array.from([1, -1, -1, -1, 1, -1]); // 1 image 1×2: red, green
    const p = join(dir, 'rgb.png');
    writeImageGrid(p, imgs, { n: 1, height: 1, width: 2, channels: 3, pad: 0 });
    const png = readPng(p);
    expect([png.at(0, 0), png.at(1, 0)]).toEqual([
      [255, 0, 0, 255],
      [0, 255, 0, 255],
    ]);
  });

  it('values outside [-1, 1] are clamped; NaN and shape mismatch are named errors', () => {
    expect([signedToByte(-3), signedToByte(0), signedToByte(7)]).toEqual([0, 128, 255]);
    expect(() => imageGrid(Float32Array.from([0, NaN]), { n: 1, height: 1, width: 2 })).toThrow(/images\[1\] \(image 0, row 0, col 1\).*non-finite/);
    expect(() => imageGrid(new Float32Array(5), { n: 2, height: 1, width: 2 })).toThrow(DiffusionInputError);
    expect(() => imageGrid(new Float32Array(5), { n: 2, height: 1, width: 2 })).toThrow(/shape mismatch/);
  });
});

describe('line charts', () => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const series = [
    { name: 'rising', xs, ys: xs.map((x) => x * x), color: '#ff0000' },
    { name: 'flat', xs, ys: xs.map(() => 1000), color: '#0000ff' },
  ];

  it('PNG: right size, axes drawn in black, both series coloured inside the plot area, legend present', () => {
    const p = join(dir, 'chart.png');
    expect(renderLineChart(p, series, { title: 'Test chart', xLabel: 'x', yLabel: 'y', width: 400, height: 300 })).toEqual({ width: 400, height: 300 });
    const png = readPng(p);
    expect([png.width, png.height]).toEqual([400, 300]);
    const L = chartLayout(series, { title: 'Test chart', xLabel: 'x', yLabel: 'y', width: 400, height: 300 });
    const { left, top, right, bottom } = L.plot;
    // the y axis column and the x axis row are black along their length
    for (let y = top; y <= bottom; y++) expect(png.at(left, y).slice(0, 3)).toEqual([0, 0, 0]);
    for (let x = left; x <= right; x++) expect(png.at(x, bottom).slice(0, 3)).toEqual([0, 0, 0]);
    // count series-coloured pixels strictly inside the plot area
    let red = 0;
    let blue = 0;
    let outside = 0;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const [r, g, b] = png.at(x, y);
        const isRed = r === 255 && g === 0 && b === 0;
        const isBlue = r === 0 && g === 0 && b === 255;
        const inside = x > left && x <= right && y >= top && y < bottom;
        if (isRed) {
          if (inside) red++;
          else outside++;
        }
        if (isBlue) {
          const inLegend = L.legend && x >= L.legend.x && x < L.legend.x + L.legend.width && y >= L.legend.y && y < L.legend.y + L.legend.height;
          if (inside && !inLegend) blue++;
          if (!inside) outside++;
        }
      }
    }
    expect(red).toBeGreaterThan(right - left); // a 2-px line at least as long as the plot is wide
    expect(blue).toBeGreaterThan(right - left);
    expect(outside).toBe(0);
    // the flat series is a horizontal line at y = 1000, drawn at its mapped pixel row
    const yFlat = Math.round(L.lines[1].points[0][1]);
    expect(png.at(Math.round((left + right) / 2), yFlat).slice(0, 3)).toEqual([0, 0, 255]);
  });

  it('the rasterizer draws tick labels with the bitmap font (ink where the glyph says, none elsewhere)', () => {
    const r = rasterizeLineChart(series, { width: 400, height: 300 });
    const L = chartLayout(series, { width: 400, height: 300 });
    const t = L.xTicks[1];
    const x0 = t.px - Math.floor(textWidth(t.label) / 2);
    const y0 = L.plot.bottom + 3 + 2;
    const ch = t.label[0];
    const rows = glyphRows(ch);
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        const ink = ((rows[gy] >> (4 - gx)) & 1) === 1;
        expect(r.get(x0 + gx, y0 + gy)).toEqual(ink ? CHART_COLORS.text : CHART_COLORS.background);
      }
    }
  });

  it('log axis: decade ticks, and y ≤ 0 is an error naming the point', () => {
    const L = chartLayout([{ name: 'a', xs: [1, 2, 3], ys: [1e-4, 1e-2, 1] }], { logY: true });
    expect(L.yTicks.map((t) => t.label)).toEqual(['1e-4', '1e-3', '1e-2', '1e-1', '1']);
    // ticks go up the image as the value grows
    for (let i = 1; i < L.yTicks.length; i++) expect(L.yTicks[i].px).toBeLessThan(L.yTicks[i - 1].px);
    expect(() => chartLayout([{ name: 'a', xs: [1, 2], ys: [1, 0] }], { logY: true })).toThrow(/series\[0\]\.ys\[1\].*> 0/);
  });

  it('log axis over fewer than three decades labels 1, 2 and 5 of each decade (a loss curve gets more than one number)', () => {
    const L = chartLayout([{ name: 'a', xs: [1, 2, 3], ys: [0.9, 0.1, 0.025] }], { logY: true });
    const labels = L.yTicks.map((t) => t.label);
    for (const want of ['0.05', '0.1', '0.2', '0.5']) expect(labels).toContain(want);
    for (let i = 1; i < L.yTicks.length; i++) expect(L.yTicks[i].px).toBeLessThan(L.yTicks[i - 1].px);
  });

  it('bad input is named: NaN, length mismatch, empty, bad colour', () => {
    expect(() => chartLayout([{ name: 'a', xs: [1, 2], ys: [1, NaN] }])).toThrow(/series\[0\]\.ys\[1\]/);
    expect(() => chartLayout([{ name: 'a', xs: [1, 2], ys: [1] }])).toThrow(/shape mismatch/);
    expect(() => chartLayout([])).toThrow(/series/);
    expect(() => chartLayout([{ name: 'a', xs: [1], ys: [1], color: 'red' }])).toThrow(/color/);
  });

  it('tick formatting', () => {
    expect(formatTick(0.25, 0.05)).toBe('0.25');
    expect(formatTick(200, 100)).toBe('200');
    expect(formatTick(2.5e-4, 1e-4)).toBe('2.5e-4');
    expect(formatTick(-1e6, 5e5)).toBe('-1e6');
    expect(formatTick(-0.0000000001, 0.1)).toBe('-1e-10');
    expect(formatTick(0, 1)).toBe('0');
  });

  it('SVG: one polyline per series with the mapped points, escaped text, axes', () => {
    const svg = renderLineChartSvg([{ name: 'a<b', xs: [0, 1, 2], ys: [0, 1, 4] }, ...series.slice(1)], { title: 'T & U', width: 400, height: 300 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('T &amp; U');
    expect(svg).toContain('data-series="a&lt;b"');
    expect(svg).not.toContain('a<b');
    const polylines = svg.match(/<polyline [^>]*points="([^"]*)"/g) ?? [];
    expect(polylines.length).toBe(2);
    const L = chartLayout([{ name: 'a<b', xs: [0, 1, 2], ys: [0, 1, 4] }, ...series.slice(1)], { title: 'T & U', width: 400, height: 300 });
    const pts = /points="([^"]*)"/.exec(polylines[0] as string)![1].split(' ').map((p) => p.split(',').map(Number));
    expect(pts.length).toBe(3);
    pts.forEach(([x, y], i) => {
      expect(Math.abs(x - L.lines[0].points[i][0])).toBeLessThanOrEqual(0.05);
      expect(Math.abs(y - L.lines[0].points[i][1])).toBeLessThanOrEqual(0.05);
    });
    // every opened <g> is closed
    expect((svg.match(/<g[ >]/g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
  });
});

describe('font', () => {
  it('has glyphs for digits, letters and tick punctuation; unknown characters draw a box', () => {
    for (const ch of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+e()/:=%ᾱβ') expect(hasGlyph(ch)).toBe(true);
    expect(hasGlyph('€')).toBe(false);
    expect(glyphRows('€')).toEqual([31, 17, 17, 17, 17, 17, 31]);
    expect(textWidth('abc')).toBe(3 * GLYPH_ADVANCE - 1);
    // all glyphs are distinct (no copy-paste duplicates), except the intended ones (minus signs)
    const specs = new Map<string, string>();
    for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,-+:;()[]/_=%<>?!*#|') {
      const key = glyphRows(ch).join(',');
      expect(specs.get(key), `${ch} duplicates ${specs.get(key)}`).toBeUndefined();
      specs.set(key, ch);
    }
  });
  it('hexToRgb', () => {
    expect(hexToRgb('#1f77b4')).toEqual([0x1f, 0x77, 0xb4]);
  });
});
