/**
 * Crash-safe file output: a reader sees either the complete old file or the complete new one,
 * never a half-written file (checkpoints, golden files, reports).
 *
 * writeFileAtomic: write a temporary file in the same directory (so the rename cannot cross file
 * systems), fsync it, rename it over the target (atomic on POSIX), then fsync the directory so the
 * rename itself is durable. If anything fails before the rename, the temporary file is removed and
 * the old file is untouched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a newly created file (default 0o644). */
  mode?: number;
  /** Create the parent directory when missing (default true). */
  mkdirs?: boolean;
  /**
   * Called after the temporary file is written and synced, just before the rename (for tests:
   * throwing here simulates a crash between write and rename).
   */
  beforeRename?: (tempPath: string) => void;
}

/** Name of the temporary file used for `path` (hidden, same directory, unique per call). */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * fsync a directory (or any path opened read-only), so that renames and creations inside it are
 * durable. Some platforms (Windows) cannot open or fsync a directory; the call is then a no-op and
 * renames stay atomic.
 */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Create `path` (it must not exist: flag 'wx'), write all of `data` and fsync it before closing.
 * The building block of writeFileAtomic, and of the checkpoint writer (src/train/checkpoint.ts),
 * which fills a fresh hidden directory this way and then renames the directory.
 */
export function writeFileSynced(path: string, data: Uint8Array, mode = 0o644): void {
  const fd = openSync(path, 'wx', mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Atomically replace (or create) `path` with `data`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (options.mkdirs ?? true) mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let renamed = false;
  try {
    writeFileSynced(tmp, bytes, options.mode ?? 0o644);
    options.beforeRename?.(tmp);
    renameSync(tmp, path);
    renamed = true;
    fsyncDir(dir);
  } finally {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created, or already gone
      }
    }
  }
}

/** Atomically write `value` as JSON (2-space indent by default) with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown, options: AtomicWriteOptions & { space?: number } = {}): void {
  const text = JSON.stringify(value, null, options.space ?? 2);
  if (text === undefined) throw new TypeError(`writeJsonAtomic(${path}): value is not JSON-serialisable`);
  writeFileAtomic(path, text + '\n', options);
}

/** SHA-256 of bytes or a UTF-8 string, as lowercase hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file's contents (streamed), as lowercase hex. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
