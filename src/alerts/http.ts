// AlertHttp over the shared outbound-URL guard (src/sources/outbound/, branch i8a).
// PLACEHOLDER until that guard is merged: every call is refused, nothing is sent.
import type { AlertHttp } from '../core/alerts.ts';

export function guardedAlertHttp(_o: { allowPrivate: boolean }): AlertHttp {
  const refuse = async (): Promise<never> => {
    throw Object.assign(new Error('outbound guard not available'), { reason: 'guard-unavailable' });
  };
  return { check: refuse, post: refuse };
}
