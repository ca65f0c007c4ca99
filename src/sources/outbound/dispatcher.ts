// The undici dispatcher every outbound request goes through. Its connector refuses a disallowed
// address literal before dialling, resolves names with the guarded lookup, and checks the peer
// address of the connected socket once more before a byte is sent. With `httpPrivateOnly`, a
// plain-http connection must also reach a private address (a public target must use https): the
// same three points judge it, so the rule holds for the address actually connected to, on every
// connection and redirect hop, and costs nothing per request on a kept-alive connection.
import { Agent, buildConnector } from 'undici';
import { classifyAddress, isAddressAllowed, parseAddress, type AddressPolicy } from './address-policy.ts';
import { OutboundError } from './errors.ts';
import { guardedLookup, PLAIN_HTTP_PUBLIC, type Resolver } from './resolve.ts';

export interface DispatcherOptions {
  policy: AddressPolicy;
  resolver: Resolver;
  connectTimeoutMs: number;
  /** Longest wait for the response headers, then for each chunk of the body. */
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Plain http only to private (or admitted) addresses; public targets must use https. */
  httpPrivateOnly?: boolean | undefined;
}

/** Why a connection to `address` is refused (null: admitted): not allowed, or public where only private ones may be plain http. */
function refusal(address: string, policy: AddressPolicy, privateOnly: boolean): OutboundError | null {
  if (!isAddressAllowed(address, policy)) return new OutboundError('blocked-address');
  if (privateOnly && classifyAddress(address) === 'public') return new OutboundError('blocked-scheme', PLAIN_HTTP_PUBLIC);
  return null;
}

export function createGuardedDispatcher(o: DispatcherOptions): Agent {
  const base = buildConnector({ timeout: o.connectTimeoutMs, lookup: guardedLookup(o.policy, o.resolver) });
  const plain = o.httpPrivateOnly ? buildConnector({ timeout: o.connectTimeoutMs, lookup: guardedLookup(o.policy, o.resolver, { privateOnly: true }) }) : base;
  const connect: buildConnector.connector = (opts, callback) => {
    const privateOnly = o.httpPrivateOnly === true && opts.protocol === 'http:';
    // Node does not call `lookup` for an address literal, so a literal is judged here.
    const literal = parseAddress(opts.hostname) ? refusal(opts.hostname, o.policy, privateOnly) : null;
    if (literal) {
      callback(literal, null);
      return;
    }
    (privateOnly ? plain : base)(opts, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new OutboundError('connect-failed'), null);
        return;
      }
      const refused = socket.remoteAddress === undefined ? new OutboundError('blocked-address') : refusal(socket.remoteAddress, o.policy, privateOnly);
      if (refused) {
        socket.destroy();
        callback(refused, null);
        return;
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect, headersTimeout: o.headersTimeoutMs, bodyTimeout: o.bodyTimeoutMs });
}
