// Data model of the fake IAM endpoint and the validation of what tests feed it. Pure: no IO.
import { createHash } from 'node:crypto';

/** One policy version as the fake stores it. */
export interface FakePolicyVersion {
  versionId: string;
  /**
   * The document text IAM would hold (the decoded form). It is URL-encoded when served,
   * unless `encoded` is true, in which case it is served verbatim (to fake a broken encoding).
   */
  document: string;
  createDate: Date;
  encoded?: boolean;
}

/**
 * An AWS managed policy as seeded into the fake. Unlike real IAM, which keeps at most five
 * versions of a policy, the fake keeps every version it is given: tests want to replay the full
 * real history through the real SDK.
 */
export interface FakePolicy {
  policyName: string;
  /** IAM path, '/' or '/seg/.../'. */
  path: string;
  defaultVersionId: string;
  versions: FakePolicyVersion[];
  isAttachable?: boolean;
  description?: string;
  /** Defaults to the oldest version's CreateDate. */
  createDate?: Date;
  /** Defaults to the newest version's CreateDate. */
  updateDate?: Date;
  /** Defaults to a deterministic fake id derived from the name (see policyIdFor). */
  policyId?: string;
}

/** A policy in the fake's store: every optional field resolved. */
export interface StoredPolicy {
  policyName: string;
  path: string;
  arn: string;
  policyId: string;
  defaultVersionId: string;
  isAttachable: boolean;
  description: string | undefined;
  createDate: Date;
  updateDate: Date;
  /** Highest version number ever issued; IAM never reuses a number after a delete. */
  lastVersionNumber: number;
  versions: Map<string, FakePolicyVersion>;
}

export class FakeIamError extends Error {
  override readonly name: string = 'FakeIamError';
}

const VERSION_ID = /^v([1-9][0-9]{0,8})$/;
// IAM's own constraints: name [\w+=,.@-]{1,128}; path '/' or '/.../' of printable ASCII.
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const POLICY_PATH = /^\/(?:[\x21-\x2e\x30-\x7e]+\/)*$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function versionNumber(versionId: string): number {
  const m = VERSION_ID.exec(versionId);
  if (!m?.[1]) throw new FakeIamError(`invalid VersionId ${JSON.stringify(versionId)} (expected v<number>)`);
  return Number(m[1]);
}

export function isVersionId(s: string): boolean {
  return VERSION_ID.test(s);
}

/** Deterministic fake PolicyId: 'ANPA' + 17 base32 chars of sha256(name), the real id's shape. */
export function policyIdFor(policyName: string): string {
  const digest = createHash('sha256').update(policyName).digest();
  let out = 'ANPA';
  for (let i = 0; i < 17; i++) out += BASE32[digest[i]! % 32];
  return out;
}

export function awsPolicyArn(path: string, policyName: string): string {
  return `arn:aws:iam::aws:policy${path}${policyName}`;
}

/** Splits an AWS managed policy ARN into path and name; undefined if it is not one. */
export function parseAwsPolicyArn(arn: string): { path: string; policyName: string } | undefined {
  const m = /^arn:aws:iam::aws:policy(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!m?.[1] || !m[2]) return undefined;
  if (!POLICY_PATH.test(m[1]) || !POLICY_NAME.test(m[2])) return undefined;
  return { path: m[1], policyName: m[2] };
}

function validDate(d: unknown, what: string): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new FakeIamError(`${what} is not a valid Date`);
  return d;
}

/** Validates a seed policy and resolves its defaults. Throws FakeIamError on bad input. */
export function toStoredPolicy(p: FakePolicy): StoredPolicy {
  const name = p.policyName;
  if (typeof name !== 'string' || !POLICY_NAME.test(name)) throw new FakeIamError(`invalid PolicyName ${JSON.stringify(name)}`);
  if (typeof p.path !== 'string' || !POLICY_PATH.test(p.path)) throw new FakeIamError(`${name}: invalid Path ${JSON.stringify(p.path)}`);
  if (!Array.isArray(p.versions) || p.versions.length === 0) throw new FakeIamError(`${name}: a policy needs at least one version`);
  const versions = new Map<string, FakePolicyVersion>();
  let last = 0;
  for (const v of p.versions) {
    const n = versionNumber(v.versionId);
    if (versions.has(v.versionId)) throw new FakeIamError(`${name}: duplicate VersionId ${v.versionId}`);
    if (typeof v.document !== 'string') throw new FakeIamError(`${name} ${v.versionId}: document must be a string`);
    versions.set(v.versionId, { versionId: v.versionId, document: v.document, createDate: validDate(v.createDate, `${name} ${v.versionId} createDate`), encoded: v.encoded === true });
    last = Math.max(last, n);
  }
  if (!versions.has(p.defaultVersionId)) throw new FakeIamError(`${name}: default version ${p.defaultVersionId} is not among its versions`);
  const times = [...versions.values()].map((v) => v.createDate.getTime());
  return {
    policyName: name,
    path: p.path,
    arn: awsPolicyArn(p.path, name),
    policyId: p.policyId ?? policyIdFor(name),
    defaultVersionId: p.defaultVersionId,
    isAttachable: p.isAttachable ?? true,
    description: p.description,
    createDate: p.createDate ? validDate(p.createDate, `${name} createDate`) : new Date(Math.min(...times)),
    updateDate: p.updateDate ? validDate(p.updateDate, `${name} updateDate`) : new Date(Math.max(...times)),
    lastVersionNumber: last,
    versions,
  };
}

/** Versions newest first (by version number), the order the fake lists them in. */
export function versionsNewestFirst(p: StoredPolicy): FakePolicyVersion[] {
  return [...p.versions.values()].sort((a, b) => versionNumber(b.versionId) - versionNumber(a.versionId));
}
