// Generic webhooks, signed per the Standard Webhooks specification: webhook-id (the delivery id:
// the receiver's idempotency key, the same on every retry), webhook-timestamp (seconds),
// webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>" keyed with the base64 part of
// the "whsec_" secret. Signed with node:crypto rather than the reference library's `sign`: the
// library hashes in plain JavaScript (fast-sha256) and decodes the secret on every call, a tenth
// of the dispatcher's CPU per delivery (bench/README.md). The library stays the judge: the tests
// verify every signature with it and compare the two signers byte for byte.
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: "whsec_" + base64 of 32 random bytes (the format the library reads). */
export function newSigningSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The signature header for one attempt, as the reference library's `Webhook.sign` makes it. */
function sign(secret: string, deliveryId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new Error("the signing secret can't be empty");
  return `v1,${createHmac('sha256', key).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')}`;
}

/** Headers for one attempt; `at` is the attempt's time (a retry is signed afresh, same id). */
export function signedHeaders(secret: string, deliveryId: string, body: string, at: Date): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': deliveryId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, deliveryId, timestamp, body),
  };
}
