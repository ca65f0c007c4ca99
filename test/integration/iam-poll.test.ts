// The IAM ingest pipeline end to end: the real SDK client against the fake IAM endpoint seeded
// with the real AmazonQ history, stored in a real Postgres database and read back over the API.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../support/app.ts';
import { startCorpusIam } from '../support/iam.ts';

type Versions = { versions: { versionId: string; isDefault: boolean; source: string; documentHash: string; awsCreatedAt: string }[] };

describe('IAM poll against the fake endpoint (Postgres)', async () => {
  const ctx = { after: (fn: () => Promise<void>) => after.push(fn) };
  const after: (() => Promise<void>)[] = [];
  const { fake, iam } = await startCorpusIam(ctx);
  const app = await build(ctx, { iam });
  test.after(async () => {
    for (const fn of after.reverse()) await fn();
  });
  const poll = () => app.services.iamPoll.poll();
  const getPolicy = async (name: string) => (await app.inject(`/api/policies/${name}`)).json() as Versions & Record<string, unknown>;

  test('a cold poll stores every version of every policy', async () => {
    const r = await poll();
    assert.equal(r.run.status, 'succeeded');
    assert.equal(r.run.policiesSeen, 4);
    const q = await getPolicy('AmazonQFullAccess');
    assert.deepEqual(q.versions.map((v) => v.versionId), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
    assert.deepEqual(q.versions.filter((v) => v.isDefault).map((v) => v.versionId), ['v11']);
    assert.ok(q.versions.every((v) => v.source === 'iam'));
    assert.equal(q.defaultVersionId, 'v11');
    assert.match(String(q.awsPolicyId), /^ANPA/);
    // v1's canonical hash matches the corpus manifest's documentSha256Canonical.
    assert.equal(q.versions[0]?.documentHash, '983cac9e88d539fbe251f5e161731485909fdf1a028cbb05cfab8fb8ba6f605a');
    // The real ARN path of a service-linked-role policy is kept.
    const slr = await getPolicy('AWSServiceRoleForAmazonQDeveloper');
    assert.equal(slr.path, '/aws-service-role/');
    assert.equal(slr.arn, 'arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonQDeveloper');
    assert.equal(r.versionsAdded, 9 + 6 + 1 + 5);
    // The document comes back decoded and intact.
    const v5 = (await app.inject('/api/policies/AmazonQFullAccess/versions/v5')).json() as { document: { Statement: { Sid?: string; Condition?: unknown }[] } };
    const passRole = v5.document.Statement.find((s) => s.Sid === 'AllowPassRoleToAmazonQ');
    assert.ok(passRole?.Condition, 'iam:PassRole statement with its condition');
  });

  test('a quiet poll costs only the list page', async () => {
    fake.resetCounts();
    const r = await poll();
    assert.equal(r.versionsAdded, 0);
    assert.equal(r.run.apiCalls, 1);
    assert.equal(fake.requestCount(), 1);
    assert.equal(fake.requestCount('ListPolicies'), 1);
  });

  test('a newly published version is the only thing the next poll stores', async () => {
    const before = await getPolicy('AmazonQDeveloperAccess');
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['q:*'], Resource: '*' }] };
    const newId = fake.publishVersion('AmazonQDeveloperAccess', doc);
    fake.resetCounts();
    const r = await poll();
    assert.equal(r.versionsAdded, 1);
    assert.deepEqual(r.policiesChanged, ['AmazonQDeveloperAccess']);
    assert.equal(fake.requestCount('GetPolicyVersion'), 1);
    assert.equal(r.run.apiCalls, 3);
    const after = await getPolicy('AmazonQDeveloperAccess');
    assert.equal(after.versions.length, before.versions.length + 1);
    assert.deepEqual(after.versions.filter((v) => v.isDefault).map((v) => v.versionId), [newId]);
    // Running it again changes nothing.
    const again = await poll();
    assert.equal(again.versionsAdded, 0);
  });

  test('Throttling bursts, a 500 and a non-JSON document do not stop the rest of the poll', async () => {
    const d1 = fake.publishVersion('AmazonQFullAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'q:Get*', Resource: '*' }] }, { setDefault: false });
    const d2 = fake.publishVersion('AmazonQFullAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'q:List*', Resource: '*' }] }, { setDefault: false });
    const d3 = fake.publishVersion('AmazonQFullAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'q:Send*', Resource: '*' }] });
    const s1 = fake.publishVersion('AWSServiceRoleForUserSubscriptions', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sso:Describe*', Resource: '*' }] });
    fake.setRawDocument('AmazonQFullAccess', d2, '{"Version": "2012-10-17", "Statement": [');
    fake.injectFault({ action: 'ListPolicies', status: 'Throttling', times: 2 });
    fake.injectFault({ action: 'GetPolicyVersion', policyName: 'AmazonQFullAccess', versionId: d1, status: 500, times: Infinity });
    fake.injectFault({ action: 'ListPolicyVersions', policyName: 'AWSServiceRoleForUserSubscriptions', status: 'Throttling', times: 2 });
    const r = await poll();
    fake.clearFaults();
    assert.equal(r.run.status, 'partial');
    const errs = r.run.errors.map((e) => `${e.policy}/${e.versionId}`).sort();
    assert.deepEqual(errs, [`AmazonQFullAccess/${d1}`, `AmazonQFullAccess/${d2}`]);
    assert.ok(r.run.errors.find((e) => e.versionId === d2 && e.code === 'INVALID_DOCUMENT'));
    // Retries are counted: ListPolicies 3 attempts, ListPolicyVersions ×2 (+2 retries), GetPolicyVersion ×4 (+3 retries on d1).
    assert.ok(r.run.apiCalls >= 3 + 4 + 4, `apiCalls ${r.run.apiCalls}`);
    const q = await getPolicy('AmazonQFullAccess');
    assert.ok(q.versions.some((v) => v.versionId === d3), 'the good version of the same policy is stored');
    assert.ok(!q.versions.some((v) => v.versionId === d1 || v.versionId === d2));
    const s = await getPolicy('AWSServiceRoleForUserSubscriptions');
    assert.ok(s.versions.some((v) => v.versionId === s1), 'the throttled policy is stored');
    // Incomplete policy keeps its old default marker so the next poll retries the missing version.
    fake.setRawDocument('AmazonQFullAccess', d2, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'q:List*', Resource: '*' }] }));
    const r2 = await poll();
    assert.equal(r2.run.status, 'succeeded');
    assert.equal(r2.versionsAdded, 2);
    const q2 = await getPolicy('AmazonQFullAccess');
    assert.ok([d1, d2, d3].every((id) => q2.versions.some((v) => v.versionId === id)));
    const runs = (await app.inject('/api/poll-runs?limit=2')).json() as { items: { status: string; errors: unknown[] }[] };
    assert.equal(runs.items[1]?.status, 'partial');
    assert.equal(runs.items[1]?.errors.length, 2);
  });

  test('a policy removed from the list, or no longer attachable, is marked deprecated', async () => {
    fake.removePolicy('AWSServiceRoleForAmazonQDeveloper');
    fake.setAttachable('AmazonQDeveloperAccess', false);
    const r = await poll();
    assert.deepEqual([...r.deprecated].sort(), ['AWSServiceRoleForAmazonQDeveloper', 'AmazonQDeveloperAccess']);
    const gone = await getPolicy('AWSServiceRoleForAmazonQDeveloper');
    assert.ok(gone.deprecatedAt);
    const na = await getPolicy('AmazonQDeveloperAccess');
    assert.ok(na.deprecatedAt, 'non-attachable policy is deprecated');
    assert.equal(na.isAttachable, false);
    const list = (await app.inject('/api/policies?deprecated=true')).json() as { total: number };
    assert.equal(list.total, 2);
    // Its history is kept.
    assert.equal(gone.versions.length, 1);
  });
});

describe('IAM poll guards', () => {
  test('an implausibly short list deprecates nothing and says so on the run', async (t) => {
    const { fake, iam } = await startCorpusIam(t);
    const app = await build(t, { iam });
    await app.services.iamPoll.poll();
    for (const name of fake.policyNames()) fake.removePolicy(name);
    const r = await app.services.iamPoll.poll();
    assert.equal(r.run.status, 'partial');
    assert.deepEqual(r.deprecated, []);
    assert.ok(r.run.errors.some((e) => e.code === 'SUSPICIOUS_LIST'));
    const list = (await app.inject('/api/policies?deprecated=true')).json() as { total: number };
    assert.equal(list.total, 0);
  });
});

test('a policy that was never attachable is not deprecated; one that turns non-attachable is', async (t) => {
  const { fake, iam } = await startCorpusIam(t);
  const app = await build(t, { iam });
  fake.setAttachable('AWSServiceRoleForUserSubscriptions', false);
  const first = await app.services.iamPoll.poll();
  assert.deepEqual(first.deprecated, []);
  const again = await app.services.iamPoll.poll();
  assert.deepEqual(again.deprecated, []);
  assert.equal(again.run.apiCalls, 1, 'and it is not re-examined on every poll');
  fake.setAttachable('AmazonQFullAccess', false);
  const turned = await app.services.iamPoll.poll();
  assert.deepEqual(turned.deprecated, ['AmazonQFullAccess']);
});
