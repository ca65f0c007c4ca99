// The outbound-URL guard against real sockets: every address form from issue 8's SSRF report is
// refused without POLICYWATCH_ALLOW_PRIVATE_URLS, at connect time (after resolution), and each
// redirect hop is judged again.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyAddress, createOutboundClient, OutboundError, type OutboundClient, type Resolver } from '../../src/sources/outbound/index.ts';

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OutboundError, `expected OutboundError, got ${String(err)}`);
    return err.reason;
  }
  return 'fetched';
}

describe('address classes', () => {
  test('public, private and forbidden addresses; IPv4 inside IPv6 counts as its IPv4', () => {
    const cases: Record<string, string> = {
      '8.8.8.8': 'public', '2606:4700::1': 'public', '52.94.0.1': 'public',
      '127.0.0.1': 'private', '::1': 'private', '10.1.2.3': 'private', '172.16.0.1': 'private', '192.168.1.1': 'private',
      '100.64.0.1': 'private', 'fd12::1': 'private', '::ffff:127.0.0.1': 'private', '::ffff:10.0.0.1': 'private',
      '64:ff9b::7f00:1': 'private', '2002:7f00:1::': 'private',
      '169.254.169.254': 'forbidden', '::ffff:169.254.169.254': 'forbidden', 'fe80::1': 'forbidden', 'fd00:ec2::254': 'forbidden',
      '0.0.0.0': 'forbidden', '::': 'forbidden', '224.0.0.1': 'forbidden', 'ff02::1': 'forbidden', '255.255.255.255': 'forbidden',
      '198.18.0.1': 'forbidden', '198.19.255.255': 'forbidden', '192.0.2.1': 'forbidden', '240.0.0.1': 'forbidden',
      '::ffff:198.18.0.1': 'forbidden', 'not an address': 'forbidden',
    };
    for (const [addr, cls] of Object.entries(cases)) assert.equal(classifyAddress(addr), cls, addr);
  });
});

describe('outbound client against a local server', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  let connections = 0;
  // A name that resolves to 127.0.0.1, as /etc/hosts would make it.
  const resolver: Resolver = async (h) => {
    if (h === 'intranet.example' || h === 'feed.example') return [{ address: '127.0.0.1', family: 4 }];
    if (h === 'metadata.example') return [{ address: '169.254.169.254', family: 4 }];
    if (h === 'public.example') return [{ address: '93.184.216.34', family: 4 }];
    if (h === 'mixed.example') return [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
  };
  const clients: OutboundClient[] = [];
  const client = (o: Parameters<typeof createOutboundClient>[0]) => {
    const c = createOutboundClient({ resolver, connectTimeoutMs: 2000, ...o });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const redirect = (to: string) => {
        res.writeHead(302, { location: to });
        res.end();
      };
      if (req.url === '/to-loopback') return redirect(`http://127.0.0.1:${port}/ok`);
      if (req.url === '/to-other-loopback') return redirect(`http://127.0.0.2:${port}/ok`);
      if (req.url === '/to-metadata') return redirect('http://[::ffff:169.254.169.254]/latest/meta-data/');
      if (req.url === '/to-file') return redirect('file:///etc/passwd');
      if (req.url === '/to-public') return redirect('http://public.example/hook');
      if (req.url === '/again') {
        res.writeHead(307, { location: '/echo' });
        res.end();
        return;
      }
      if (req.url === '/echo') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          res.writeHead(202, { 'x-echo': `${req.method} ${body}`, 'retry-after': '7' });
          res.end('x'.repeat(10_000));
        });
        return;
      }
      if (req.url === '/big') {
        res.writeHead(200);
        res.end('x'.repeat(1_000_000));
        return;
      }
      if (req.url?.startsWith('/hop/')) {
        const n = Number(req.url.slice(5));
        return n === 0 ? redirect('/ok') : redirect(`/hop/${n - 1}`);
      }
      res.end('ok');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    server.closeAllConnections();
    server.close();
  });

  test('every address form from the SSRF report is refused without the setting, before any request', async () => {
    const strict = client({ allowPrivate: false });
    const before = hits.length;
    for (const url of [
      `http://[::ffff:127.0.0.1]:${port}/`, 'http://[::ffff:169.254.169.254]/', `http://localhost.:${port}/`, `http://localhost:${port}/`,
      `http://ip6-localhost:${port}/`, `http://intranet.example:${port}/`, 'http://198.18.0.1/', 'http://224.0.0.1/',
      `http://127.0.0.1:${port}/`, 'http://169.254.169.254/', 'http://[fd00:ec2::254]/', 'http://0.0.0.0/', `http://0x7f.1:${port}/`,
      `http://[::1]:${port}/`, 'http://metadata.example/',
    ]) {
      assert.equal(await reason(strict.fetch(url, { signal: AbortSignal.timeout(5000) })), 'blocked-address', `fetch ${url}`);
      assert.equal(await reason(strict.checkUrl(url)), 'blocked-address', `checkUrl ${url}`);
    }
    assert.equal(hits.length, before, 'nothing reached the server');
  });

  test('with the setting, loopback is reached; link-local, multicast and 198.18/15 stay refused', async () => {
    const open = client({ allowPrivate: true });
    const res = await open.fetch(`http://localhost:${port}/ok`);
    assert.equal(await res.text(), 'ok');
    assert.equal((await open.checkUrl(`http://intranet.example:${port}/`)).hostname, 'intranet.example');
    for (const url of ['http://[::ffff:169.254.169.254]/', 'http://198.18.0.1/', 'http://224.0.0.1/', 'http://[fd00:ec2::254]/', 'http://metadata.example/']) {
      assert.equal(await reason(open.fetch(url)), 'blocked-address', url);
    }
  });

  test('a redirect from an admitted host to a refused address is refused', async () => {
    const admitted = client({ allowPrivate: false, admit: ['127.0.0.1/32'] });
    assert.equal(await (await admitted.fetch(`http://feed.example:${port}/ok`)).text(), 'ok');
    const before = hits.length;
    assert.equal(await reason(admitted.fetch(`http://feed.example:${port}/to-other-loopback`)), 'blocked-address');
    assert.equal(await reason(admitted.fetch(`http://feed.example:${port}/to-metadata`)), 'blocked-address');
    assert.equal(await reason(admitted.fetch(`http://feed.example:${port}/to-file`)), 'blocked-scheme');
    assert.deepEqual(hits.slice(before), ['/to-other-loopback', '/to-metadata', '/to-file'], 'no hop after the first was requested');
    // The admitted range never lifts an always-forbidden one.
    assert.equal(await reason(client({ allowPrivate: false, admit: ['169.254.0.0/16'] }).fetch('http://169.254.169.254/')), 'blocked-address');
  });

  test('a redirect to loopback is refused without the setting, even from an allowed first hop', async () => {
    const open = client({ allowPrivate: false, admit: ['127.0.0.1/32'] });
    // 127.0.0.1 is admitted; the redirect target 127.0.0.2 is plain loopback.
    assert.equal(await reason(open.fetch(`http://127.0.0.1:${port}/to-other-loopback`)), 'blocked-address');
  });

  test('the address is judged at connect time: a name that re-resolves inside after the check is refused', async () => {
    let lookups = 0;
    // DNS rebinding: public for the create-time check, loopback by the time of the fetch.
    const rebinding: Resolver = async () => (lookups++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const strict = client({ allowPrivate: false, resolver: rebinding });
    assert.equal((await strict.checkUrl(`http://rebind.example:${port}/ok`)).hostname, 'rebind.example');
    const before = hits.length;
    assert.equal(await reason(strict.fetch(`http://rebind.example:${port}/ok`)), 'blocked-address');
    assert.ok(lookups >= 2, 'the fetch resolved the name again');
    assert.equal(hits.length, before, 'nothing reached the server');
  });

  test('at most three redirects are followed, each one re-checked', async () => {
    const open = client({ allowPrivate: true });
    assert.equal(await (await open.fetch(`http://127.0.0.1:${port}/hop/2`)).text(), 'ok', 'three hops');
    assert.equal(await reason(open.fetch(`http://127.0.0.1:${port}/hop/3`)), 'too-many-redirects');
  });

  test('send: the last hop\'s status and headers, a 307 sends the body again, the body is discarded and the connection reused', async () => {
    const open = client({ allowPrivate: true });
    const a = await open.send(`http://127.0.0.1:${port}/again`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(a.status, 202);
    assert.equal(a.headers['x-echo'], 'POST hello');
    assert.equal(a.headers['retry-after'], '7');
    const b = await open.send(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'again' });
    assert.equal(b.headers['x-echo'], 'POST again');
    // Kept alive (undici's pool opens a second connection early on, then reuses both).
    const connected = connections;
    for (let i = 0; i < 4; i++) assert.equal((await open.send(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: String(i) })).status, 202);
    assert.equal(connections, connected, 'no new connection');
    // A large answer is cut off (its connection closed), not read to the end.
    assert.equal((await open.send(`http://127.0.0.1:${port}/big`)).status, 200);
    // Refused like fetch: every hop judged, at most three, stable reasons.
    const admitted = client({ allowPrivate: false, admit: ['127.0.0.1/32'] });
    assert.equal(await reason(admitted.send(`http://127.0.0.1:${port}/to-metadata`, { method: 'POST', body: '{}' })), 'blocked-address');
    assert.equal(await reason(admitted.send(`http://127.0.0.1:${port}/to-other-loopback`, { method: 'POST', body: '{}' })), 'blocked-address');
    assert.equal(await reason(open.send(`http://127.0.0.1:${port}/hop/3`)), 'too-many-redirects');
    assert.equal(await reason(client({ allowPrivate: false }).send(`http://127.0.0.1:${port}/echo`)), 'blocked-address');
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    try {
      assert.equal(await reason(open.send(`http://127.0.0.1:${(hang.address() as AddressInfo).port}/`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) })), 'timeout');
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  });

  test('httpPrivateOnly: plain http reaches private targets only, judged when each connection opens, redirect hops included', async () => {
    const alerts = client({ allowPrivate: true, httpPrivateOnly: true });
    assert.equal((await alerts.send(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'private' })).headers['x-echo'], 'POST private');
    const before = hits.length;
    // A public literal is refused before dialling, a public name at its lookup (nothing is sent).
    assert.equal(await reason(alerts.send('http://93.184.216.34/hook', { method: 'POST', body: '{}' })), 'blocked-scheme');
    assert.equal(await reason(alerts.send('http://public.example/hook', { method: 'POST', body: '{}' })), 'blocked-scheme');
    assert.equal(await reason(alerts.fetch('http://public.example/hook')), 'blocked-scheme');
    assert.equal(await reason(alerts.send(`http://127.0.0.1:${port}/to-public`, { method: 'POST', body: '{}' })), 'blocked-scheme');
    assert.deepEqual(hits.slice(before), ['/to-public']);
    // A name with public and private addresses: only the private ones are dialled over http.
    assert.equal((await alerts.send(`http://mixed.example:${port}/echo`, { method: 'POST', body: 'mixed' })).headers['x-echo'], 'POST mixed');
    // Still the guard underneath: the forbidden stays forbidden.
    assert.equal(await reason(alerts.send('http://169.254.169.254/', { method: 'POST', body: '{}' })), 'blocked-address');
  });

  test('failures are short stable reasons without socket text', async () => {
    const open = client({ allowPrivate: true });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port: dead } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await open.fetch(`http://127.0.0.1:${dead}/`).catch((e: unknown) => e as OutboundError);
    assert.ok(err instanceof OutboundError);
    assert.equal(err.reason, 'connect-failed');
    assert.doesNotMatch(err.message, /ECONNREFUSED|127\.0\.0\.1|\d{4,5}/);
    assert.equal(await reason(open.fetch('http://nowhere.example/')), 'dns-failed');
    const slowDns = client({ allowPrivate: true, connectTimeoutMs: 200, resolver: () => new Promise(() => {}) });
    assert.equal(await reason(slowDns.checkUrl('http://slow.example/')), 'timeout', 'a resolver that never answers is bounded');
    assert.equal(await reason(open.fetch('gopher://example.com/')), 'blocked-scheme');
    assert.equal(await reason(open.fetch('http://u:p@example.com/')), 'invalid-url');
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`;
      assert.equal(await reason(open.fetch(url, { signal: AbortSignal.timeout(200) })), 'timeout');
      assert.equal(await reason(client({ allowPrivate: true, headersTimeoutMs: 200 }).fetch(url)), 'timeout');
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  });
});
