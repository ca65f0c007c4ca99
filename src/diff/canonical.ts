// Canonical JSON: object keys sorted (code-unit order, as Array#sort does), no whitespace, array order
// kept. Same bytes as JSON.stringify with sorted keys, so hashes match the corpus manifest and any
// other tool that canonicalises the same way.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return canon(value) ?? 'null';
}

/** SHA-256 (hex) of canonicalJson(doc). Identical hashes ⇔ the stored documents are identical. */
export function documentHash(doc: unknown): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

// undefined means "omit" (object members) exactly like JSON.stringify; arrays turn it into null.
function canon(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return JSON.stringify(value); // NaN/Infinity → "null", as JSON.stringify does
    case 'object': {
      if (Array.isArray(value)) {
        // Action lists are long arrays of strings; the native serialiser does those in one call.
        if (value.every((v) => typeof v === 'string')) return JSON.stringify(value);
        return '[' + value.map((v) => canon(v) ?? 'null').join(',') + ']';
      }
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        const v = canon(obj[k]);
        if (v !== undefined) parts.push(JSON.stringify(k) + ':' + v);
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      return undefined; // functions, symbols, undefined: not JSON
  }
}

/**
 * canonicalJson(a) === canonicalJson(b), without building either string: a structural walk that
 * stops at the first difference (most version pairs differ, and a history walk compares each
 * version twice).
 */
export function canonicalEqual(a: unknown, b: unknown): boolean {
  return eq(jsonType(a) === 'omit' ? null : a, jsonType(b) === 'omit' ? null : b);
}

function eq(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || Number.isFinite(a) || canon(a) === canon(b);
  const ta = jsonType(a);
  if (ta !== jsonType(b)) return false;
  switch (ta) {
    case 'number':
      return canon(a) === canon(b); // NaN and ±Infinity serialise as null, -0 as 0
    case 'array': {
      const x = a as unknown[];
      const y = b as unknown[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!canonicalEqual(x[i], y[i])) return false;
      return true;
    }
    case 'object': {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).filter((k) => jsonType(x[k]) !== 'omit');
      const ky = Object.keys(y).filter((k) => jsonType(y[k]) !== 'omit');
      if (kx.length !== ky.length) return false;
      for (const k of kx) if (!Object.prototype.hasOwnProperty.call(y, k) || !eq(x[k], y[k])) return false;
      return true;
    }
    default:
      return false; // distinct strings, booleans; 'omit' values are never compared directly
  }
}

function jsonType(v: unknown): 'null' | 'number' | 'string' | 'boolean' | 'array' | 'object' | 'omit' {
  if (v === null) return 'null';
  const t = typeof v;
  if (t === 'number' || t === 'string' || t === 'boolean') return t;
  if (t === 'object') return Array.isArray(v) ? 'array' : 'object';
  return 'omit';
}
