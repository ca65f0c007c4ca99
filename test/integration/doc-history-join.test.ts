// The join's rules, on the pure function (no database): window edges, which event kinds an entry
// explains, unreliable dates, coverage for `undocumented`, and the disagreement flags.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeJoins } from '../../src/services/doc-history-service.ts';
import type { JoinEntry, JoinEvent, JoinFeed } from '../../src/core/doc-history.ts';

const D = (s: string) => new Date(s);
const entry = (id: string, date: string | null, policies: string[], o: Partial<JoinEntry> = {}): JoinEntry => ({
  id, feedId: 1, publishedAt: date ? D(date) : null, kind: 'updated_policy', statedDirection: 'added', policies, ...o,
});
const event = (id: string, policyName: string, at: string, o: Partial<JoinEvent> = {}): JoinEvent => ({
  id, policyName, kind: 'permissions_changed', occurredAt: D(at), occurredAtUnreliable: false, broadened: true, narrowed: false, services: ['q'], ...o,
});
const feed = (services: string[], coversFrom: string | null = '2020-01-01T00:00:00Z', enabled = true): JoinFeed => ({ id: 1, enabled, services, coversFrom: coversFrom ? D(coversFrom) : null });
const NOW = { windowDays: 3, now: D('2026-01-01T00:00:00Z') };
const links = (r: ReturnType<typeof computeJoins>) => r.links.map((l) => `${l.entryId}-${l.eventId}`).sort();

describe('computeJoins', () => {
  test('links within ±window days of the entry date, inclusive; not outside; not other policies', () => {
    const r = computeJoins({
      entries: [entry('a', '2024-11-13T19:00:00Z', ['P'])],
      events: [
        event('in-before', 'P', '2024-11-10T19:00:00Z'), event('in-after', 'P', '2024-11-16T19:00:00Z'),
        event('out', 'P', '2024-11-16T19:00:01Z'), event('other', 'Q', '2024-11-13T19:00:00Z'),
      ],
      feeds: [],
    }, NOW);
    assert.deepEqual(links(r), ['a-in-after', 'a-in-before']);
    assert.equal(computeJoins({ entries: [entry('a', '2024-11-13T19:00:00Z', ['P'])], events: [event('e', 'P', '2024-11-15T00:00:00Z')], feeds: [] }, { ...NOW, windowDays: 1 }).links.length, 0);
  });

  test('metadata_only never links; deprecated only to deprecation entries; unreliable dates and undated entries never', () => {
    const r = computeJoins({
      entries: [entry('upd', '2024-05-01T19:00:00Z', ['P']), entry('dep', '2024-05-01T19:00:00Z', ['P'], { kind: 'deprecated_policy' }), entry('undated', null, ['P'])],
      events: [
        event('meta', 'P', '2024-05-01T10:00:00Z', { kind: 'metadata_only' }),
        event('gone', 'P', '2024-05-02T10:00:00Z', { kind: 'deprecated' }),
        event('bad-date', 'P', '2024-05-01T12:00:00Z', { occurredAtUnreliable: true }),
        event('cosmetic', 'P', '2024-05-01T11:00:00Z', { kind: 'cosmetic' }),
      ],
      feeds: [],
    }, NOW);
    assert.deepEqual(links(r), ['dep-cosmetic', 'dep-gone', 'upd-cosmetic']);
  });

  test('undocumented: permissions_changed, unlinked, window closed, covered by an enabled feed whose history reaches back', () => {
    const events = [
      event('q', 'P', '2025-05-02T18:00:00Z'),
      event('created', 'P', '2025-05-02T18:00:00Z', { kind: 'created' }),
      event('recent', 'P', '2025-12-30T00:00:00Z'),
      event('kms', 'S', '2025-05-02T18:00:00Z', { services: ['kms', 'sso-directory'] }),
      event('passrole', 'R', '2025-05-02T18:00:00Z', { services: ['iam', 'sagemaker'] }),
      event('iam-only', 'I', '2025-05-02T18:00:00Z', { services: ['iam'] }),
      event('unreliable', 'P', '2025-05-02T18:00:00Z', { occurredAtUnreliable: true }),
      event('mid', 'P', '2022-06-01T00:00:00Z'),
      event('old', 'P', '2019-01-01T00:00:00Z'),
    ];
    const flagged = (feeds: JoinFeed[]) => [...computeJoins({ entries: [], events, feeds }, NOW).eventFlags].filter(([, f]) => f.includes('undocumented')).map(([id]) => id).sort();
    assert.deepEqual(flagged([feed(['q'])]), ['mid', 'q'], '2019 is before the feed\'s first entry (2020)');
    assert.deepEqual(flagged([feed(['q'], '2023-11-28T19:00:00Z')]), ['q'], 'before the feed\'s first entry nothing is vouched for');
    assert.deepEqual(flagged([feed(['q'], null)]), [], 'a feed with no entries covers nothing');
    assert.deepEqual(flagged([feed(['q'], '2020-01-01T00:00:00Z', false)]), [], 'disabled feeds do not count');
    assert.deepEqual(flagged([feed(['eks'])]), []);
    assert.deepEqual(flagged([feed(['iam', 'sts'])]), ['iam-only'], 'iam in another service\'s change is plumbing');
    assert.deepEqual(flagged([feed(['sagemaker'])]), ['passrole']);
    assert.deepEqual(flagged([feed(['*'])]), ['iam-only', 'kms', 'mid', 'passrole', 'q']);
    // A linked event is documented.
    const r = computeJoins({ entries: [entry('a', '2025-05-02T19:00:00Z', ['P'])], events, feeds: [feed(['q'])] }, NOW);
    assert.ok(!r.eventFlags.get('q')?.includes('undocumented'));
  });

  test('disagreement flags on the event and the entry; documented-not-observed on unmatched policy entries', () => {
    const r = computeJoins({
      entries: [
        entry('says-added', '2024-07-09T19:00:00Z', ['P']),
        entry('says-removed', '2024-09-01T19:00:00Z', ['P'], { statedDirection: 'removed' }),
        entry('mixed', '2024-10-01T19:00:00Z', ['P'], { statedDirection: 'mixed' }),
        entry('nothing-there', '2025-01-15T19:00:00Z', ['P']),
        entry('not-a-policy-update', '2025-01-15T19:00:00Z', ['P'], { kind: 'other' }),
        entry('too-recent', '2025-12-30T19:00:00Z', ['P']),
        entry('no-policies', '2025-01-15T19:00:00Z', []),
      ],
      events: [
        event('narrowed', 'P', '2024-07-09T08:35:50Z', { broadened: true, narrowed: true }),
        event('broadened', 'P', '2024-09-02T08:00:00Z', { broadened: true, narrowed: false }),
        event('both', 'P', '2024-10-01T08:00:00Z', { broadened: true, narrowed: true }),
      ],
      feeds: [],
    }, NOW);
    assert.deepEqual(r.eventFlags.get('narrowed'), ['doc-says-added-but-narrowed']);
    assert.deepEqual(r.eventFlags.get('broadened'), ['doc-says-removed-but-broadened']);
    assert.equal(r.eventFlags.get('both'), undefined, '"mixed" wording agrees with a mixed diff');
    assert.deepEqual(r.entryFlags.get('says-added'), ['doc-says-added-but-narrowed']);
    assert.deepEqual(r.entryFlags.get('says-removed'), ['doc-says-removed-but-broadened']);
    assert.deepEqual(r.entryFlags.get('nothing-there'), ['documented-not-observed']);
    for (const id of ['mixed', 'not-a-policy-update', 'too-recent', 'no-policies']) assert.equal(r.entryFlags.get(id), undefined, id);
  });
});
