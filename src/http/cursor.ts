// Opaque cursors: base64url JSON, validated strictly on the way back in so a forged or
// truncated cursor is a 400 naming the problem, never a database error.
import { BadRequestError } from '../core/errors.ts';
import { isWellFormed } from './hardening.ts';

export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The one error of a cursor that is not a nextCursor of ours (shape, content or range). */
export const cursorError = () => new BadRequestError('INVALID_CURSOR', '`cursor` is malformed; use the nextCursor value of a previous page', { parameter: 'cursor' });

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeCursor<K extends string>(raw: string | undefined, shape: Record<K, 'string' | 'number'>): Record<K, string> | undefined {
  if (raw === undefined || raw === '') return undefined;
  const fail = cursorError;
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(raw)) throw fail();
  let parsed: unknown;
  try {
    // Strict UTF-8: bad bytes inside a forged cursor are an error, not U+FFFD.
    parsed = JSON.parse(strictUtf8.decode(Buffer.from(raw, 'base64url')));
  } catch {
    throw fail();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail();
  const obj = parsed as Record<string, unknown>;
  const keys = Object.keys(shape) as K[];
  if (Object.keys(obj).length !== keys.length) throw fail();
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = obj[k];
    if (shape[k] === 'number' ? typeof v !== 'number' || !Number.isSafeInteger(v) : typeof v !== 'string' || v.length > 1024 || v.includes('\0') || !isWellFormed(v)) throw fail();
    out[k] = String(v);
  }
  return out;
}

const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A cursor's timestamp field: a real instant between 1970 and 9999, else 400. */
export function cursorTime(raw: string): Date {
  const t = Number(raw);
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_TIME) throw cursorError();
  return new Date(t);
}

/** A cursor's BIGSERIAL id field: 1 .. 2^63-1, else 400. */
export function cursorBigintId(raw: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(raw) || BigInt(raw) > 9223372036854775807n) throw cursorError();
  return raw;
}

/** Dates accepted in filters: 1970-01-01 .. 9999-12-31. */
export function inDateRange(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && t >= 0 && t <= MAX_TIME;
}
