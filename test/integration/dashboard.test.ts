// The dashboard's pages over HTTP (no browser): status codes, headers, escaping, deep links and
// errors as HTML pages. AmazonQFullAccess's real history, polled from the fake IAM endpoint.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../support/app.ts';
import { amazonQFullAccessHistory } from '../support/dashboard.ts';
import { FakeIam } from '../../src/sources/fake-iam/fake-iam.ts';
import { testSource } from '../support/fake-iam-fixtures.ts';

describe('dashboard pages', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let app: Awaited<ReturnType<typeof build>>;
  const page = async (url: string, status = 200) => {
    const res = await app.inject(url);
    assert.equal(res.statusCode, status, `${url}: ${res.body.slice(0, 300)}`);
    assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
    return res;
  };

  before(async () => {
    const fake = new FakeIam([amazonQFullAccessHistory()]);
    const { url } = await fake.start();
    cleanups.push(() => fake.stop());
    app = await build({ after: (fn) => cleanups.push(fn) }, { iam: testSource(url), config: { rssFeeds: [] } });
    const r = await app.services.iamPoll.poll();
    assert.equal(r.run.status, 'succeeded');
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('every page answers 200 with a strict CSP and no script', async () => {
    for (const url of ['/', '/?kind=all&policy=AmazonQ*', '/policies/AmazonQFullAccess', '/policies/AmazonQFullAccess?from=v4&to=v5', '/actions/iam:PassRole', '/policies', '/status']) {
      const res = await page(url);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/, url);
      assert.match(String(res.headers['content-security-policy']), /script-src 'none'/, url);
      assert.doesNotMatch(res.body, /<script/i, url);
    }
    const css = await app.inject('/dashboard.css');
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  test('the 2024-11-13 change: nine q: actions and iam:PassRole added, privilege escalation', async () => {
    const home = (await page('/?policy=AmazonQFullAccess')).body;
    const id = /href="\/changes\/(evt_[0-9a-f]{32})">permissions changed v4→v5/.exec(home)?.[1];
    assert.ok(id, 'the v4→v5 change is listed');
    const body = (await page(`/changes/${id}`)).body;
    const added = [...body.matchAll(/<ul class="added"[\s\S]*?<\/ul>\s*<\/li>|<ul class="added"[\s\S]*?<\/ul>/g)].join('');
    const actions = [...added.matchAll(/class="action" href="[^"]+">([^<]+)</g)].map((m) => m[1]).sort();
    assert.deepEqual(actions, ['iam:PassRole', 'q:CreatePlugin', 'q:DeletePlugin', 'q:GetPlugin', 'q:ListPluginProviders', 'q:ListPlugins', 'q:ListTagsForResource', 'q:TagResource', 'q:UntagResource', 'q:UsePlugin']);
    assert.match(body, /data-badge="privilege-escalation"/);
    assert.match(body, /<time datetime="2024-11-13T21:51:39.000Z">2024-11-13<\/time>/, 'the date IAM gave');
  });

  test('AWS and user text is escaped; javascript: links are not rendered as links', async () => {
    await app.db.prisma.policy.update({ where: { name: 'AmazonQFullAccess' }, data: { description: '<script>alert(1)</script>"><img src=x onerror=alert(2)>' } });
    const body = (await page('/policies/AmazonQFullAccess')).body;
    assert.match(body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;/);
    assert.doesNotMatch(body, /<img/);
    // A filter value comes back into the form escaped.
    const home = (await page('/?policy=%22%3E%3Cb%3E', 400)).body;
    assert.doesNotMatch(home, /"><b>/);
  });

  test('filters survive into the next-page link; bad input is a 4xx page naming the problem', async () => {
    const body = (await page('/?policy=AmazonQFullAccess&kind=all&limit=2')).body;
    const next = /<a rel="next" href="([^"]+)"/.exec(body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(next);
    const u = new URL(next, 'http://x');
    assert.equal(u.searchParams.get('policy'), 'AmazonQFullAccess');
    assert.equal(u.searchParams.get('kind'), 'all');
    assert.equal(u.searchParams.get('limit'), '2');
    assert.match((await page(u.pathname + u.search)).body, /permissions changed/);

    assert.match((await page('/?since=yesterday', 400)).body, /`since` must be a date/);
    assert.match((await page('/?limit=0', 400)).body, /limit must be a number from 1 to 200/);
    assert.match((await page('/?bogus=1', 400)).body, /Bad request/);
    assert.match((await page('/policies/NoSuchPolicy', 404)).body, /policy &quot;NoSuchPolicy&quot; not found/);
    assert.match((await page('/policies/AmazonQFullAccess?from=v99&to=v5', 404)).body, /version &quot;v99&quot;/);
    assert.match((await page('/policies/AmazonQFullAccess?from=x1&to=v5', 400)).body, /from must be a policy version id/);
    assert.match((await page('/actions/not-an-action', 400)).body, /is not an IAM action/);
    assert.match((await page('/changes/evt_nope', 400)).body, /is not a change id/);
    // Empty form fields are ignored, not rejected.
    await page('/?policy=&service=&action=&accessLevel=&flag=&kind=&since=&until=');
    const lookup = await app.inject('/actions?action=iam%3APassRole');
    assert.equal(lookup.statusCode, 303);
    assert.equal(lookup.headers.location, '/actions/iam%3APassRole');
  });

  test('the health page shows the last run and the detection table', async () => {
    const body = (await page('/status')).body;
    assert.match(body, /<strong>iam<\/strong>: <span class="badge badge-status-succeeded">succeeded<\/span>/);
    assert.match(body, /No version detected by a poll yet|Detection latency/);
  });
});
