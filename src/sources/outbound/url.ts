// The URL checks that need no network: absolute, http or https, no embedded credentials.
import { OutboundError } from './errors.ts';

export function parseOutboundUrl(raw: string | URL): URL {
  let u: URL;
  try {
    u = raw instanceof URL ? new URL(raw.href) : new URL(raw);
  } catch {
    throw new OutboundError('invalid-url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OutboundError('blocked-scheme');
  // Credentials in a URL end up in logs and stored lists; refuse rather than leak them.
  if (u.username !== '' || u.password !== '') throw new OutboundError('invalid-url', 'URLs with embedded credentials are not fetched');
  return u;
}
