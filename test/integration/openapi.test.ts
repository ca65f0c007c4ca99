// The HTTP contract: every route the app registers (walked from Fastify's route table as the app
// builds it, so a new route cannot slip past) declares its schemas and is in the OpenAPI
// document; and every GET route, asked real questions, answers what its response schema says.
//
// Convention: a route that is not part of the JSON API (an HTML page such as a dashboard,
// Prometheus' /metrics, the /docs UI's own assets) declares `schema: { hide: true }`; hidden routes
// are left out of the OpenAPI document and out of this test. Every other route declares
// `querystring` (GET), `params` (when its path has parameters) and `response` with its success
// status and '4xx'. A new GET route also gets an entry in SAMPLES below.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import app, { fastifyOptions } from '../../src/app.ts';
import type { ActionResponse, ChangePage, ChangeDetail } from '../../src/http/schemas/changes.ts';
import { ADMIN, testConfig } from '../support/app.ts';
import { createTestDatabase } from '../support/db.ts';
import { importApiPolicies } from '../support/api-data.ts';

type Schema = Record<string, unknown>;
interface RouteSchema { hide?: boolean; querystring?: Schema; params?: Schema & { properties?: Record<string, unknown> }; body?: Schema; response?: Record<string, Schema> }

/** Real questions for every GET route; `:change` stands for the id of a stored event. */
const SAMPLES: Record<string, string[]> = {
  '/healthz': ['/healthz'],
  '/readyz': ['/readyz'],
  '/feeds/changes.atom': ['/feeds/changes.atom', '/feeds/changes.atom?service=nope!'],
  '/feeds/changes.rss': ['/feeds/changes.rss?policy=Pw*'],
  '/api/policies': ['/api/policies', '/api/policies?limit=1&search=pw', '/api/policies?limit=0'],
  '/api/policies/:name': ['/api/policies/PwQAccess', '/api/policies/NoSuch'],
  '/api/policies/:name/versions/:versionId': ['/api/policies/PwQAccess/versions/v2', '/api/policies/PwQAccess/versions/v9', '/api/policies/PwQAccess/versions/x'],
  '/api/policies/:name/changes': ['/api/policies/PwQAccess/changes', '/api/policies/PwQAccess/changes?detail=full&kind=all'],
  '/api/policies/:name/diff': ['/api/policies/PwQAccess/diff?from=v1&to=v3', '/api/policies/PwQAccess/diff?from=v1'],
  '/api/changes': ['/api/changes', '/api/changes?detail=full', '/api/changes?action=iam:PassRole&effect=added', '/api/changes?dates=reliable&kind=all', '/api/changes?foo=1'],
  '/api/changes/:id': ['/api/changes/:change', '/api/changes/evt_00000000000000000000000000000000'],
  '/api/actions/:action': ['/api/actions/iam:PassRole', '/api/actions/s3:GetObject?limit=1', '/api/actions/nope'],
  '/api/poll-runs': ['/api/poll-runs', '/api/poll-runs?source=iamtrail'],
  '/api/poll-runs/:id': ['/api/poll-runs/1'],
  '/api/doc-history': ['/api/doc-history', '/api/doc-history?kind=other'],
  '/api/feeds': ['/api/feeds', '/api/feeds?limit=1', '/api/feeds?cursor=%21'],
  '/api/subscriptions': ['/api/subscriptions', '/api/subscriptions?limit=1', '/api/subscriptions?limit=0'],
  '/api/subscriptions/:id': ['/api/subscriptions/sub_000000000000000000000000', '/api/subscriptions/nope'],
  '/api/subscriptions/:id/deliveries': ['/api/subscriptions/sub_000000000000000000000000/deliveries'],
  '/api/stats/detection': ['/api/stats/detection', '/api/stats/detection?x=1'],
};

const methodsOf = (r: RouteOptions) => [r.method].flat().map((m) => String(m).toUpperCase());
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI and response schemas', () => {
  const routes: RouteOptions[] = [];
  let server: FastifyInstance;
  let cleanup: () => Promise<void>;

  before(async () => {
    const config = testConfig();
    const tdb = await createTestDatabase('postgres');
    server = Fastify(await fastifyOptions({ config, logger: false }));
    // Collect the route table as the app builds it.
    server.addHook('onRoute', (r) => {
      routes.push(r);
    });
    await server.register(fp(app), { config, db: tdb.db, worker: false, seed: false });
    await server.ready();
    await importApiPolicies(server);
    cleanup = async () => {
      await server.close();
      await tdb.cleanup();
    };
  });
  after(async () => cleanup?.());

  const documented = () => routes.filter((r) => !(r.schema as RouteSchema | undefined)?.hide && !methodsOf(r).every((m) => m === 'HEAD'));

  test('every route declares its schemas and is in the OpenAPI 3.1 document at /docs/openapi.json', async () => {
    const res = await server.inject('/docs/openapi.json');
    assert.equal(res.statusCode, 200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    assert.match(doc.openapi, /^3\.1\./);
    const list = documented();
    assert.ok(list.length >= 17, `routes found: ${list.length}`);
    for (const r of list) {
      const s = (r.schema ?? {}) as RouteSchema;
      for (const method of methodsOf(r).filter((m) => m !== 'HEAD')) {
        const where = `${method} ${r.url}`;
        assert.ok(s.response, `${where}: no response schema`);
        const codes = Object.keys(s.response);
        assert.ok(codes.some((c) => /^2\d\d$/.test(c)), `${where}: no success response schema (${codes.join(', ')})`);
        assert.ok(codes.includes('4xx') || codes.some((c) => /^4\d\d$/.test(c)), `${where}: no error response schema`);
        const params = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
        if (params.length > 0) {
          assert.ok(s.params, `${where}: no params schema`);
          for (const p of params) assert.ok(s.params.properties?.[p], `${where}: params schema lacks ${p}`);
        }
        if (method === 'GET') {
          assert.ok(s.querystring, `${where}: no querystring schema (use NoQuery for none)`);
          assert.equal(s.querystring.additionalProperties, false, `${where}: unknown query parameters must be refused`);
        }
        const op = doc.paths[openApiPath(r.url)]?.[method.toLowerCase()];
        assert.ok(op, `${where}: missing from the OpenAPI document`);
        // OpenAPI spells status ranges 4XX.
        for (const c of codes) assert.ok(op.responses[c.toUpperCase()], `${where}: response ${c} missing from the OpenAPI document`);
      }
    }
    // The reference UI is served too.
    const ui = await server.inject('/docs/');
    assert.equal(ui.statusCode, 200);
    assert.match(String(ui.headers['content-type']), /text\/html/);
  });

  test('every GET route answers what its response schema says, for good and bad questions', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const compiled = new Map<Schema, ValidateFunction>();
    const validatorFor = (schema: Schema) => {
      let v = compiled.get(schema);
      if (!v) compiled.set(schema, (v = ajv.compile(schema)));
      return v;
    };
    const list: ChangePage = (await server.inject('/api/changes?kind=all')).json();
    const change = list.items[0]?.id;
    assert.ok(change, 'the test data has events');
    const gets = documented().filter((r) => methodsOf(r).includes('GET'));
    const missing = gets.map((r) => r.url).filter((u) => !SAMPLES[u]);
    assert.deepEqual(missing, [], 'GET routes without sample requests in SAMPLES (add some)');
    let checked = 0;
    for (const r of gets) {
      const s = r.schema as RouteSchema;
      for (const url of SAMPLES[r.url] ?? []) {
        // With the admin key: admin-only reads (subscriptions) answer, not 401.
        const res = await server.inject({ url: url.replace(':change', change), headers: ADMIN });
        const status = String(res.statusCode);
        const schema = s.response?.[status] ?? s.response?.[`${status[0]}xx`];
        assert.ok(schema, `${url}: status ${status} is not declared`);
        const content = (schema as { content?: Record<string, unknown> }).content;
        if (content) {
          const type = String(res.headers['content-type']).split(';')[0] as string;
          assert.ok(content[type], `${url}: content type ${type} is not declared`);
        } else {
          const v = validatorFor(schema);
          assert.ok(v(res.json()), `${url}: ${status} body does not match its schema: ${ajv.errorsText(v.errors)}`);
        }
        checked++;
      }
    }
    assert.ok(checked >= 30, String(checked));
  });

  test('list entries are summaries; ?detail=full and the single event keep every action with its grants', async () => {
    const page: ChangePage = (await server.inject('/api/policies/PwQAccess/changes')).json();
    const v2 = page.items.find((e) => e.toVersionId === 'v2');
    assert.ok(v2?.summary, JSON.stringify(v2));
    assert.equal(v2.effective, undefined, 'no action lists in a summary');
    assert.equal(v2.summary.effective?.added?.count, 2);
    assert.deepEqual(v2.summary.effective?.added?.byService, { iam: 1, s3: 1 });
    assert.deepEqual(v2.summary.effective?.added?.first, ['iam:PassRole', 's3:PutObject']);
    assert.equal(v2.summary.deny, undefined, 'a side without changed actions is left out');
    assert.equal(v2.summary.effective?.removed, undefined, 'a list without actions is left out');
    assert.ok(v2.flags.includes('privilege-escalation'));
    const full: ChangePage = (await server.inject('/api/policies/PwQAccess/changes?detail=full')).json();
    const v2full = full.items.find((e) => e.toVersionId === 'v2');
    assert.deepEqual(v2full?.effective?.added.map((a) => a.action), ['iam:PassRole', 's3:PutObject']);
    const one: ChangeDetail = (await server.inject(`/api/changes/${v2.id}`)).json();
    const pass = one.effective.added.find((a) => a.action === 'iam:PassRole');
    assert.deepEqual(pass?.grants, [{ resources: ['*'], conditions: { StringEquals: { 'iam:PassedToService': ['q.amazonaws.com'] } } }]);
  });

  test('effect= narrows the action filter to additions, removals or scope changes; dates=reliable leaves out undated events', async () => {
    const at = async (q: string) => ((await server.inject(`/api/changes?kind=all&${q}`)).json() as ChangePage).items.map((e) => `${e.policy.name}@${e.toVersionId}`).sort();
    assert.deepEqual(await at('action=s3:PutObject'), ['PwQAccess@v2', 'PwQAccess@v3']);
    assert.deepEqual(await at('action=s3:PutObject&effect=added'), ['PwQAccess@v2']);
    assert.deepEqual(await at('action=s3:PutObject&effect=removed'), ['PwQAccess@v3']);
    assert.deepEqual(await at('action=s3:GetObject&effect=scope'), ['PwQAccess@v3'], 'v3 scoped s3:GetObject to one bucket');
    assert.deepEqual(await at('action=iam:PassRole&effect=removed'), []);
    const all = await at('policy=Pw*');
    assert.ok(all.includes('PwUndated@v1'));
    assert.deepEqual(await at('policy=Pw*&dates=reliable'), all.filter((e) => e !== 'PwUndated@v1'));
  });

  test('/api/actions/:action: each grant with its resources and conditions, events paged with a cursor and a truncation marker', async () => {
    const r: ActionResponse = (await server.inject('/api/actions/s3:GetObject?limit=1')).json();
    assert.deepEqual(r.grantedBy.map((g) => [g.policy, g.literal, g.via, g.grants]), [
      ['PwQAccess', true, ['s3:GetObject'], [{ resources: ['arn:aws:s3:::bucket/*'] }]],
      ['PwReadOnly', false, ['s3:Get*'], [{ resources: ['*'] }]],
    ]);
    assert.equal(r.events.length, 1);
    assert.equal(r.truncated, true);
    assert.ok(r.nextCursor);
    const seen = [`${r.events[0]?.change} ${r.events[0]?.policy.name}@${r.events[0]?.toVersionId}`];
    let cursor: string | null = r.nextCursor;
    while (cursor) {
      const p: ActionResponse = (await server.inject(`/api/actions/s3:GetObject?limit=1&cursor=${cursor}`)).json();
      seen.push(...p.events.map((e) => `${e.change} ${e.policy.name}@${e.toVersionId}`));
      assert.equal(p.truncated, p.nextCursor !== null);
      cursor = p.nextCursor;
    }
    assert.deepEqual(seen.sort(), ['added PwQAccess@v1', 'added PwReadOnly@v1']);
    const pass: ActionResponse = (await server.inject('/api/actions/iam:PassRole')).json();
    assert.deepEqual(pass.grantedBy[0]?.grants, [{ resources: ['*'], conditions: { StringEquals: { 'iam:PassedToService': ['q.amazonaws.com'] } } }]);
    assert.equal(pass.truncated, false);
    assert.equal(pass.nextCursor, null);
  });
});
