// Readers for IAMTrail (zoph-io/IAMTrail, formerly MAMIP / SummitRoute aws_managed_policies) data.
//
// Snapshot layout: policies/<PolicyName>, no extension, each the output of
//   aws iam get-policy-version --policy-arn <ARN> --version-id <DefaultVersionId>
// i.e. {"PolicyVersion": {"CreateDate", "VersionId", "Document", "IsDefaultVersion"}}: one
// version per policy. History layout (test corpus): <PolicyName>/<commit date>_<sha>.json, one
// file per commit that changed policies/<PolicyName>, plus manifest.json.
//
// Limitation: neither layout records the policy's ARN or IAM path (the repo has no ARN list
// either; the fetch script uses the ARN only to call IAM). The ARN is derived as
// arn:aws:iam::aws:policy<path><Name> with path from options.resolvePath or '/', which is wrong
// for /service-role/, /aws-service-role/, /job-function/ ... policies until the caller corrects it
// from IAM. ImportSourceDescriptor.pathsAuthoritative is false for these sources.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImportedPolicy, ImportedVersion } from '../../core/history.ts';
import type { ImportProblemCode } from './errors.ts';
import { canonicalJson, describeError, isJsonObject, isPolicyName, isPolicyPath, policyArn, type ReadImportOptions, type Report } from './common.ts';
import { parseIsoDateTime } from './dates.ts';
import { isVersionId, versionNumber } from './versions.ts';

/** <commit date YYYY-MM-DDTHHMMSSZ>_<abbreviated commit sha>.json */
export const HISTORY_SNAPSHOT_FILE = /^\d{4}-\d{2}-\d{2}T\d{6}Z_[0-9a-f]{7,40}\.json$/;

export interface Snapshot {
  versionId: string;
  createDate: Date | undefined;
  isDefault: boolean;
  document: ImportedVersion['document'];
  observedBy?: ImportedVersion['observedBy'];
}

/** 2024-11-13T220515Z_9d15a126.json → 2024-11-13T22:05:15Z (the commit date the file is named by). */
function commitDateOf(fileName: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})Z_/.exec(fileName);
  return m ? parseIsoDateTime(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : undefined;
}

/** Reads one get-policy-version output file; undefined (with a problem reported) when unusable. */
async function readSnapshot(file: string, policy: string, report: Report): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    report({ code: 'unreadable-file', file, policy, message: `cannot read: ${describeError(err)}; file skipped` });
    return undefined;
  }
  return parseSnapshot(text, file, policy, report);
}

/**
 * Parses one get-policy-version output (`file` names it in problems: a path, or commit:path for a
 * git blob); undefined (with a problem reported) when unusable.
 */
export function parseSnapshot(text: string, file: string, policy: string, report: Report): Snapshot | undefined {
  const problem = (code: ImportProblemCode, message: string, versionId?: string) =>
    report({ code, file, policy, ...(versionId ? { versionId } : {}), message });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    problem('invalid-json', `not valid JSON (${describeError(err)}); file skipped`);
    return undefined;
  }
  const pv = isJsonObject(data) ? data.PolicyVersion : undefined;
  if (!isJsonObject(pv)) {
    problem('invalid-shape', 'expected {"PolicyVersion": {...}}; file skipped');
    return undefined;
  }
  if (!isVersionId(pv.VersionId)) {
    problem('invalid-version-id', `VersionId ${JSON.stringify(pv.VersionId)} is not v<N>; file skipped`);
    return undefined;
  }
  const versionId = pv.VersionId;
  if (!isJsonObject(pv.Document)) {
    problem('invalid-document', 'Document is not a JSON object; file skipped', versionId);
    return undefined;
  }
  let isDefault = false;
  if (typeof pv.IsDefaultVersion === 'boolean') isDefault = pv.IsDefaultVersion;
  else problem('invalid-shape', `IsDefaultVersion ${JSON.stringify(pv.IsDefaultVersion)} is not a boolean; treated as false`, versionId);
  const createDate = parseIsoDateTime(pv.CreateDate);
  if (!createDate) problem('invalid-date', `CreateDate ${JSON.stringify(pv.CreateDate)} is not an ISO 8601 date-time; stored as unknown`, versionId);
  return { versionId, createDate, isDefault, document: pv.Document };
}

export function identity(name: string, opts: ReadImportOptions): { arn: string; path: string } {
  const resolved = opts.resolvePath?.(name);
  const path = resolved !== undefined && isPolicyPath(resolved) ? resolved : '/';
  return { arn: policyArn(path, name), path };
}

/** Regular, non-hidden files, sorted (deterministic order). Symlinks are not followed, so an import never reads outside the tree it was pointed at. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
}

/**
 * Snapshot layout. `requireNoExtension` is set when the directory was not a policies/ folder and
 * may hold other files (README.md ...); policy names themselves never contain a dot in practice.
 */
export async function* readIamtrailSnapshots(dir: string, requireNoExtension: boolean, opts: ReadImportOptions, report: Report): AsyncGenerator<ImportedPolicy> {
  for (const name of await listFiles(dir)) {
    if (requireNoExtension && name.includes('.')) continue;
    const file = join(dir, name);
    if (!isPolicyName(name)) {
      report({ code: 'invalid-shape', file, message: `${JSON.stringify(name)} is not a valid IAM policy name; file skipped` });
      continue;
    }
    const snap = await readSnapshot(file, name, report);
    if (!snap) continue;
    yield {
      name,
      ...identity(name, opts),
      defaultVersionId: snap.isDefault ? snap.versionId : undefined,
      versions: [snap],
    };
  }
}

/**
 * History layout: every distinct VersionId becomes one version. Snapshots are applied in file-name
 * (= commit date) order, so the last snapshot of a VersionId wins (later files carry the
 * repo-wide reformat, e.g. "Z" dates). Only the highest VersionId can be the default, and only if
 * its last snapshot said so: an older snapshot's IsDefaultVersion=true was true only at the time.
 */
export async function* readIamtrailHistory(root: string, opts: ReadImportOptions, report: Report): AsyncGenerator<ImportedPolicy> {
  const entries = await readdir(root, { withFileTypes: true });
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  for (const name of folders) {
    const dir = join(root, name);
    if (!isPolicyName(name)) {
      report({ code: 'invalid-shape', file: dir, message: `${JSON.stringify(name)} is not a valid IAM policy name; folder skipped` });
      continue;
    }
    const byVersion = new Map<string, { snap: Snapshot; file: string; first: Date | undefined }>();
    for (const fileName of await listFiles(dir)) {
      const file = join(dir, fileName);
      if (!HISTORY_SNAPSHOT_FILE.test(fileName)) {
        report({ code: 'invalid-shape', file, policy: name, message: 'not a <YYYY-MM-DDTHHMMSSZ>_<sha>.json snapshot file; skipped' });
        continue;
      }
      const snap = await readSnapshot(file, name, report);
      if (!snap) continue;
      const prev = byVersion.get(snap.versionId);
      // AWS policy versions are immutable: a changed document under one VersionId means the
      // history is corrupt or forged, which a reviewer must see.
      if (prev && canonicalJson(prev.snap.document) !== canonicalJson(snap.document)) {
        report({
          code: 'conflicting-version',
          file,
          policy: name,
          versionId: snap.versionId,
          message: `document differs from the same version in ${prev.file}; the later snapshot is kept`,
        });
      }
      byVersion.set(snap.versionId, { snap, file, first: prev ? prev.first : commitDateOf(fileName) });
    }
    if (byVersion.size === 0) {
      report({ code: 'invalid-shape', file: dir, policy: name, message: 'no usable snapshots; policy skipped' });
      continue;
    }
    // The first file's commit date is when IAMTrail's poller first saw the version.
    const versions: Snapshot[] = [...byVersion.values()]
      .map(({ snap, first }) => (first ? { ...snap, observedBy: { observer: 'iamtrail' as const, at: first } } : snap))
      .sort((a, b) => versionNumber(a.versionId) - versionNumber(b.versionId));
    const highest = versions[versions.length - 1] as Snapshot;
    const defaultVersionId = highest.isDefault ? highest.versionId : undefined;
    yield {
      name,
      ...identity(name, opts),
      defaultVersionId,
      versions: versions.map((v) => ({ ...v, isDefault: v.versionId === defaultVersionId })),
    };
  }
}

/** Reports a manifest.json that exists but is unusable (it only feeds the source label). */
export async function checkHistoryManifest(root: string, report: Report): Promise<void> {
  const file = join(root, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') report({ code: 'unreadable-file', file, message: `cannot read: ${describeError(err)}` });
    return;
  }
  try {
    if (!isJsonObject(JSON.parse(text))) report({ code: 'invalid-shape', file, message: 'expected a JSON object keyed by policy name' });
  } catch (err) {
    report({ code: 'invalid-json', file, message: `not valid JSON (${describeError(err)}); the source label falls back to the directory name` });
  }
}
