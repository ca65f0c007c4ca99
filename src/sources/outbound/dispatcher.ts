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

export function createGuardedDispatcher(o: DispatcherOptions): Agent {
  const base = buildConnector({ timeout: o.connectTimeoutMs, lookup: guardedLookup(o.policy, o.resolver) });
  const plain = o.httpPrivateOnly ? buildConnector({ timeout: o.connectTimeoutMs, lookup: guardedLookup(o.policy, o.resolver, { privateOnly: true }) }) : base;
  const connect: buildConnector.connector = (opts, callback) => {
    const privateOnly = o.httpPrivateOnly === true && opts.protocol === 'http:';
    // Node does not call `lookup` for an address literal, so a literal is judged here.
    if (parseAddress(opts.hostname)) {
      if (!isAddressAllowed(opts.hostname, o.policy)) {
        callback(new OutboundError('blocked-address'), null);
        return;
      }
      if (privateOnly && classifyAddress(opts.hostname) === 'public') {
        callback(new OutboundError('blocked-scheme', PLAIN_HTTP_PUBLIC), null);
        return;
      }
    }
    (privateOnly ? plain : base)(opts, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new OutboundError('connect-failed'), null);
        return;
      }
      const peer = socket.remoteAddress;
      const refused = peer === undefined || !isAddressAllowed(peer, o.policy) ? 'blocked-address' : privateOnly && classifyAddress(peer) === 'public' ? 'blocked-scheme' : null;
      if (refused) {
        socket.destroy();
        callback(new OutboundError(refused, refused === 'blocked-scheme' ? PLAIN_HTTP_PUBLIC : undefined), null);
        return;
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect, headersTimeout: o.headersTimeoutMs, bodyTimeout: o.bodyTimeoutMs });
}
