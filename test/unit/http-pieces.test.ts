// Small pieces of the HTTP layer on their own: the generation reader's sharing rule, the
// response cache's bounds, If-None-Match matching, validation messages and diff summaries.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataGeneration } from '../../src/services/generation.ts';
import type { GenerationStore } from '../../src/core/generation.ts';
import { ResponseCache, matchesIfNoneMatch } from '../../src/http/caching.ts';
import { describeValidation } from '../../src/http/validation-message.ts';
import { checkRawUrl } from '../../src/http/hardening.ts';
import { packDiff, summarizeDiff, type DiffBody } from '../../src/core/diff-codec.ts';
import type { JsonValue } from '../../src/core/history.ts';

/** A store whose reads finish when the test says so, counting them. */
class ManualStore implements GenerationStore {
  value = 1;
  reads: { resolve: (v: string) => void; valueAtStart: number }[] = [];
  read(): Promise<string> {
    return new Promise((resolve) => this.reads.push({ resolve, valueAtStart: this.value }));
  }
  finish(i: number) {
    const r = this.reads[i];
    assert.ok(r);
    r.resolve(String(r.valueAtStart));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DataGeneration', () => {
  test('a question asked while a read is under way waits for a read that starts after it; one read serves many', async () => {
    const store = new ManualStore();
    const gen = new DataGeneration(store);
    const a = gen.current();
    const a2 = gen.current();
    assert.equal(store.reads.length, 0, 'the read starts at the end of the turn, after every question of the turn');
    await tick();
    assert.equal(store.reads.length, 1, 'one read for both questions of the turn');
    store.value = 2; // a commit lands while the first read is in flight
    const b = gen.current();
    const c = gen.current();
    await tick();
    assert.equal(store.reads.length, 1, 'b and c wait; no read of their own while one is in flight');
    store.finish(0);
    assert.equal(await a, '1');
    assert.equal(await a2, '1');
    await tick();
    assert.equal(store.reads.length, 2, 'one shared read for b and c, started after the first ended');
    const late = gen.current();
    store.value = 3; // a commit after b's read started and after late asked
    store.finish(1);
    assert.equal(await b, '2', 'b sees the commit that happened before it asked');
    assert.equal(await c, '2');
    await tick();
    assert.equal(store.reads.length, 3, 'late asked after the second read had started: a read of its own');
    store.finish(2);
    assert.equal(await late, '3');
    const d = gen.current();
    await tick();
    assert.equal(store.reads.length, 4, 'nothing in flight: a read at the end of the turn');
    store.finish(3);
    assert.equal(await d, '3');
  });

  test('a failed read fails its askers, and the next question reads again', async () => {
    let fail = true;
    const gen = new DataGeneration({ read: async () => {
      if (fail) throw new Error('down');
      return '7';
    } });
    await assert.rejects(gen.current(), /down/);
    fail = false;
    assert.equal(await gen.current(), '7');
  });
});

describe('ResponseCache and If-None-Match', () => {
  const entry = (generation: string, size: number) => ({ generation, body: Buffer.alloc(size), etag: '"e"', contentType: 'application/json' });
  test('an entry of another generation is a miss; total bytes stay bounded, least recently used go first', () => {
    const cache = new ResponseCache(1000);
    cache.set('a', entry('1', 200));
    assert.ok(cache.get('a', '1'));
    assert.equal(cache.get('a', '2'), undefined);
    assert.equal(cache.get('a', '1'), undefined, 'the stale entry is gone');
    cache.set('a', entry('1', 200));
    cache.set('b', entry('1', 200));
    cache.set('c', entry('1', 200));
    cache.set('d', entry('1', 200));
    assert.ok(cache.get('a', '1'), 'a used last');
    cache.set('e', entry('1', 200));
    cache.set('f', entry('1', 200));
    assert.equal(cache.get('b', '1'), undefined, 'b, least recently used, evicted');
    assert.ok(cache.get('a', '1'));
    cache.set('huge', entry('1', 600));
    assert.equal(cache.get('huge', '1'), undefined, 'an answer over a quarter of the budget is not kept');
  });

  test('If-None-Match: exact, weak, lists, encoded variants, *', () => {
    const etag = '"abc"';
    assert.equal(matchesIfNoneMatch('"abc"', etag), true);
    assert.equal(matchesIfNoneMatch('W/"abc"', etag), true);
    assert.equal(matchesIfNoneMatch('"x", "abc-gzip"', etag), true);
    assert.equal(matchesIfNoneMatch('"abc-br"', etag), true);
    assert.equal(matchesIfNoneMatch('*', etag), true);
    assert.equal(matchesIfNoneMatch('"abcd"', etag), false);
    assert.equal(matchesIfNoneMatch('"ab"', etag), false);
    assert.equal(matchesIfNoneMatch(undefined, etag), false);
  });
});

describe('validation messages name the parameter and the rule', () => {
  const v = (keyword: string, instancePath: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({ keyword, instancePath, schemaPath: '', params, message: 'x', ...extra });
  const cases: [ReturnType<typeof v>, string, string, string][] = [
    [v('additionalProperties', '', { additionalProperty: 'foo' }), 'querystring', 'unknown query parameter `foo`', 'INVALID_REQUEST'],
    [v('maximum', '/limit', { limit: 500 }), 'querystring', '`limit` must be ≤ 500', 'INVALID_REQUEST'],
    [v('minimum', '/limit', { limit: 1 }), 'querystring', '`limit` must be ≥ 1', 'INVALID_REQUEST'],
    [v('required', '', { missingProperty: 'to' }), 'querystring', 'missing required query parameter `to`', 'INVALID_REQUEST'],
    [v('type', '/limit', { type: 'integer' }, { data: ['1', '2'] }), 'querystring', '`limit` must be given once (an integer), not 2 times', 'INVALID_REQUEST'],
    [v('pattern', '/from', { pattern: '^v' }, { parentSchema: { description: 'a policy version id like v3', 'x-error-code': 'INVALID_VERSION_ID' } }), 'querystring', '`from` must be a policy version id like v3', 'INVALID_VERSION_ID'],
    [v('enum', '/flag', { allowedValues: ['a', 'b'] }), 'querystring', '`flag` must be one of a, b', 'INVALID_REQUEST'],
    [v('maxItems', '/services', { limit: 64 }), 'body', '`services` must have at most 64 items', 'INVALID_REQUEST'],
    [v('pattern', '/services/3', { pattern: 'x' }), 'body', '`services[3]` must be a string matching x', 'INVALID_REQUEST'],
    [v('additionalProperties', '', { additionalProperty: 'colour' }), 'body', 'unknown body field `colour`', 'INVALID_REQUEST'],
  ];
  for (const [err, ctx, message, code] of cases) {
    test(message, () => {
      const p = describeValidation(err as never, ctx);
      assert.equal(p.message, message);
      assert.equal(p.code, code);
    });
  }
});

describe('raw URL checks', () => {
  test('bad percent-encoding, invalid UTF-8 and NUL are refused by name; good URLs pass', () => {
    assert.doesNotThrow(() => checkRawUrl('/api/policies?search=%F0%9F%98%80&limit=5&flag'));
    assert.doesNotThrow(() => checkRawUrl('/api/policies/Pw.dot%40at%3Deq'));
    assert.throws(() => checkRawUrl('/api/policies?search=%FF'), /`search`.*percent-encoding or is not UTF-8/);
    assert.throws(() => checkRawUrl('/api/policies?search=%E0%A4%A'), /`search`/);
    assert.throws(() => checkRawUrl('/api/policies?search=a%00'), /`search` must not contain NUL/);
    assert.throws(() => checkRawUrl('/api/po%ZZ'), /path has invalid percent-encoding/);
    assert.throws(() => checkRawUrl(`/api/policies?search=${'a'.repeat(9000)}`), (e: { statusCode?: number }) => e.statusCode === 414);
  });
});

describe('summarizeDiff', () => {
  test('counts by service and access level, the first few actions, literal counts', () => {
    const entry = (action: string, accessLevel: string) => ({ action, service: action.split(':')[0] as string, accessLevel, flags: [], via: [action], grants: [{ resources: ['*'] }] });
    const body: DiffBody = {
      effective: { added: [entry('iam:PassRole', 'Write'), entry('s3:GetObject', 'Read'), entry('s3:ListBucket', 'List')], removed: [], scopeChanged: [] },
      deny: { added: [], removed: [entry('ec2:RunInstances', 'Write')], scopeChanged: [] },
      literal: { added: ['iam:PassRole', 's3:Get*'], removed: [] },
    };
    const s = summarizeDiff(packDiff(body) as unknown as JsonValue, 2);
    assert.deepEqual(s.effective?.added, { count: 3, byService: { iam: 1, s3: 2 }, byAccessLevel: { Write: 1, Read: 1, List: 1 }, first: ['iam:PassRole', 's3:GetObject'] });
    assert.deepEqual(s.deny?.removed?.byService, { ec2: 1 });
    assert.deepEqual(s.literal, { added: 2, removed: 0 });
  });

  test('lists without actions are left out, and so is a side without any', () => {
    const entry = (action: string) => ({ action, service: action.split(':')[0] as string, accessLevel: 'Write', flags: [], via: [action], grants: [{ resources: ['*'] }] });
    const empty = { added: [], removed: [], scopeChanged: [] };
    const allowOnly = summarizeDiff(packDiff({ effective: { ...empty, removed: [entry('s3:PutObject')] }, deny: empty, literal: { added: [], removed: ['s3:PutObject'] } }) as unknown as JsonValue);
    assert.deepEqual(Object.keys(allowOnly), ['effective', 'literal']);
    assert.deepEqual(Object.keys(allowOnly.effective ?? {}), ['removed']);
    const cosmetic = summarizeDiff(packDiff({ effective: empty, deny: empty, literal: { added: [], removed: [] } }) as unknown as JsonValue);
    assert.deepEqual(cosmetic, { literal: { added: 0, removed: 0 } });
  });
});
