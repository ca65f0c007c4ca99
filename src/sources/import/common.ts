// Helpers shared by the readers: problem reporting, ARNs, JSON shape checks.
import type { JsonValue } from '../../core/history.ts';
export { canonicalJson } from '../../core/canonical.ts';
import type { ImportProblem } from './errors.ts';

export interface ReadImportOptions {
  /** Called for every problem as it is found (also collected in ImportSource.problems). */
  onProblem?: (problem: ImportProblem) => void;
  /**
   * IAM path for a policy name, for layouts whose files do not carry it (IAMTrail). Return
   * undefined to fall back to '/'. The dataset's ARNs carry the path and ignore this.
   */
  resolvePath?: (policyName: string) => string | undefined;
  /** Called once with the number of policies the source holds, where it knows (progress ETA). */
  onTotal?: (policies: number) => void;
}

export type Report = (problem: ImportProblem) => void;

export const AWS_POLICY_ARN_PREFIX = 'arn:aws:iam::aws:policy';

// IAM policy names: 1-128 of [\w+=,.@-]. Doubles as a guard that a file name is safe to embed in an ARN.
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
// IAM paths: '/' or '/segment/.../'.
const POLICY_PATH = /^\/(?:[\x21-\x7e]+\/)?$/;

export function isPolicyName(name: string): boolean {
  return POLICY_NAME.test(name);
}

export function isPolicyPath(path: string): boolean {
  return POLICY_PATH.test(path) && !path.includes('//');
}

export function policyArn(path: string, name: string): string {
  return `${AWS_POLICY_ARN_PREFIX}${path}${name}`;
}

/** Splits an AWS managed policy ARN into path and name; undefined when it is not one. */
export function splitPolicyArn(arn: string): { path: string; name: string } | undefined {
  if (!arn.startsWith(`${AWS_POLICY_ARN_PREFIX}/`)) return undefined;
  const rest = arn.slice(AWS_POLICY_ARN_PREFIX.length);
  const cut = rest.lastIndexOf('/');
  const path = rest.slice(0, cut + 1);
  const name = rest.slice(cut + 1);
  return isPolicyPath(path) && isPolicyName(name) ? { path, name } : undefined;
}

export function isJsonObject(value: unknown): value is { [k: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
