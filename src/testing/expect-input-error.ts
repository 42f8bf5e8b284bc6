/**
 * Test helper shared by the unit tests: `fn` must throw a DiffusionInputError whose message starts
 * with the argument's name (and, when given, contains the offending value).
 */
import { expect } from 'vitest';
import { DiffusionInputError } from '../reference/errors.js';

export function expectInputError(fn: () => unknown, arg: string, value?: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a DiffusionInputError naming ${arg}`).toBeInstanceOf(DiffusionInputError);
  const msg = (err as Error).message;
  expect(msg.slice(0, arg.length), msg).toBe(arg);
  if (value !== undefined) expect(msg).toContain(value);
}
