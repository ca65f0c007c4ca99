// Unreliable dates as intervals (event-service's unreliableIntervals) and date-source strength.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { unreliableIntervals } from '../../src/services/event-service.ts';
import { DATE_SOURCES, dateStrength, effectiveDateSource } from '../../src/core/date-sources.ts';
import type { VersionDoc } from '../../src/core/events.ts';

const D = (s: string) => new Date(s);
const v = (n: number, created: string | null, unreliable: boolean, observed = '2026-01-01T00:00:00Z'): VersionDoc => ({
  versionId: `v${n}`, versionNumber: n, documentJson: '{}', documentHash: '', awsCreatedAt: created ? D(created) : null,
  createDateUnreliable: unreliable, observedAt: D(observed), source: 'import:x',
});

test('a run of unreliable versions lies between its reliably dated neighbours, spread in version order', () => {
  const out = unreliableIntervals([
    v(1, '2023-01-01T00:00:00Z', false), v(2, '2023-01-01T00:00:00Z', true), v(3, '2023-01-01T00:00:00Z', true), v(4, '2023-01-04T00:00:00Z', false),
  ]);
  assert.equal(out[0], undefined);
  assert.equal(out[3], undefined);
  const [a, b] = [out[1], out[2]];
  assert.deepEqual([a?.after, a?.before, b?.after, b?.before], [D('2023-01-01T00:00:00Z').getTime(), D('2023-01-04T00:00:00Z').getTime(), D('2023-01-01T00:00:00Z').getTime(), D('2023-01-04T00:00:00Z').getTime()]);
  assert.deepEqual([a?.position, b?.position], [D('2023-01-02T00:00:00Z').getTime(), D('2023-01-03T00:00:00Z').getTime()]);
});

test('without a later reliable version the bound is when the version was first stored; without an earlier one there is none', () => {
  const [first, , last] = unreliableIntervals([v(1, null, false, '2025-01-01T00:00:00Z'), v(2, '2024-06-01T00:00:00Z', false), v(3, '2024-06-01T00:00:00Z', true, '2025-02-01T00:00:00Z')]);
  assert.deepEqual(first && { after: first.after, before: first.before }, { after: undefined, before: D('2024-06-01T00:00:00Z').getTime() });
  assert.ok((first?.position ?? Infinity) < D('2024-06-01T00:00:00Z').getTime());
  assert.deepEqual(last && { after: last.after, before: last.before }, { after: D('2024-06-01T00:00:00Z').getTime(), before: D('2025-02-01T00:00:00Z').getTime() });
});

test('property: positions stay inside their intervals and keep version order between reliable neighbours', () => {
  const arb = fc.array(fc.record({ t: fc.integer({ min: 0, max: 1e6 }), reliable: fc.boolean(), observed: fc.integer({ min: 0, max: 2e6 }) }), { minLength: 1, maxLength: 12 });
  fc.assert(fc.property(arb, (rows) => {
    // Reliable dates increase with the version number, as IAM's do.
    let t = 0;
    const versions = rows.map((r, i) => {
      t += r.t;
      return { ...v(i + 1, null, !r.reliable), awsCreatedAt: new Date(t), observedAt: new Date(t + r.observed + 1) };
    });
    const out = unreliableIntervals(versions);
    const pos = versions.map((x, i) => out[i]?.position ?? (x.awsCreatedAt as Date).getTime());
    for (let i = 0; i < versions.length; i++) {
      const iv = out[i];
      assert.equal(iv === undefined, !versions[i]?.createDateUnreliable);
      if (!iv) continue;
      if (iv.after !== undefined && iv.before >= iv.after) assert.ok(pos[i]! >= iv.after && pos[i]! <= iv.before);
    }
    for (let i = 1; i < pos.length; i++) if (pos[i]! < pos[i - 1]!) return (versions[i - 1]?.observedAt.getTime() ?? 0) > (versions[i]?.observedAt.getTime() ?? 0) || out[i]?.after === undefined;
    return true;
  }));
});

test('a date source is only as strong as the date: missing is none, flagged is copied', () => {
  assert.deepEqual(DATE_SOURCES.map(dateStrength), [0, 1, 2, 3, 4]);
  assert.ok(dateStrength('iam') > dateStrength('iamtrail') && dateStrength('iamtrail') > dateStrength('dataset') && dateStrength('dataset') > dateStrength('copied'));
  assert.equal(effectiveDateSource('iamtrail', undefined, false), 'none');
  assert.equal(effectiveDateSource('dataset', new Date(0), true), 'copied');
  assert.equal(effectiveDateSource('iam', new Date(0), false), 'iam');
});
