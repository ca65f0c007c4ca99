// The rss poll job against a local HTTP server: the real EKS, Organizations and Polly feeds from
// shared/corpus/rss ingest and resolve the policies they name, while a 500, a hung server, a
// 50 MB body, a billion-laughs document and a feed with broken dates each fail (or, for dates,
// are kept with the problem recorded) on their own, recorded on the poll run and the feed row.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from '../support/app.ts';
import { RSS_CORPUS_DIR } from '../support/paths.ts';
import { pollRss } from '../../src/jobs/jobs.ts';
import type { ImportedPolicy } from '../../src/core/history.ts';
import type { RssPollResult } from '../../src/services/doc-history-service.ts';

const corpus = (f: string) => readFileSync(join(RSS_CORPUS_DIR, f), 'utf8');
const BIG = 50 * 1024 * 1024;
const CAP = 1024 * 1024;
const TIMEOUT_MS = 1500;

const billionLaughs = (() => {
  const ents = ['<!ENTITY lol "lol">'];
  for (let n = 1; n <= 9; n++) ents.push(`<!ENTITY lol${n} "${`&lol${n === 1 ? '' : n - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?><!DOCTYPE rss [${ents.join('')}]><rss version="2.0"><channel><title>&lol9;</title>`
    + '<item><title>AWSOrganizationsFullAccess - Updated policy</title><pubDate>Fri, 21 Oct 2022 19:00:00 GMT</pubDate><guid>x</guid></item></channel></rss>';
})();

const brokenDates = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Broken dates guide</title><link>https://docs.aws.amazon.com/broken/</link><description/>
<item><title>AmazonEKSComputePolicy - Updated policy</title><link>https://docs.aws.amazon.com/broken/a.html</link><description>Added permissions.</description><pubDate>Fri, 31 Feb 2025 19:00:00 GMT</pubDate><guid isPermaLink="false">a</guid></item>
<item><title>Something else</title><link>https://docs.aws.amazon.com/broken/b.html</link><description>Text.</description><pubDate>sometime in June</pubDate><guid isPermaLink="false">b</guid></item>
<item><title>A fine entry</title><link>https://docs.aws.amazon.com/broken/c.html</link><description>Text.</description><pubDate>Thu, 19 Jun 2025 19:00:00 GMT</pubDate><guid isPermaLink="false">c</guid></item>
</channel></rss>`;

interface Server {
  base: string;
  requests: string[];
  big: { written: number; closed: Promise<void> };
}

async function startServer(t: { after(fn: () => Promise<void>): unknown }): Promise<Server> {
  const requests: string[] = [];
  let closedBig: () => void = () => undefined;
  const big = { written: 0, closed: new Promise<void>((r) => (closedBig = r)) };
  const hung = new Set<ServerResponse>();
  const files: Record<string, string> = {
    '/eks.rss': corpus('eks-userguide-doc-history.rss.excerpt.xml'),
    '/organizations.rss': corpus('organizations-release-notes.rss.excerpt.xml'),
    '/polly.rss': corpus('polly-dg-doc-history.rss.xml'),
    '/laughs.rss': billionLaughs,
    '/dates.rss': brokenDates,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    requests.push(path);
    const file = files[path];
    if (file !== undefined) {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=UTF-8' }).end(file);
      return;
    }
    if (path === '/500.rss') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    if (path === '/hang.rss') {
      // Headers, then nothing: only the client's timeout ends this.
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
      hung.add(res);
      return;
    }
    if (path === '/big.rss') {
      // 50 MB, no content-length: the cap has to be enforced while streaming.
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (big.written < BIG) {
          big.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => closedBig());
      res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>');
      pump();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const r of hung) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, big };
}

type Feed = { id: number; url: string; title: string | null; services: string[]; enabled: boolean; origin: string; lastStatus: string | null; lastError: string | null; lastPolledAt: string | null; entryCount: number };
type Entry = { id: string; title: string; publishedAt: string | null; dateProblem: string | null; rawPubDate: string; kind: string; policies: { name: string; resolved: boolean }[]; events: { policy: string; toVersionId: string }[] };
type EntryPage = { items: Entry[]; nextCursor: string | null };

const doc = (actions: string[]) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
function policy(name: string, versions: [string, string, string[]][]): ImportedPolicy {
  return {
    name, arn: `arn:aws:iam::aws:policy/${name}`, path: '/',
    versions: versions.map(([versionId, date, actions], i) => ({ versionId, createDate: new Date(date), isDefault: i === versions.length - 1, document: doc(actions) })),
  };
}

describe('rss poll job: real feeds ingest, faulty feeds fail alone', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const t = { after: (fn: () => Promise<void>) => cleanups.push(fn) };
  let app: Awaited<ReturnType<typeof build>>;
  let srv: Server;
  let result: RssPollResult;
  const get = async <T>(url: string): Promise<T> => {
    const res = await app.inject(url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
    return res.json() as T;
  };
  const feedAt = async (path: string) => {
    const f = (await get<{ items: Feed[] }>('/api/feeds')).items.find((x) => x.url === `${srv.base}${path}`);
    assert.ok(f, path);
    return f;
  };

  before(async () => {
    srv = await startServer(t);
    const paths = ['/eks.rss', '/500.rss', '/organizations.rss', '/hang.rss', '/big.rss', '/polly.rss', '/laughs.rss', '/dates.rss'];
    // Configured through POLICYWATCH_RSS_FEEDS (config.rssFeeds): seeded at start-up.
    app = await build(t, { config: { rssFeeds: paths.map((p) => `${srv.base}${p}`) } });
    // The policies the EKS and Organizations entries name, with versions on AWS's dates.
    async function* policies() {
      yield policy('AmazonEKSServiceRolePolicy', [['v1', '2024-01-10T00:00:00Z', ['ec2:DescribeInstances']], ['v2', '2025-06-20T16:00:00Z', ['ec2:DescribeInstances', 'ec2:DescribeCapacityReservations']], ['v3', '2025-08-26T17:00:00Z', ['ec2:DescribeInstances', 'ec2:DescribeCapacityReservations', 'eks:AssociateAccessPolicy']]]);
      yield policy('AmazonEKSComputePolicy', [['v1', '2024-12-01T00:00:00Z', ['ec2:RunInstances']], ['v2', '2025-06-20T16:00:00Z', ['ec2:RunInstances', 'iam:CreateServiceLinkedRole']]]);
      yield policy('AmazonEKSLocalOutpostServiceRolePolicy', [['v1', '2023-01-01T00:00:00Z', ['ssm:DescribeInstanceInformation']], ['v2', '2025-06-26T12:00:00Z', ['ssm:DescribeInstanceInformation', 'ssmmessages:OpenDataChannel']]]);
      yield policy('AmazonEKSDashboardConsoleReadOnly', [['v1', '2025-06-19T15:00:00Z', ['eks:ListClusters']]]);
      yield policy('AWSOrganizationsFullAccess', [['v1', '2020-01-01T00:00:00Z', ['organizations:*']], ['v2', '2022-02-07T18:00:00Z', ['organizations:*', 'account:PutAlternateContact']], ['v3', '2022-08-24T18:00:00Z', ['organizations:*', 'account:PutAlternateContact', 'iam:CreateServiceLinkedRole']], ['v4', '2022-10-21T18:00:00Z', ['organizations:*', 'account:PutAlternateContact', 'iam:CreateServiceLinkedRole', 'account:PutContactInformation']]]);
      yield policy('AWSOrganizationsReadOnlyAccess', [['v1', '2020-01-01T00:00:00Z', ['organizations:Describe*']], ['v2', '2022-02-07T18:00:00Z', ['organizations:Describe*', 'account:GetAlternateContact']], ['v3', '2022-10-21T18:00:00Z', ['organizations:Describe*', 'account:GetAlternateContact', 'account:GetContactInformation']]]);
    }
    await app.services.importer.import('test-feeds', policies());
    const started = Date.now();
    const r = await app.scheduler.runNow('rss', (h) => pollRss(h, { timeoutMs: TIMEOUT_MS, maxBytes: CAP }));
    assert.ok(r.ran);
    result = r.result;
    assert.ok(Date.now() - started < 20_000, 'the hung feed costs one timeout, not the run');
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('the configured feeds were seeded at start-up, enabled, origin env', async () => {
    const feeds = (await get<{ items: Feed[] }>('/api/feeds')).items;
    assert.equal(feeds.length, 8);
    assert.ok(feeds.every((f) => f.enabled && f.origin === 'env'));
  });

  test('one poll run records every HTTP request and every failing feed; the run is partial', async () => {
    const run = result.run;
    assert.equal(run.source, 'rss');
    assert.equal(run.status, 'partial');
    assert.equal(run.apiCalls, 8);
    assert.equal(run.policiesSeen, 8, 'feeds polled');
    const byFeed = Object.fromEntries(run.errors.map((e) => [e.feed?.replace(srv.base, ''), e.code]));
    assert.deepEqual(byFeed, { '/500.rss': 'http-500', '/hang.rss': 'timeout', '/big.rss': 'too_large', '/laughs.rss': 'dtd_rejected', '/dates.rss': 'invalid_date' });
    const stored = await get<{ status: string; errors: { feed: string; code: string; message: string }[] }>(`/api/poll-runs/${run.id}`);
    assert.equal(stored.status, 'partial');
    assert.equal(stored.errors.length, 5);
    assert.ok(stored.errors.every((e) => e.message.length > 0));
    assert.deepEqual(result.feeds.map((f) => [f.url.replace(srv.base, ''), f.status]), [
      ['/eks.rss', 'ok'], ['/500.rss', 'failed'], ['/organizations.rss', 'ok'], ['/hang.rss', 'failed'],
      ['/big.rss', 'failed'], ['/polly.rss', 'ok'], ['/laughs.rss', 'failed'], ['/dates.rss', 'partial'],
    ]);
  });

  test('failures are recorded on the feed rows and store nothing', async () => {
    for (const [path, re] of [['/500.rss', /^http-500: HTTP 500/], ['/hang.rss', /^timeout: .*timed out after 1500 ms/], ['/big.rss', /^too_large: .*1048576-byte limit/], ['/laughs.rss', /^dtd_rejected: /]] as const) {
      const f = await feedAt(path);
      assert.equal(f.lastStatus, 'failed', path);
      assert.match(f.lastError ?? '', re, path);
      assert.ok(f.lastPolledAt, path);
      assert.equal(f.entryCount, 0, path);
    }
    await srv.big.closed;
    assert.ok(srv.big.written < BIG, `the 50 MB body was cut off (${srv.big.written} bytes written)`);
  });

  test('the real EKS, Organizations and Polly feeds are ingested with their channel titles', async () => {
    const eks = await feedAt('/eks.rss');
    const org = await feedAt('/organizations.rss');
    const polly = await feedAt('/polly.rss');
    assert.deepEqual([eks.entryCount, org.entryCount, polly.entryCount], [12, 6, 17]);
    assert.deepEqual([eks.title, org.title], ['Amazon EKS Document History', 'AWS Organizations Release Notes']);
    assert.ok([eks, org, polly].every((f) => f.lastStatus === 'ok' && f.lastError === null));
    assert.equal(result.entriesAdded, 12 + 6 + 17 + 3);
  });

  test('managed-policy entries resolve the policy names in their titles and descriptions, and link to versions', async () => {
    const eks = await feedAt('/eks.rss');
    const entries = (await get<EntryPage>(`/api/doc-history?feed=${eks.id}&limit=50`)).items;
    const resolved = (title: string, date: string) => {
      const e = entries.find((x) => x.title === title && x.publishedAt?.startsWith(date));
      assert.ok(e, `${title} ${date}`);
      return e;
    };
    const two = resolved('AWS managed policy updates', '2025-06-20');
    assert.deepEqual(two.policies, [{ name: 'AmazonEKSComputePolicy', resolved: true }, { name: 'AmazonEKSServiceRolePolicy', resolved: true }]);
    assert.deepEqual(two.events.map((e) => `${e.policy}@${e.toVersionId}`).sort(), ['AmazonEKSComputePolicy@v2', 'AmazonEKSServiceRolePolicy@v2']);
    const aug = resolved('AWS managed policy updates', '2025-08-26');
    // AmazonEKSEventPolicy is named too but is not a policy we hold; actions in <code> are not policies.
    assert.deepEqual(aug.policies, [{ name: 'AmazonEKSEventPolicy', resolved: false }, { name: 'AmazonEKSServiceRolePolicy', resolved: true }]);
    assert.deepEqual(aug.events.map((e) => `${e.policy}@${e.toVersionId}`), ['AmazonEKSServiceRolePolicy@v3']);
    assert.deepEqual(resolved('AWS managed policy updates', '2025-06-26').events.map((e) => `${e.policy}@${e.toVersionId}`), ['AmazonEKSLocalOutpostServiceRolePolicy@v2']);
    const dash = resolved('Managed policy updates', '2025-06-19');
    assert.equal(dash.kind, 'new_policy');
    assert.deepEqual(dash.events.map((e) => `${e.policy}@${e.toVersionId}`), ['AmazonEKSDashboardConsoleReadOnly@v1']);

    const orgs = (await get<EntryPage>('/api/doc-history?policy=AWSOrganizationsReadOnlyAccess')).items;
    assert.deepEqual(orgs.map((e) => e.publishedAt?.slice(0, 10)), ['2022-10-21', '2022-02-07']);
    assert.equal(orgs[0]?.title, 'Updated the AWSOrganizationsFullAccess and AWSOrganizationsReadOnlyAccess managed policies', 'wrapped title collapsed');
    assert.deepEqual(orgs[0]?.events.map((e) => `${e.policy}@${e.toVersionId}`).sort(), ['AWSOrganizationsFullAccess@v4', 'AWSOrganizationsReadOnlyAccess@v3']);
    const full = (await get<EntryPage>('/api/doc-history?policy=AWSOrganizationsFullAccess')).items;
    assert.deepEqual(full.map((e) => e.publishedAt?.slice(0, 10)), ['2022-10-21', '2022-08-24', '2022-02-07']);

    const polly = await feedAt('/polly.rss');
    const pollyEntries = (await get<EntryPage>(`/api/doc-history?feed=${polly.id}&limit=50`)).items;
    assert.equal(pollyEntries.length, 17, 'duplicate GUIDs are told apart');
    assert.ok(pollyEntries.every((e) => e.policies.every((p) => !p.resolved)));
  });

  test('a feed with broken dates: every entry kept, the problem on the entry, the feed row and the run', async () => {
    const f = await feedAt('/dates.rss');
    assert.equal(f.lastStatus, 'partial');
    assert.match(f.lastError ?? '', /2 of 3 entries have no usable date/);
    assert.equal(f.entryCount, 3);
    const items = (await get<EntryPage>(`/api/doc-history?feed=${f.id}`)).items;
    assert.deepEqual(items.map((e) => [e.title, e.publishedAt === null, e.dateProblem !== null]), [
      ['A fine entry', false, false], ['Something else', true, true], ['AmazonEKSComputePolicy - Updated policy', true, true],
    ], 'dated first, undated last');
    const undated = items.find((e) => e.title.startsWith('AmazonEKSComputePolicy')) as Entry;
    assert.equal(undated.rawPubDate, 'Fri, 31 Feb 2025 19:00:00 GMT');
    assert.match(undated.dateProblem ?? '', /unparseable pubDate/);
    assert.deepEqual(undated.events, [], 'an undated entry cannot be joined');
    // Undated entries are paged too.
    const p1 = await get<EntryPage>(`/api/doc-history?feed=${f.id}&limit=2`);
    const p2 = await get<EntryPage>(`/api/doc-history?feed=${f.id}&limit=2&cursor=${p1.nextCursor}`);
    assert.deepEqual([...p1.items, ...p2.items].map((e) => e.id), items.map((e) => e.id));
    assert.equal(p2.nextCursor, null);
  });

  test('the next poll retries the failed feeds and keeps the stored entries', async () => {
    const before1 = await get<EntryPage>('/api/doc-history?limit=200');
    const r = await app.scheduler.runNow('rss', (h) => pollRss(h, { timeoutMs: 300, maxBytes: CAP }));
    assert.ok(r.ran);
    assert.equal(r.result.entriesAdded, 0);
    assert.equal(r.result.run.status, 'partial');
    assert.equal(r.result.run.apiCalls, 8);
    assert.deepEqual(await get<EntryPage>('/api/doc-history?limit=200'), before1);
    assert.equal(srv.requests.filter((p) => p === '/500.rss').length, 2);
  });
});
