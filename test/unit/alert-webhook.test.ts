// Standard Webhooks signing: verified by the reference library and by an independent HMAC;
// a tampered body, id or timestamp fails both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, signedHeaders } from '../../src/alerts/webhook.ts';
import { independentHmacValid, libraryValid } from '../support/webhook-verify.ts';

test('a signed body verifies with standardwebhooks and with an independent HMAC', () => {
  const secret = newSigningSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const body = JSON.stringify({ type: 'policywatch.change', event: { id: 'evt_1', policy: { name: 'AmazonQFullAccess' } } });
  const h = signedHeaders(secret, 'msg_abc', body, new Date());
  assert.equal(h['webhook-id'], 'msg_abc');
  assert.match(h['webhook-timestamp'] ?? '', /^\d{10}$/);
  assert.match(h['webhook-signature'] ?? '', /^v1,[A-Za-z0-9+/]+=*$/);
  assert.ok(libraryValid(secret, h, body));
  assert.ok(independentHmacValid(secret, h, body));
});

test('tampering with the body, the id or the timestamp, or another secret, fails both checks', () => {
  const secret = newSigningSecret();
  const body = '{"a":1}';
  const h = signedHeaders(secret, 'msg_abc', body, new Date());
  for (const [what, hh, b, s] of [
    ['body', h, '{"a":2}', secret],
    ['id', { ...h, 'webhook-id': 'msg_abd' }, body, secret],
    ['timestamp', { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) }, body, secret],
    ['secret', h, body, newSigningSecret()],
  ] as const) {
    assert.equal(libraryValid(s, hh, b), false, `library, tampered ${what}`);
    assert.equal(independentHmacValid(s, hh, b), false, `HMAC, tampered ${what}`);
  }
});

test('a retry is signed afresh under the same webhook-id', () => {
  const secret = newSigningSecret();
  const a = signedHeaders(secret, 'msg_x', '{}', new Date('2026-11-30T00:00:00Z'));
  const b = signedHeaders(secret, 'msg_x', '{}', new Date('2026-11-30T00:05:00Z'));
  assert.equal(a['webhook-id'], b['webhook-id']);
  assert.notEqual(a['webhook-signature'], b['webhook-signature']);
  assert.ok(independentHmacValid(secret, b, '{}'));
});

test("the signature is byte for byte the reference library's, for any body, id and time", () => {
  const bodies = ['', '{}', JSON.stringify({ text: 'Zugriff geändert — 変更 🚨', n: 1 }), 'x'.repeat(70_000)];
  for (let i = 0; i < 20; i++) {
    const secret = newSigningSecret();
    const body = bodies[i % bodies.length] as string;
    const id = `msg_${i}${'z'.repeat(i)}`;
    const at = new Date(1_700_000_000_000 + i * 987_654_321);
    const h = signedHeaders(secret, id, body, at);
    assert.equal(h['webhook-signature'], new Webhook(secret).sign(id, at, body), `case ${i}`);
  }
});
