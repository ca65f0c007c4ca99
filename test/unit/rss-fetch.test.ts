import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fetchFeed, pollFeed, pollFeeds, FeedFetchError, type FeedHttp } from '../../src/sources/rss/fetch.ts';
import { createOutboundClient } from '../../src/sources/outbound/index.ts';

// The test server listens on 127.0.0.1, which only a private-allowing guard reaches.
const http = createOutboundClient({ allowPrivate: true });
after(() => http.close());

const fixtureXml = readFileSync(new URL('../fixtures/rss/amazonq-doc-history.rss.xml', import.meta.url), 'utf8');

const BIG_BODY_BYTES = 50 * 1024 * 1024;
const CAP = 256 * 1024;

const billionLaughs = (() => {
  const ents = ['<!ENTITY lol "lol">'];
  for (let n = 1; n <= 9; n++) ents.push(`<!ENTITY lol${n} "${`&lol${n === 1 ? '' : n - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?><!DOCTYPE rss [${ents.join('')}]><rss version="2.0"><channel><title>&lol9;</title></channel></rss>`;
})();

const brokenDates = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Dates</title><link>https://docs.aws.amazon.com/x/</link>
<item><title>A</title><link>https://docs.aws.amazon.com/x/a.html</link><pubDate>not a date</pubDate><guid isPermaLink="false">a</guid></item>
<item><title>B</title><link>https://docs.aws.amazon.com/x/b.html</link><pubDate>Tue, 9 Jul 2024 19:00:00 GMT</pubDate><guid isPermaLink="false">b</guid></item>
</channel></rss>`;

interface Seen {
  conditional: Array<{ ifNoneMatch?: string; ifModifiedSince?: string }>;
  bigBytesWritten: number;
  bigFinished: boolean;
  bigClosedEarly: Promise<void>;
}

function startServer(): Promise<{ server: Server; base: string; seen: Seen }> {
  let resolveClosed: () => void = () => undefined;
  const seen: Seen = {
    conditional: [],
    bigBytesWritten: 0,
    bigFinished: false,
    bigClosedEarly: new Promise<void>((r) => (resolveClosed = r)),
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    switch (req.url) {
      case '/etag': {
        const inm = req.headers['if-none-match'];
        const ims = req.headers['if-modified-since'];
        seen.conditional.push({ ...(inm === undefined ? {} : { ifNoneMatch: String(inm) }), ...(ims === undefined ? {} : { ifModifiedSince: String(ims) }) });
        if (inm === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"', 'last-modified': 'Thu, 14 Nov 2024 19:00:00 GMT' });
        res.end(fixtureXml);
        return;
      }
      case '/good':
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=UTF-8' });
        res.end(fixtureXml);
        return;
      case '/500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
        return;
      case '/304-unasked':
        res.writeHead(304);
        res.end();
        return;
      case '/hang':
        return; // never answers
      case '/hang-body':
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
        return; // headers sent, body never completes
      case '/declared-huge':
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': String(BIG_BODY_BYTES) });
        res.write('<rss>');
        return;
      case '/huge': {
        // 50 MB streamed in 64 KB chunks with backpressure and no content-length, so only the
        // client's streaming cap can stop it.
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let closed = false;
        res.on('close', () => {
          closed = true;
          if (!seen.bigFinished) resolveClosed();
        });
        const pump = (): void => {
          while (!closed && seen.bigBytesWritten < BIG_BODY_BYTES) {
            seen.bigBytesWritten += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          if (!closed) {
            seen.bigFinished = true;
            res.end();
          }
        };
        pump();
        return;
      }
      case '/billion-laughs':
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.end(billionLaughs);
        return;
      case '/broken-dates':
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.end(brokenDates);
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  };
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, base: `http://127.0.0.1:${port}`, seen });
    });
  });
}

async function fetchError(p: Promise<unknown>): Promise<FeedFetchError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FeedFetchError, `expected FeedFetchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a FeedFetchError');
}

describe('fetchFeed / pollFeed against a local server', () => {
  let server: Server;
  let base: string;
  let seen: Seen;
  before(async () => {
    ({ server, base, seen } = await startServer());
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('200 with ETag, then 304 on the second poll with If-None-Match sent', async () => {
    const first = await pollFeed(`${base}/etag`, {}, { http, timeoutMs: 5000 });
    assert.equal(first.ok, true);
    assert.ok(first.ok && first.status === 'updated');
    assert.equal(first.feed.items.length, 11);
    assert.deepEqual(first.state, { etag: '"v1"', lastModified: 'Thu, 14 Nov 2024 19:00:00 GMT' });

    const second = await pollFeed(`${base}/etag`, first.state, { http, timeoutMs: 5000 });
    assert.ok(second.ok && second.status === 'not_modified');
    assert.deepEqual(second.state, first.state);
    assert.deepEqual(seen.conditional, [{}, { ifNoneMatch: '"v1"', ifModifiedSince: 'Thu, 14 Nov 2024 19:00:00 GMT' }]);
  });

  test('a 500 is an http-500 error carrying the status', async () => {
    const err = await fetchError(fetchFeed(`${base}/500`, { http, timeoutMs: 5000, maxBytes: CAP }));
    assert.equal(err.code, 'http-500');
    assert.equal(err.status, 500);
    const polled = await pollFeed(`${base}/500`, { etag: '"old"' }, { http, timeoutMs: 5000 });
    assert.ok(!polled.ok);
    assert.deepEqual(polled.error, { stage: 'fetch', code: 'http-500', message: 'HTTP 500', httpStatus: 500 });
    assert.deepEqual(polled.state, { etag: '"old"' }, 'validators survive a failed poll');
  });

  test('a 304 to an unconditional request is not taken as "unchanged"', async () => {
    const err = await fetchError(fetchFeed(`${base}/304-unasked`, { http, timeoutMs: 5000, maxBytes: CAP }));
    assert.equal(err.code, 'http-304');
  });

  test('a server that never answers hits the configured timeout', async () => {
    const err = await fetchError(fetchFeed(`${base}/hang`, { http, timeoutMs: 200, maxBytes: CAP }));
    assert.equal(err.code, 'timeout');
  });

  test('the timeout also covers a body that stalls after the headers', async () => {
    const err = await fetchError(fetchFeed(`${base}/hang-body`, { http, timeoutMs: 200, maxBytes: CAP }));
    assert.equal(err.code, 'timeout');
  });

  test('a caller abort is reported as aborted, not as a timeout', async () => {
    const ac = new AbortController();
    const p = fetchFeed(`${base}/hang`, { http, timeoutMs: 60_000, maxBytes: CAP, signal: ac.signal });
    ac.abort();
    assert.equal((await fetchError(p)).code, 'aborted');
  });

  test('a 50 MB streamed body is cut off at the cap without being read in full', async () => {
    const err = await fetchError(fetchFeed(`${base}/huge`, { http, timeoutMs: 30_000, maxBytes: CAP }));
    assert.equal(err.code, 'too_large');
    await seen.bigClosedEarly; // the client hung up on the server mid-stream
    assert.equal(seen.bigFinished, false);
    assert.ok(seen.bigBytesWritten < BIG_BODY_BYTES, `server wrote ${seen.bigBytesWritten} bytes`);
  });

  test('a declared Content-Length over the cap is refused before reading', async () => {
    const err = await fetchError(fetchFeed(`${base}/declared-huge`, { http, timeoutMs: 5000, maxBytes: CAP }));
    assert.equal(err.code, 'too_large');
    assert.match(err.message, /declares/);
  });

  test('a billion-laughs document is rejected as a parse error', async () => {
    const res = await pollFeed(`${base}/billion-laughs`, {}, { http, timeoutMs: 5000 });
    assert.ok(!res.ok);
    assert.equal(res.error.stage, 'parse');
    assert.equal(res.error.code, 'dtd_rejected');
  });

  test('a feed with broken dates keeps its items, with dateProblem', async () => {
    const res = await pollFeed(`${base}/broken-dates`, {}, { http, timeoutMs: 5000 });
    assert.ok(res.ok && res.status === 'updated');
    assert.equal(res.feed.items.length, 2);
    assert.equal(res.feed.items[0]?.publishedAt, null);
    assert.match(res.feed.items[0]?.dateProblem ?? '', /not a date/);
    assert.equal(res.feed.items[1]?.publishedAt?.toISOString(), '2024-07-09T19:00:00.000Z');
    assert.equal(res.feed.problems.length, 1);
  });

  test('only http(s) URLs, without credentials, are fetched', async () => {
    for (const [url, code] of [['ftp://127.0.0.1/feed', 'blocked-scheme'], ['file:///etc/passwd', 'blocked-scheme'], ['not a url', 'invalid-url'], ['http://user:pw@127.0.0.1/feed', 'invalid-url']]) {
      assert.equal((await fetchError(fetchFeed(url as string, { http, timeoutMs: 1000, maxBytes: CAP }))).code, code, url);
    }
  });

  test('a refused connection is connect-failed, without the socket\'s text', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await fetchError(fetchFeed(`http://127.0.0.1:${port}/`, { http, timeoutMs: 5000, maxBytes: CAP }));
    assert.equal(err.code, 'connect-failed');
    assert.doesNotMatch(err.message, /ECONNREFUSED|127\.0\.0\.1|\d{4,5}/);
  });

  test('each failure stays with its feed: five polled, four broken, the good one parsed', async () => {
    const results = await pollFeeds(
      [
        { url: `${base}/500` },
        { url: `${base}/hang` },
        { url: `${base}/huge` },
        { url: `${base}/billion-laughs` },
        { url: `${base}/good` },
        { url: 'gopher://127.0.0.1/' },
      ],
      { http, timeoutMs: 300, maxBytes: CAP, concurrency: 6 },
    );
    assert.deepEqual(
      results.map((r) => (r.ok ? r.status : `${r.error.stage}:${r.error.code}`)),
      ['fetch:http-500', 'fetch:timeout', 'fetch:too_large', 'parse:dtd_rejected', 'updated', 'fetch:blocked-scheme'],
    );
    const good = results[4];
    assert.ok(good?.ok && good.status === 'updated');
    assert.equal(good.feed.title, 'Document history for Amazon Q Developer User Guide');
    assert.equal(good.url, `${base}/good`);
  });
});

describe('fetchFeed with an injected fetch', () => {
  test('decodes the declared charset', async () => {
    const latin1 = Buffer.from('<rss version="2.0"><channel><title>Caf\u00e9</title></channel></rss>', 'latin1');
    const fake: FeedHttp = { fetch: async () => new Response(latin1, { status: 200, headers: { 'content-type': 'text/xml; charset=ISO-8859-1' } }) };
    const res = await fetchFeed('https://docs.aws.amazon.com/x.rss', { http: fake, timeoutMs: 1000, maxBytes: CAP });
    assert.ok(res.status === 'ok');
    assert.match(res.body, /Caf\u00e9/);
  });

  test('an unexpected exception from fetch becomes a recorded failure, not a rejection', async () => {
    const fake: FeedHttp = {
      fetch: async () => {
        throw new Error('boom at 10.0.0.7:5432');
      },
    };
    const res = await pollFeed('https://docs.aws.amazon.com/x.rss', {}, { http: fake, timeoutMs: 1000 });
    assert.ok(!res.ok);
    assert.equal(res.error.code, 'connect-failed');
    assert.doesNotMatch(res.error.message, /boom|10\.0/, 'the raw text is not recorded');
  });
});
