// Generic webhooks, signed per the Standard Webhooks specification with its reference library:
// webhook-id (the delivery id: the receiver's idempotency key, the same on every retry),
// webhook-timestamp (seconds), webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret: "whsec_" + base64 of 32 random bytes (the format the library reads). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Headers for one attempt; `at` is the attempt's time (a retry is signed afresh, same id). */
export function signedHeaders(secret: string, deliveryId: string, body: string, at: Date): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': deliveryId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': new Webhook(secret).sign(deliveryId, new Date(timestamp * 1000), body),
  };
}
