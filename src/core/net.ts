// Whether a URL's host is, literally, an address that only makes sense inside our own network
// (loopback, private, link-local — the cloud metadata endpoint among them). Used to refuse such
// feed URLs from the API, where they would turn the poller into a probe of internal services.
import { isIP } from 'node:net';

function v4Private(ip: string): boolean {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

export function isInternalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.internal') || h.endsWith('.local')) return true;
  const kind = isIP(h);
  if (kind === 4) return v4Private(h);
  if (kind === 6) {
    if (h === '::1' || h === '::') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return v4Private(mapped[1] as string);
    return /^f[cd]/.test(h) || /^fe[89ab]/.test(h);
  }
  return false;
}
