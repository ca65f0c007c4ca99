// Canonical form of a policy document: JSON with object keys sorted, no whitespace, array order
// kept. Its SHA-256 identifies a document regardless of how AWS or a tracker formatted it.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function documentHash(doc: unknown): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

export class InvalidVersionIdError extends Error {
  readonly code = 'INVALID_VERSION_ID';
  constructor(readonly versionId: string) {
    super(`"${versionId}" is not an IAM policy version id (expected v<number>)`);
  }
}

/** 'v12' → 12. IAM version ids are always v followed by a positive integer. */
export function versionNumber(versionId: string): number {
  const m = /^v([1-9]\d{0,8})$/.exec(versionId);
  if (!m) throw new InvalidVersionIdError(versionId);
  return Number(m[1]);
}
