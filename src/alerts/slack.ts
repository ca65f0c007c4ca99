// Slack Block Kit messages for change events: a header with the policy and versions, the
// added/removed/rescoped actions grouped by access level with flags marked, AWS's stated reason,
// and at most five links. Pure. Slack's limits are kept here, not hoped for: 50 blocks, 3,000
// characters per text, 150 per header; long lists end in "+N more".
import type { ContextBlock, DividerBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { AlertEvent } from './types.ts';

export const SLACK_LIMITS = { blocks: 50, text: 3000, header: 150, links: 5 } as const;

export interface SlackMessage {
  /** Notification fallback (also what screen readers and old clients show). */
  text: string;
  blocks: KnownBlock[];
}

export interface SlackOptions {
  /** Base of links to this service (POLICYWATCH_PUBLIC_URL); no self links without it. */
  publicUrl?: string | undefined;
}

/** Slack mrkdwn treats &, < and > as control characters. */
const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Cuts to `max` characters (an ellipsis included), on a code point boundary. */
function clip(s: string, max: number): string {
  const cps = Array.from(s);
  return cps.length <= max ? s : `${cps.slice(0, max - 1).join('')}…`;
}

const header = (text: string): HeaderBlock => ({ type: 'header', text: { type: 'plain_text', text: clip(text, SLACK_LIMITS.header), emoji: false } });
const section = (text: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.text) } });
const context = (text: string): ContextBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.text) }] });
const divider: DividerBlock = { type: 'divider' };

const FLAG_MARK: Record<string, string> = { 'privilege-escalation': ':rotating_light:', 'permissions-management': ':warning:' };
const markFlags = (flags: readonly string[]) => flags.map((f) => FLAG_MARK[f] ?? '').filter(Boolean).join('');

/**
 * "*Label* (n): `a`, `b`, … +N more" in one text of at most 3,000 characters: names are added
 * while they fit, the rest counted. `total` counts entries the caller already cut.
 */
export function listText(label: string, names: readonly string[], total = names.length): string {
  const head = `${label} (${total}): `;
  const parts: string[] = [];
  let length = head.length;
  for (const [i, n] of names.entries()) {
    const piece = (parts.length ? ', ' : '') + n;
    const rest = total - i - 1;
    // Room for this name and, if more follow, the "+N more" tail.
    const tail = rest > 0 ? ` +${rest} more`.length : 0;
    if (length + piece.length + tail > SLACK_LIMITS.text - 1) break;
    parts.push(n);
    length += piece.length;
  }
  const more = total - parts.length;
  return `${head}${parts.join(', ')}${more > 0 ? ` +${more} more` : ''}`;
}

type Change = { action: string; accessLevel: string; flags: readonly string[] };
const LEVEL_ORDER = ['Permissions management', 'Write', 'Tagging', 'Read', 'List', 'unknown'];

/** One text per access level: the level's actions, flagged ones first and marked. */
function byAccessLevel(label: string, entries: readonly Change[], count: number): string[] {
  if (count === 0) return [];
  const levels = new Map<string, Change[]>();
  for (const e of entries) {
    const list = levels.get(e.accessLevel);
    if (list) list.push(e);
    else levels.set(e.accessLevel, [e]);
  }
  const rank = (l: string) => (LEVEL_ORDER.includes(l) ? LEVEL_ORDER.indexOf(l) : LEVEL_ORDER.length);
  const ordered = [...levels.keys()].sort((a, b) => rank(a) - rank(b));
  const out = [`*${label} (${count})*`];
  for (const level of ordered) {
    const es = [...(levels.get(level) ?? [])].sort((a, b) => b.flags.length - a.flags.length || a.action.localeCompare(b.action, 'en'));
    const names = es.map((e) => `\`${escapeMrkdwn(e.action)}\`${markFlags(e.flags)}`);
    out.push(listText(`_${level}_`, names));
  }
  // Entries cut before rendering (the stored diff was unpacked with a cap) still count.
  if (count > entries.length) out.push(`+${count - entries.length} more not listed`);
  return out;
}

const versions = (e: AlertEvent) => e.kind === 'deprecated'
  ? `deprecated (last version ${e.fromVersionId ?? 'unknown'})`
  : e.fromVersionId ? `${e.fromVersionId} → ${e.toVersionId ?? ''}` : `${e.toVersionId ?? ''} (new policy)`;

const countOf = (e: AlertEvent, name: string, shown: number) => e.truncated?.[name] ?? shown;

function summaryLine(e: AlertEvent): string {
  // An event whose date is not known has no instant to show (occurredAt null, see occurredWithin).
  const day = e.occurredAt ? new Date(e.occurredAt).toISOString().slice(0, 10) : 'date not known';
  const parts = [`*${e.kind.replace('_', ' ')}*`, day + (e.occurredAt && e.occurredAtUnreliable ? ' (date unreliable)' : '')];
  if (e.broadened) parts.push('broadened');
  if (e.narrowed) parts.push('narrowed');
  if (e.flags.length > 0) parts.push(`flags: ${e.flags.map((f) => `${FLAG_MARK[f] ?? ''}${f}`).join(', ')}`);
  return parts.join(' · ');
}

/** Up to five links: AWS's documentation entries, the AWS console, this service's event page. */
function links(e: AlertEvent, o: SlackOptions): string[] {
  const out: string[] = [];
  for (const d of e.docHistory) if (d.link) out.push(`<${d.link}|${escapeMrkdwn(clip(d.title, 80))}>`);
  out.push(`<https://console.aws.amazon.com/iam/home#/policies/details/${encodeURIComponent(e.policy.arn)}|AWS console>`);
  if (o.publicUrl) out.push(`<${o.publicUrl.replace(/\/$/, '')}/changes/${e.id}|Open in policywatch>`);
  return out.slice(0, SLACK_LIMITS.links);
}

/** Caps a block list at Slack's 50, the last block saying how much was left out. */
function capBlocks(blocks: KnownBlock[], omitted: (n: number) => string): KnownBlock[] {
  if (blocks.length <= SLACK_LIMITS.blocks) return blocks;
  const kept = blocks.slice(0, SLACK_LIMITS.blocks - 1);
  return [...kept, context(omitted(blocks.length - kept.length))];
}

/** The message for one event. */
export function eventMessage(e: AlertEvent, o: SlackOptions = {}): SlackMessage {
  const title = `${e.policy.name} ${versions(e)}`;
  const body: KnownBlock[] = [header(title), section(summaryLine(e))];
  const texts = [
    ...byAccessLevel('Added', e.effective.added, countOf(e, 'effective.added', e.effective.added.length)),
    ...byAccessLevel('Removed', e.effective.removed, countOf(e, 'effective.removed', e.effective.removed.length)),
    ...byAccessLevel('Scope changed', e.effective.scopeChanged, countOf(e, 'effective.scopeChanged', e.effective.scopeChanged.length)),
    ...byAccessLevel('Deny added', e.deny.added, countOf(e, 'deny.added', e.deny.added.length)),
    ...byAccessLevel('Deny removed', e.deny.removed, countOf(e, 'deny.removed', e.deny.removed.length)),
    ...byAccessLevel('Deny scope changed', e.deny.scopeChanged, countOf(e, 'deny.scopeChanged', e.deny.scopeChanged.length)),
  ];
  const tail: KnownBlock[] = [divider];
  const reason = e.docHistory[0];
  tail.push(section(reason
    ? `*AWS's stated reason* (${reason.publishedAt ? new Date(reason.publishedAt).toISOString().slice(0, 10) : 'undated'}): ${escapeMrkdwn(reason.title)}${reason.description ? ` — ${escapeMrkdwn(reason.description)}` : ''}`
    : "*AWS's stated reason:* no documentation-history entry linked yet."));
  tail.push(context(links(e, o).join(' · ')));
  // The change lists get whatever room the header, summary and tail leave.
  const room = SLACK_LIMITS.blocks - body.length - tail.length;
  const listBlocks = texts.map(section);
  const shown = listBlocks.length <= room ? listBlocks : [...listBlocks.slice(0, room - 1), context(`+${listBlocks.length - room + 1} more sections not shown; see the event in policywatch.`)];
  return { text: clip(`${title}: ${e.kind.replace('_', ' ')}`, SLACK_LIMITS.text), blocks: [...body, ...shown, ...tail] };
}

/** A digest: one message for a period's events, one line each. */
export function digestMessage(events: readonly AlertEvent[], period: { mode: string; start: Date }): SlackMessage {
  const when = period.mode === 'daily' ? period.start.toISOString().slice(0, 10) : `${period.start.toISOString().slice(0, 13)}:00 UTC`;
  const title = `policywatch ${period.mode} digest: ${events.length} change${events.length === 1 ? '' : 's'} (${when})`;
  const lines = events.map((e) => {
    const added = countOf(e, 'effective.added', e.effective.added.length);
    const removed = countOf(e, 'effective.removed', e.effective.removed.length);
    const delta = e.kind === 'permissions_changed' ? ` +${added} −${removed}` : '';
    return section(`*${escapeMrkdwn(e.policy.name)}* ${versions(e)} · ${e.kind.replace('_', ' ')}${delta}${e.flags.length ? ` · ${e.flags.map((f) => `${FLAG_MARK[f] ?? ''}${f}`).join(', ')}` : ''}`);
  });
  return { text: clip(title, SLACK_LIMITS.text), blocks: capBlocks([header(title), ...lines], (n) => `+${n} more changes in this period`) };
}

/** What POST /api/subscriptions/:id/test sends. */
export function testMessage(name: string): SlackMessage {
  const text = `policywatch test message for "${name}": alerts will arrive here.`;
  return { text: clip(text, SLACK_LIMITS.text), blocks: [header('policywatch test message'), section(escapeMrkdwn(text))] };
}
