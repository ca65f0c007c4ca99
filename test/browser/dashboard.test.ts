// The dashboard in headless Chromium, with the full dataset imported (test/support/dashboard.ts).
// Each page's screenshot goes to screenshots/ (git-ignored) for a reviewer to look at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { chromiumSkip, launchChromium } from '../support/chromium.ts';
import { dashboardWorld } from '../support/dashboard.ts';

const SHOTS = join(PACKAGE_ROOT, 'screenshots');
const Q_ADDED = ['q:CreatePlugin', 'q:DeletePlugin', 'q:GetPlugin', 'q:ListPluginProviders', 'q:ListPlugins', 'q:ListTagsForResource', 'q:TagResource', 'q:UntagResource', 'q:UsePlugin'];

describe('dashboard in Chromium (full dataset)', { skip: chromiumSkip() }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  let world: Awaited<ReturnType<typeof dashboardWorld>>;
  let browser: Browser;
  let page: Page;
  // Pages of a few screens are taken whole; very long ones (hundreds of rows) as the first screen.
  const shot = (name: string, fullPage = true) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage, timeout: 120_000 });
  const texts = (selector: string) => page.locator(selector).allInnerTexts();

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    world = await dashboardWorld({ after: (fn) => cleanups.push(fn) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  test('home → filter to AmazonQFullAccess → the 2024-11-13 change: nine q: actions and iam:PassRole added, privilege escalation', async () => {
    const res = await page.goto(world.base);
    assert.equal(res?.status(), 200);
    assert.match(String(res?.headers()['content-security-policy']), /default-src 'none'.*script-src 'none'/);
    assert.equal(await page.locator('table.changes tbody tr').count(), 50, 'a page of 50 changes');
    assert.ok(await page.locator('svg.chart-svg rect').count() > 10, 'the weekly chart has bars');
    await shot('home');

    await page.getByLabel('Policy', { exact: true }).fill('AmazonQFullAccess');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/policy=AmazonQFullAccess/);
    const row = page.locator('table.changes tbody tr', { has: page.locator('time[datetime^="2024-11-13"]') });
    assert.equal(await row.count(), 1, 'one change dated 2024-11-13');
    await shot('home-filtered');
    await row.locator('a.change-link').click();
    await page.waitForURL(/\/changes\/evt_/);

    const added = (await texts('#diff-allow ul.added a.action')).sort();
    assert.deepEqual(added, ['iam:PassRole', ...Q_ADDED].sort());
    assert.equal(await page.locator('#diff-allow ul.removed li').count(), 0);
    const passRole = page.locator('#diff-allow ul.added > li', { has: page.locator('a.action', { hasText: 'iam:PassRole' }) });
    assert.equal(await passRole.locator('[data-badge="privilege-escalation"]').count(), 1, 'iam:PassRole carries the badge');
    assert.equal(await page.locator('p.meta [data-badge="privilege-escalation"]').count(), 1, 'and so does the change');
    assert.match(await page.locator('.reasons').innerText(), /plugins/, "AWS's stated reason beside the diff");
    await shot('change');
  });

  test('policy page: v2 → v3 chosen in the form shows the narrowing', async () => {
    await page.goto(`${world.base}/policies/AmazonQFullAccess`);
    await page.getByLabel('From').selectOption('v2');
    await page.getByLabel('To').selectOption('v3');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(/from=v2&to=v3/);
    assert.match(await page.locator('p.verdict').innerText(), /v2 → v3/);
    assert.equal(await page.locator('p.verdict [data-badge="narrowed"]').count(), 1);
    const removed = await texts('#diff-allow ul.removed a.action');
    assert.ok(removed.length >= 40, `${removed.length} actions removed`);
    assert.ok(removed.includes('q:ListUsers'));
    assert.deepEqual((await texts('#diff-allow ul.added a.action')).sort(), ['cloudformation:GetResource', 'cloudformation:ListResources']);
    // Both raw documents side by side.
    assert.equal(await page.locator('.sidebyside pre').count(), 2);
    // The timeline: metadata-only bumps faint, unreliable dates marked.
    assert.ok(await page.locator('.timeline li.faint').count() >= 1);
    assert.ok(await page.locator('.timeline .unreliable').count() >= 1, 'v12 exists only in the dataset: its date stays unreliable');
    await shot('policy');
  });

  test('a policy description carrying <script> renders as text', async () => {
    const evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
    await world.app.db.prisma.policy.update({ where: { name: 'ReadOnlyAccess' }, data: { description: evil } });
    await page.goto(`${world.base}/policies/ReadOnlyAccess?from=v100&to=v101`);
    assert.equal(await page.locator('dd.description').innerText(), evil);
    assert.equal(await page.locator('main script, main img').count(), 0);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    await shot('policy-escaped', false);
  });

  test('keyboard only: from the top of the policy page to the diff', async () => {
    await page.goto(`${world.base}/policies/AmazonQFullAccess`);
    const focused = async () => {
      const el = page.locator(':focus');
      if ((await el.count()) === 0) return { id: '', inDiff: false, tag: '' };
      return {
        id: (await el.getAttribute('id')) ?? '', inDiff: (await page.locator('#diff :focus').count()) > 0,
        tag: await el.evaluate((e) => e.nodeName),
      };
    };
    // Tab to the From select, choose v2 by typing, Tab to To, choose v3, Tab to Compare, Enter.
    let f = await focused();
    for (let i = 0; i < 30 && f.id !== 'c-from'; i++) {
      await page.keyboard.press('Tab');
      f = await focused();
    }
    assert.equal(f.id, 'c-from', 'the From select is reachable by Tab');
    await page.keyboard.type('v2');
    await page.keyboard.press('Tab');
    assert.equal((await focused()).id, 'c-to');
    await page.keyboard.type('v3');
    await page.keyboard.press('Tab');
    assert.equal((await focused()).tag, 'BUTTON');
    await page.keyboard.press('Enter');
    await page.waitForURL(/from=v2&to=v3/);
    f = await focused();
    let presses = 0;
    for (; presses < 40 && !f.inDiff; presses++) {
      await page.keyboard.press('Tab');
      f = await focused();
    }
    assert.ok(f.inDiff, 'Tab reaches the diff');
    assert.ok(presses <= 15, `${presses} presses`);
  });

  test('action, new and deprecated, health pages render (screenshots)', async () => {
    await page.goto(world.base);
    await page.getByLabel('Look up action').fill('iam:PassRole');
    await page.getByRole('button', { name: 'Go' }).click();
    await page.waitForURL(/\/actions\/iam(:|%3A)PassRole$/);
    const granted = page.locator('table.data tbody tr', { has: page.locator('a', { hasText: /^AmazonQFullAccess$/ }) }).first();
    assert.match(await granted.innerText(), /iam:PassedToService=q\.amazonaws\.com/, 'resources and conditions of the grant');
    assert.match(await granted.innerText(), /2024-11-13/, 'granted since the 2024-11-13 change');
    await shot('action', false);
    await page.goto(`${world.base}/policies`);
    assert.ok(await page.locator('#new-h + table tbody tr').count() > 10);
    await shot('lifecycle', false);
    await page.goto(`${world.base}/status`);
    assert.match(await page.locator('.cards').innerText(), /iam: succeeded/);
    await shot('status');
  });
});
