// Subscription filters: names and globs, services, access levels and flags narrow; kinds default
// to created/permissions_changed/deprecated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilters, normaliseFilters } from '../../src/alerts/filters.ts';
import type { EventRecord } from '../../src/core/events.ts';

const ev = (over: Partial<EventRecord>): EventRecord => ({
  id: 'evt', policyId: 1, kind: 'permissions_changed', fromVersionId: 'v4', toVersionId: 'v5', fromVersionNumber: 4, toVersionNumber: 5,
  occurredAt: new Date(), occurredAtUnreliable: false, occurredAfter: null, occurredBefore: null, source: 'iam', broadened: true, narrowed: false, catalogVersion: null, diffJson: '{}',
  flags: ['privilege-escalation'], fingerprint: 'f',
  actionGroups: [
    { change: 'added', service: 'iam', accessLevel: 'Write', flags: ['privilege-escalation'], actionKeys: ['iam:passrole'] },
    { change: 'added', service: 'q', accessLevel: 'Tagging', flags: [], actionKeys: ['q:tagresource'] },
  ],
  ...over,
});

test('kinds default to created, permissions_changed and deprecated', () => {
  const f = normaliseFilters({});
  assert.deepEqual(f.kinds, ['created', 'permissions_changed', 'deprecated']);
  const match = compileFilters(f);
  assert.ok(match(ev({}), 'AmazonQFullAccess'));
  assert.ok(!match(ev({ kind: 'metadata_only' }), 'AmazonQFullAccess'));
  assert.ok(!match(ev({ kind: 'cosmetic' }), 'AmazonQFullAccess'));
  assert.ok(compileFilters(normaliseFilters({ kinds: ['metadata_only'] }))(ev({ kind: 'metadata_only' }), 'X'));
});

test('policies: exact names and globs', () => {
  const match = compileFilters(normaliseFilters({ policies: ['AmazonQ*', 'ReadOnlyAccess', 'AWS?ambda'] }));
  assert.ok(match(ev({}), 'AmazonQFullAccess'));
  assert.ok(match(ev({}), 'ReadOnlyAccess'));
  assert.ok(match(ev({}), 'AWSLambda'));
  assert.ok(!match(ev({}), 'ReadOnlyAccessX'));
  assert.ok(!match(ev({}), 'XAmazonQ'));
  // Glob metacharacters of regular expressions are literal.
  assert.ok(!compileFilters(normaliseFilters({ policies: ['A.B'] }))(ev({}), 'AxB'));
});

test('services and access levels hold for the same changed actions; flags narrow', () => {
  const m = (f: Parameters<typeof normaliseFilters>[0]) => compileFilters(normaliseFilters(f))(ev({}), 'P');
  assert.ok(m({ services: ['IAM'] }));
  assert.ok(m({ services: ['iam'], accessLevels: ['Write'] }));
  assert.ok(!m({ services: ['iam'], accessLevels: ['Tagging'] }), 'iam changed only Write actions');
  assert.ok(m({ accessLevels: ['Tagging'] }));
  assert.ok(!m({ services: ['s3'] }));
  assert.ok(m({ flags: ['privilege-escalation'] }));
  assert.ok(!compileFilters(normaliseFilters({ flags: ['privilege-escalation'] }))(ev({ flags: [] }), 'P'));
});
