// Name resolution under the address policy: every address a host name stands for is judged, and
// only the allowed ones are ever handed to a socket. Used by the dispatcher at connect time (so
// the address checked is the address connected to: no window for DNS rebinding) and by checkUrl.
import { promises as dns } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, isAddressAllowed, parseAddress, type AddressPolicy } from './address-policy.ts';
import { OutboundError, toOutboundError } from './errors.ts';

/** Host name → addresses. The system resolver by default; tests map names without /etc/hosts. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, order: 'verbatim' });

// RFC 6761: localhost and *.localhost are loopback whatever DNS says, and Debian's hosts file
// adds ip6-localhost / ip6-loopback. Judged as loopback here so that `localhost.` (trailing dot,
// which some resolvers send to DNS) is refused the same way as `localhost`.
const LOOPBACK: LookupAddress[] = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.+$/, '');
  return n === 'localhost' || n.endsWith('.localhost') || n === 'ip6-localhost' || n === 'ip6-loopback';
}

/** Why a plain-http connection to a public address is refused where only private ones may be plain. */
export const PLAIN_HTTP_PUBLIC = 'a public target must use https';

/** The allowed addresses of a host (name or literal); throws blocked-address when there are none. */
export async function resolveAllowed(host: string, policy: AddressPolicy, resolver: Resolver): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = parseAddress(bare);
  let addresses: LookupAddress[];
  if (literal) {
    addresses = [{ address: bare, family: literal.kind() === 'ipv4' ? 4 : 6 }];
  } else if (isLoopbackName(bare)) {
    addresses = LOOPBACK;
  } else {
    try {
      addresses = await resolver(bare);
    } catch (err) {
      throw toOutboundError(err);
    }
    if (addresses.length === 0) throw new OutboundError('dns-failed');
  }
  const allowed = addresses.filter((a) => isAddressAllowed(a.address, policy));
  if (allowed.length === 0) throw new OutboundError('blocked-address');
  return allowed;
}

/**
 * A net/tls `lookup` that only ever yields allowed addresses (both the `all` and single forms).
 * `privateOnly`: public addresses are refused too (blocked-scheme), for plain-http connections of
 * a client whose public targets must use https.
 */
export function guardedLookup(policy: AddressPolicy, resolver: Resolver, o: { privateOnly?: boolean } = {}): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, policy, resolver).then(
      (allowed) => {
        const addresses = o.privateOnly ? allowed.filter((a) => classifyAddress(a.address) !== 'public') : allowed;
        if (addresses.length === 0) {
          callback(new OutboundError('blocked-scheme', PLAIN_HTTP_PUBLIC), '', 0);
          return;
        }
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (!first) {
          callback(new OutboundError('dns-failed'), '', 0);
        } else if (options.all) {
          (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: Error) => callback(err, '', 0),
    );
  };
}
