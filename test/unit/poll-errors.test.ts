// What poll runs record about failures: our code and a short message, never a driver's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollErrorOf } from '../../src/services/poll-errors.ts';
import { LockLostError } from '../../src/core/fence.ts';
import { isDatabaseUnavailable } from '../../src/core/unavailable.ts';
import { IamSourceError } from '../../src/sources/iam/errors.ts';

const prismaLike = (message: string, extra: Record<string, unknown>) => Object.assign(new Error(message), { name: 'PrismaClientKnownRequestError', ...extra });

test('driver and socket text never reaches a poll-run error', () => {
  const terminated = prismaLike('Invalid `prisma.policyVersion.updateMany()` invocation: terminating connection due to administrator command', {
    code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'postgres', code: '57P01', message: 'terminating connection' } } },
  });
  assert.deepEqual(pollErrorOf(terminated, { policy: 'P' }), { policy: 'P', code: 'DATABASE_UNAVAILABLE', message: 'the database could not be reached or timed out' });
  const unique = prismaLike('Invalid `prisma.x.create()` invocation: Unique constraint failed', { code: 'P2002' });
  assert.deepEqual(pollErrorOf(unique), { code: 'INTERNAL', message: 'unexpected error (details in the log)' });
  const net = new IamSourceError('GetPolicyVersion: network error: connect ECONNREFUSED 127.0.0.1:4299 (ECONNREFUSED)', { code: 'NetworkError', retryable: true, operation: 'GetPolicyVersion' });
  assert.deepEqual(pollErrorOf(net), { code: 'NetworkError', message: 'GetPolicyVersion: the IAM endpoint could not be reached' });
  const denied = new IamSourceError('ListPolicies: AccessDenied: not authorized', { code: 'AccessDenied', retryable: false, operation: 'ListPolicies' });
  assert.deepEqual(pollErrorOf(denied), { code: 'AccessDenied', message: 'ListPolicies: AccessDenied: not authorized' });
  assert.equal(pollErrorOf(new LockLostError()).code, 'LOST_LOCK');
  const ours = Object.assign(new Error('document is not valid JSON'), { code: 'INVALID_DOCUMENT' });
  assert.deepEqual(pollErrorOf(ours, { versionId: 'v2' }), { versionId: 'v2', code: 'INVALID_DOCUMENT', message: 'document is not valid JSON' });
});

test('connection-level failures are recognised however they are wrapped; other errors are not', () => {
  for (const e of [
    new Error('Query read timeout'), new Error('timeout exceeded when trying to connect'), new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), Object.assign(new Error('x'), { code: '57014' }), Object.assign(new Error('x'), { code: '08006' }),
    prismaLike('x', { code: 'P1001' }), new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
    prismaLike('x', { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } }),
  ]) assert.equal(isDatabaseUnavailable(e), true, e.message);
  for (const e of [new Error('boom'), prismaLike('x', { code: 'P2002' }), Object.assign(new Error('x'), { code: '23505' }), 'text', null]) {
    assert.equal(isDatabaseUnavailable(e), false, String(e));
  }
});
