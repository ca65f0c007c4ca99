// Unit tests of the diff engine over a small injected catalog.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Catalog,
  FirstSeenTracker,
  canonicalJson,
  createdSummary,
  diffDocuments,
  documentHash,
  normalizePolicy,
  prepareDocument,
  renderDiffText,
} from '../../src/diff/index.ts';
import { allow, policy, smallCatalog } from '../fixtures/diff/small-catalog.ts';

const catalog = smallCatalog();
const names = (entries: { action: string }[]) => entries.map((e) => e.action);

describe('catalog', () => {
  test('expands wildcards case-insensitively, in the service part too', () => {
    const ids = (p: string) => {
      const e = catalog.expand(p);
      const out: string[] = [];
      for (let id = 0; id < catalog.size; id++) {
        const w = (id >>> 5) - e.lo;
        if (w >= 0 && w < e.words.length && ((e.words[w] ?? 0) & (1 << (id & 31))) !== 0) out.push(catalog.names[id]!);
      }
      return out.sort();
    };
    assert.deepEqual(ids('S3:get*'), ['s3:GetBucketPolicy', 's3:GetObject']);
    assert.deepEqual(ids('*:Get*'), ['iam:GetRole', 'q:GetIdentityMetadata', 's3:GetBucketPolicy', 's3:GetObject']);
    assert.deepEqual(ids('q:?sePlugin'), ['q:UsePlugin']);
    assert.equal(ids('*').length, catalog.size);
    assert.deepEqual(ids('iam:passrole'), ['iam:PassRole']);
    assert.equal(catalog.expand('s3:FutureThing').unknown, 's3:futurething');
    assert.equal(catalog.expand('nosvc:*').unknown, 'nosvc:*', 'a wildcard matching nothing stays an opaque member');
  });

  test('access levels are normalised from the data source spelling', () => {
    assert.equal(catalog.accessLevel(catalog.lookup('s3:TagResource')), 'Tagging');
    assert.equal(catalog.accessLevel(catalog.lookup('iam:CreatePolicyVersion')), 'Permissions management');
    assert.equal(catalog.accessLevel(catalog.lookup('ec2:DescribeInstances')), 'List');
  });
});

describe('normalise', () => {
  test('statement object or array, string or array members', () => {
    const a = normalizePolicy({ Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:a' } });
    const b = normalizePolicy({ Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:a'] }] });
    assert.equal(a.ok, true);
    assert.deepEqual(a.statements, b.statements);
    assert.deepEqual(a.problems, []);
  });

  test('bad input is kept as data with a reason, never thrown', () => {
    for (const [doc, reason] of [
      [null, 'not a JSON object'],
      [[1, 2], 'not a JSON object'],
      ['{not json', 'not valid JSON'],
      [{ Version: '2012-10-17' }, 'no Statement'],
    ] as const) {
      const n = normalizePolicy(doc);
      assert.equal(n.ok, false);
      assert.match(n.reason ?? '', new RegExp(reason));
      assert.deepEqual(n.raw, doc);
    }
    const n = normalizePolicy({
      Statement: [
        { Effect: 'allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Allow', Action: 42, Resource: '*' },
        { Effect: 'Allow', Action: 's3:GetObject', NotAction: 's3:PutObject', Resource: '*' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: 'yes' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Principal: '*' },
        'not a statement',
        allow('s3:GetObject'),
      ],
    });
    assert.equal(n.ok, true);
    assert.equal(n.statements.length, 1);
    assert.equal(n.problems.length, 6);
    assert.match(n.problems[0]!, /statement 0: Effect must be "Allow" or "Deny"/);
    assert.match(n.problems[1]!, /statement 1: Action must be a string or an array of strings/);
    assert.equal(n.opaque.length, 6);
  });

  test('JSON text is parsed; its canonical form is that of the parsed document', () => {
    const doc = policy(allow('s3:GetObject'));
    const r = diffDocuments(JSON.stringify(doc, null, 2), doc, catalog);
    assert.equal(r.kind, 'metadata_only');
  });

  test('cached statements: a statement changed in place is read again; only plain JSON data is matched', () => {
    const stmt: Record<string, unknown> = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*', Condition: { StringEquals: { 'aws:x': ['a'] } } };
    const first = normalizePolicy({ Statement: [stmt] }).statements[0]!;
    assert.deepEqual(first.patterns, ['s3:GetObject']);
    (stmt.Action as string[]).push('s3:PutObject');
    (stmt.Condition as { StringEquals: Record<string, string[]> }).StringEquals['aws:x']!.push('b');
    const second = normalizePolicy({ Statement: [stmt] }).statements[0]!;
    assert.deepEqual(second.patterns, ['s3:GetObject', 's3:PutObject']);
    assert.deepEqual(second.grant.conditions, { StringEquals: { 'aws:x': ['a', 'b'] } });
    assert.deepEqual(first.patterns, ['s3:GetObject'], 'earlier results are not changed');
    // Same JSON text, but an element IAM does not allow: the statement's own reading, whatever was seen before.
    const odd = normalizePolicy({ Statement: [{ ...allow('q:UsePlugin'), Principal: undefined }] });
    assert.equal(normalizePolicy({ Statement: [allow('q:UsePlugin')] }).statements.length, 1);
    assert.deepEqual(normalizePolicy({ Statement: [{ ...allow('q:UsePlugin'), Principal: undefined }] }).problems, odd.problems);
    assert.equal(odd.problems.length, 1);
  });

  test('canonicalJson sorts keys, keeps array order; documentHash is its SHA-256', () => {
    assert.equal(canonicalJson({ b: [2, 1], a: { d: 1, c: null } }), '{"a":{"c":null,"d":1},"b":[2,1]}');
    assert.equal(documentHash({}), '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('diff verdicts', () => {
  test('metadata_only when canonical documents are equal', () => {
    const a = { Version: '2012-10-17', Statement: [allow(['s3:GetObject', 's3:PutObject'])] };
    const b = JSON.parse(JSON.stringify({ Statement: a.Statement, Version: a.Version }));
    const r = diffDocuments(a, b, catalog);
    assert.equal(r.kind, 'metadata_only');
    assert.equal(r.broadened || r.narrowed, false);
    assert.equal(r.catalogVersion, 'test-catalog@1');
  });

  test('cosmetic: order, duplicates, case, Sids, single-item arrays, wildcard vs its expansion', () => {
    const a = policy({ Sid: 'One', ...allow(['s3:GetObject', 's3:PutObject']) }, allow('iam:GetRole'));
    const b = policy(allow('IAM:getrole'), { Sid: 'Two', ...allow(['s3:putobject', 's3:GetObject', 's3:GetObject'], ['*']) });
    assert.equal(diffDocuments(a, b, catalog).kind, 'cosmetic');
    const c = policy(allow(['s3:GetObject', 's3:GetBucketPolicy']));
    const d = policy(allow('s3:Get*'));
    const r = diffDocuments(c, d, catalog);
    assert.equal(r.kind, 'cosmetic', 'same effective set under this catalog');
    assert.deepEqual(r.literal, { added: ['s3:Get*'], removed: ['s3:GetBucketPolicy', 's3:GetObject'] });
  });

  test('added and removed actions with enrichment', () => {
    const a = policy(allow(['s3:GetObject', 'ec2:DescribeInstances']));
    const b = policy(allow(['s3:GetObject', 'iam:PassRole', 'iam:CreatePolicyVersion', 's3:TagResource', 'newsvc:DoThing']));
    const r = diffDocuments(a, b, catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.equal(r.broadened, true);
    assert.equal(r.narrowed, true);
    assert.deepEqual(names(r.effective.added), ['iam:CreatePolicyVersion', 'iam:PassRole', 'newsvc:DoThing', 's3:TagResource']);
    assert.deepEqual(names(r.effective.removed), ['ec2:DescribeInstances']);
    const by = Object.fromEntries(r.effective.added.map((e) => [e.action, e]));
    assert.deepEqual(by['iam:PassRole']!.flags, ['privilege-escalation']);
    assert.deepEqual(by['iam:CreatePolicyVersion']!.flags, ['permissions-management', 'privilege-escalation']);
    assert.equal(by['iam:CreatePolicyVersion']!.accessLevel, 'Permissions management');
    assert.deepEqual(by['newsvc:DoThing']!.flags, ['unknown-action']);
    assert.equal(by['newsvc:DoThing']!.accessLevel, 'unknown');
    assert.equal(by['newsvc:DoThing']!.service, 'newsvc');
    // Entries share their (frozen) flag lists: a caller must copy one before changing it.
    assert.ok(Object.isFrozen(by['iam:PassRole']!.flags));
    assert.throws(() => by['s3:TagResource']!.flags.push('first-seen-action'), TypeError);
    assert.deepEqual(by['s3:TagResource']!, {
      action: 's3:TagResource',
      service: 's3',
      accessLevel: 'Tagging',
      flags: [],
      via: ['s3:TagResource'],
      grants: [{ resources: ['*'] }],
    });
  });

  test('NotAction allows the whole catalog minus its patterns, whatever the Resource', () => {
    const a = policy({ Effect: 'Allow', NotAction: ['iam:*', 'sts:*'], Resource: 'arn:x' });
    const r = createdSummary(a, catalog);
    const expected = catalog.names.filter((n) => !n.startsWith('iam:') && !n.startsWith('sts:'));
    assert.deepEqual(names(r.effective.added), [...expected].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())));
    assert.deepEqual(r.effective.added[0]!.via, ['NotAction: iam:*, sts:*']);
    assert.deepEqual(r.effective.added[0]!.grants, [{ resources: ['arn:x'] }]);
    // Narrowing the exclusion list adds exactly the re-included actions.
    const b = policy({ Effect: 'Allow', NotAction: ['iam:*'], Resource: 'arn:x' });
    const r2 = diffDocuments(a, b, catalog);
    assert.deepEqual(names(r2.effective.added), ['sts:AssumeRole', 'sts:SetContext']);
    assert.equal(r2.narrowed, false);
  });

  test('NotAction covers unknown actions named by the other version', () => {
    const a = policy(allow('newsvc:DoThing'));
    const b = policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
    const r = diffDocuments(a, b, catalog);
    assert.ok(!names(r.effective.removed).includes('newsvc:DoThing'), 'still allowed through NotAction');
  });

  test('deny changes: added deny narrows, removed deny broadens', () => {
    const base = allow('s3:*');
    const a = policy(base);
    const b = policy(base, { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' });
    const r = diffDocuments(a, b, catalog);
    assert.deepEqual(names(r.deny.added), ['s3:DeleteObject']);
    assert.deepEqual([r.broadened, r.narrowed], [false, true]);
    const back = diffDocuments(b, a, catalog);
    assert.deepEqual(names(back.deny.removed), ['s3:DeleteObject']);
    assert.deepEqual([back.broadened, back.narrowed], [true, false]);
  });

  test('scope changes carry before/after grants and a proven direction when possible', () => {
    const cond = { StringEquals: { 'iam:PassedToService': 'q.amazonaws.com' } };
    const a = policy(allow('iam:PassRole', 'arn:aws:iam::*:role/q-*', { Condition: cond }));
    const wider = policy(allow('iam:PassRole', 'arn:aws:iam::*:role/*', { Condition: cond }));
    const r = diffDocuments(a, wider, catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.deepEqual(r.effective.added, []);
    assert.equal(r.effective.scopeChanged.length, 1);
    const s = r.effective.scopeChanged[0]!;
    assert.equal(s.action, 'iam:PassRole');
    assert.equal(s.direction, 'broadened');
    assert.deepEqual(s.before, [{ resources: ['arn:aws:iam::*:role/q-*'], conditions: { StringEquals: { 'iam:PassedToService': ['q.amazonaws.com'] } } }]);
    assert.deepEqual([r.broadened, r.narrowed], [true, false]);
    assert.equal(diffDocuments(wider, a, catalog).effective.scopeChanged[0]!.direction, 'narrowed');
    // Dropping the condition broadens; swapping the condition value cannot be ordered.
    assert.equal(diffDocuments(a, policy(allow('iam:PassRole', 'arn:aws:iam::*:role/q-*')), catalog).effective.scopeChanged[0]!.direction, 'broadened');
    const other = policy(allow('iam:PassRole', 'arn:aws:iam::*:role/q-*', { Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } }));
    const u = diffDocuments(a, other, catalog);
    assert.equal(u.effective.scopeChanged[0]!.direction, 'unknown');
    assert.deepEqual([u.broadened, u.narrowed], [true, true]);
  });

  test('condition operators and keys are case-insensitive, values are sets', () => {
    const a = policy(allow('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:SourceVpc': ['vpc-1', 'vpc-2'] } } }));
    const b = policy(allow('s3:GetObject', '*', { Condition: { stringequals: { 'AWS:sourcevpc': ['vpc-2', 'vpc-1', 'vpc-1'] } } }));
    assert.equal(diffDocuments(a, b, catalog).kind, 'cosmetic');
    const c = policy(allow('s3:GetObject', '*', { Condition: { Bool: { 'aws:SecureTransport': true } } }));
    const d = policy(allow('s3:GetObject', '*', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }));
    assert.equal(diffDocuments(c, d, catalog).kind, 'cosmetic');
  });

  test('a redundant extra grant is provably equivalent, so not a scope change', () => {
    const a = policy(allow('s3:GetObject'));
    const b = policy(allow('s3:GetObject'), allow('s3:GetObject', 'arn:aws:s3:::bucket/*'));
    assert.equal(diffDocuments(a, b, catalog).kind, 'cosmetic');
  });

  test('changes to statements the engine cannot read count as changes in both directions', () => {
    const a = policy(allow('s3:GetObject'), { Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Principal: 'x' });
    const b = policy(allow('s3:GetObject'), { Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Principal: 'y' });
    const r = diffDocuments(a, b, catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.deepEqual([r.broadened, r.narrowed], [true, true]);
    assert.ok(r.problems?.some((p) => p.startsWith('old: statement 1')));
    assert.ok(r.problems?.some((p) => p.startsWith('new: statement 1')));
    const broken = diffDocuments(a, 'not json', catalog);
    assert.equal(broken.kind, 'permissions_changed');
    assert.ok(broken.problems?.includes('new: document is not valid JSON'));
  });

  test('one action spelt two ways is one action; unknown spellings resolve deterministically', () => {
    const a = policy(allow(['q:GetIdentityMetaData', 'NewSvc:DoThing']));
    const b = policy(allow(['q:GetIdentityMetadata', 'newsvc:dothing']));
    assert.equal(diffDocuments(a, b, catalog).kind, 'cosmetic');
    const x = createdSummary(a, catalog);
    assert.deepEqual(names(x.effective.added), ['newsvc:DoThing', 'q:GetIdentityMetadata']);
    const y = diffDocuments(policy(allow('s3:GetObject')), b, catalog);
    const z = diffDocuments(policy(allow('s3:GetObject')), policy(allow(['newsvc:dothing', 'newsvc:DoThing'])), catalog);
    assert.equal(names(y.effective.added).find((n) => n.startsWith('newsvc')), 'newsvc:dothing');
    assert.equal(names(z.effective.added).find((n) => n.startsWith('newsvc')), 'newsvc:DoThing', 'smallest spelling, whatever the order');
  });

  test('createdSummary lists everything allowed and denied', () => {
    const r = createdSummary(policy(allow(['s3:Get*', 'q:UsePlugin']), { Effect: 'Deny', Action: 's3:GetBucketPolicy', Resource: '*' }), catalog);
    assert.equal(r.kind, 'permissions_changed');
    assert.deepEqual(names(r.effective.added), ['q:UsePlugin', 's3:GetBucketPolicy', 's3:GetObject']);
    assert.deepEqual(names(r.deny.added), ['s3:GetBucketPolicy']);
    assert.deepEqual(r.literal.added, ['Deny s3:GetBucketPolicy', 'q:UsePlugin', 's3:Get*']);
    assert.equal(createdSummary(policy(), catalog).kind, 'cosmetic');
  });

  test('policy variables make a Version change a possible permission change', () => {
    const stmt = allow('s3:GetObject', 'arn:aws:s3:::home/${aws:username}/*');
    const r = diffDocuments({ Version: '2008-10-17', Statement: [stmt] }, { Version: '2012-10-17', Statement: [stmt] }, catalog);
    assert.equal(r.kind, 'permissions_changed');
    const plain = allow('s3:GetObject');
    assert.equal(diffDocuments({ Version: '2008-10-17', Statement: [plain] }, { Version: '2012-10-17', Statement: [plain] }, catalog).kind, 'cosmetic');
  });

  test('prepared documents give the same result as raw ones', () => {
    const a = policy(allow(['s3:*', 'iam:PassRole']));
    const b = policy(allow(['s3:Get*', 'q:*']));
    assert.deepEqual(diffDocuments(prepareDocument(a, catalog), prepareDocument(b, catalog), catalog), diffDocuments(a, b, catalog));
    const other = Catalog.fromActions('other', [{ service: 's3', action: 'GetObject', accessLevel: 'Read' }]);
    assert.deepEqual(names(createdSummary(prepareDocument(a, catalog), other).effective.added), ['iam:PassRole', 's3:GetObject'], 're-prepared against the other catalog');
  });
});

describe('first seen', () => {
  test('flags actions and services no earlier version granted by name, in AWS-date order', () => {
    const tracker = new FirstSeenTracker(catalog);
    const versions = [
      { id: 'b1', date: '2024-02-01T00:00:00Z', doc: policy(allow(['s3:GetObject', 'q:UsePlugin'])) },
      { id: 'a1', date: '2024-01-01T00:00:00+00:00', doc: policy(allow('*'), allow('s3:GetObject')) },
      { id: 'c1', date: new Date('2024-02-01T00:00:00Z'), doc: policy(allow(['q:UsePlugin', 'q:CreatePlugin'])) },
      { id: 'd1', date: undefined, doc: policy(allow('q:CreatePlugin')) },
    ];
    const flags = new Map<string, Record<string, string[]>>();
    tracker.walk(
      versions,
      (v) => v.date,
      (v) => v.doc,
      (v, seenBefore) => {
        const r = createdSummary(v.doc, catalog, { seenBefore });
        flags.set(v.id, Object.fromEntries(r.effective.added.filter((e) => e.flags.length).map((e) => [e.action, e.flags])));
      },
    );
    // a1 is first; '*' alone does not make actions "seen", its named s3:GetObject does.
    assert.deepEqual(flags.get('a1')!['s3:GetObject'], ['first-seen-action', 'first-seen-service']);
    assert.equal(flags.get('a1')!['q:UsePlugin'], undefined, 'granted only through "*": not judged');
    // b1 and c1 share a timestamp: neither saw the other.
    assert.deepEqual(flags.get('b1')!['q:UsePlugin'], ['first-seen-action', 'first-seen-service']);
    assert.deepEqual(flags.get('c1')!['q:UsePlugin'], ['first-seen-action', 'first-seen-service']);
    assert.equal(flags.get('b1')!['s3:GetObject'], undefined);
    // Undated versions come last.
    assert.equal(flags.get('d1')!['q:CreatePlugin'], undefined);
    assert.ok(tracker.seenBefore.actions.has('q:createplugin'));
  });
});

describe('render', () => {
  test('text groups with and without colour', () => {
    const a = policy(allow('s3:GetObject'));
    const b = policy(allow('iam:PassRole', 'arn:aws:iam::*:role/*', { Condition: { StringEquals: { 'iam:PassedToService': 'q.amazonaws.com' } } }));
    const r = diffDocuments(a, b, catalog);
    const text = renderDiffText(r, { color: false });
    assert.match(text, /^permissions changed \(broadened and narrowed\)/);
    assert.match(text, /\n {2}\+ iam:PassRole {2}\(Write\) {2}\[privilege-escalation\]\n {6}Resource arn:aws:iam::\*:role\/\* when StringEquals iam:PassedToService=q\.amazonaws\.com\n/);
    assert.match(text, /Allowed, removed \(1\):\n {2}- s3:GetObject {2}\(Read\)\n/);
    assert.ok(!text.includes('\u001b['));
    assert.ok(renderDiffText(r, { color: true }).includes('\u001b[32m'));
    const many = createdSummary(policy(allow('*')), catalog);
    assert.match(renderDiffText(many, { color: false, limit: 2 }), /… and 16 more/);
  });
});
