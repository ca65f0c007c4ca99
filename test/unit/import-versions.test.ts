import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ImportedVersion } from '../../src/core/history.ts';
import { ImportError, markUnreliableDates, parseIsoDateTime, sortVersions, versionNumber } from '../../src/sources/import/index.ts';

const v = (versionId: string, iso: string | undefined): ImportedVersion => ({
  versionId,
  createDate: iso === undefined ? undefined : new Date(iso),
  isDefault: false,
  document: {},
});

describe('parseIsoDateTime', () => {
  test('accepts the three formats the sources use', () => {
    assert.equal(parseIsoDateTime('2024-04-29T17:02:36+00:00')?.toISOString(), '2024-04-29T17:02:36.000Z');
    assert.equal(parseIsoDateTime('2024-07-09T08:35:50Z')?.toISOString(), '2024-07-09T08:35:50.000Z');
    assert.equal(parseIsoDateTime('2015-02-06T18:39:46.000Z')?.toISOString(), '2015-02-06T18:39:46.000Z');
  });

  test('applies non-zero offsets and keeps milliseconds', () => {
    assert.equal(parseIsoDateTime('2024-04-29T19:02:36+02:00')?.toISOString(), '2024-04-29T17:02:36.000Z');
    assert.equal(parseIsoDateTime('2024-04-29T12:02:36-05:00')?.toISOString(), '2024-04-29T17:02:36.000Z');
    assert.equal(parseIsoDateTime('2024-04-29T17:02:36.5Z')?.toISOString(), '2024-04-29T17:02:36.500Z');
    assert.equal(parseIsoDateTime('2024-04-29T17:02:36.123456Z')?.toISOString(), '2024-04-29T17:02:36.123Z');
  });

  test('rejects impossible, zone-less and non-ISO values', () => {
    for (const bad of [
      '2024-02-30T00:00:00Z', // Date.parse would roll this over to March 1st
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:60:00Z',
      '2024-01-01T00:00:00', // no zone: ambiguous
      '2024-01-01 00:00:00Z',
      '2024-01-01',
      'Mon, 29 Apr 2024 17:02:36 GMT',
      '',
      ' 2024-01-01T00:00:00Z',
    ]) {
      assert.equal(parseIsoDateTime(bad), undefined, bad);
    }
    assert.equal(parseIsoDateTime(1714410156000), undefined);
    assert.equal(parseIsoDateTime(null), undefined);
    assert.equal(parseIsoDateTime('2024-02-29T00:00:00Z')?.toISOString(), '2024-02-29T00:00:00.000Z');
  });
});

describe('versionNumber', () => {
  test('parses v<N>', () => {
    assert.equal(versionNumber('v1'), 1);
    assert.equal(versionNumber('v12'), 12);
    assert.equal(versionNumber('v151'), 151);
  });

  test('throws a typed error otherwise', () => {
    for (const bad of ['', 'v', 'v0', 'v01', 'V3', '3', 'v3 ', 'v-1', 'v1.0', 'v9999999999']) {
      assert.throws(() => versionNumber(bad), (err: unknown) => err instanceof ImportError && err.code === 'invalid-version-id' && err.message.includes(JSON.stringify(bad)), bad);
    }
  });

  test('sortVersions orders numerically, not lexically', () => {
    assert.deepEqual(sortVersions([v('v10', undefined), v('v2', undefined), v('v1', undefined)]).map((x) => x.versionId), ['v1', 'v2', 'v10']);
  });
});

describe('markUnreliableDates', () => {
  test('flags copies of v1 (equal) and dates going backwards, in version-number order', () => {
    const versions = [
      v('v1', '2015-02-06T18:39:47Z'),
      v('v2', '2016-12-06T18:11:16Z'),
      v('v3', '2015-02-06T18:39:47Z'), // copy of v1
      v('v4', '2016-01-01T00:00:00Z'), // earlier than v2
      v('v5', '2017-01-01T00:00:00Z'),
    ];
    assert.deepEqual(markUnreliableDates(versions), [false, false, true, true, false]);
  });

  test('a date equal to the previous one is flagged (v2 copying v1 directly)', () => {
    assert.deepEqual(markUnreliableDates([v('v1', '2023-11-28T16:00:24Z'), v('v2', '2023-11-28T16:00:24Z'), v('v3', '2024-01-01T00:00:00Z')]), [false, true, false]);
  });

  test('compares against the latest earlier date, not just the neighbour', () => {
    assert.deepEqual(
      markUnreliableDates([v('v1', '2020-01-01T00:00:00Z'), v('v2', '2022-01-01T00:00:00Z'), v('v3', '2021-01-01T00:00:00Z'), v('v4', '2021-06-01T00:00:00Z')]),
      [false, false, true, true],
    );
  });

  test('result is aligned with the input and ordering uses version numbers', () => {
    // v10 after v9 numerically; lexical order would put v10 first and flag v9 instead.
    assert.deepEqual(markUnreliableDates([v('v10', '2021-01-01T00:00:00Z'), v('v9', '2020-01-01T00:00:00Z')]), [false, false]);
    assert.deepEqual(markUnreliableDates([v('v10', '2019-01-01T00:00:00Z'), v('v9', '2020-01-01T00:00:00Z')]), [true, false]);
  });

  test('undefined dates are neither flagged nor compared', () => {
    assert.deepEqual(markUnreliableDates([v('v1', '2020-01-01T00:00:00Z'), v('v2', undefined), v('v3', '2020-06-01T00:00:00Z')]), [false, false, false]);
    assert.deepEqual(markUnreliableDates([]), []);
  });
});
