// Identifier shapes shared by the routes.
/** IAM policy names: 1–128 of [A-Za-z0-9+=,.@_-]. */
export const policyNameParam = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\w+=,.@-]+$' } as const;
export const VERSION_ID = /^v[1-9][0-9]{0,8}$/;
export const EVENT_ID = /^evt_[0-9a-f]{32}$/;
