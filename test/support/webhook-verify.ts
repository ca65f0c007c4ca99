// Checks a Standard Webhooks signature twice: with the reference library and with a plain
// HMAC-SHA256 written from the specification, so a bug shared by signer and library would show.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export function independentHmacValid(secret: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const h = (k: string) => String(headers[k] ?? '');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${h('webhook-id')}.${h('webhook-timestamp')}.${body}`).digest();
  // The header may carry several space-separated signatures; any v1 match is valid.
  return h('webhook-signature').split(' ').some((sig) => {
    const [version, b64] = sig.split(',');
    if (version !== 'v1' || !b64) return false;
    const got = Buffer.from(b64, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

export function libraryValid(secret: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  try {
    new Webhook(secret).verify(body, {
      'webhook-id': String(headers['webhook-id']), 'webhook-timestamp': String(headers['webhook-timestamp']), 'webhook-signature': String(headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
}
