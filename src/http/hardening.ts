// Input hardening below the schemas: what JSON Schema cannot say or what happens before it runs.
// - the raw URL: length (414), percent-encoding and UTF-8 of the path and every query parameter,
//   no NUL (the query parser and the router would otherwise pass "%FF" through or decode "%00");
// - JSON bodies: strict UTF-8 (the default parser would turn bad bytes into U+FFFD), no NUL,
//   no unpaired surrogates;
// - after validation: every number finite ("1e309" coerces to Infinity, which passes `maximum`),
//   every string free of NUL and well-formed;
// - router and socket level errors (bad percent-encoding, overlong parameters, 431, 400) in our
//   error shape instead of Fastify's.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, BadRequestError } from '../core/errors.ts';

/** Longest request target accepted (path and query), in bytes as sent. */
export const MAX_URL_LENGTH = 8192;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** String.prototype.isWellFormed, for the ES2022 library this project compiles against. */
export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

function decodeComponent(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Throws 400 naming the query parameter (or the path) that is badly encoded or carries NUL. */
export function checkRawUrl(url: string): void {
  if (url.length > MAX_URL_LENGTH) throw new AppError('URI_TOO_LONG', `the request URL is ${url.length} characters long; at most ${MAX_URL_LENGTH} are accepted`, 414);
  // Without percent-encoding nothing can decode badly or to NUL: the common case, checked by two scans.
  if (!url.includes('%') && !url.includes('\0')) return;
  const qi = url.indexOf('?');
  const path = qi < 0 ? url : url.slice(0, qi);
  const decodedPath = decodeComponent(path);
  if (decodedPath === undefined) throw new BadRequestError('BAD_URL', 'the path has invalid percent-encoding or is not UTF-8');
  if (decodedPath.includes('\0')) throw new BadRequestError('BAD_URL', 'the path must not contain NUL');
  if (qi < 0) return;
  for (const pair of url.slice(qi + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = (eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
    const key = decodeComponent(rawKey);
    if (key === undefined) throw new BadRequestError('BAD_URL', `a query parameter name (\`${rawKey.slice(0, 64)}\`) has invalid percent-encoding or is not UTF-8`);
    if (key.includes('\0')) throw new BadRequestError('BAD_URL', 'a query parameter name contains NUL');
    if (eq < 0) continue;
    const value = decodeComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    if (value === undefined) throw new BadRequestError('BAD_URL', `query parameter \`${key.slice(0, 64)}\` has invalid percent-encoding or is not UTF-8`, { in: 'querystring', parameter: key.slice(0, 64) });
    if (value.includes('\0')) throw new BadRequestError('INVALID_REQUEST', `query parameter \`${key.slice(0, 64)}\` must not contain NUL`, { in: 'querystring', parameter: key.slice(0, 64) });
  }
}

/** Where a value came from, named as in validation errors (Fastify's validation contexts). */
const WHERE: Record<string, string> = { query: 'querystring', params: 'params', body: 'body' };

/** Deepest nesting accepted in input (nothing we accept nests more than a few levels). */
const MAX_DEPTH = 32;

/** Walks decoded input: numbers finite, strings without NUL and well-formed UTF-16, bounded depth. */
function checkValues(value: unknown, where: string, at: string, depth = 0): void {
  const path = at || 'body';
  if (depth > MAX_DEPTH) throw new BadRequestError('INVALID_REQUEST', `${where} is nested more than ${MAX_DEPTH} levels deep`, { in: where });
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new BadRequestError('INVALID_REQUEST', `\`${path}\` must be a finite number`, { in: where, parameter: path });
  } else if (typeof value === 'string') {
    if (value.includes('\0')) throw new BadRequestError('INVALID_REQUEST', `\`${path}\` must not contain NUL`, { in: where, parameter: path });
    if (!isWellFormed(value)) throw new BadRequestError('INVALID_REQUEST', `\`${path}\` must be valid Unicode (it has an unpaired surrogate)`, { in: where, parameter: path });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkValues(v, where, `${at}[${i}]`, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkValues(k, where, at ? `${at} key` : 'key', depth + 1);
      checkValues(v, where, at ? `${at}.${k}` : k, depth + 1);
    }
  }
}

export function checkDecodedInput(req: FastifyRequest): void {
  for (const part of ['params', 'query', 'body'] as const) {
    const value = req[part];
    if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) checkValues(v, WHERE[part] ?? part, k);
    } else if (value !== undefined && value !== null) {
      checkValues(value, WHERE[part] ?? part, part);
    }
  }
}

/** Fastify's `frameworkErrors`: router-level failures in our error shape. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.status(414).send({ error: { code: 'URI_TOO_LONG', message: 'a path parameter is longer than the 512 characters accepted' } });
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    return reply.status(400).send({ error: { code: 'BAD_URL', message: 'the path has invalid percent-encoding or is not UTF-8' } });
  }
  return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: 'the request could not be routed' } });
}

/** Fastify's `clientErrorHandler`: errors before a request exists (oversized headers, garbage). */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(err);
    return;
  }
  let status = 400;
  let body = { error: { code: 'BAD_REQUEST', message: 'the request is not valid HTTP/1.1' } };
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const firstLine = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, MAX_URL_LENGTH + 64).toString('latin1') : '';
    if (!firstLine.includes('\r\n')) {
      status = 414;
      body = { error: { code: 'URI_TOO_LONG', message: `the request URL is longer than the ${MAX_URL_LENGTH} characters accepted` } };
    } else {
      status = 431;
      body = { error: { code: 'HEADERS_TOO_LARGE', message: 'the request headers are larger than the server accepts' } };
    }
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = { error: { code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' } };
  }
  const payload = JSON.stringify(body);
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' }[status];
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
}

export default fp(async function hardening(app: FastifyInstance) {
  // Callback hooks (they throw or call done, Fastify catches either): nothing here waits, and an
  // async hook costs a promise and a turn of the microtask queue on every request.
  app.addHook('onRequest', (req, _reply, done) => {
    checkRawUrl(req.raw.url ?? '/');
    done();
  });
  // JSON bodies: strict UTF-8, then the same value checks as everything else.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(new BadRequestError('INVALID_BODY', 'the JSON body is empty'), undefined);
    let text: string;
    try {
      text = strictUtf8.decode(body);
    } catch {
      return done(new BadRequestError('INVALID_BODY', 'the body is not valid UTF-8'), undefined);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return done(new BadRequestError('INVALID_BODY', 'the body is not valid JSON'), undefined);
    }
    // Before validation, which would coerce 1e400 (Infinity) into the string "Infinity".
    try {
      checkValues(value, 'body', '');
    } catch (err) {
      return done(err as Error, undefined);
    }
    return done(null, value);
  });
  app.addHook('preHandler', (req, _reply, done) => {
    checkDecodedInput(req);
    done();
  });
}, { name: 'hardening' });
