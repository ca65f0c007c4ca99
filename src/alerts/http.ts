// AlertHttp over the shared outbound-URL guard (src/sources/outbound/): every create-time check
// and every send goes through it, so addresses are checked after DNS resolution, at connect
// time, on every redirect hop. The guard is built with `httpPrivateOnly`: plain http only for a
// private target the setting admits (a receiver on the local network, a test receiver); a public
// target must be https, so alert contents and signatures never cross the internet in clear.
import type { AlertHttp } from '../core/alerts.ts';
import type { OutboundClient } from '../sources/outbound/index.ts';

/**
 * `guard` is the alerts' outbound client, built with `httpPrivateOnly`: its create-time check
 * refuses a plain-http URL whose host has a public address, and its connector a plain-http
 * connection to a public address.
 */
export function guardedAlertHttp(guard: OutboundClient): AlertHttp {
  return {
    check: async (url) => {
      await guard.checkUrl(url);
    },
    async post(url, init) {
      // No check of its own per send: the guard's connector judges the address connected to
      // (allowed, and private if the connection is plain http) when each connection opens, redirect
      // hops included; a kept-alive connection was judged when it opened.
      const res = await guard.send(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs) });
      const retryAfter = res.headers['retry-after'];
      return { status: res.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
    },
  };
}
