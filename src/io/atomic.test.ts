import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256, sha256File, writeFileAtomic, writeJsonAtomic } from './atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'atomic-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes the content, creates parent folders, leaves no temporary file', () => {
    const p = join(dir, 'a', 'b', 'file.bin');
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) % 256);
    writeFileAtomic(p, bytes);
    expect(new Uint8Array(readFileSync(p))).toEqual(bytes);
    writeFileAtomic(p, 'replaced');
    expect(readFileSync(p, 'utf8')).toBe('replaced');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['file.bin']);
  });

  it('an interrupted write (failure between write and rename) leaves the old file intact and no temp file', () => {
    const p = join(dir, 'keep.txt');
    writeFileSync(p, 'old content');
    let sawTemp = '';
    expect(() =>
      writeFileAtomic(p, 'new content', {
        beforeRename: (tmp) => {
          sawTemp = tmp;
          // the temporary file is complete at this point
          expect(readFileSync(tmp, 'utf8')).toBe('new content');
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(sawTemp).toMatch(/\.keep\.txt\.\d+\.[0-9a-f]+\.tmp$/);
    expect(readFileSync(p, 'utf8')).toBe('old content');
    expect(readdirSync(dir).filter((f) => f.includes('keep'))).toEqual(['keep.txt']);
  });

  it('writeJsonAtomic writes parseable JSON with a trailing newline', () => {
    const p = join(dir, 'x.json');
    writeJsonAtomic(p, { a: [1, 2.5], b: 'ü' });
    const text = readFileSync(p, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ a: [1, 2.5], b: 'ü' });
    expect(() => writeJsonAtomic(p, undefined)).toThrow(/not JSON-serialisable/);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ a: [1, 2.5], b: 'ü' });
  });
});

describe('sha256', () => {
  it('matches the FIPS 180-2 test vector for "abc" and the empty string', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('sha256File equals sha256 of the contents', async () => {
    const p = join(dir, 'h.txt');
    writeFileSync(p, 'abc');
    expect(await sha256File(p)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    await expect(sha256File(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
