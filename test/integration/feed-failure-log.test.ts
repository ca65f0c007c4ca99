// A feed that fails the same way at every poll (offline, a dead URL) warns once, then logs at
// debug; a different failure, or a failure after a success, warns again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from '../support/app.ts';
import { DocHistoryService } from '../../src/services/doc-history-service.ts';
import type { Logger } from '../../src/core/logger.ts';

function captureLog() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: unknown, msg?: string) => void lines.push({ level, msg: msg ?? '' });
  const log: Logger = { fatal: at('fatal'), error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'), child: () => log } as Logger;
  return { log, lines };
}

test('a feed failing the same way as last time logs at debug after one warn', async (t) => {
  let status = 500;
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/rss+xml' });
    res.end(status === 200 ? '<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title></channel></rss>' : 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  // The configured list replaces the default AWS feeds: only this one is polled.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.rss`;
  const app = await build(t, { config: { rssFeeds: [url] } });
  const { log, lines } = captureLog();
  const stores = app.services.stores;
  const service = new DocHistoryService({ store: stores.docHistory, runs: stores.pollRuns, log, http: app.services.outbound });
  assert.deepEqual((await service.listFeeds({ limit: 100 })).map((f) => f.url), [url]);

  const failures = () => lines.filter((l) => l.msg === 'feed poll failed').map((l) => l.level);
  for (let i = 0; i < 3; i++) await service.poll();
  assert.deepEqual(failures(), ['warn', 'debug', 'debug']);
  status = 404;
  await service.poll();
  assert.deepEqual(failures().slice(3), ['warn'], 'a new way of failing is reported');
  status = 200;
  await service.poll();
  status = 404;
  await service.poll();
  assert.deepEqual(failures().slice(4), ['warn'], 'failing again after a success is reported');
});
