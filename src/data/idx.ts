/**
 * Reader for the IDX file format of LeCun, Cortes & Burges' MNIST distribution
 * (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST DATABASE").
 *
 * An IDX file is a big-endian header followed by raw data:
 *
 *   bytes 0-1   zero
 *   byte  2     element type (0x08 = unsigned byte; the only type MNIST uses)
 *   byte  3     number of dimensions d
 *   then d big-endian uint32 dimension sizes, then ∏ sizes elements.
 *
 * Read as one big-endian uint32, the first four bytes are the "magic number": 2051 (0x00000803)
 * for an image file (d = 3: count, rows, cols; 16-byte header) and 2049 (0x00000801) for a label
 * file (d = 1: count; 8-byte header).
 *
 * Everything is validated: magic number, dimension sizes, and the file length, which must equal
 * exactly header + ∏ sizes (a truncated download or a file with trailing garbage is an error, not a
 * silently shorter data set). Label values must lie in 0..9. Every failure is a `DataFileError`
 * naming the file and the problem.
 */
import { readFileSync, statSync } from 'node:fs';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;
export const IDX_IMAGES_HEADER_BYTES = 16;
export const IDX_LABELS_HEADER_BYTES = 8;

/** A data file is missing, unreadable or malformed. The message names the file and the problem. */
export class DataFileError extends Error {
  readonly file: string;
  readonly problem: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DataFileError';
    this.file = file;
    this.problem = problem;
  }
}

/** Raw contents of an IDX image file (2051): `pixels` holds count·rows·cols bytes, row-major. */
export interface IdxImages {
  readonly path: string;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
}

/** Raw contents of an IDX label file (2049). */
export interface IdxLabels {
  readonly path: string;
  readonly count: number;
  readonly labels: Uint8Array;
}

/** Read a whole file, turning fs errors into DataFileError (missing file, directory, permission). */
export function readDataFile(path: string): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataFileError(path, 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataFileError(path, 'file not found');
    throw new DataFileError(path, `cannot read file (${code ?? (e as Error).message})`);
  }
  try {
    const buf = readFileSync(path);
    if (buf.length !== size) throw new DataFileError(path, `file changed while reading (${size} → ${buf.length} bytes)`);
    return buf;
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFileError(path, `cannot read file (${code ?? (e as Error).message})`);
  }
}

function checkHeader(path: string, buf: Uint8Array, expectedMagic: number, kind: string): DataView {
  const headerBytes = expectedMagic === IDX_IMAGES_MAGIC ? IDX_IMAGES_HEADER_BYTES : IDX_LABELS_HEADER_BYTES;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // The magic number is checked first (when there are 4 bytes), so that a wrong file type is
  // reported as such even when it is also shorter than this type's header.
  const magic = buf.length >= 4 ? view.getUint32(0, false) : expectedMagic;
  if (buf.length < 4 || (magic === expectedMagic && buf.length < headerBytes)) {
    throw new DataFileError(path, `truncated: ${buf.length} bytes, shorter than the ${headerBytes}-byte IDX ${kind} header`);
  }
  if (magic !== expectedMagic) {
    const hint =
      magic === IDX_IMAGES_MAGIC
        ? ' (this is an IDX image file)'
        : magic === IDX_LABELS_MAGIC
          ? ' (this is an IDX label file)'
          : buf[0] === 0x1f && buf[1] === 0x8b
            ? ' (this is a gzip file: decompress it first)'
            : '';
    throw new DataFileError(path, `wrong magic number ${magic} (0x${magic.toString(16).padStart(8, '0')}), expected ${expectedMagic} for an IDX ${kind} file${hint}`);
  }
  return view;
}

function checkLength(path: string, actual: number, header: number, dataBytes: number, what: string): void {
  const expected = header + dataBytes;
  if (actual < expected) {
    throw new DataFileError(path, `truncated: ${actual} bytes, but the header (${what}) implies ${expected} bytes`);
  }
  if (actual > expected) {
    throw new DataFileError(path, `${actual - expected} unexpected trailing bytes: ${actual} bytes, but the header (${what}) implies ${expected} bytes`);
  }
}

/** Parse an IDX image buffer (magic 2051). `path` is used in error messages only. */
export function parseIdxImages(buf: Uint8Array, path: string): IdxImages {
  const view = checkHeader(path, buf, IDX_IMAGES_MAGIC, 'image');
  const count = view.getUint32(4, false);
  const rows = view.getUint32(8, false);
  const cols = view.getUint32(12, false);
  if (count === 0) throw new DataFileError(path, 'header declares 0 images');
  if (rows === 0 || cols === 0) throw new DataFileError(path, `header declares an empty image size ${rows}×${cols}`);
  checkLength(path, buf.length, IDX_IMAGES_HEADER_BYTES, count * rows * cols, `${count} images of ${rows}×${cols}`);
  const pixels = buf.subarray(IDX_IMAGES_HEADER_BYTES);
  return { path, count, rows, cols, pixels };
}

/**
 * Parse an IDX label buffer (magic 2049). Labels must lie in 0..maxLabel (9 for digits); the
 * first offending entry is named.
 */
export function parseIdxLabels(buf: Uint8Array, path: string, maxLabel = 9): IdxLabels {
  const view = checkHeader(path, buf, IDX_LABELS_MAGIC, 'label');
  const count = view.getUint32(4, false);
  if (count === 0) throw new DataFileError(path, 'header declares 0 labels');
  checkLength(path, buf.length, IDX_LABELS_HEADER_BYTES, count, `${count} labels`);
  const labels = buf.subarray(IDX_LABELS_HEADER_BYTES);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > maxLabel) throw new DataFileError(path, `label ${i} is ${labels[i]}, outside 0..${maxLabel}`);
  }
  return { path, count, labels };
}

export function readIdxImages(path: string): IdxImages {
  return parseIdxImages(readDataFile(path), path);
}

export function readIdxLabels(path: string, maxLabel = 9): IdxLabels {
  return parseIdxLabels(readDataFile(path), path, maxLabel);
}

/** An image data set in the layout every trainer in this project consumes. */
export interface ImageDataset {
  /** N·height·width pixels, row-major per image, scaled from {0..255} to [-1, 1] (x/127.5 - 1). */
  readonly images: Float32Array;
  /** N labels (0..9). */
  readonly labels: Uint8Array;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  /** Which split this is ('train' / 'test' for MNIST, 'custom' for an arbitrary IDX pair). */
  readonly split: 'train' | 'test' | 'custom';
  readonly imagesPath: string;
  readonly labelsPath: string;
}

/**
 * Byte → [-1, 1]: x/127.5 - 1, the scaling of Ho et al. (2020, §4: "data scaled linearly to
 * [−1, 1]"). 0 ↦ -1 and 255 ↦ 1 exactly; computed in float64, then rounded once to float32.
 */
export function bytesToSigned(pixels: Uint8Array): Float32Array {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v / 127.5 - 1;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = lut[pixels[i]];
  return out;
}

/** Read and validate an IDX image/label pair (raw bytes), including equal counts. */
export function readIdxPair(imagesPath: string, labelsPath: string): { images: IdxImages; labels: IdxLabels } {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (images.count !== labels.count) {
    throw new DataFileError(labelsPath, `holds ${labels.count} labels but ${imagesPath} holds ${images.count} images`);
  }
  return { images, labels };
}

/**
 * Load any IDX image/label pair: both files are validated on their own, then against each other
 * (equal counts).
 */
export function loadIdxPair(imagesPath: string, labelsPath: string, split: ImageDataset['split'] = 'custom'): ImageDataset {
  const { images: img, labels: lab } = readIdxPair(imagesPath, labelsPath);
  return {
    images: bytesToSigned(img.pixels),
    labels: lab.labels,
    n: img.count,
    height: img.rows,
    width: img.cols,
    split,
    imagesPath,
    labelsPath,
  };
}

/** Mean and (population) standard deviation of raw bytes divided by 255, summed exactly in float64 via a histogram. */
export function pixelStats(pixels: Uint8Array): { mean: number; std: number } {
  const hist = new Float64Array(256);
  for (let i = 0; i < pixels.length; i++) hist[pixels[i]]++;
  const n = pixels.length;
  let s1 = 0;
  for (let v = 0; v < 256; v++) s1 += hist[v] * v; // integers < 2^53: exact
  const mean = s1 / n;
  let ss = 0;
  for (let v = 0; v < 256; v++) ss += hist[v] * (v - mean) * (v - mean); // two-pass: no cancellation
  return { mean: mean / 255, std: Math.sqrt(ss / n) / 255 };
}

/** Histogram of labels 0..9. */
export function labelCounts(labels: Uint8Array, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
