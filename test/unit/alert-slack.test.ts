// Slack Block Kit rendering: the message stays inside Slack's limits however large the change
// (a ReadOnlyAccess-sized one: every Read and List action of the IAM catalog), and still says
// how much it left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnownBlock } from '@slack/types';
import { SLACK_LIMITS, digestMessage, eventMessage, listText } from '../../src/alerts/slack.ts';
import type { AlertEvent } from '../../src/alerts/types.ts';
import { loadCatalog } from '../../src/sources/catalog.ts';

type Entry = AlertEvent['effective']['added'][number];

function event(added: Entry[], extra: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: 'evt_0123456789abcdef0123456789abcdef', policy: { name: 'ReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    kind: 'permissions_changed', fromVersionId: 'v120', toVersionId: 'v121', occurredAt: new Date('2024-11-13T21:51:39Z'), occurredAtUnreliable: false,
    detectedAt: new Date('2024-11-13T22:00:00Z'), source: 'iam', broadened: true, narrowed: false, flags: ['privilege-escalation'], catalogVersion: 'test',
    effective: { added, removed: [], scopeChanged: [] }, deny: { added: [], removed: [], scopeChanged: [] }, literal: { added: [], removed: [] },
    docHistory: [], ...extra,
  } as AlertEvent;
}

/** Every text of a block list, with the limit that applies to it. */
function texts(blocks: KnownBlock[]): { text: string; max: number }[] {
  const out: { text: string; max: number }[] = [];
  for (const b of blocks) {
    if (b.type === 'header') out.push({ text: b.text.text, max: SLACK_LIMITS.header });
    if (b.type === 'section' && b.text) out.push({ text: b.text.text, max: SLACK_LIMITS.text });
    if (b.type === 'context') for (const e of b.elements) if ('text' in e) out.push({ text: e.text, max: SLACK_LIMITS.text });
  }
  return out;
}

function assertWithinLimits(blocks: KnownBlock[]) {
  assert.ok(blocks.length <= SLACK_LIMITS.blocks, `${blocks.length} blocks`);
  for (const t of texts(blocks)) {
    assert.ok(t.text.length >= 1, 'no empty text');
    assert.ok(Array.from(t.text).length <= t.max, `text of ${t.text.length} characters (max ${t.max})`);
  }
}

test('a ReadOnlyAccess-sized change stays inside every Slack limit and ends its lists in "+N more"', async () => {
  const catalog = await loadCatalog();
  const added: Entry[] = [];
  catalog.names.forEach((name, id) => {
    const level = catalog.accessLevel(id);
    if (level === 'Read' || level === 'List') added.push({ action: name, service: catalog.service(id), accessLevel: level, flags: [], via: ['*'], grants: [] } as unknown as Entry);
  });
  assert.ok(added.length > 5000, `catalog gives ${added.length} read/list actions`);
  const m = eventMessage(event(added, { policy: { name: `ReadOnlyAccess${'X'.repeat(200)}`, arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }));
  assertWithinLimits(m.blocks);
  const all = texts(m.blocks).map((t) => t.text).join('\n');
  assert.match(all, /\*Added \(\d+\)\*/);
  assert.match(all, /_Read_ \(\d+\): `[^`]+`.* \+\d+ more/);
  assert.match(all, /_List_ \(\d+\): .* \+\d+ more/);
  const header = m.blocks[0];
  assert.equal(header?.type, 'header');
  assert.ok(header?.type === 'header' && header.text.text.endsWith('…'));
});

test('many sections (every access level of six change kinds, plus a long reason) still fit in 50 blocks', () => {
  // Six change kinds × eight levels (two beyond the catalog's) = 54 lists: more than 50 blocks.
  const levels = ['Permissions management', 'Write', 'Tagging', 'Read', 'List', 'unknown', 'Other', 'More'] as const;
  const entries = (prefix: string) => levels.flatMap((l) => Array.from({ length: 30 }, (_, i) => ({ action: `${prefix}${l.replace(/ /g, '')}:A${i}`, service: prefix, accessLevel: l, flags: i === 0 ? ['privilege-escalation'] : [], via: [], grants: [] }))) as unknown as Entry[];
  const e = event(entries('svc'), {
    effective: { added: entries('a'), removed: entries('r'), scopeChanged: entries('s') as never },
    deny: { added: entries('da'), removed: entries('dr'), scopeChanged: entries('ds') as never },
    docHistory: Array.from({ length: 9 }, (_, i) => ({ id: String(i), feed: { id: 1, url: 'https://docs.aws.amazon.com/x.rss', title: 'AWS' }, title: `Entry ${i} <b>&`, description: 'd'.repeat(5000), link: `https://docs.aws.amazon.com/${i}`, publishedAt: new Date(), kind: 'updated_policy', statedDirection: 'added' })) as never,
  });
  const m = eventMessage(e, { publicUrl: 'https://policywatch.example' });
  assertWithinLimits(m.blocks);
  const all = texts(m.blocks).map((t) => t.text).join('\n');
  assert.match(all, /more sections not shown/);
  // At most five links, AWS's reason escaped for mrkdwn.
  const linkCount = (all.match(/<https:\/\/[^|>]+\|/g) ?? []).length;
  assert.equal(linkCount, SLACK_LIMITS.links);
  assert.match(all, /Entry 0 &lt;b&gt;&amp;/);
  // A flagged action comes first in its level and is marked.
  assert.match(all, /_Permissions management_ \(30\): `aPermissionsmanagement:A0`:rotating_light:/);
});

test('entries cut before rendering are still counted', () => {
  const e = event([{ action: 'q:A', service: 'q', accessLevel: 'Write', flags: [], via: [], grants: [] } as unknown as Entry], { truncated: { 'effective.added': 250 } });
  const all = texts(eventMessage(e).blocks).map((t) => t.text).join('\n');
  assert.match(all, /\*Added \(250\)\*/);
  assert.match(all, /\+249 more not listed/);
});

test('listText never exceeds 3,000 characters and counts what it leaves out', () => {
  const names = Array.from({ length: 2000 }, (_, i) => `\`service:SomeLongActionName${i}\``);
  const t = listText('_Read_', names);
  assert.ok(t.length <= SLACK_LIMITS.text);
  const shown = (t.match(/`service:/g) ?? []).length;
  assert.ok(t.endsWith(` +${2000 - shown} more`));
  assert.equal(listText('x', ['`a`', '`b`']), 'x (2): `a`, `b`');
});

test('a digest is one message with one line per event, capped at 50 blocks', () => {
  const events = Array.from({ length: 120 }, (_, i) => event([], { id: `evt_${i}`, policy: { name: `P${i}`, arn: 'arn' } }));
  const m = digestMessage(events, { mode: 'hourly', start: new Date('2026-11-30T10:00:00Z') });
  assertWithinLimits(m.blocks);
  assert.equal(m.blocks.length, SLACK_LIMITS.blocks);
  assert.match(texts(m.blocks).at(-1)?.text ?? '', /^\+72 more changes in this period$/);
  assert.match(m.text, /hourly digest: 120 changes \(2026-11-30T10:00 UTC\)/);
});
