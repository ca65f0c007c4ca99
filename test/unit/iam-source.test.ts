// AwsIamSource (the real @aws-sdk/client-iam) against the fake IAM endpoint: paging, decoding,
// retries and their counting, typed errors, AWS_ENDPOINT_URL_IAM, abort.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDataset, seedFromDataset, canonicalJson } from '../../src/sources/fake-iam/seed.ts';
import { AwsIamSource, IamSourceError } from '../../src/sources/iam/aws-iam-source.ts';
import { toIamSourceError } from '../../src/sources/iam/errors.ts';
import { type RunningFake, TEST_CREDENTIALS, corpusDocument, corpusEntries, startCorpusFake, startFake, testSource } from '../support/fake-iam-fixtures.ts';

const FULL = 'arn:aws:iam::aws:policy/AmazonQFullAccess';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<IamSourceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof IamSourceError, `expected IamSourceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, call succeeded`);
}

describe('AwsIamSource over the dataset (1,594 policies)', () => {
  let run: RunningFake;
  before(async () => {
    run = await startFake(seedFromDataset(await loadDataset()));
  });
  after(() => run.stop());

  test('lists every policy in two 1000-item pages, Scope=AWS, two API calls', async () => {
    const src = testSource(run.url);
    const list = await src.listPolicies();
    assert.equal(list.length, 1594);
    assert.equal(new Set(list.map((p) => p.arn)).size, 1594);
    assert.equal(src.apiCalls, 2);
    const sent = run.fake.requests().filter((r) => r.action === 'ListPolicies');
    assert.equal(sent.length, 2);
    for (const r of sent) {
      assert.equal(r.params.Scope, 'AWS');
      assert.equal(r.params.MaxItems, '1000');
    }
    assert.equal(sent[0]!.params.Marker, undefined);
    assert.ok(sent[1]!.params.Marker);
    const slr = list.find((p) => p.policyName === 'AWSServiceRoleForAmazonQDeveloper')!;
    assert.equal(slr.path, '/aws-service-role/');
    assert.equal(slr.arn, 'arn:aws:iam::aws:policy/aws-service-role/AWSServiceRoleForAmazonQDeveloper');
    assert.equal(slr.defaultVersionId, 'v2');
    assert.match(slr.policyId, /^ANPA[A-Z2-7]{17}$/);
    assert.equal(slr.isAttachable, true);
    assert.ok(slr.createDate instanceof Date && slr.updateDate instanceof Date);
    src.destroy();
  });
});

describe('AwsIamSource over the real AmazonQ corpus', () => {
  let run: RunningFake;
  before(async () => {
    run = await startCorpusFake();
  });
  after(() => run.stop());

  test('versions of AmazonQFullAccess are the corpus VersionIds, v11 default', async () => {
    const src = testSource(run.url);
    const versions = await src.listPolicyVersions(FULL);
    const ids = versions.map((v) => v.versionId).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    assert.deepEqual(ids, ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9', 'v11']);
    assert.deepEqual(versions.filter((v) => v.isDefaultVersion).map((v) => v.versionId), ['v11']);
    assert.equal(versions.find((v) => v.versionId === 'v2')!.createDate?.toISOString(), '2024-04-29T17:02:36.000Z');
    assert.equal(src.apiCalls, 1);
  });

  test('version paging follows Marker (page size 2 → 5 calls for 9 versions)', async () => {
    const src = testSource(run.url, { pageSize: 2 });
    const versions = await src.listPolicyVersions(FULL);
    assert.equal(versions.length, 9);
    assert.equal(new Set(versions.map((v) => v.versionId)).size, 9);
    assert.equal(src.apiCalls, 5);
  });

  test('decoded documents equal the corpus for every version of every policy', async () => {
    const src = testSource(run.url);
    for (const p of await src.listPolicies()) {
      const entries = await corpusEntries(p.policyName);
      for (const v of await src.listPolicyVersions(p.arn)) {
        const doc = await src.getPolicyVersion(p.arn, v.versionId);
        assert.equal(doc.versionId, v.versionId);
        assert.equal(doc.isDefaultVersion, v.versionId === p.defaultVersionId);
        const file = entries.filter((e) => e.VersionId === v.versionId).at(-1)!.file;
        assert.equal(canonicalJson(JSON.parse(doc.documentText)), canonicalJson(await corpusDocument(p.policyName, file)), `${p.policyName} ${v.versionId}`);
      }
    }
  });

  test('AmazonQFullAccess v5 grants iam:PassRole only to q.amazonaws.com', async () => {
    const src = testSource(run.url);
    const v5 = await src.getPolicyVersion(FULL, 'v5');
    assert.equal(v5.createDate?.toISOString(), '2024-11-13T21:51:39.000Z');
    const doc = JSON.parse(v5.documentText) as { Statement: { Sid?: string; Action: string[]; Condition?: Record<string, Record<string, string[]>> }[] };
    const pass = doc.Statement.find((s) => s.Action.includes('iam:PassRole'))!;
    assert.equal(pass.Sid, 'AllowPassRoleToAmazonQ');
    assert.deepEqual(pass.Condition, { StringEquals: { 'iam:PassedToService': ['q.amazonaws.com'] } });
  });

  test('a non-JSON document comes back as text; a broken percent-encoding is MalformedDocument', async () => {
    const src = testSource(run.url);
    run.fake.setRawDocument('AmazonQDeveloperAccess', 'v1', 'not json {{ & <xml> 100%');
    const arn = 'arn:aws:iam::aws:policy/AmazonQDeveloperAccess';
    assert.equal((await src.getPolicyVersion(arn, 'v1')).documentText, 'not json {{ & <xml> 100%');
    run.fake.setRawDocument('AmazonQDeveloperAccess', 'v2', '%7B%E0%A4%A', { encoded: true });
    const e = await rejectsWith(src.getPolicyVersion(arn, 'v2'), 'MalformedDocument');
    assert.equal(e.retryable, false);
  });

  test('a Throttling burst is retried with backoff and every attempt is counted', async () => {
    const src = testSource(run.url, { maxAttempts: 8 });
    run.fake.resetCounts();
    run.fake.injectFault({ action: 'ListPolicies', status: 'Throttling', times: 3 });
    const list = await src.listPolicies();
    assert.equal(list.length, 4);
    assert.equal(src.apiCalls, 4);
    assert.equal(run.fake.requestCount('ListPolicies'), 4);
  });

  test('adaptive retry mode also retries throttling', async () => {
    const src = testSource(run.url, { retryMode: 'adaptive' });
    // One throttle only: adaptive mode then rate-limits the client for real, which costs time.
    run.fake.injectFault({ action: 'GetPolicyVersion', versionId: 'v3', status: 'Throttling', times: 1 });
    assert.equal((await src.getPolicyVersion(FULL, 'v3')).versionId, 'v3');
    assert.equal(src.apiCalls, 2);
  });

  test('a persistent 500 surfaces as a retryable ServiceFailure after maxAttempts', async () => {
    const src = testSource(run.url, { maxAttempts: 3 });
    run.fake.injectFault({ action: 'GetPolicyVersion', policyName: 'AmazonQFullAccess', status: 500, times: Infinity });
    try {
      const e = await rejectsWith(src.getPolicyVersion(FULL, 'v1'), 'ServiceFailure');
      assert.equal(e.retryable, true);
      assert.equal(e.httpStatus, 500);
      assert.equal(e.operation, 'GetPolicyVersion');
      assert.equal(e.attempts, 3);
      assert.equal(src.apiCalls, 3);
    } finally {
      run.fake.clearFaults();
    }
  });

  test('throttling past maxAttempts is a retryable Throttling error', async () => {
    const src = testSource(run.url, { maxAttempts: 2 });
    run.fake.injectFault({ action: 'ListPolicyVersions', status: 'Throttling', times: 2 });
    const e = await rejectsWith(src.listPolicyVersions(FULL), 'Throttling');
    assert.equal(e.retryable, true);
    assert.equal(src.apiCalls, 2);
  });

  test('NoSuchEntity is not retried and not retryable', async () => {
    const src = testSource(run.url);
    const e = await rejectsWith(src.listPolicyVersions('arn:aws:iam::aws:policy/DoesNotExist'), 'NoSuchEntity');
    assert.equal(e.retryable, false);
    assert.equal(e.httpStatus, 404);
    assert.equal(src.apiCalls, 1);
    await rejectsWith(src.getPolicyVersion(FULL, 'v8'), 'NoSuchEntity');
  });

  test('connection resets are retried; a dead endpoint is a retryable NetworkError', async () => {
    const src = testSource(run.url);
    run.fake.injectFault({ action: 'ListPolicies', status: 'ConnectionReset', times: 1 });
    assert.equal((await src.listPolicies()).length, 4);
    assert.equal(src.apiCalls, 2);

    const dead = await startCorpusFake();
    await dead.stop();
    const down = testSource(dead.url, { maxAttempts: 2 });
    const e = await rejectsWith(down.listPolicies(), 'NetworkError');
    assert.equal(e.retryable, true);
    assert.equal(down.apiCalls, 2);
  });

  test('AWS_ENDPOINT_URL_IAM is honoured when no endpoint option is given', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = run.url;
    try {
      run.fake.resetCounts();
      const src = new AwsIamSource({ region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
      assert.equal((await src.listPolicies()).length, 4);
      assert.equal(run.fake.requestCount('ListPolicies'), 1);
      // The explicit option still wins over the environment.
      process.env.AWS_ENDPOINT_URL_IAM = 'http://127.0.0.1:9';
      assert.equal((await testSource(run.url).listPolicies()).length, 4);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
      else process.env.AWS_ENDPOINT_URL_IAM = saved;
    }
  });

  test('an abort signal stops a call in flight and one already aborted sends nothing', async () => {
    const src = testSource(run.url);
    run.fake.injectFault({ action: 'ListPolicies', delayMs: 10_000 });
    const ac = new AbortController();
    const pending = src.listPolicies(ac.signal);
    setTimeout(() => ac.abort(), 20);
    const e = await rejectsWith(pending, 'Aborted');
    assert.equal(e.retryable, false);
    assert.equal(src.apiCalls, 1);

    const before = src.apiCalls;
    await rejectsWith(src.getPolicyVersion(FULL, 'v1', AbortSignal.abort()), 'Aborted');
    assert.equal(src.apiCalls, before);
  });
});

describe('AwsIamSource against a misbehaving endpoint', () => {
  // IsTruncated=true with the same Marker forever must not loop; without a Marker must not either.
  let url: string;
  let server: ReturnType<typeof createServer>;
  let mode: 'loop' | 'no-marker' | 'incomplete' = 'loop';
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const marker = mode === 'loop' ? '<Marker>same</Marker>' : '';
        const member = mode === 'incomplete' ? '<member><PolicyName>X</PolicyName></member>' : '';
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(`<ListPoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListPoliciesResult><IsTruncated>${mode !== 'incomplete'}</IsTruncated>${marker}<Policies>${member}</Policies></ListPoliciesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListPoliciesResponse>`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('a repeated Marker, a missing Marker and incomplete entries are InvalidResponse', async () => {
    mode = 'loop';
    const src = testSource(url);
    await rejectsWith(src.listPolicies(), 'InvalidResponse');
    assert.equal(src.apiCalls, 2);
    mode = 'no-marker';
    await rejectsWith(testSource(url).listPolicies(), 'InvalidResponse');
    mode = 'incomplete';
    await rejectsWith(testSource(url).listPolicies(), 'InvalidResponse');
  });
});

describe('options and error mapping', () => {
  test('invalid options are rejected up front', () => {
    assert.throws(() => new AwsIamSource({ maxAttempts: 0 }), RangeError);
    assert.throws(() => new AwsIamSource({ pageSize: 1001 }), RangeError);
    assert.throws(() => new AwsIamSource({ retryBaseDelayMs: -1 }), RangeError);
  });

  test('toIamSourceError classifies status codes and unknown throwables', () => {
    const http = (status: number, name: string, Code?: string) => Object.assign(new Error('m'), { name, Code, $metadata: { httpStatusCode: status } });
    assert.deepEqual(pick(toIamSourceError(http(429, 'TooManyRequestsException'), 'Op')), { code: 'TooManyRequests', retryable: true });
    assert.deepEqual(pick(toIamSourceError(http(403, 'AccessDenied', 'AccessDenied'), 'Op')), { code: 'AccessDenied', retryable: false });
    assert.deepEqual(pick(toIamSourceError(http(503, 'X', 'ServiceUnavailable'), 'Op')), { code: 'ServiceUnavailable', retryable: true });
    assert.deepEqual(pick(toIamSourceError('boom', 'Op')), { code: 'Unknown', retryable: false });
    assert.deepEqual(pick(toIamSourceError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 'Op')), { code: 'NetworkError', retryable: true });
    const e = new IamSourceError('m', { code: 'Aborted', retryable: false, operation: 'Op' });
    assert.equal(toIamSourceError(e, 'Other'), e);
  });
});

function pick(e: IamSourceError) {
  return { code: e.code, retryable: e.retryable };
}
