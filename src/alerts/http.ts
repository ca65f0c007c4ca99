// AlertHttp over the shared outbound-URL guard (src/sources/outbound/): every create-time check
// and every send goes through it, so addresses are checked after DNS resolution, at connect
// time, on every redirect hop. On top of the guard, one rule of its own: plain http only for a
// private target the setting admits (a receiver on the local network, a test receiver); a public
// target must be https, so alert contents and signatures never cross the internet in clear.
import type { AlertHttp } from '../core/alerts.ts';
import { OutboundError, type OutboundClient } from '../sources/outbound/index.ts';

/**
 * `guard` is the service's outbound client; `publicOnly` the same guard with no private targets
 * admitted, used only to tell whether an http URL's host is public (it never fetches).
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
      // The guard judges every address at connect time anyway; the pre-check adds the https
      // rule, which only an http URL can break (its host may have turned public since creation).
      if (!url.startsWith('https:')) await check(url);
      const res = await guard.fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs) });
      // The body is not needed (and could be anything): release the connection.
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, retryAfter: res.headers.get('retry-after') };
    },
  };
}
