import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileError, loadIdxPair, parseIdxLabels, pixelStats, readIdxImages, readIdxLabels } from './idx.js';

/** Build an IDX image file: magic, count, rows, cols (big-endian), then the bytes. */
function idxImages(count: number, rows: number, cols: number, pixels: number[], magic = 2051): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(magic, 0);
  h.writeUInt32BE(count, 4);
  h.writeUInt32BE(rows, 8);
  h.writeUInt32BE(cols, 12);
  return Buffer.concat([h, Buffer.from(pixels)]);
}
function idxLabels(labels: number[], magic = 2049, count = labels.length): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(magic, 0);
  h.writeUInt32BE(count, 4);
  return Buffer.concat([h, Buffer.from(labels)]);
}

const dir = mkdtempSync(join(tmpdir(), 'idx-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

/** Run fn, expect a DataFileError for `path` whose problem matches `re`. */
function expectDataError(fn: () => unknown, path: string, re: RegExp): DataFileError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataFileError);
  const de = err as DataFileError;
  expect(de.file).toBe(path);
  expect(de.problem).toMatch(re);
  expect(de.message).toContain(path);
  return de;
}

describe('IDX reader on crafted files', () => {
  // Two 2×3 images with known bytes, labels 7 and 0.
  const px = [0, 255, 51, 102, 204, 128, 10, 20, 30, 40, 50, 60];
  const imgPath = file('ok-images', idxImages(2, 2, 3, px));
  const labPath = file('ok-labels', idxLabels([7, 0]));

  it('reads header fields big-endian and scales bytes to [-1, 1] as x/127.5 - 1', () => {
    const d = loadIdxPair(imgPath, labPath);
    expect([d.n, d.height, d.width]).toEqual([2, 2, 3]);
    expect(Array.from(d.labels)).toEqual([7, 0]);
    expect(d.images.length).toBe(12);
    // 0 and 255 map exactly to the ends; the rest to the float32 rounding of v/127.5 - 1.
    expect(d.images[0]).toBe(-1);
    expect(d.images[1]).toBe(1);
    for (let i = 0; i < px.length; i++) expect(d.images[i]).toBe(Math.fround(px[i] / 127.5 - 1));
  });

  it('wrong magic in an image file (e.g. a label file passed as images) is named', () => {
    expectDataError(() => readIdxImages(labPath), labPath, /wrong magic number 2049.*expected 2051.*label file/);
    const p = file('bad-magic-images', idxImages(2, 2, 3, px, 2052));
    expectDataError(() => readIdxImages(p), p, /wrong magic number 2052/);
  });

  it('wrong magic in a label file is named, and a gzip file gets a hint', () => {
    expectDataError(() => readIdxLabels(imgPath), imgPath, /wrong magic number 2051.*expected 2049/);
    const gz = file('labels.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0]));
    expectDataError(() => readIdxLabels(gz), gz, /gzip/);
  });

  it('a truncated image file (data shorter than the header implies) is named with both lengths', () => {
    const p = file('trunc-images', idxImages(2, 2, 3, px.slice(0, 11)));
    expectDataError(() => readIdxImages(p), p, /truncated: 27 bytes, but the header \(2 images of 2×3\) implies 28 bytes/);
  });

  it('a file shorter than the header itself is truncated', () => {
    const p = file('tiny', Buffer.from([0, 0, 8, 3, 0]));
    expectDataError(() => readIdxImages(p), p, /truncated: 5 bytes, shorter than the 16-byte/);
    const q = file('tiny-labels', Buffer.from([0, 0, 8, 1, 0, 0]));
    expectDataError(() => readIdxLabels(q), q, /truncated: 6 bytes, shorter than the 8-byte/);
    const r = file('three-bytes', Buffer.from([0, 0, 8]));
    expectDataError(() => readIdxLabels(r), r, /truncated: 3 bytes/);
  });

  it('trailing bytes after the declared data are an error, not ignored', () => {
    const p = file('long-labels', idxLabels([1, 2, 3], 2049, 2));
    expectDataError(() => readIdxLabels(p), p, /1 unexpected trailing bytes/);
  });

  it('a label outside 0..9 is named with its index', () => {
    const p = file('bad-labels', idxLabels([3, 9, 10, 2]));
    expectDataError(() => readIdxLabels(p), p, /label 2 is 10, outside 0\.\.9/);
  });

  it('a missing file is "file not found", naming the path', () => {
    const p = join(dir, 'does-not-exist');
    expectDataError(() => readIdxImages(p), p, /file not found/);
    expectDataError(() => loadIdxPair(imgPath, p), p, /file not found/);
  });

  it('a directory is not a data file', () => {
    const p = join(dir, 'a-dir');
    mkdirSync(p);
    expectDataError(() => readIdxLabels(p), p, /not a regular file/);
  });

  it('image and label counts must agree', () => {
    const p = file('three-labels', idxLabels([1, 2, 3]));
    expectDataError(() => loadIdxPair(imgPath, p), p, /holds 3 labels but .* holds 2 images/);
  });

  it('zero counts and empty image sizes are rejected', () => {
    const p0 = file('zero-images', idxImages(0, 28, 28, []));
    expectDataError(() => readIdxImages(p0), p0, /0 images/);
    const p1 = file('empty-size', idxImages(2, 0, 3, []));
    expectDataError(() => readIdxImages(p1), p1, /empty image size 0×3/);
    expectDataError(() => parseIdxLabels(idxLabels([]), 'mem'), 'mem', /0 labels/);
  });

  it('pixelStats matches a direct computation on a small buffer', () => {
    const b = Uint8Array.from([0, 255, 51, 0]);
    const v = Array.from(b, (x) => x / 255);
    const m = v.reduce((a, x) => a + x, 0) / 4;
    const s = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / 4);
    const st = pixelStats(b);
    expect(st.mean).toBeCloseTo(m, 15);
    expect(st.std).toBeCloseTo(s, 15);
  });
});
