// A small, made-up policy history for API tests (no corpus needed): three policies with versions
// that add, remove and re-scope actions, including iam:PassRole under a condition.
import type { FastifyInstance } from 'fastify';
import type { ImportedPolicy } from '../../src/core/history.ts';

type Statement = { Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string[]>> };
const doc = (...Statement: Statement[]) => ({ Version: '2012-10-17', Statement });
const passRole: Statement = { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': ['q.amazonaws.com'] } } };

export function apiPolicies(): ImportedPolicy[] {
  const p = (name: string, versions: ImportedPolicy['versions']): ImportedPolicy => ({ name, arn: `arn:aws:iam::aws:policy/${name}`, path: '/', versions });
  return [
    p('PwQAccess', [
      { versionId: 'v1', createDate: new Date('2024-01-01T00:00:00Z'), isDefault: false, document: doc({ Effect: 'Allow', Action: ['q:Get*', 's3:GetObject'], Resource: '*' }) },
      { versionId: 'v2', createDate: new Date('2024-02-01T00:00:00Z'), isDefault: false, document: doc({ Effect: 'Allow', Action: ['q:Get*', 's3:GetObject', 's3:PutObject'], Resource: '*' }, passRole) },
      { versionId: 'v3', createDate: new Date('2024-03-01T00:00:00Z'), isDefault: true, document: doc({ Effect: 'Allow', Action: ['q:Get*', 's3:GetObject'], Resource: 'arn:aws:s3:::bucket/*' }, passRole) },
    ]),
    p('PwReadOnly', [
      { versionId: 'v1', createDate: new Date('2024-01-05T00:00:00Z'), isDefault: true, document: doc({ Effect: 'Allow', Action: ['s3:Get*', 's3:List*'], Resource: '*' }) },
    ]),
    p('PwUndated', [
      { versionId: 'v1', createDate: undefined, isDefault: true, document: doc({ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' }) },
    ]),
  ];
}

export async function importApiPolicies(app: FastifyInstance, policies = apiPolicies()): Promise<void> {
  async function* each() {
    yield* policies;
  }
  await app.services.importer.import('test-api', each());
}

/** One more policy, for "a new event arrives" tests. */
export function newPolicy(name: string): ImportedPolicy {
  return {
    name, arn: `arn:aws:iam::aws:policy/${name}`, path: '/',
    versions: [{ versionId: 'v1', createDate: new Date('2025-06-01T00:00:00Z'), isDefault: true, document: doc({ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }) }],
  };
}
