// Benchmark: what authentication costs a request, measured (never asserted) through the real app
// on Postgres. The same cheap read (GET /api/poll-runs?limit=1) is sent N times
//   anonymous   no Authorization header (reads open)
//   stored key  a `keys create` key: SHA-256 + one indexed lookup in api_keys per request
//   bootstrap   POLICYWATCH_ADMIN_API_KEY: SHA-256 + a constant-time compare, no lookup
// and the write refusals (401 without a key, 403 with a read key), which must stay cheap as
// they are what a flood of unauthenticated writes costs us. Rate limits are set out of reach.
// Run:  node --import tsx bench/auth.bench.ts [--requests N]
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/env.ts';
import { openDatabase } from '../src/db/database.ts';
import { createTestDatabaseUrl } from '../test/support/db.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' } } });
const N = Number(values.requests);
const BOOTSTRAP = 'bench-bootstrap-admin-key-0123456789abcdefghij';

const { url, drop } = await createTestDatabaseUrl();
const db = await openDatabase({ databaseUrl: url, poolMax: 10 });
const config = { ...loadConfig({ POLICYWATCH_SEED_DATASET: 'off', LOG_LEVEL: 'silent', POLICYWATCH_ADMIN_API_KEY: BOOTSTRAP, POLICYWATCH_RATE_LIMIT_MAX: '1000000' }), rssFeeds: [] };
const app = await buildApp({ config, db, worker: false, seed: false, logger: false });
await app.ready();
try {
  const { key: readKey } = await app.services.apiKeys.create({ role: 'read', name: 'bench' });
  const cases: [string, string, string, Record<string, string>][] = [
    ['anonymous read', 'GET', '/api/poll-runs?limit=1', {}],
    ['stored key read', 'GET', '/api/poll-runs?limit=1', { authorization: `Bearer ${readKey}` }],
    ['bootstrap key read', 'GET', '/api/poll-runs?limit=1', { authorization: `Bearer ${BOOTSTRAP}` }],
    ['401 write, no key', 'DELETE', '/api/feeds/1', {}],
    ['403 write, read key', 'DELETE', '/api/feeds/1', { authorization: `Bearer ${readKey}` }],
  ];
  console.log(JSON.stringify({ node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg().map((l) => l.toFixed(2)), requests: N }));
  for (const [name, method, path, headers] of cases) {
    for (let i = 0; i < 200; i++) await app.inject({ method: method as 'GET', url: path, headers }); // warm-up
    const times: number[] = [];
    let status = 0;
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await app.inject({ method: method as 'GET', url: path, headers });
      times.push(performance.now() - t0);
      status = r.statusCode;
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(3);
    const mean = (times.reduce((s, t) => s + t, 0) / times.length).toFixed(3);
    console.log(`${name.padEnd(20)} status ${status}  mean ${mean} ms  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`);
  }
} finally {
  await app.close();
  await db.close();
  await drop();
}
