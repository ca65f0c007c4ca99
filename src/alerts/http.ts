// AlertHttp over the shared outbound-URL guard (src/sources/outbound/): every create-time check
// and every send goes through it, so addresses are checked after DNS resolution, at connect
// time, on every redirect hop. On top of the guard, one rule of its own: plain http only for a
// private target the setting admits (a receiver on the local network, a test receiver); a public
// target must be https, so alert contents and signatures never cross the internet in clear.
import type { AlertHttp } from '../core/alerts.ts';
import { OutboundError, type OutboundClient } from '../sources/outbound/index.ts';

/**
 * `guard` is the alerts' outbound client, built with `httpPrivateOnly` (its connector refuses a
 * plain-http connection to a public address); `publicOnly` the same guard with no private targets
 * admitted, used only at creation to tell whether an http URL's host is public (it never fetches).
 */
export function guardedAlertHttp(guard: OutboundClient, publicOnly: OutboundClient): AlertHttp {
  const check = async (url: string) => {
    const u = await guard.checkUrl(url);
    if (u.protocol === 'https:') return;
    // Admitted by the guard; if the public-only guard admits it too, the host is public.
    const isPublic = await publicOnly.checkUrl(u).then(() => true, (err: unknown) => {
      if (err instanceof OutboundError && err.reason === 'blocked-address') return false;
      throw err;
    });
    if (isPublic) throw new OutboundError('blocked-scheme', 'public alert targets must use https');
  };
  return {
    check,
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
