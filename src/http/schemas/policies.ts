// Policies, their versions and documents.
import { Type, type Static } from '@sinclair/typebox';
import { Cursor, DateTime, Limit, NextCursor, NoQuery, Nullable, NullableDateTime, PolicyName, StringEnum, VersionId, getResponses } from './common.ts';

export const PolicyListQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 128, description: 'case-insensitive substring of the name' })),
  deprecated: Type.Optional(StringEnum(['true', 'false'] as const)),
  limit: Limit(500, 50),
  cursor: Type.Optional(Cursor),
}, { additionalProperties: false });

const policyFields = {
  name: Type.String(),
  arn: Type.String(),
  path: Type.String(),
  awsPolicyId: Nullable(Type.String()),
  defaultVersionId: Nullable(Type.String()),
  versionCount: Type.Integer(),
  awsCreatedAt: NullableDateTime,
  awsUpdatedAt: NullableDateTime,
  isAttachable: Type.Boolean(),
  firstSeenAt: DateTime,
  deprecatedAt: NullableDateTime,
  source: Type.String(),
};
export const PolicySummary = Type.Object(policyFields);
export const PolicyPage = Type.Object({ total: Type.Integer(), items: Type.Array(PolicySummary), nextCursor: NextCursor });
export type PolicyPage = Static<typeof PolicyPage>;

const versionFields = {
  versionId: Type.String(),
  versionNumber: Type.Integer(),
  documentHash: Type.String({ description: 'SHA-256 of the canonical document' }),
  awsCreatedAt: NullableDateTime,
  createDateUnreliable: Type.Boolean(),
  createDateSource: Type.Optional(Type.String({ description: 'where awsCreatedAt came from: iam, iamtrail, dataset, copied (unreliable) or none' })),
  observedAt: DateTime,
  source: Type.String(),
  isDefault: Type.Boolean(),
  observedDefaultAt: NullableDateTime,
};
export const PolicyDetail = Type.Object({ ...policyFields, description: Nullable(Type.String()), versions: Type.Array(Type.Object(versionFields)) });
export type PolicyDetail = Static<typeof PolicyDetail>;
export const PolicyVersion = Type.Object({ policy: Type.String(), ...versionFields, document: Type.Unknown({ description: 'the policy document as stored' }) });
export type PolicyVersion = Static<typeof PolicyVersion>;

export const PolicyNameParams = Type.Object({ name: PolicyName });
export const PolicyVersionParams = Type.Object({ name: PolicyName, versionId: VersionId });

export const policyRouteSchemas = {
  list: { tags: ['policies'], summary: 'Policies by name', querystring: PolicyListQuery, response: getResponses(PolicyPage) },
  one: { tags: ['policies'], summary: 'A policy and its versions', params: PolicyNameParams, querystring: NoQuery, response: getResponses(PolicyDetail) },
  version: { tags: ['policies'], summary: 'One version with its document', params: PolicyVersionParams, querystring: NoQuery, response: getResponses(PolicyVersion) },
};
