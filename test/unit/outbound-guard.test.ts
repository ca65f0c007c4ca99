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
  // A name that resolves to 127.0.0.1, as /etc/hosts would make it.
  const resolver: Resolver = async (h) => {
    if (h === 'intranet.example' || h === 'feed.example') return [{ address: '127.0.0.1', family: 4 }];
    if (h === 'metadata.example') return [{ address: '169.254.169.254', family: 4 }];
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
      if (req.url?.startsWith('/hop/')) {
        const n = Number(req.url.slice(5));
        return n === 0 ? redirect('/ok') : redirect(`/hop/${n - 1}`);
      }
      res.end('ok');
    });
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

  test('at most three redirects are followed, each one re-checked', async () => {
    const open = client({ allowPrivate: true });
    assert.equal(await (await open.fetch(`http://127.0.0.1:${port}/hop/2`)).text(), 'ok', 'three hops');
    assert.equal(await reason(open.fetch(`http://127.0.0.1:${port}/hop/3`)), 'too-many-redirects');
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
