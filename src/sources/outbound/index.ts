// The outbound-URL guard: the only way policywatch makes HTTP requests to URLs it was given.
export { createOutboundClient, OUTBOUND_DEFAULTS, type OutboundAnswer, type OutboundClient, type OutboundClientOptions, type OutboundRequestInit } from './client.ts';
export { OutboundError, toOutboundError, type OutboundReason } from './errors.ts';
export { classifyAddress, isAddressAllowed, type AddressClass, type AddressPolicy } from './address-policy.ts';
export type { Resolver } from './resolve.ts';
