// Property tests of the diff engine (fast-check): algebraic laws over generated policies, on a
// small injected catalog and on the real one.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Catalog,
  type DiffResult,
  canonicalEqual,
  canonicalJson,
  diffDocuments,
  documentHash,
} from '../../src/diff/index.ts';
import { globMatch } from '../../src/diff/catalog.ts';
import { loadCatalog } from '../../src/sources/catalog.ts';
import { SMALL_ACTIONS, smallCatalog } from '../fixtures/diff/small-catalog.ts';

type Doc = { Version: string; Statement: Record<string, unknown>[] };

const CONDITIONS = [
  { StringEquals: { 'aws:SourceVpc': ['vpc-1', 'vpc-2'] } },
  { Bool: { 'aws:SecureTransport': 'true' } },
  { StringLike: { 'iam:PassedToService': ['q.*', 'ec2.*'] } },
  { StringEquals: { 'iam:PassedToService': 'q.amazonaws.com' }, Null: { 'aws:TokenIssueTime': 'false' } },
];
const RESOURCES = ['arn:aws:s3:::a/*', 'arn:aws:s3:::b', 'arn:aws:iam::*:role/*', 'arn:aws:s3:::*'];

function policyArb(patterns: fc.Arbitrary<string>): fc.Arbitrary<Doc> {
  const statement = fc
    .record({
      effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
      notAction: fc.constantFrom(false, false, true),
      patterns: fc.array(patterns, { minLength: 1, maxLength: 5 }),
      notResource: fc.constantFrom(false, false, false, true),
      resources: fc.oneof(fc.constant(['*']), fc.subarray(RESOURCES, { minLength: 1 })),
      condition: fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined }),
      sid: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), { nil: undefined }),
    })
    .map((s) => ({
      ...(s.sid !== undefined ? { Sid: s.sid } : {}),
      Effect: s.effect,
      [s.notAction ? 'NotAction' : 'Action']: s.patterns.length === 1 ? s.patterns[0] : s.patterns,
      [s.notResource ? 'NotResource' : 'Resource']: s.resources.length === 1 ? s.resources[0] : s.resources,
      ...(s.condition ? { Condition: s.condition } : {}),
    }));
  return fc.array(statement, { maxLength: 4 }).map((Statement) => ({ Version: '2012-10-17', Statement }));
}

// Deterministic PRNG so a transformation is reproducible from its seed (and fast-check can shrink).
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], r: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const recase = (s: string, r: () => number) => [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
const asList = (v: unknown) => (Array.isArray(v) ? (v as unknown[]) : [v]);
const listOrString = (xs: unknown[], r: () => number) => (xs.length === 1 && r() < 0.5 ? xs[0] : xs);

/**
 * A rewrite IAM treats as the same policy: statement order, pattern order, duplicates, the case of
 * action names and condition operators/keys, Sids, string vs one-element array, true vs "true",
 * a duplicated statement, Statement as an object when there is one.
 */
function equivalentRewrite(doc: Doc, seed: number): unknown {
  const r = rng(seed);
  const statements = doc.Statement.map((s) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of shuffle(Object.entries(s), r)) {
      if (k === 'Sid') {
        if (r() < 0.5) out.Sid = `S${Math.floor(r() * 1000)}`;
      } else if (k === 'Action' || k === 'NotAction') {
        const patterns = asList(v) as string[];
        const dup = r() < 0.3 ? [patterns[0]!] : [];
        out[k] = listOrString(shuffle([...patterns, ...dup], r).map((p) => recase(p, r)), r);
      } else if (k === 'Resource' || k === 'NotResource') {
        out[k] = listOrString(shuffle(asList(v), r), r);
      } else if (k === 'Condition') {
        const cond: Record<string, Record<string, unknown>> = {};
        for (const [op, keys] of Object.entries(v as Record<string, Record<string, unknown>>)) {
          const block: Record<string, unknown> = {};
          for (const [key, values] of Object.entries(keys)) {
            const vs = shuffle(asList(values), r).map((x) => (x === 'true' && r() < 0.5 ? true : x));
            block[recase(key, r)] = listOrString(vs, r);
          }
          cond[recase(op, r)] = block;
        }
        out.Condition = cond;
      } else {
        out[k] = v;
      }
    }
    return out;
  });
  const all = shuffle(r() < 0.3 && statements.length > 0 ? [...statements, statements[0]!] : statements, r);
  return { Version: doc.Version, Statement: all.length === 1 && r() < 0.5 ? all[0] : all };
}

const actionsOf = (entries: { action: string }[]) => entries.map((e) => e.action.toLowerCase()).sort();

function assertNoChange(r: DiffResult, why: string) {
  assert.ok(r.kind === 'cosmetic' || r.kind === 'metadata_only', `${why}: ${r.kind}`);
  assert.deepEqual([r.broadened, r.narrowed], [false, false], why);
  for (const list of [r.effective.added, r.effective.removed, r.effective.scopeChanged, r.deny.added, r.deny.removed, r.deny.scopeChanged]) {
    assert.deepEqual(list, [], why);
  }
}

function laws(name: string, getCatalog: () => Catalog, patterns: () => fc.Arbitrary<string>, numRuns: number) {
  describe(`laws (${name})`, () => {
    test('diff(a, a) is empty', () => {
      fc.assert(
        fc.property(policyArb(patterns()), (a) => {
          const r = diffDocuments(a, structuredClone(a), getCatalog());
          assert.equal(r.kind, 'metadata_only');
          assertNoChange(r, 'self');
        }),
        { numRuns },
      );
    });

    test('equivalent rewrites are cosmetic or metadata_only, never a change', () => {
      fc.assert(
        fc.property(policyArb(patterns()), fc.integer(), (a, seed) => {
          assertNoChange(diffDocuments(a, equivalentRewrite(a, seed), getCatalog()), 'rewrite');
        }),
        { numRuns },
      );
    });

    test('added(a→b) = removed(b→a), for allow, deny and scope', () => {
      fc.assert(
        fc.property(policyArb(patterns()), policyArb(patterns()), (a, b) => {
          const ab = diffDocuments(a, b, getCatalog());
          const ba = diffDocuments(b, a, getCatalog());
          assert.deepEqual(actionsOf(ab.effective.added), actionsOf(ba.effective.removed));
          assert.deepEqual(actionsOf(ab.effective.removed), actionsOf(ba.effective.added));
          assert.deepEqual(actionsOf(ab.deny.added), actionsOf(ba.deny.removed));
          assert.deepEqual(actionsOf(ab.effective.scopeChanged), actionsOf(ba.effective.scopeChanged));
          const flip = { broadened: 'narrowed', narrowed: 'broadened', unknown: 'unknown' } as const;
          ab.effective.scopeChanged.forEach((s, i) => {
            const back = ba.effective.scopeChanged[i]!;
            assert.deepEqual([back.before, back.after], [s.after, s.before]);
            assert.equal(back.direction, flip[s.direction]);
          });
          assert.deepEqual([ab.broadened, ab.narrowed], [ba.narrowed, ba.broadened]);
          const added = new Set(actionsOf(ab.effective.added));
          assert.ok(actionsOf(ab.effective.removed).every((x) => !added.has(x)));
          assert.equal(ab.kind === 'permissions_changed', ab.broadened || ab.narrowed);
        }),
        { numRuns },
      );
    });

    test('adding an Allow statement never removes or narrows', () => {
      fc.assert(
        fc.property(policyArb(patterns()), fc.array(patterns(), { minLength: 1, maxLength: 3 }), (a, extra) => {
          const b = { ...a, Statement: [...a.Statement, { Effect: 'Allow', Action: extra, Resource: '*' }] };
          const r = diffDocuments(a, b, getCatalog());
          assert.deepEqual(r.effective.removed, []);
          assert.ok(r.effective.scopeChanged.every((s) => s.direction === 'broadened'), 'an unconditioned Resource * grant covers any other');
          assert.equal(r.narrowed, false);
        }),
        { numRuns },
      );
    });
  });
}

const small = smallCatalog();
const smallPatterns = () =>
  fc.oneof(
    fc.constantFrom(...SMALL_ACTIONS.map((a) => `${a.service}:${a.action}`)),
    fc.constantFrom('s3:*', 's3:Get*', '*', 'iam:*Role*', 'q:?sePlugin', '*:Get*', 's3:Put*', 'sts:*'),
    fc.constantFrom('newsvc:DoThing', 's3:FutureAction', 'nosvc:*'),
  );
laws('small catalog', () => small, smallPatterns, 200);

let real: Catalog;
let realNames: string[] = [];
before(async () => {
  real = await loadCatalog();
  realNames = real.names.filter((n) => /^(s3|iam|ec2|q|kms|sts|lambda):/.test(n));
});
laws(
  'real catalog',
  () => real,
  () =>
    fc.oneof(
      fc.integer({ min: 0, max: 1_000_000 }).map((i) => realNames[i % realNames.length]!),
      fc.constantFrom('s3:Get*', 's3:*', 'ec2:Describe*', 'iam:*', 'iam:Pass*', 'kms:*', '*:List*', 'q:*'),
      fc.constantFrom('q:NotYetLaunched', 'brandnewservice:*'),
    ),
  30,
);

describe('expansion and canonical form', () => {
  const expanded = (c: Catalog, p: string) => {
    const e = c.expand(p);
    const out = new Set<number>();
    for (let w = 0; w < e.words.length; w++) for (let b = 0; b < 32; b++) if (((e.words[w] ?? 0) >>> b) & 1) out.add(((e.lo + w) << 5) + b);
    return out;
  };

  test('expand("s3:*") ⊇ expand("s3:Get*"), and service wildcards ⊇ any prefix wildcard', () => {
    const all = expanded(real, 's3:*');
    const get = expanded(real, 's3:Get*');
    assert.ok(get.size > 10 && all.size > get.size);
    for (const id of get) assert.ok(all.has(id));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: real.size - 1 }), fc.nat(), (id, cut) => {
        const name = real.names[id]!;
        const [svc, action] = name.split(':') as [string, string];
        const prefix = `${svc}:${action.slice(0, cut % (action.length + 1))}*`;
        const narrow = expanded(real, prefix);
        const wide = expanded(real, `${svc}:*`);
        assert.ok(narrow.has(id), `${prefix} matches ${name}`);
        for (const x of narrow) assert.ok(wide.has(x));
        assert.ok(expanded(real, recase(prefix, rng(id))).size === narrow.size, 'case-insensitive');
      }),
      { numRuns: 200 },
    );
  });

  test('globMatch agrees with the RegExp reading of a glob (* any run, ? one code unit, the rest literal)', () => {
    const regexMatch = (glob: string, text: string) =>
      new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's').test(text);
    const chars = fc.constantFrom('a', 'b', ':', '/', '.', '$', '(', '[', '\\', '\n', '\ud83d', '\ude00', 'A');
    const text = fc.array(chars, { maxLength: 12 }).map((xs) => xs.join(''));
    const glob = fc.array(fc.oneof(chars, fc.constantFrom('*', '?', '**')), { maxLength: 8 }).map((xs) => xs.join(''));
    fc.assert(
      fc.property(glob, text, (g, t) => assert.equal(globMatch(g, t), regexMatch(g, t), `${JSON.stringify(g)} ~ ${JSON.stringify(t)}`)),
      { numRuns: 2000 },
    );
    // A text built from the glob always matches it.
    fc.assert(
      fc.property(glob, fc.array(text, { minLength: 8, maxLength: 8 }), (g, fill) => {
        let i = 0;
        const t = g.replace(/\*|\?/g, (m) => (m === '?' ? 'x' : fill[i++ % fill.length]!));
        assert.ok(globMatch(g, t), `${JSON.stringify(g)} ~ ${JSON.stringify(t)}`);
      }),
      { numRuns: 500 },
    );
  });

  test('canonicalEqual agrees with canonicalJson equality; key order never changes the hash', () => {
    const reorder = (v: unknown, r: () => number): unknown => {
      if (Array.isArray(v)) return v.map((x) => reorder(x, r));
      if (v && typeof v === 'object') return Object.fromEntries(shuffle(Object.entries(v).map(([k, x]) => [k, reorder(x, r)] as const), r));
      return v;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.integer(), (x, y, seed) => {
        assert.equal(canonicalEqual(x, y), canonicalJson(x) === canonicalJson(y));
        const z = reorder(x, rng(seed));
        assert.ok(canonicalEqual(x, z));
        assert.equal(documentHash(x), documentHash(z));
        assert.equal(canonicalJson(JSON.parse(canonicalJson(z))), canonicalJson(x), 'canonicalisation is idempotent');
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary input never throws and is reported as a problem', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), fc.record({ Statement: fc.jsonValue() }), fc.record({ Statement: fc.array(fc.dictionary(fc.constantFrom('Effect', 'Action', 'NotAction', 'Resource', 'Condition', 'Sid', 'X'), fc.jsonValue())) }) ), (doc) => {
        const r = diffDocuments({ Statement: [] }, doc, small);
        assert.ok(['metadata_only', 'cosmetic', 'permissions_changed'].includes(r.kind));
        JSON.stringify(r); // plain data
      }),
      { numRuns: 300 },
    );
  });
});
