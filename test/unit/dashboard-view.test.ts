// The dashboard's pure view helpers: the diff grouped for the page, the badges, the chart layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badges, diffView } from '../../src/dashboard/diff-view.ts';
import { chartView } from '../../src/dashboard/chart.ts';
import { StatsService } from '../../src/services/stats-service.ts';
import type { StatsStore, WeeklyCount } from '../../src/core/stats.ts';
import type { PollRunStore } from '../../src/core/stores.ts';

type Grant = { resources?: string[]; notResources?: string[]; conditions?: Record<string, Record<string, string[]>> };
const entry = (action: string, accessLevel: string, o: { flags?: string[]; grants?: Grant[] } = {}) => ({
  action, service: action.split(':')[0] as string, accessLevel, flags: o.flags ?? [], via: [action], grants: o.grants ?? [{ resources: ['*'] }],
});
const empty = { added: [], removed: [], scopeChanged: [] };

test('diffView groups by service, then access level from List to Permissions management; deny apart', () => {
  const v = diffView({
    effective: {
      added: [entry('s3:PutObject', 'Write'), entry('s3:ListBucket', 'List'), entry('iam:PassRole', 'Write', { flags: ['privilege-escalation'], grants: [{ resources: ['arn:aws:iam::*:role/*'] }] })],
      removed: [entry('s3:GetObject', 'Read')],
      scopeChanged: [{ ...entry('s3:DeleteObject', 'Write'), before: [{ resources: ['*'] }], after: [{ resources: ['arn:aws:s3:::b/*'] }], direction: 'narrowed' }],
    },
    deny: { ...empty, added: [entry('ec2:RunInstances', 'Write')] },
    literal: { added: [], removed: [] },
  });
  assert.deepEqual(v.allow.groups.map((g) => `${g.service}/${g.accessLevel}`), ['iam/Write', 's3/List', 's3/Read', 's3/Write']);
  assert.deepEqual([v.allow.added, v.allow.removed, v.allow.rescoped], [3, 1, 1]);
  const iam = v.allow.groups[0];
  assert.deepEqual(iam?.added[0]?.grants, ['Resource arn:aws:iam::*:role/*'], 'a non-trivial grant is spelled out');
  assert.deepEqual(v.allow.groups[1]?.added[0]?.grants, [], '"Resource *" alone says nothing worth a line');
  const s3w = v.allow.groups[3];
  assert.deepEqual(s3w?.rescoped[0], { action: 's3:DeleteObject', flags: [], direction: 'narrowed', before: ['Resource *'], after: ['Resource arn:aws:s3:::b/*'] });
  assert.deepEqual(v.deny.groups.map((g) => g.service), ['ec2']);
});

test('badges: direction, privilege escalation, first seen (action or service), undocumented', () => {
  assert.deepEqual(badges({ kind: 'permissions_changed', broadened: true, narrowed: true, flags: ['first-seen-service', 'privilege-escalation', 'undocumented'] }).map((b) => b.id),
    ['broadened', 'narrowed', 'privilege-escalation', 'first-seen', 'undocumented']);
  assert.deepEqual(badges({ kind: 'metadata_only', broadened: false, narrowed: false, flags: [] }), []);
});

test('weekly series fill empty weeks and keep the last N; the chart stacks them to scale', async () => {
  const W = (d: string, kind: WeeklyCount['kind'], count: number): WeeklyCount => ({ week: new Date(`${d}T00:00:00Z`), kind, count });
  const rows = [W('2024-01-01', 'created', 9), W('2024-01-15', 'created', 2), W('2024-01-15', 'permissions_changed', 2), W('2024-01-29', 'deprecated', 1)];
  const stats = new StatsService({ stats: { weeklyChanges: async () => rows } as unknown as StatsStore, runs: {} as PollRunStore });
  const s = await stats.weekly({}, 4);
  assert.deepEqual(s.weeks.map((w) => w.toISOString().slice(0, 10)), ['2024-01-08', '2024-01-15', '2024-01-22', '2024-01-29']);
  assert.deepEqual(s.counts, { created: [0, 2, 0, 0], permissions_changed: [0, 2, 0, 0], deprecated: [0, 0, 0, 1] });
  const c = chartView(s, { width: 400, height: 128 });
  assert.equal(c.max, 4);
  assert.deepEqual(c.kinds, ['created', 'permissions_changed', 'deprecated']);
  const week2 = c.bars.filter((b) => b.week === '2024-01-15');
  assert.deepEqual(week2.map((b) => [b.kind, b.height]), [['created', 50], ['permissions_changed', 50]], 'the tallest week fills the plot (100 px)');
  assert.equal(week2[1]?.y, 8, 'stacked: the second kind sits on the first');
  assert.deepEqual(c.rows.map((r) => r.total), [0, 4, 0, 1]);
  assert.deepEqual(chartView({ weeks: [], counts: {} }).bars, [], 'no changes, no bars');
});
