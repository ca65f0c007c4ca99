// The logger's redaction: whatever object carries a credential, the line written has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import Fastify from 'fastify';
import { loggerOptions } from '../../src/config/logger.ts';
import { requestChildLogger } from '../../src/http/request-log.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(chunk.toString('utf8')); cb(); } });
  return { log: pino(loggerOptions({ logLevel: 'trace' }), stream), text: () => lines.join('') };
}

const KEY = 'pw_SECRETSECRETSECRETSECRETSECRETSECRET12345';

test('authorization headers, API keys, secrets, webhook and database URLs are censored wherever they sit', () => {
  const { log, text } = capture();
  log.info({ req: { method: 'POST', url: '/api/feeds', headers: { authorization: `Bearer ${KEY}-1`, cookie: `s=${KEY}-2` } } }, 'request');
  log.info({ headers: { authorization: `Bearer ${KEY}-3` } }, 'outbound');
  log.info({ apiKey: `${KEY}-4`, config: { adminApiKey: `${KEY}-5`, databaseUrl: `postgres://u:${KEY}-6@db/x` } }, 'config');
  log.warn({ hook: { webhookUrl: `https://hooks.slack.com/services/${KEY}-7`, secret: `${KEY}-8` } }, 'webhook');
  log.error({ webhook: { url: `https://example.com/hook/${KEY}-9`, secret: `${KEY}-10` } }, 'delivery failed');
  log.info({ aws: { secretAccessKey: `${KEY}-11`, sessionToken: `${KEY}-12` }, token: `${KEY}-13` }, 'aws');
  const out = text();
  assert.equal(out.split('\n').filter(Boolean).length, 6);
  assert.ok(!out.includes('SECRETSECRET'), out);
  assert.equal(out.match(/\[redacted\]/g)?.length, 13);
  // What is not a credential stays readable.
  assert.match(out, /"url":"\/api\/feeds"/);
  assert.match(out, /"method":"POST"/);
});

test("request loggers: Fastify's per-request child carries the request id, and what it logs is still redacted", async () => {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, cb) => { lines.push(chunk.toString('utf8')); cb(); } });
  const app = Fastify({ loggerInstance: pino(loggerOptions({ logLevel: 'info' }), stream), childLoggerFactory: requestChildLogger, disableRequestLogging: true });
  app.get('/x', async (req) => {
    req.log.info({ headers: { authorization: `Bearer ${KEY}-1` }, apiKey: `${KEY}-2` }, 'handler line');
    return { id: req.id };
  });
  app.get('/quiet', { logLevel: 'warn' }, async (req) => {
    req.log.info('not written: this route logs at warn');
    req.log.warn('written');
    return {};
  });
  const { id } = (await app.inject('/x')).json() as { id: string };
  await app.inject('/quiet');
  const parsed = lines.map((l) => JSON.parse(l) as { reqId?: string; msg: string; apiKey?: string; headers?: { authorization?: string } });
  const line = parsed.find((l) => l.msg === 'handler line');
  assert.equal(line?.reqId, id);
  assert.equal(line?.apiKey, '[redacted]');
  assert.equal(line?.headers?.authorization, '[redacted]');
  assert.ok(!lines.join('').includes('SECRETSECRET'));
  assert.deepEqual(parsed.filter((l) => l.reqId !== id).map((l) => l.msg), ['written'], 'the route log level still applies');
  await app.close();
});
