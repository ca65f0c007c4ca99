// Hostile input over real HTTP, table-driven: infinities, NaN, huge and negative numbers, NUL,
// invalid UTF-8 and bad percent-encoding, lone surrogates, arrays for scalars, unknown
// parameters, 10 MB bodies, oversized URLs and headers, across every route. Nothing may reach a
// 5xx, and every error is our JSON error shape. A second table checks that each rejection names
// the offending parameter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ErrorBody } from '../../src/http/schemas/common.ts';
// Requests carry the admin key, so hostile bodies reach validation instead of stopping at auth.
import { ADMIN, build } from '../support/app.ts';
import { importApiPolicies } from '../support/api-data.ts';

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined> }

const NUMBERS = ['1e309', '-1e309', 'Infinity', '-Infinity', 'NaN', '99999999999999999999999', '-1', '0', '1.5', '0x10', '1e2', '%201', ''];
const STRINGS = [
  '%00', 'a%00b', '%FF', '%C3%28', '%E0%80%80', '%ED%A0%80', '%', '%Z1', '%%', 'a%2', '%F0%9F%98%80', '%EF%BF%BE',
  'x'.repeat(3000), '..%2F..%2Fetc%2Fpasswd', '%27%3B%20DROP%20TABLE%20policies%3B--', '%5B%5D', 'null', '*', '%0D%0ASet-Cookie:x=1',
];
const VALUES = [...NUMBERS, ...STRINGS];

/** GET routes with their query parameters; the path is valid, the query is not. */
const QUERY_ROUTES: [string, string[]][] = [
  ['/api/policies', ['limit', 'cursor', 'search', 'deprecated']],
  ['/api/changes', ['limit', 'cursor', 'policy', 'service', 'action', 'effect', 'accessLevel', 'flag', 'kind', 'dates', 'since', 'until', 'detail']],
  ['/api/policies/PwQAccess/changes', ['limit', 'cursor', 'kind']],
  ['/api/policies/PwQAccess/diff', ['from', 'to']],
  ['/api/actions/iam:PassRole', ['limit', 'cursor']],
  ['/api/poll-runs', ['limit', 'cursor', 'source']],
  ['/api/doc-history', ['limit', 'cursor', 'feed', 'policy', 'kind', 'flag', 'since']],
  ['/feeds/changes.atom', ['policy', 'service']],
  ['/feeds/changes.rss', ['policy', 'service']],
];

/** Routes with path parameters: the hostile value goes into the path. */
const PATH_ROUTES = [
  '/api/policies/{}', '/api/policies/{}/versions/v1', '/api/policies/PwQAccess/versions/{}', '/api/policies/{}/changes',
  '/api/policies/{}/diff?from=v1&to=v2', '/api/changes/{}', '/api/actions/{}', '/api/poll-runs/{}',
];

describe('hostile input gets a 4xx in our error shape, never a 5xx', { timeout: 300_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  let app: FastifyInstance;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  before(async () => {
    // Thousands of requests from one address: the rate limiter (tested in limits.test.ts) would
    // answer 429 long before the inputs are all sent.
    app = await build({ after: (fn) => cleanups.push(fn) }, { config: { rateLimitMax: 1_000_000 } });
    await importApiPolicies(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    agent.destroy();
    for (const fn of cleanups.reverse()) await fn();
  });

  const send = (method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}) => new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers: { ...ADMIN, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });

  /** Bytes on a fresh socket, for what an HTTP client would refuse to send. */
  const raw = (bytes: string) => new Promise<Answer>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body, headers: {} });
    });
    s.end(bytes);
  });

  const failures: string[] = [];
  let count = 0;
  const check = (what: string, a: Answer) => {
    count++;
    if (a.status >= 500 || a.status === 0) failures.push(`${what} → ${a.status} ${a.body.slice(0, 200)}`);
    if (a.status >= 400) {
      let body: ErrorBody | undefined;
      try {
        body = JSON.parse(a.body) as ErrorBody;
      } catch {
        // reported below
      }
      if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string' || body.error.message === '') {
        failures.push(`${what} → ${a.status} not our error shape: ${a.body.slice(0, 200)}`);
      }
    }
  };

  test('query parameters, path parameters, bodies, URLs and headers', async () => {
    for (const [route, params] of QUERY_ROUTES) {
      for (const p of [...params, 'foo']) {
        for (const v of VALUES) {
          const url = `${route}${route.includes('?') ? '&' : '?'}${p}=${v}`;
          check(`GET ${url.slice(0, 120)}`, await send('GET', url));
        }
        // arrays for scalars, and bracket syntax
        check(`GET ${route}?${p}=1&${p}=2`, await send('GET', `${route}?${p}=1&${p}=2`));
        check(`GET ${route}?${p}[]=1`, await send('GET', `${route}?${p}[]=1`));
      }
      check(`GET ${route}?%FF=1`, await send('GET', `${route}?%FF=1`));
      check(`GET ${route}?%00=1`, await send('GET', `${route}?%00=1`));
    }
    for (const route of PATH_ROUTES) {
      for (const v of STRINGS) {
        const url = route.replace('{}', v);
        check(`GET ${url.slice(0, 120)}`, await send('GET', url));
      }
    }
    for (const v of [...STRINGS, '0', '-1', '99999999999999999999', '2147483648']) {
      check(`DELETE /api/feeds/${v.slice(0, 40)}`, await send('DELETE', `/api/feeds/${v}`));
    }
    const bodies: [string, Buffer | string, Record<string, string>?][] = [
      ['NUL in a string', '{"url":"http://a\\u0000b/"}'],
      ['NUL in a key', '{"u\\u0000rl":"http://a/"}'],
      ['lone surrogate', '{"url":"http://a/\\ud800"}'],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"url":"http://a/'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
      ['overlong UTF-8', Buffer.concat([Buffer.from('{"url":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
      ['infinite number', '{"url":"http://127.0.0.1/x","title":1e400}'],
      ['huge number', '{"url":"http://127.0.0.1/x","services":[1e308]}'],
      ['array for a scalar', '{"url":["http://a/"]}'],
      ['object for a scalar', '{"url":{"x":1}}'],
      ['scalar for an array', '{"url":"http://127.0.0.1/x","services":"s3"}'],
      ['number for a string', '{"url":12}'],
      ['unknown field', '{"url":"http://127.0.0.1/x","admin":true}'],
      ['__proto__', '{"url":"http://127.0.0.1/x","__proto__":{"polluted":true}}'],
      ['not JSON', '{"url":'],
      ['empty body', ''],
      ['JSON null', 'null'],
      ['JSON array', '[]'],
      ['bare string', '"http://a/"'],
      ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['10 MB string', `{"url":"${'a'.repeat(10 * 1024 * 1024)}"}`],
      ['10 MB of garbage', Buffer.alloc(10 * 1024 * 1024, 0xff)],
      ['wrong content type', 'url=http://a/', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['text/plain', 'hello', { 'content-type': 'text/plain' }],
      ['gzip content-encoding', Buffer.from([0x1f, 0x8b, 0, 0]), { 'content-encoding': 'gzip' }],
      ['100 services', JSON.stringify({ url: 'http://127.0.0.1/x', services: Array.from({ length: 100 }, (_, i) => `s${i}`) })],
      ['bad service', JSON.stringify({ url: 'http://127.0.0.1/x', services: ['s3\u0000'] })],
    ];
    for (const [what, body, headers] of bodies) {
      check(`POST /api/feeds: ${what}`, await send('POST', '/api/feeds', body, headers));
      check(`POST /api/poll-runs?source=%00: ${what}`, await send('POST', '/api/poll-runs?source=%00', body, headers));
    }
    // Methods no route serves, and oversized requests.
    for (const [m, u] of [['PUT', '/api/policies'], ['PATCH', '/api/feeds'], ['DELETE', '/api/changes'], ['POST', '/healthz']] as const) {
      const a = await send(m, u);
      check(`${m} ${u}`, a);
      assert.equal(a.status, 405, `${m} ${u}`);
    }
    const longUrl = await send('GET', `/api/policies?search=${'a'.repeat(9000)}`);
    check('9 KB URL', longUrl);
    assert.equal(longUrl.status, 414);
    const veryLong = await raw(`GET /api/policies?search=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    check('20 KB URL', veryLong);
    assert.equal(veryLong.status, 414);
    const bigHeader = await raw(`GET /api/policies HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    check('20 KB header', bigHeader);
    assert.equal(bigHeader.status, 431);
    const garbage = await raw('\u0000\u0001 nonsense\r\n\r\n');
    check('garbage request line', garbage);
    assert.equal(garbage.status, 400);
    const badPath = await raw('GET /api/policies/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    check('truncated percent-encoding in the path', badPath);
    assert.equal(badPath.status, 400);

    assert.ok(count >= 300, `only ${count} hostile inputs`);
    assert.deepEqual(failures, [], `${failures.length} of ${count} inputs failed`);
  });

  test('every rejection names the offending parameter and the rule', async () => {
    const table: [string, number, string, RegExp?][] = [
      ['/api/policies?foo=1', 400, 'foo', /unknown query parameter `foo`/],
      ['/api/policies?limit=501', 400, 'limit', /`limit` must be ≤ 500/],
      ['/api/policies?limit=0', 400, 'limit', /`limit` must be ≥ 1/],
      ['/api/policies?limit=abc', 400, 'limit', /`limit` must be an integer/],
      ['/api/policies?limit=1e309', 400, 'limit', /finite/],
      ['/api/policies?limit=Infinity', 400, 'limit'],
      ['/api/policies?limit=1&limit=2', 400, 'limit', /once/],
      ['/api/policies?deprecated=yes', 400, 'deprecated', /one of true, false/],
      ['/api/policies?search=a%00', 400, 'search', /NUL/],
      ['/api/policies?search=%FF', 400, 'search', /UTF-8|percent/],
      ['/api/policies?cursor=!!', 400, 'cursor'],
      [`/api/policies?cursor=${Buffer.from('{"after":1}').toString('base64url')}`, 400, 'cursor'],
      ['/api/changes?limit=201', 400, 'limit', /≤ 200/],
      ['/api/changes?flag=scary', 400, 'flag', /one of/],
      ['/api/changes?effect=sideways', 400, 'effect', /added, removed, scope/],
      ['/api/changes?dates=maybe', 400, 'dates'],
      ['/api/changes?detail=everything', 400, 'detail'],
      ['/api/changes?action=s3', 400, 'action'],
      ['/api/changes?service=s%203', 400, 'service'],
      ['/api/changes?kind=exploded', 400, 'kind'],
      ['/api/changes?accessLevel=Admin', 400, 'accessLevel'],
      ['/api/changes?since=2024-02-30', 400, 'since'],
      ['/api/changes?since=2025-01-01&until=2024-01-01', 400, 'since'],
      ['/api/changes?policy=a%20b', 400, 'policy'],
      ['/api/policies/PwQAccess/changes?policy=x', 400, 'policy', /unknown query parameter `policy`/],
      ['/api/policies/PwQAccess/diff?from=v1', 400, 'to', /missing required query parameter `to`/],
      ['/api/policies/PwQAccess/diff?from=1&to=v2', 400, 'from', /version id/],
      ['/api/policies/PwQAccess/versions/latest', 400, 'versionId'],
      ['/api/policies/bad%20name', 400, 'name'],
      ['/api/changes/42', 400, 'id'],
      ['/api/actions/s3:*', 400, 'action'],
      ['/api/actions/iam:PassRole?limit=501', 400, 'limit'],
      ['/api/poll-runs?source=ftp', 400, 'source'],
      ['/api/doc-history?feed=0', 400, 'feed'],
      ['/api/doc-history?kind=rumour', 400, 'kind'],
      ['/feeds/changes.atom?service=s%203', 400, 'service'],
      ['/feeds/changes.rss?bogus=1', 400, 'bogus'],
    ];
    const wrong: string[] = [];
    for (const [url, status, param, rule] of table) {
      const a = await send('GET', url);
      const err = (JSON.parse(a.body) as ErrorBody).error;
      if (a.status !== status) wrong.push(`${url}: ${a.status} ${a.body}`);
      else if (!err.message.includes(`\`${param}\``)) wrong.push(`${url}: message does not name \`${param}\`: ${err.message}`);
      else if (rule && !rule.test(err.message)) wrong.push(`${url}: message does not state the rule ${rule}: ${err.message}`);
    }
    assert.deepEqual(wrong, []);
    // Bodies too.
    const body = await send('POST', '/api/feeds', '{"url":"http://127.0.0.1/x","colour":"red"}');
    assert.match((JSON.parse(body.body) as ErrorBody).error.message, /unknown body field `colour`/);
  });
});
