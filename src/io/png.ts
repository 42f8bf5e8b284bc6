/**
 * PNG output with pngjs: image grids of samples (values in [-1, 1]) and line charts (rasterized by
 * ./chart.ts). Files are written atomically (./atomic.ts).
 */
import { PNG } from 'pngjs';
import { DiffusionInputError, checkPositiveInt } from '../reference/errors.js';
import { writeFileAtomic } from './atomic.js';
import { type ChartOptions, type ChartSeries, rasterizeLineChart } from './chart.js';

export { renderLineChartSvg, chartLayout, rasterizeLineChart, type ChartSeries, type ChartOptions } from './chart.js';

/** An RGBA image (4 bytes per pixel, row-major). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Encode RGBA pixels as PNG: colour type 0 (grayscale) or 2 (RGB), 8 bits, alpha dropped. */
export function encodePng(img: RgbaImage, color: 'gray' | 'rgb' = 'rgb'): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: color === 'gray' ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
}

/** Decode a PNG into RGBA pixels (whatever its colour type). */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

export interface ImageGridOptions {
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  /** 1 = grayscale (N·H·W values), 3 = RGB (N·H·W·3 values, channels last). Default 1. */
  channels?: 1 | 3;
  /** Images per row (default ⌈√n⌉). */
  cols?: number;
  /** Integer magnification (nearest neighbour; default 1). */
  scale?: number;
  /** Pixels of padding between and around images (default 2). */
  pad?: number;
  /** Value in [-1, 1] of the padding (default 0: mid-gray, visible against black and white). */
  padValue?: number;
}

/**
 * [-1, 1] → {0..255}: round((v + 1)·127.5), values outside [-1, 1] clamped (a sampler's output
 * routinely overshoots slightly). The inverse of x/127.5 - 1, so a byte image survives a round trip.
 */
export function signedToByte(v: number): number {
  const c = v < -1 ? -1 : v > 1 ? 1 : v;
  return Math.round((c + 1) * 127.5);
}

/** Lay out N images in a grid (RGBA pixels). NaN/∞ pixels are an error naming the image and pixel. */
export function imageGrid(images: Float32Array | Float64Array, options: ImageGridOptions): RgbaImage {
  if (!(images instanceof Float32Array) && !(images instanceof Float64Array)) throw new DiffusionInputError('images', images, 'must be a Float32Array or Float64Array');
  const n = checkPositiveInt('options.n', options?.n);
  const h = checkPositiveInt('options.height', options.height);
  const w = checkPositiveInt('options.width', options.width);
  const ch = options.channels ?? 1;
  if (ch !== 1 && ch !== 3) throw new DiffusionInputError('options.channels', ch, 'must be 1 or 3');
  const cols = checkPositiveInt('options.cols', options.cols ?? Math.ceil(Math.sqrt(n)));
  const scale = checkPositiveInt('options.scale', options.scale ?? 1);
  const pad = options.pad ?? 2;
  if (!Number.isInteger(pad) || pad < 0) throw new DiffusionInputError('options.pad', pad, 'must be a non-negative integer');
  const padValue = options.padValue ?? 0;
  if (!Number.isFinite(padValue)) throw new DiffusionInputError('options.padValue', padValue, 'must be finite');
  const per = h * w * ch;
  if (images.length !== n * per) throw new DiffusionInputError('images', `length ${images.length}`, `shape mismatch: n·height·width${ch === 3 ? '·3' : ''} = ${n * per}`);
  const rows = Math.ceil(n / cols);
  const usedCols = Math.min(cols, n);
  const W = pad + usedCols * (w * scale + pad);
  const H = pad + rows * (h * scale + pad);
  if (W * H > 1e8) throw new DiffusionInputError('options', `${W}×${H}`, 'grid image too large');
  const data = new Uint8Array(W * H * 4);
  const pb = signedToByte(padValue);
  for (let i = 0; i < W * H; i++) {
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = pb;
    data[4 * i + 3] = 255;
  }
  for (let k = 0; k < n; k++) {
    const gx = pad + (k % cols) * (w * scale + pad);
    const gy = pad + Math.floor(k / cols) * (h * scale + pad);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const rgb = [0, 0, 0];
        for (let c = 0; c < 3; c++) {
          const idx = k * per + (y * w + x) * ch + (ch === 3 ? c : 0);
          const v = images[idx];
          if (!Number.isFinite(v)) throw new DiffusionInputError(`images[${idx}] (image ${k}, row ${y}, col ${x})`, v, 'non-finite pixel');
          rgb[c] = signedToByte(v);
        }
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const o = 4 * ((gy + y * scale + sy) * W + gx + x * scale + sx);
            data[o] = rgb[0];
            data[o + 1] = rgb[1];
            data[o + 2] = rgb[2];
          }
        }
      }
    }
  }
  return { width: W, height: H, data };
}

/** Write N images (values in [-1, 1]) as one PNG grid; grayscale PNG for 1 channel. Returns the grid size. */
export function writeImageGrid(path: string, images: Float32Array | Float64Array, options: ImageGridOptions): { width: number; height: number } {
  const img = imageGrid(images, options);
  writeFileAtomic(path, encodePng(img, (options.channels ?? 1) === 1 ? 'gray' : 'rgb'));
  return { width: img.width, height: img.height };
}

/** Rasterize a line chart (see ./chart.ts) and write it as an RGB PNG. */
export function renderLineChart(path: string, series: ChartSeries[], options: ChartOptions = {}): { width: number; height: number } {
  const r = rasterizeLineChart(series, options);
  writeFileAtomic(path, encodePng(r, 'rgb'));
  return { width: r.width, height: r.height };
}
