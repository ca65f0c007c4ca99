// The environment schema (loadConfig) and the command line as an operator meets it: the real
// bin/policywatch.mjs run as a child process against real Postgres databases and a fake IAM
// endpoint served from this process.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config/env.ts';
import { loadMigrations } from '../../src/db/migrate.ts';
import { createTestDatabaseUrl } from '../support/db.ts';
import { createEmptyDatabase, queryUrl } from '../support/pg-admin.ts';
import { createServer, type Server } from 'node:net';
import { fakeAwsEnv, killIfRunning, runCli, spawnCli, waitFor } from '../support/cli.ts';
import { startCorpusIam } from '../support/iam.ts';
import { REPO_DIR } from '../support/paths.ts';
// @ts-expect-error -- plain ESM module shared with the benches, no type declarations
import { NODE_FLAGS as FLAGS } from '../../scripts/node-flags.mjs';

const NODE_FLAGS = FLAGS as string[];

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

/** Each bad value, the variable it must name, and a fragment of the reason. */
const BAD_VALUES: [string, string, RegExp][] = [
  ['PORT', 'abc', /must be a whole number, got "abc"/],
  ['PORT', '70000', /between 0 and 65535/],
  ['PORT', '-1', /whole number/],
  ['PORT', '80.5', /whole number/],
  ['POLICYWATCH_POLL_CRON', 'nope', /not a valid cron expression: "nope"/],
  ['POLICYWATCH_POLL_CRON', '61 * * * *', /not a valid cron expression/],
  ['POLICYWATCH_POLL_CRON', '* * *', /not a valid cron expression/],
  ['POLICYWATCH_RSS_CRON', 'every minute', /not a valid cron expression/],
  ['POLICYWATCH_SEED_DATASET', 'maybe', /must be "on" or "off", got "maybe"/],
  ['DATABASE_URL', 'mysql://x', /must use postgres: or postgresql:, got "mysql:"/],
  ['DATABASE_URL', 'not a url', /is not a valid URL/],
  ['POLICYWATCH_IAM_CONCURRENCY', '0', /between 1 and 64, got 0/],
  ['POLICYWATCH_IAM_CONCURRENCY', '65', /between 1 and 64/],
  ['LOG_LEVEL', 'verbose', /must be one of fatal, error, warn, info, debug, trace, silent/],
  ['POLICYWATCH_RSS_FEEDS', 'https://ok.example/feed.rss, ftp://x/feed', /must use http: or https:/],
  ['POLICYWATCH_READY_MAX_POLL_AGE', '-5', /whole number/],
  ['POLICYWATCH_ALLOW_PRIVATE_URLS', 'yes', /must be "on" or "off"/],
  ['POLICYWATCH_ALLOW_URL_CIDRS', '10.0.0.0/8, 10.1.2.3/33', /invalid CIDR "10.1.2.3\/33"/],
  ['POLICYWATCH_DB_STATEMENT_TIMEOUT_MS', '1.5', /whole number/],
  ['POLICYWATCH_DB_CONNECT_TIMEOUT_MS', '999999999', /between 0 and 600000/],
];

describe('loadConfig', () => {
  test('defaults', () => {
    assert.deepEqual(loadConfig({}), {
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      dataDir: resolve('./data'),
      pollCron: '*/5 * * * *',
      seedDataset: true,
      iamConcurrency: 4,
      rssFeeds: undefined,
      rssCron: '*/15 * * * *',
      readyMaxPollAgeSeconds: 3600,
      docWindowDays: 3,
      feedAllowInternal: false,
      adminApiKey: undefined,
      requireApiKey: false,
      rateLimitMax: 600,
      rateLimitWindowSeconds: 60,
      maxFeeds: 100,
      publicUrl: undefined,
      allowPrivateUrls: false,
      allowUrlCidrs: undefined,
      dbConnectTimeoutMs: 5000,
      dbStatementTimeoutMs: 30000,
      dbIdleInTransactionTimeoutMs: 60000,
      iamtrailRepo: undefined,
      // Alerts (issue 11).
      alertsDispatch: true, alertTimeoutMs: 10000, alertRetries: 8, alertRetryDelaySeconds: 30, alertRetryDelayMaxSeconds: 3600,
      alertGoneLimit: 3, alertConcurrency: 16,
    });
    // Blank counts as unset.
    assert.deepEqual(loadConfig({ PORT: '  ', POLICYWATCH_POLL_CRON: '' }), loadConfig({}));
    // Every setting has a key in the result (no setting silently dropped).
    assert.deepEqual(Object.keys(loadConfig({})).sort(), SETTINGS.map((s) => s.key).sort());
  });

  test('values are parsed and trimmed', () => {
    const c = loadConfig({
      DATABASE_URL: ' postgresql://u@db:5432/pw ', PORT: ' 8080 ', LOG_LEVEL: 'DEBUG', POLICYWATCH_SEED_DATASET: 'Off',
      POLICYWATCH_IAM_CONCURRENCY: '64', POLICYWATCH_RSS_FEEDS: 'https://a.example/x.rss, ,http://b.example/y', POLICYWATCH_DATA_DIR: '/var/lib/pw',
      POLICYWATCH_READY_MAX_POLL_AGE: '0', HOST: '0.0.0.0',
    });
    assert.equal(c.databaseUrl, 'postgresql://u@db:5432/pw');
    assert.equal(c.port, 8080);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.seedDataset, false);
    assert.equal(c.iamConcurrency, 64);
    assert.deepEqual(c.rssFeeds, ['https://a.example/x.rss', 'http://b.example/y']);
    assert.equal(c.dataDir, '/var/lib/pw');
    assert.equal(c.readyMaxPollAgeSeconds, 0);
    assert.equal(c.host, '0.0.0.0');
    for (const [v, want] of [['on', true], ['TRUE', true], ['1', true], ['off', false], ['false', false], ['0', false]] as const) {
      assert.equal(loadConfig({ POLICYWATCH_SEED_DATASET: v }).seedDataset, want, v);
    }
  });

  test('cron expressions: five fields, or six with a leading seconds field', () => {
    assert.equal(loadConfig({ POLICYWATCH_POLL_CRON: '*/30 * * * * *' }).pollCron, '*/30 * * * * *');
    assert.equal(loadConfig({ POLICYWATCH_POLL_CRON: ' 0 */2 * * * ' }).pollCron, '0 */2 * * *');
    assert.equal(loadConfig({ POLICYWATCH_RSS_CRON: '15 3 * * 1-5' }).rssCron, '15 3 * * 1-5');
  });

  test('every bad value is a ConfigError naming the variable', () => {
    for (const [name, value, reason] of BAD_VALUES) {
      assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${name}=${value}: ${String(err)}`);
        assert.equal(err.variable, name);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.ok(err.message.startsWith(`Invalid configuration: ${name} `), err.message);
        assert.match(err.message, reason);
        return true;
      }, `${name}=${value}`);
    }
  });
});

// timeout: a hang guard for a child that never exits, not a speed check.
describe('policywatch command line', { timeout: 600_000 }, () => {
  test('a bad environment value stops serve and poll --once with exit 2 and a message naming it', async () => {
    const cases = [
      ['PORT', 'abc'], ['POLICYWATCH_POLL_CRON', 'nope'], ['POLICYWATCH_SEED_DATASET', 'maybe'],
      ['DATABASE_URL', 'mysql://x'], ['POLICYWATCH_IAM_CONCURRENCY', '0'],
    ] as const;
    const runs = cases.flatMap(([name, value]) => (['serve', 'poll --once'] as const).map(async (cmd) => {
      // Everything else valid: if validation let the value through, the command would get further
      // and fail differently, or serve forever (the hang guard turns that into a failure).
      const r = await runCli(cmd.split(' '), { [name]: value, POLICYWATCH_SEED_DATASET: name === 'POLICYWATCH_SEED_DATASET' ? value : 'off', PORT: name === 'PORT' ? value : '0' }, { hangGuardMs: 60_000 });
      return { name, value, cmd, r };
    }));
    for (const { name, value, cmd, r } of await Promise.all(runs)) {
      const what = `${cmd} with ${name}=${value}`;
      assert.equal(r.hung, false, `${what} kept running`);
      assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^policywatch: Invalid configuration: ${name} `), what);
      // The value is quoted so the operator sees the typo, except a database URL, which may hold a password.
      if (name !== 'DATABASE_URL') assert.ok(r.stderr.includes(value), `${what}: the message quotes the value`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: a message, not a stack trace`);
      assert.equal(r.stdout, '');
    }
  });

  test('a bad DATABASE_URL is reported without echoing its password', async () => {
    for (const value of ['mysql://pw:s3cr3t-value@db.example/pw', 'postgres//pw:s3cr3t-value@db.example']) {
      const r = await runCli(['migrate'], { DATABASE_URL: value }, { hangGuardMs: 60_000 });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Invalid configuration: DATABASE_URL /);
      assert.ok(!r.stderr.includes('s3cr3t-value'), r.stderr);
    }
  });

  test('unknown command, missing or bad arguments: usage and exit 2; help: usage and exit 0', async () => {
    const [unknown, none, help, noOnce, badSource, importNoArg, badFlag] = await Promise.all([
      runCli(['frobnicate']), runCli([]), runCli(['help']), runCli(['poll']), runCli(['poll', '--once', '--source', 'ftp']),
      runCli(['import']), runCli(['migrate', '--bogus']),
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^policywatch: unknown command "frobnicate"/);
    assert.match(unknown.stderr, /Usage:\n {2}policywatch serve/);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /Usage:/);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /policywatch poll --once/);
    assert.equal(noOnce.code, 2);
    assert.match(noOnce.stderr, /poll needs --once/);
    assert.equal(badSource.code, 2);
    assert.match(badSource.stderr, /unknown --source "ftp"/);
    assert.equal(importNoArg.code, 2);
    assert.match(importNoArg.stderr, /import takes one argument/);
    // migrate must not silently ignore arguments it does not understand.
    assert.equal(badFlag.code, 2, `migrate --bogus: exit ${badFlag.code}, stdout ${badFlag.stdout}, stderr ${badFlag.stderr}`);
    assert.match(badFlag.stderr, /--bogus/);
  });

  test('migrate: an empty database gets every migration, the second run says up to date', async () => {
    const empty = await createEmptyDatabase();
    cleanups.push(() => empty.drop());
    const names = loadMigrations().map((m) => m.name);
    const first = await runCli(['migrate'], { DATABASE_URL: empty.url });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), `applied: ${names.join(', ')}`);
    const rows = await queryUrl<{ migration_name: string; finished: boolean }>(empty.url, 'SELECT migration_name, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY migration_name');
    assert.deepEqual(rows, names.map((n) => ({ migration_name: n, finished: true })));
    const second = await runCli(['migrate'], { DATABASE_URL: empty.url });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'database is up to date');
  });

  test('a database that does not exist: exit 1 with the server\'s reason', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pw_no_such_database' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /database "pw_no_such_database" does not exist/);
  });

  test('import: an IAMTrail directory lands in the database, and importing again adds nothing', async () => {
    const { url, drop } = await createTestDatabaseUrl();
    cleanups.push(drop);
    const r = await runCli(['import', 'test/fixtures/import/iamtrail'], { DATABASE_URL: url });
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { source: string; policiesRead: number; policiesCreated: number; versionsRead: number; versionsAdded: number; problems: unknown[] };
    assert.match(summary.source, /^import:/);
    assert.equal(summary.policiesRead, 3);
    assert.equal(summary.policiesCreated, 3);
    assert.equal(summary.versionsAdded, 3);
    assert.deepEqual(summary.problems, []);
    const rows = await queryUrl<{ name: string; version_id: string; source: string }>(url,
      'SELECT p.name, v.version_id, v.source FROM policies p JOIN policy_versions v ON v.policy_id = p.id ORDER BY p.name');
    assert.deepEqual(rows.map((x) => [x.name, x.version_id]), [
      ['AWSServiceRoleForAmazonQDeveloper', 'v1'], ['AmazonQDeveloperAccess', 'v6'], ['AmazonQFullAccess', 'v2'],
    ]);
    assert.ok(rows.every((x) => x.source === summary.source));
    const again = await runCli(['import', resolve(REPO_DIR, 'test/fixtures/import/iamtrail')], { DATABASE_URL: url });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { versionsAdded: number }).versionsAdded, 0);
    const missing = await runCli(['import', 'test/fixtures/import/no-such-dir'], { DATABASE_URL: url });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-dir/);
  });

  test('poll --once against a fake IAM endpoint stores every version and exits 0', async () => {
    const { fake, url: iamUrl } = await startCorpusIam({ after: (fn) => cleanups.push(fn) });
    const { url, drop } = await createTestDatabaseUrl();
    cleanups.push(drop);
    const env = { DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off', ...fakeAwsEnv(iamUrl) };
    const r = await runCli(['poll', '--once'], env);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout) as { status: string; versionsAdded: number; policiesSeen: number; id: string };
    assert.equal(run.status, 'succeeded');
    assert.equal(run.policiesSeen, 4);
    assert.equal(run.versionsAdded, 21);
    assert.ok(fake.requestCount('GetPolicyVersion') >= 21, 'the child really talked to the fake');
    const [count] = await queryUrl<{ n: string }>(url, 'SELECT count(*) AS n FROM policy_versions');
    assert.equal(count?.n, '21');
    const [pr] = await queryUrl<{ status: string; versions_added: number }>(url, 'SELECT status, versions_added FROM poll_runs WHERE id = $1', [run.id]);
    assert.deepEqual(pr, { status: 'succeeded', versions_added: 21 });
    // A second poll is quiet: nothing new, one list call.
    fake.resetCounts();
    const quiet = await runCli(['poll', '--once'], env);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal((JSON.parse(quiet.stdout) as { versionsAdded: number }).versionsAdded, 0);
    assert.equal(fake.requestCount(), 1);
  });

  test('poll --once without AWS credentials records a skipped run, warns once and exits 1', async () => {
    const { fake, url: iamUrl } = await startCorpusIam({ after: (fn) => cleanups.push(fn) });
    const { url, drop } = await createTestDatabaseUrl();
    cleanups.push(drop);
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...noCredentials } = fakeAwsEnv(iamUrl);
    const r = await runCli(['poll', '--once'], { DATABASE_URL: url, POLICYWATCH_SEED_DATASET: 'off', ...noCredentials }, { hangGuardMs: 120_000 });
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
    const run = JSON.parse(r.stdout) as { status: string; errors: { code: string; message: string }[] };
    assert.equal(run.status, 'skipped');
    assert.equal(run.errors[0]?.code, 'NO_CREDENTIALS');
    assert.match(run.errors[0]?.message ?? '', /credentials/i);
    assert.equal(fake.requestCount(), 0, 'nothing unsigned was sent');
    assert.deepEqual(await queryUrl(url, 'SELECT status FROM poll_runs'), [{ status: 'skipped' }]);
    assert.equal(r.stderr.match(/no AWS credentials/g)?.length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |"stack"/, 'no stack trace');
  });

  test('serve, run as the npm-linked `policywatch` command, has the Node flags, answers HTTP and stops cleanly on SIGTERM', async () => {
    const { url, drop } = await createTestDatabaseUrl();
    cleanups.push(drop);
    const p = spawnCli(['serve', '--no-worker'], { DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'info', POLICYWATCH_SEED_DATASET: 'off' }, { linked: true });
    cleanups.push(async () => killIfRunning(p));
    const address = await waitFor('the listening log line', () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(p.stdout())?.[1], {
      timeoutMs: 60_000, abortIf: () => (p.exited() ? `serve exited: ${p.stderr()}` : undefined),
    });
    // `env -S` replaced itself with node (same process, so SIGTERM below reaches the service),
    // and node got the shebang's flags: V8 reads them only at launch.
    const argv = readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.match(argv[0] ?? '', /(?:^|\/)node$/, argv.join(' '));
    assert.deepEqual(argv.slice(1, 1 + NODE_FLAGS.length), NODE_FLAGS, argv.join(' '));
    const health = await fetch(`${address}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const list = await fetch(`${address}/api/policies`);
    assert.equal(list.status, 200);
    assert.equal(((await list.json()) as { total: number }).total, 0);
    p.child.kill('SIGTERM');
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"signal":"SIGTERM".*"msg":"shutting down"/);
  });

  test('serve with the worker on a port already in use exits 1 instead of lingering', async () => {
    const { url, drop } = await createTestDatabaseUrl();
    cleanups.push(drop);
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => busy.close(() => r())));
    const port = (busy.address() as { port: number }).port;
    const r = await runCli(['serve'], { DATABASE_URL: url, PORT: String(port), POLICYWATCH_SEED_DATASET: 'off' }, { hangGuardMs: 60_000 });
    assert.equal(r.hung, false, 'serve kept running (its worker and database pool alive) after listen failed');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
  });
});
