// The undici dispatcher every outbound request goes through. Its connector refuses a disallowed
// address literal before dialling, resolves names with the guarded lookup, and checks the peer
// address of the connected socket once more before a byte is sent.
import { Agent, buildConnector } from 'undici';
import { isAddressAllowed, parseAddress, type AddressPolicy } from './address-policy.ts';
import { OutboundError } from './errors.ts';
import { guardedLookup, type Resolver } from './resolve.ts';

export interface DispatcherOptions {
  policy: AddressPolicy;
  resolver: Resolver;
  connectTimeoutMs: number;
  /** Longest wait for the response headers, then for each chunk of the body. */
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export function createGuardedDispatcher(o: DispatcherOptions): Agent {
  const base = buildConnector({ timeout: o.connectTimeoutMs, lookup: guardedLookup(o.policy, o.resolver) });
  const connect: buildConnector.connector = (opts, callback) => {
    // Node does not call `lookup` for an address literal, so a literal is judged here.
    if (parseAddress(opts.hostname) && !isAddressAllowed(opts.hostname, o.policy)) {
      callback(new OutboundError('blocked-address'), null);
      return;
    }
    base(opts, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new OutboundError('connect-failed'), null);
        return;
      }
      const peer = socket.remoteAddress;
      if (peer === undefined || !isAddressAllowed(peer, o.policy)) {
        socket.destroy();
        callback(new OutboundError('blocked-address'), null);
        return;
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect, headersTimeout: o.headersTimeoutMs, bodyTimeout: o.bodyTimeoutMs });
}
