// Which IP addresses an outbound request may connect to. Pure: one address in, one verdict out.
// Ranges come from ipaddr.js; an IPv4-mapped, IPv4-translated, NAT64 or 6to4 IPv6 address is judged
// as the IPv4 address it carries, so `[::ffff:127.0.0.1]` is loopback and nothing else.
import ipaddr from 'ipaddr.js';

/**
 * - `public`: ordinary unicast, always allowed;
 * - `private`: loopback, RFC 1918, carrier-grade NAT, unique-local — allowed only with
 *   POLICYWATCH_ALLOW_PRIVATE_URLS=on or when an admitted range covers it;
 * - `forbidden`: never allowed (link-local and cloud metadata, unspecified, multicast, broadcast,
 *   198.18.0.0/15 and every other reserved or special-purpose range).
 */
export type AddressClass = 'public' | 'private' | 'forbidden';

export interface AddressPolicy {
  allowPrivate: boolean;
  /** Extra CIDRs treated as allowed even though private (never lifts a forbidden range). */
  admit?: readonly string[] | undefined;
}

const PRIVATE_RANGES = new Set(['loopback', 'private', 'carrierGradeNat', 'uniqueLocal']);

// Inside unique-local space but the AWS instance-metadata endpoint over IPv6: never a feed.
const ALWAYS_FORBIDDEN: ReadonlyArray<[ipaddr.IPv6, number]> = [ipaddr.IPv6.parseCIDR('fd00:ec2::254/128')];

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** The IPv4 address an IPv6 address stands for, when it is one of the embedding forms. */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = a.range();
  const p = a.parts;
  if (range === 'ipv4Mapped' || range === 'rfc6145' || (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0)) {
    return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  }
  if (range === '6to4') return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 0xff, p[2]! >> 8, p[2]! & 0xff]);
  return undefined;
}

/** Parses an address (brackets and an IPv6 zone tolerated); undefined when it is not an IP address. */
export function parseAddress(text: string): Addr | undefined {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return undefined;
  // isValid also admits legacy IPv4 spellings (0x7f.1); only canonical dotted quads and IPv6 pass.
  if (!bare.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return undefined;
  return ipaddr.parse(bare);
}

export function classifyAddress(text: string): AddressClass {
  let a = parseAddress(text);
  if (!a) return 'forbidden';
  if (a.kind() === 'ipv6') {
    const v6 = a as ipaddr.IPv6;
    if (ALWAYS_FORBIDDEN.some((r) => v6.match(r))) return 'forbidden';
    a = embeddedIPv4(v6) ?? v6;
  }
  const range = a.range();
  if (range === 'unicast') return 'public';
  return PRIVATE_RANGES.has(range) ? 'private' : 'forbidden';
}

function admitted(text: string, admit: readonly string[]): boolean {
  const a = parseAddress(text);
  if (!a) return false;
  const v = a.kind() === 'ipv6' ? (embeddedIPv4(a as ipaddr.IPv6) ?? a) : a;
  return admit.some((cidr) => {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    return net.kind() === v.kind() && v.match(net, bits);
  });
}

export function isAddressAllowed(text: string, policy: AddressPolicy): boolean {
  const c = classifyAddress(text);
  if (c === 'public') return true;
  if (c === 'forbidden') return false;
  return policy.allowPrivate || (policy.admit !== undefined && admitted(text, policy.admit));
}
