// Canonical form of a policy document (JSON, sorted keys, no whitespace, array order kept) and
// version-id arithmetic.
// The diff engine owns the canonical form (it must match what it compares); re-exported here
// for storage code that only needs the hash.
export { canonicalJson, documentHash } from '../diff/canonical.ts';

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
