// IAM's Query protocol (API version 2010-05-08) for the four read actions the fake serves:
// request parameters in, status + XML out. Pure apart from reading the store it is given.
import { randomUUID } from 'node:crypto';
import { type FakePolicyVersion, type StoredPolicy, parseAwsPolicyArn, versionsNewestFirst } from './model.ts';

export const IAM_API_VERSION = '2010-05-08';
const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export const FAKE_ACTIONS = ['ListPolicies', 'ListPolicyVersions', 'GetPolicyVersion', 'GetPolicy'] as const;
export type FakeAction = (typeof FAKE_ACTIONS)[number];

export function isFakeAction(s: string | undefined): s is FakeAction {
  return (FAKE_ACTIONS as readonly string[]).includes(s ?? '');
}

/** Read access to the policies; the server's state implements it. */
export interface PolicyLookup {
  byName(name: string): StoredPolicy | undefined;
  /** All policies sorted by name, the order ListPolicies pages through. */
  sorted(): readonly StoredPolicy[];
}

export interface QueryResponse {
  status: number;
  body: string;
}

export type IamErrorCode = 'Throttling' | 'ServiceFailure' | 'NoSuchEntity' | 'InvalidAction' | 'InvalidInput' | 'ValidationError' | 'MissingAction';

const ERROR_STATUS: Record<IamErrorCode, number> = {
  Throttling: 400,
  ServiceFailure: 500,
  NoSuchEntity: 404,
  InvalidAction: 400,
  InvalidInput: 400,
  ValidationError: 400,
  MissingAction: 400,
};

export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** IAM prints timestamps as ISO 8601 UTC without milliseconds. */
export function iamDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Real IAM percent-encodes the document per RFC 3986, which encodeURIComponent nearly matches. */
export function encodeDocument(v: FakePolicyVersion): string {
  return v.encoded ? v.document : encodeURIComponent(v.document);
}

export function errorResponse(code: IamErrorCode, message: string, requestId: string = randomUUID()): QueryResponse {
  const type = code === 'ServiceFailure' ? 'Receiver' : 'Sender';
  const body =
    `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n` +
    `    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
  return { status: ERROR_STATUS[code], body };
}

function okResponse(action: FakeAction, result: string, requestId: string): QueryResponse {
  const body =
    `<${action}Response xmlns="${XMLNS}">\n  <${action}Result>\n${result}  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  return { status: 200, body };
}

const el = (name: string, value: string | number | boolean, indent: string): string => `${indent}<${name}>${xmlEscape(String(value))}</${name}>\n`;

function policyXml(p: StoredPolicy, indent: string, withDescription: boolean): string {
  const i = indent + '  ';
  return (
    el('PolicyName', p.policyName, i) +
    el('DefaultVersionId', p.defaultVersionId, i) +
    el('PermissionsBoundaryUsageCount', 0, i) +
    el('PolicyId', p.policyId, i) +
    el('Path', p.path, i) +
    el('Arn', p.arn, i) +
    el('AttachmentCount', 0, i) +
    el('IsAttachable', p.isAttachable, i) +
    (withDescription && p.description !== undefined ? el('Description', p.description, i) : '') +
    el('CreateDate', iamDate(p.createDate), i) +
    el('UpdateDate', iamDate(p.updateDate), i)
  );
}

function versionXml(p: StoredPolicy, v: FakePolicyVersion, indent: string, withDocument: boolean): string {
  return (
    (withDocument ? el('Document', encodeDocument(v), indent) : '') +
    el('VersionId', v.versionId, indent) +
    el('IsDefaultVersion', v.versionId === p.defaultVersionId, indent) +
    el('CreateDate', iamDate(v.createDate), indent)
  );
}

/** Opaque to clients; internally the base64url of the last name/version returned. */
function encodeMarker(key: string): string {
  return Buffer.from(`pw1:${key}`, 'utf8').toString('base64url');
}

function decodeMarker(marker: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(marker)) return undefined;
  const text = Buffer.from(marker, 'base64url').toString('utf8');
  return text.startsWith('pw1:') ? text.slice(4) : undefined;
}

type Paging = { maxItems: number; after: string | undefined } | QueryResponse;

function paging(params: Record<string, string>, requestId: string): Paging {
  let maxItems = 100;
  const raw = params.MaxItems;
  if (raw !== undefined) {
    maxItems = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(maxItems >= 1 && maxItems <= 1000)) {
      return errorResponse('ValidationError', `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`, requestId);
    }
  }
  let after: string | undefined;
  if (params.Marker !== undefined) {
    after = decodeMarker(params.Marker);
    if (after === undefined) return errorResponse('InvalidInput', 'Invalid Marker.', requestId);
  }
  return { maxItems, after };
}

function page<T>(items: readonly T[], key: (t: T) => string, p: { maxItems: number; after: string | undefined }, cmp: (a: string, b: string) => boolean) {
  // Resume after the marker's key rather than at an index, so adds/removes between pages
  // neither skip nor repeat entries that were present throughout.
  const start = p.after === undefined ? 0 : items.findIndex((t) => cmp(key(t), p.after!));
  const from = start < 0 ? items.length : start;
  const slice = items.slice(from, from + p.maxItems);
  const truncated = from + p.maxItems < items.length;
  const last = slice[slice.length - 1];
  return { slice, marker: truncated && last !== undefined ? encodeMarker(key(last)) : undefined };
}

function truncation(marker: string | undefined, indent: string): string {
  return el('IsTruncated', marker !== undefined, indent) + (marker !== undefined ? el('Marker', marker, indent) : '');
}

function findPolicy(store: PolicyLookup, arn: string | undefined, requestId: string): StoredPolicy | QueryResponse {
  if (arn === undefined || arn === '') return errorResponse('ValidationError', "1 validation error detected: Value null at 'policyArn' failed to satisfy constraint: Member must not be null", requestId);
  const parsed = parseAwsPolicyArn(arn);
  if (!parsed) {
    if (/^arn:aws:iam::[0-9]{12}:policy\//.test(arn)) return errorResponse('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, requestId);
    return errorResponse('InvalidInput', `ARN ${arn} is not valid.`, requestId);
  }
  const p = store.byName(parsed.policyName);
  if (!p || p.path !== parsed.path) return errorResponse('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, requestId);
  return p;
}

const isResponse = (x: unknown): x is QueryResponse => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

/** Serves one Query request. `params` are the decoded form/query fields. */
export function handleQuery(store: PolicyLookup, params: Record<string, string>, requestId: string = randomUUID()): QueryResponse {
  const action = params.Action;
  if (action === undefined) return errorResponse('MissingAction', 'Request is missing Action.', requestId);
  if (!isFakeAction(action)) return errorResponse('InvalidAction', `Could not find operation ${action} for version ${params.Version ?? 'NO_VERSION_SPECIFIED'}`, requestId);
  if (params.Version !== IAM_API_VERSION) return errorResponse('InvalidAction', `Could not find operation ${action} for version ${params.Version ?? 'NO_VERSION_SPECIFIED'}`, requestId);

  switch (action) {
    case 'ListPolicies': {
      const scope = params.Scope ?? 'All';
      if (!['All', 'AWS', 'Local'].includes(scope)) return errorResponse('ValidationError', `1 validation error detected: Value '${scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`, requestId);
      const pg = paging(params, requestId);
      if (isResponse(pg)) return pg;
      // The fake holds only AWS managed policies, so Local is empty. OnlyAttached is ignored:
      // every fake policy has AttachmentCount 0 and the service wants all of them anyway.
      const prefix = params.PathPrefix ?? '/';
      const all = scope === 'Local' ? [] : store.sorted().filter((p) => p.path.startsWith(prefix));
      const { slice, marker } = page(all, (p) => p.policyName, pg, (name, after) => name > after);
      const members = slice.map((p) => `      <member>\n${policyXml(p, '      ', false)}      </member>\n`).join('');
      return okResponse(action, `${truncation(marker, '    ')}    <Policies>\n${members}    </Policies>\n`, requestId);
    }
    case 'GetPolicy': {
      const p = findPolicy(store, params.PolicyArn, requestId);
      if (isResponse(p)) return p;
      return okResponse(action, `    <Policy>\n${policyXml(p, '    ', true)}    </Policy>\n`, requestId);
    }
    case 'ListPolicyVersions': {
      const p = findPolicy(store, params.PolicyArn, requestId);
      if (isResponse(p)) return p;
      const pg = paging(params, requestId);
      if (isResponse(pg)) return pg;
      const all = versionsNewestFirst(p);
      const num = (id: string) => Number(id.slice(1));
      const { slice, marker } = page(all, (v) => v.versionId, pg, (id, after) => num(id) < num(after));
      const members = slice.map((v) => `      <member>\n${versionXml(p, v, '        ', false)}      </member>\n`).join('');
      return okResponse(action, `${truncation(marker, '    ')}    <Versions>\n${members}    </Versions>\n`, requestId);
    }
    case 'GetPolicyVersion': {
      const p = findPolicy(store, params.PolicyArn, requestId);
      if (isResponse(p)) return p;
      const versionId = params.VersionId ?? '';
      const v = p.versions.get(versionId);
      if (!v) {
        if (!/^v[1-9][0-9]*(\.[A-Za-z0-9]+)?$/.test(versionId)) return errorResponse('ValidationError', `1 validation error detected: Value '${versionId}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?`, requestId);
        return errorResponse('NoSuchEntity', `Policy ${p.arn} version ${versionId} does not exist or is not attachable.`, requestId);
      }
      return okResponse(action, `    <PolicyVersion>\n${versionXml(p, v, '      ', true)}    </PolicyVersion>\n`, requestId);
    }
  }
}
