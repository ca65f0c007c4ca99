// The settings of authentication, limits and links: bad values are refused naming the variable,
// and the link base never depends on a request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/env.ts';
import { publicBaseUrl } from '../../src/config/public-url.ts';

test('defaults: reads open, 600 requests a minute, 100 feeds, no bootstrap key, no public URL', () => {
  const c = loadConfig({});
  assert.deepEqual(
    { adminApiKey: c.adminApiKey, requireApiKey: c.requireApiKey, rateLimitMax: c.rateLimitMax, rateLimitWindowSeconds: c.rateLimitWindowSeconds, maxFeeds: c.maxFeeds, publicUrl: c.publicUrl },
    { adminApiKey: undefined, requireApiKey: false, rateLimitMax: 600, rateLimitWindowSeconds: 60, maxFeeds: 100, publicUrl: undefined },
  );
});

test('bad values name the variable', () => {
  for (const [env, value, reason] of [
    ['POLICYWATCH_ADMIN_API_KEY', 'short', /32 to 512 printable characters/],
    ['POLICYWATCH_ADMIN_API_KEY', `${'a'.repeat(20)} ${'b'.repeat(20)}`, /without spaces/],
    ['POLICYWATCH_REQUIRE_API_KEY', 'yes please', /"on" or "off"/],
    ['POLICYWATCH_RATE_LIMIT_MAX', '0', /between 1 and/],
    ['POLICYWATCH_RATE_LIMIT_WINDOW', '1.5', /whole number/],
    ['POLICYWATCH_MAX_FEEDS', '-3', /whole number/],
    ['POLICYWATCH_PUBLIC_URL', 'watch.example.com', /not a valid URL/],
    ['POLICYWATCH_PUBLIC_URL', 'ftp://watch.example.com', /http: or https:/],
    ['POLICYWATCH_PUBLIC_URL', 'https://watch.example.com/?x=1', /without query/],
    ['POLICYWATCH_PUBLIC_URL', 'https://u:p@watch.example.com', /credentials/],
  ] as const) {
    assert.throws(() => loadConfig({ [env]: value }), (e: unknown) => e instanceof ConfigError && e.variable === env && reason.test(e.message), `${env}=${value}`);
  }
});

test('a public URL is kept without its trailing slash; keys are kept as given', () => {
  const key = 'k'.repeat(40);
  const c = loadConfig({ POLICYWATCH_PUBLIC_URL: ' https://watch.example.com/policywatch/ ', POLICYWATCH_ADMIN_API_KEY: ` ${key} `, POLICYWATCH_REQUIRE_API_KEY: 'on' });
  assert.equal(c.publicUrl, 'https://watch.example.com/policywatch');
  assert.equal(c.adminApiKey, key);
  assert.equal(c.requireApiKey, true);
});

test('publicBaseUrl: the configured URL, else the bound address (wildcards as localhost, IPv6 bracketed)', () => {
  const base = { publicUrl: undefined, host: '127.0.0.1', port: 3000 };
  assert.equal(publicBaseUrl({ ...base, publicUrl: 'https://watch.example.com' }, { address: '10.1.2.3', port: 9 }), 'https://watch.example.com');
  assert.equal(publicBaseUrl(base), 'http://127.0.0.1:3000');
  assert.equal(publicBaseUrl(base, { address: '127.0.0.1', port: 41234 }), 'http://127.0.0.1:41234');
  assert.equal(publicBaseUrl({ ...base, host: '0.0.0.0' }), 'http://localhost:3000');
  assert.equal(publicBaseUrl(base, { address: '::', port: 8080 }), 'http://localhost:8080');
  assert.equal(publicBaseUrl(base, { address: '::1', port: 8080 }), 'http://[::1]:8080');
});
