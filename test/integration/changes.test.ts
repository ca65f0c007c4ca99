// Change events on the real AmazonQ history (imported from the corpus), through the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../support/app.ts';
import { CORPUS_DIR } from '../support/paths.ts';
import { importHistory } from '../../src/jobs/jobs.ts';
import { loadCatalog } from '../../src/sources/catalog.ts';
import type { ImportedPolicy } from '../../src/core/history.ts';
import type { ChangeDetail, ChangePage } from '../../src/http/schemas/changes.ts';

type Event = ChangeDetail;
type Page = ChangePage;
/** A page asked for with ?detail=full: every entry carries its action lists. */
type FullPage = { items: ChangeDetail[]; nextCursor: string | null };

describe('change events on the real AmazonQ history', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let app: Awaited<ReturnType<typeof build>>;
  const get = async <T>(url: string, status = 200): Promise<T> => {
    const res = await app.inject(url);
    assert.equal(res.statusCode, status, `${url}: ${res.body.slice(0, 300)}`);
    return res.json() as T;
  };
  const helpers = () => ({ services: app.services, log: app.log, signal: new AbortController().signal });
  const eventTo = async (policy: string, v: string) => {
    const page = await get<Page>(`/api/policies/${policy}/changes?kind=all&limit=200`);
    const e = page.items.find((i) => i.toVersionId === v);
    assert.ok(e, `event for ${policy} ${v}`);
    return get<Event>(`/api/changes/${e.id}`);
  };

  before(async () => {
    app = await build({ after: (fn) => cleanups.push(fn) });
    await importHistory(helpers(), CORPUS_DIR);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('every stored version has exactly one event; the first is created', async () => {
    const page = await get<Page>('/api/policies/AmazonQFullAccess/changes?kind=all&limit=200');
    assert.deepEqual(page.items.map((e) => e.toVersionId).sort(), ['v1', 'v11', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v9']);
    const created = page.items.filter((e) => e.kind === 'created');
    assert.deepEqual(created.map((e) => e.toVersionId), ['v1']);
    // newest first
    const times = page.items.map((e) => Date.parse(String(e.occurredAt)));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    assert.ok(page.items.every((e) => e.source.startsWith('import:')));
  });

  test('AmazonQFullAccess v4→v5 adds exactly the plugin/tag actions and iam:PassRole', async () => {
    const e = await eventTo('AmazonQFullAccess', 'v5');
    assert.equal(e.kind, 'permissions_changed');
    assert.equal(e.fromVersionId, 'v4');
    assert.equal(e.broadened, true);
    assert.equal(e.narrowed, false);
    assert.deepEqual(e.effective.added.map((a) => a.action).sort(), [
      'iam:PassRole', 'q:CreatePlugin', 'q:DeletePlugin', 'q:GetPlugin', 'q:ListPluginProviders', 'q:ListPlugins',
      'q:ListTagsForResource', 'q:TagResource', 'q:UntagResource', 'q:UsePlugin',
    ]);
    assert.deepEqual(e.effective.removed, []);
    const pass = e.effective.added.find((a) => a.action === 'iam:PassRole');
    assert.ok(pass?.flags.includes('privilege-escalation'));
    assert.equal(pass?.service, 'iam');
    assert.deepEqual(pass?.grants[0]?.conditions?.StringEquals?.['iam:PassedToService'], ['q.amazonaws.com']);
    assert.ok(e.flags.includes('privilege-escalation'));
    assert.match(String(e.catalogVersion), /^@cloud-copilot\/iam-data@/);
    // The on-demand diff of the same pair agrees.
    const d = await get<Event>('/api/policies/AmazonQFullAccess/diff?from=v4&to=v5');
    assert.deepEqual(d.effective.added.map((a) => a.action).sort(), e.effective.added.map((a) => a.action).sort());
  });

  test('AmazonQDeveloperAccess v2→v3 adds exactly q:UsePlugin', async () => {
    const e = await eventTo('AmazonQDeveloperAccess', 'v3');
    assert.deepEqual(e.effective.added.map((a) => a.action), ['q:UsePlugin']);
    assert.deepEqual(e.effective.removed, []);
  });

  test('version bumps v7→v9→v11 are metadata_only and absent from the default feed', async () => {
    assert.equal((await eventTo('AmazonQFullAccess', 'v9')).kind, 'metadata_only');
    assert.equal((await eventTo('AmazonQFullAccess', 'v11')).kind, 'metadata_only');
    const feed = await get<Page>('/api/changes?policy=AmazonQFullAccess&limit=200');
    const shown = feed.items.map((e) => e.toVersionId);
    assert.ok(!shown.includes('v9') && !shown.includes('v11'));
    assert.ok(feed.items.every((e) => ['created', 'permissions_changed', 'deprecated'].includes(e.kind)));
    assert.ok(shown.includes('v5'));
  });

  test('AmazonQFullAccess v2→v3 is narrowed and lists the q actions q:* granted and the list no longer does', async () => {
    const e = await eventTo('AmazonQFullAccess', 'v3');
    assert.equal(e.narrowed, true);
    const catalog = await loadCatalog();
    const v3 = await get<{ document: { Statement: { Action: string | string[] }[] } }>('/api/policies/AmazonQFullAccess/versions/v3');
    const explicit = new Set(v3.document.Statement.flatMap((s) => [s.Action].flat()).map((a) => a.toLowerCase()));
    const expected = catalog.names.filter((n) => n.toLowerCase().startsWith('q:') && !explicit.has(n.toLowerCase())).sort();
    assert.ok(expected.length > 0);
    assert.deepEqual(e.effective.removed.map((a) => a.action).sort(), expected);
    assert.ok(e.literal.removed.some((l) => l.toLowerCase().includes('q:*')));
  });

  test('filters: service, action, accessLevel, flag, kind, since/until, policy glob', async () => {
    const iam = await get<FullPage>('/api/changes?service=iam&kind=all&detail=full');
    assert.ok(iam.items.some((e) => e.policy.name === 'AmazonQFullAccess' && e.toVersionId === 'v5'));
    assert.ok(iam.items.every((e) => [...e.effective.added, ...e.effective.removed].some((a) => a.service === 'iam') || e.effective.scopeChanged.length > 0 || e.deny.added.length + e.deny.removed.length > 0));
    // q:* (v1, v2) granted q:UsePlugin by wildcard, v3's explicit list took it away, v5 gave it back.
    const use = await get<Page>('/api/changes?action=q:useplugin');
    assert.deepEqual(use.items.map((e) => `${e.policy.name}@${e.toVersionId}`).sort(), ['AmazonQDeveloperAccess@v3', 'AmazonQFullAccess@v1', 'AmazonQFullAccess@v3', 'AmazonQFullAccess@v5']);
    const pe = await get<Page>('/api/changes?flag=privilege-escalation');
    assert.ok(pe.items.length >= 1 && pe.items.every((e) => e.flags.includes('privilege-escalation')));
    const tag = await get<Page>('/api/changes?accessLevel=tagging&policy=AmazonQ*');
    assert.ok(tag.items.some((e) => e.toVersionId === 'v5'));
    const window = await get<Page>('/api/changes?since=2024-11-13&until=2024-11-14&kind=all');
    assert.deepEqual(window.items.map((e) => `${e.policy.name}@${e.toVersionId}`).sort(), ['AmazonQDeveloperAccess@v3', 'AmazonQFullAccess@v5']);
    const glob = await get<Page>('/api/changes?policy=AWSServiceRole*&kind=all');
    assert.ok(glob.items.length > 0 && glob.items.every((e) => e.policy.name.startsWith('AWSServiceRole')));
    const meta = await get<Page>('/api/changes?kind=metadata_only');
    assert.ok(meta.items.length >= 2 && meta.items.every((e) => e.kind === 'metadata_only'));
  });

  test('action rows are grouped, yet every filter stays exact for each action', async () => {
    const catalog = await loadCatalog();
    const level = catalog.accessLevel(catalog.lookup('iam:passrole'));
    const other = ['List', 'Read', 'Write', 'Tagging', 'Permissions management'].find((l) => l !== level) as string;
    const v5 = (p: Page) => p.items.some((e) => e.policy.name === 'AmazonQFullAccess' && e.toVersionId === 'v5');
    // v5 added iam:PassRole (its own access level) next to q actions of several levels.
    assert.ok(v5(await get<Page>(`/api/changes?action=iam:PassRole&accessLevel=${encodeURIComponent(level)}`)));
    assert.ok(!v5(await get<Page>(`/api/changes?action=iam:PassRole&accessLevel=${encodeURIComponent(other)}`)));
    assert.ok(v5(await get<Page>('/api/changes?action=iam:PassRole&flag=privilege-escalation')));
    assert.ok(!v5(await get<Page>('/api/changes?action=q:CreatePlugin&flag=privilege-escalation')), 'the flag belongs to iam:PassRole, not to v5 as a whole');
    assert.deepEqual((await get<Page>('/api/changes?action=q:UsePlugin&service=iam&kind=all')).items, [], 'an action and another service: nothing');
    // A wildcard grant is stored as a few groups, not one row per action.
    const rows = await app.db.sql.query<{ groups: number; keys: number }>(
      `SELECT count(*)::int AS groups, sum(cardinality(a.action_keys))::int AS keys FROM action_changes a JOIN change_events e ON e.id = a.event_id
       JOIN policies p ON p.id = e.policy_id WHERE p.name = 'AmazonQFullAccess' AND e.to_version_id = 'v1'`,
    );
    const created = await eventTo('AmazonQFullAccess', 'v1');
    assert.equal(rows[0]?.keys, created.effective.added.length + created.deny.added.length);
    assert.ok((rows[0]?.groups ?? 0) < 10 && (rows[0]?.keys ?? 0) > 50, JSON.stringify(rows));
  });

  test('first-seen grants recorded during the import equal a full recomputation', async () => {
    const snapshot = async () => (await app.services.stores.events.loadFirstSeen())
      .map((r) => `${r.actionKey} ${r.firstSeenAt.toISOString()} ${r.policyId} ${r.versionId}`).sort();
    const fromImport = await snapshot();
    assert.ok(fromImport.length > 20, String(fromImport.length));
    await app.db.sql.exec('DELETE FROM action_first_seen');
    const r = await app.services.events.policiesChanged(await app.services.stores.events.allPolicyIds());
    assert.deepEqual(await snapshot(), fromImport);
    assert.equal(r.written, 0, 'no event changes either');
  });

  test('an undated imported version is first-seen at exactly its stored observed time', async () => {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['newsvc:DoThing'], Resource: '*' }] };
    async function* one(): AsyncGenerator<ImportedPolicy> {
      yield { name: 'UndatedOne', arn: 'arn:aws:iam::aws:policy/UndatedOne', path: '/', versions: [{ versionId: 'v1', createDate: undefined, isDefault: true, document: doc }] };
    }
    await app.services.importer.import('test-undated', one());
    const [row] = await app.db.sql.query<{ same: boolean }>(
      `SELECT f.first_seen_at = v.observed_at AS same FROM action_first_seen f
       JOIN policy_versions v ON v.policy_id = f.policy_id AND v.version_id = f.version_id WHERE f.action_key = 'newsvc:dothing'`,
    );
    assert.equal(row?.same, true, 'recorded at the stored (millisecond) observed_at, not the unrounded transaction time');
    const e = await eventTo('UndatedOne', 'v1');
    const added = e.effective.added.find((a) => a.action === 'newsvc:DoThing');
    assert.ok(added?.flags.includes('first-seen-action'), JSON.stringify(added));
  });

  test('cursor paging visits every event once, newest first', async () => {
    const all = await get<Page>('/api/changes?kind=all&limit=200');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: Page = await get<Page>(`/api/changes?kind=all&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((e) => e.id));
      cursor = p.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all.items.map((e) => e.id));
  });

  test('bad input is a 4xx naming the problem', async () => {
    const bad = async (url: string, status: number, code: string) => {
      const body = await get<{ error: { code: string; message: string } }>(url, status);
      assert.equal(body.error.code, code, url);
      assert.ok(body.error.message.length > 0);
    };
    await bad('/api/policies/NoSuchPolicy/diff?from=v1&to=v2', 404, 'NOT_FOUND');
    await bad('/api/policies/AmazonQFullAccess/diff?from=v1&to=v99', 404, 'NOT_FOUND');
    await bad('/api/policies/AmazonQFullAccess/diff?from=1&to=v2', 400, 'INVALID_VERSION_ID');
    await bad('/api/policies/AmazonQFullAccess/diff?from=v1', 400, 'INVALID_REQUEST');
    await bad('/api/policies/NoSuchPolicy/changes', 404, 'NOT_FOUND');
    await bad('/api/changes?since=2024-02-30', 400, 'INVALID_DATE');
    await bad('/api/changes?since=yesterday', 400, 'INVALID_DATE');
    await bad('/api/changes?since=2025-01-01&until=2024-01-01', 400, 'INVALID_FILTER');
    await bad('/api/changes?kind=exploded', 400, 'INVALID_FILTER');
    await bad('/api/changes?accessLevel=Admin', 400, 'INVALID_FILTER');
    await bad('/api/changes?flag=scary', 400, 'INVALID_FILTER');
    await bad('/api/changes?action=s3', 400, 'INVALID_FILTER');
    await bad('/api/changes?limit=0', 400, 'INVALID_REQUEST');
    await bad('/api/changes?cursor=not-a-cursor!', 400, 'INVALID_CURSOR');
    await bad(`/api/changes?cursor=${Buffer.from('{"t":1,"id":"x; drop table"}').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad(`/api/changes?cursor=${Buffer.from('[1,2]').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad(`/api/changes?cursor=${Buffer.from('{"t":9000000000000000,"id":"evt_00000000000000000000000000000000"}').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad(`/api/changes?cursor=${Buffer.from('{"t":-1,"id":"evt_00000000000000000000000000000000"}').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad('/api/changes?since=0000-01-01', 400, 'INVALID_DATE');
    await bad(`/api/doc-history?cursor=${Buffer.from('{"t":9000000000000000,"d":1,"id":"5"}').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad(`/api/doc-history?cursor=${Buffer.from('{"t":1,"d":1,"id":"9999999999999999999"}').toString('base64url')}`, 400, 'INVALID_CURSOR');
    await bad('/api/changes/evt_00000000000000000000000000000000', 404, 'NOT_FOUND');
    await bad('/api/changes/42', 400, 'INVALID_ID');
    await bad('/api/actions/not-an-action', 400, 'INVALID_ACTION');
    await bad('/api/changes?bogus=1', 400, 'INVALID_REQUEST');
  });

  test('reverse index: who grants q:UsePlugin now, and which events added it', async () => {
    const r = await get<{ action: string; known: boolean; grantedBy: { policy: string; via: string[]; literal: boolean }[]; events: { change: string; policy: { name: string }; toVersionId: string }[] }>('/api/actions/Q:USEPLUGIN');
    assert.equal(r.action, 'q:UsePlugin');
    assert.equal(r.known, true);
    assert.deepEqual(r.grantedBy.map((g) => g.policy).sort(), ['AmazonQDeveloperAccess', 'AmazonQFullAccess']);
    assert.ok(r.grantedBy.every((g) => g.literal && g.via.includes('q:UsePlugin')));
    assert.deepEqual(r.events.map((e) => `${e.change} ${e.policy.name}@${e.toVersionId}`).sort(), [
      'added AmazonQDeveloperAccess@v3', 'added AmazonQFullAccess@v1', 'added AmazonQFullAccess@v5', 'removed AmazonQFullAccess@v3',
    ]);
    // q:* in v1/v2 granted q:SendMessage by wildcard; it was never "added" as a separate event after creation.
    const sm = await get<{ grantedBy: { policy: string }[]; events: { change: string; toVersionId: string; policy: { name: string } }[] }>('/api/actions/q:SendMessage');
    assert.ok(sm.grantedBy.some((g) => g.policy === 'AmazonQFullAccess'));
    assert.ok(sm.events.some((e) => e.change === 'added' && e.policy.name === 'AmazonQFullAccess' && e.toVersionId === 'v1'));
  });

  test('recomputing is idempotent and a late older version rewires its neighbour with a stable id', async () => {
    const before = await get<Page>('/api/changes?kind=all&limit=200');
    const again = await importHistory(helpers(), CORPUS_DIR);
    assert.equal(again.versionsAdded, 0);
    const r = await app.services.events.policiesChanged(await app.services.stores.events.allPolicyIds());
    assert.equal(r.written, 0);
    const after1 = await get<Page>('/api/changes?kind=all&limit=200');
    assert.deepEqual(after1.items.map((e) => e.id), before.items.map((e) => e.id));

    const doc = (actions: string[]) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
    const policy = (versions: ImportedPolicy['versions']): ImportedPolicy => ({ name: 'LateArrival', arn: 'arn:aws:iam::aws:policy/LateArrival', path: '/', versions });
    async function* one(p: ImportedPolicy) { yield p; }
    await app.services.importer.import('test-late', one(policy([
      { versionId: 'v1', createDate: new Date('2025-01-01T00:00:00Z'), isDefault: false, document: doc(['s3:GetObject']) },
      { versionId: 'v3', createDate: new Date('2025-03-01T00:00:00Z'), isDefault: true, document: doc(['s3:GetObject', 's3:PutObject', 's3:ListBucket']) },
    ])));
    const v3a = await eventTo('LateArrival', 'v3');
    assert.equal(v3a.fromVersionId, 'v1');
    assert.deepEqual(v3a.effective.added.map((a) => a.action).sort(), ['s3:ListBucket', 's3:PutObject']);
    await app.services.importer.import('test-late', one(policy([
      { versionId: 'v2', createDate: new Date('2025-02-01T00:00:00Z'), isDefault: false, document: doc(['s3:GetObject', 's3:PutObject']) },
    ])));
    const v3b = await eventTo('LateArrival', 'v3');
    assert.equal(v3b.id, v3a.id);
    assert.equal((v3b as unknown as { detectedAt: string }).detectedAt, (v3a as unknown as { detectedAt: string }).detectedAt, 'recomputing keeps when we first detected it');
    assert.equal(v3b.fromVersionId, 'v2');
    assert.deepEqual(v3b.effective.added.map((a) => a.action), ['s3:ListBucket']);
  });
});
