// A local IAM endpoint (node:http) serving AWS managed policies over IAM's Query protocol, so the
// real AWS SDK client can be exercised end to end: paging, retries, error parsing, decoding.
// Signatures are not checked. State changes (publish, remove, faults) are synchronous.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { type FakePolicy, type StoredPolicy, FakeIamError, isVersionId, parseAwsPolicyArn, toStoredPolicy } from './model.ts';
import { type FakeAction, type PolicyLookup, type QueryResponse, errorResponse, handleQuery, isFakeAction } from './protocol.ts';

export { FakeIamError } from './model.ts';
export type { FakePolicy, FakePolicyVersion } from './model.ts';
export type { FakeAction } from './protocol.ts';

export type FaultStatus = 'Throttling' | 'ServiceFailure' | 500 | 'ConnectionReset';

export interface FaultSpec {
  /** Only requests for this action; any action if omitted. */
  action?: FakeAction;
  /** Only requests whose PolicyArn names this policy. */
  policyName?: string;
  /** Only requests for this VersionId. */
  versionId?: string;
  /** How to fail. Omitted: serve normally, after delayMs. */
  status?: FaultStatus;
  /** Hold the response this long first (for abort/timeout tests). */
  delayMs?: number;
  /** How many matching requests the fault applies to (default 1; Infinity = until cleared). */
  times?: number;
}

export interface RecordedRequest {
  action: string;
  params: Readonly<Record<string, string>>;
}

const MAX_BODY_BYTES = 1 << 20;

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class FakeIam {
  private readonly policies = new Map<string, StoredPolicy>();
  private sortedCache: StoredPolicy[] | undefined;
  private readonly counts = new Map<string, number>();
  private readonly log: RecordedRequest[] = [];
  private faults: { spec: FaultSpec; remaining: number }[] = [];
  private server: Server | undefined;
  private readonly delays = new Map<NodeJS.Timeout, () => void>();
  /** Read view of the policies in the shape the pure Query handler takes. */
  readonly lookup: PolicyLookup = {
    byName: (name) => this.policies.get(name),
    sorted: () => (this.sortedCache ??= [...this.policies.values()].sort((a, b) => (a.policyName < b.policyName ? -1 : a.policyName > b.policyName ? 1 : 0))),
  };

  constructor(seed: readonly FakePolicy[] = []) {
    for (const p of seed) {
      if (this.policies.has(p.policyName)) throw new FakeIamError(`duplicate policy ${p.policyName} in seed`);
      this.upsertPolicy(p);
    }
  }

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new FakeIamError('fake IAM already started');
    const server = createServer((req, res) => void this.onRequest(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      this.server = undefined;
      throw e;
    });
    const addr = server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { url: `http://${h}:${addr.port}` };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Release held responses now; their sockets are closed below, so nothing is sent.
    for (const [t, release] of this.delays) {
      clearTimeout(t);
      release();
    }
    this.delays.clear();
    // Keep-alive sockets would otherwise hold close() open.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests received (faulted ones included), for one action or in total. */
  requestCount(action?: string): number {
    return this.counts.get(action ?? '*') ?? 0;
  }

  /** Every request received, in order, with its decoded parameters. */
  requests(): readonly RecordedRequest[] {
    return this.log;
  }

  resetCounts(): void {
    this.counts.clear();
    this.log.length = 0;
  }

  policyNames(): string[] {
    return this.lookup.sorted().map((p) => p.policyName);
  }

  /** The stored policy (read-only view), or undefined. */
  getPolicy(policyName: string): Readonly<StoredPolicy> | undefined {
    return this.policies.get(policyName);
  }

  /** Adds or replaces a policy. Throws FakeIamError on invalid input. */
  upsertPolicy(p: FakePolicy): void {
    const stored = toStoredPolicy(p);
    this.policies.set(stored.policyName, stored);
    this.sortedCache = undefined;
  }

  removePolicy(policyName: string): boolean {
    this.sortedCache = undefined;
    return this.policies.delete(policyName);
  }

  setAttachable(policyName: string, attachable: boolean): void {
    this.mustGet(policyName).isAttachable = attachable;
  }

  /**
   * Creates the next version (number = highest ever issued + 1, as IAM does) and returns its id.
   * `document` is JSON-serialised unless already a string. UpdateDate becomes its CreateDate.
   */
  publishVersion(policyName: string, document: unknown, opts: { setDefault?: boolean; createDate?: Date } = {}): string {
    const p = this.mustGet(policyName);
    const text = typeof document === 'string' ? document : JSON.stringify(document);
    if (text === undefined) throw new FakeIamError(`${policyName}: document is not serialisable`);
    const createDate = opts.createDate ?? new Date();
    if (Number.isNaN(createDate.getTime())) throw new FakeIamError(`${policyName}: invalid createDate`);
    const versionId = `v${p.lastVersionNumber + 1}`;
    p.lastVersionNumber += 1;
    p.versions.set(versionId, { versionId, document: text, createDate, encoded: false });
    if (opts.setDefault ?? true) p.defaultVersionId = versionId;
    p.updateDate = createDate;
    return versionId;
  }

  setDefaultVersion(policyName: string, versionId: string): void {
    const p = this.mustGet(policyName);
    if (!p.versions.has(versionId)) throw new FakeIamError(`${policyName}: no version ${versionId}`);
    p.defaultVersionId = versionId;
  }

  /** Deletes a non-default version, as IAM's DeletePolicyVersion would. */
  deleteVersion(policyName: string, versionId: string): void {
    const p = this.mustGet(policyName);
    if (versionId === p.defaultVersionId) throw new FakeIamError(`${policyName}: cannot delete the default version ${versionId}`);
    if (!p.versions.delete(versionId)) throw new FakeIamError(`${policyName}: no version ${versionId}`);
  }

  /**
   * Replaces a version's document with arbitrary text (e.g. not JSON). With `encoded`, the text
   * is served as-is instead of URL-encoded, to fake a malformed percent-encoding.
   */
  setRawDocument(policyName: string, versionId: string, text: string, opts: { encoded?: boolean } = {}): void {
    const p = this.mustGet(policyName);
    const v = p.versions.get(versionId);
    if (!v) throw new FakeIamError(`${policyName}: no version ${versionId}`);
    p.versions.set(versionId, { ...v, document: text, encoded: opts.encoded === true });
  }

  injectFault(spec: FaultSpec): void {
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new FakeIamError('fault times must be > 0');
    if (spec.delayMs !== undefined && !(spec.delayMs >= 0 && Number.isFinite(spec.delayMs))) throw new FakeIamError('fault delayMs must be a finite number >= 0');
    if (spec.versionId !== undefined && !isVersionId(spec.versionId)) throw new FakeIamError(`invalid fault versionId ${spec.versionId}`);
    this.faults.push({ spec, remaining: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  private mustGet(policyName: string): StoredPolicy {
    const p = this.policies.get(policyName);
    if (!p) throw new FakeIamError(`no policy named ${policyName}`);
    return p;
  }

  private takeFault(action: string, params: Record<string, string>): FaultSpec | undefined {
    const policyName = params.PolicyArn !== undefined ? parseAwsPolicyArn(params.PolicyArn)?.policyName : undefined;
    const i = this.faults.findIndex(
      ({ spec }) =>
        (spec.action === undefined || spec.action === action) &&
        (spec.policyName === undefined || spec.policyName === policyName) &&
        (spec.versionId === undefined || spec.versionId === params.VersionId),
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return f.spec;
  }

  private count(action: string, params: Record<string, string>): void {
    for (const k of ['*', action]) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    this.log.push({ action, params });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const body = await readBody(req);
      if (body === undefined) return send(res, { status: 413, body: '' }, requestId);
      const params: Record<string, string> = {};
      // IAM accepts GET with a query string as well as POST with a form body.
      const url = new URL(req.url ?? '/', 'http://fake-iam.invalid');
      for (const [k, v] of url.searchParams) params[k] = v;
      if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body)) params[k] = v;
      else if (req.method !== 'GET') return send(res, errorResponse('InvalidAction', `Unsupported method ${req.method ?? ''}`, requestId), requestId);

      const action = params.Action ?? '';
      this.count(action, params);
      const fault = isFakeAction(action) ? this.takeFault(action, params) : undefined;
      if (fault?.delayMs) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.delays.delete(t);
            resolve();
          }, fault.delayMs);
          this.delays.set(t, resolve);
        });
      }
      if (res.destroyed) return;
      switch (fault?.status) {
        case 'ConnectionReset':
          req.socket.destroy();
          return;
        case 'Throttling':
          return send(res, errorResponse('Throttling', 'Rate exceeded', requestId), requestId);
        case 'ServiceFailure':
        case 500:
          return send(res, errorResponse('ServiceFailure', 'Request processing has failed because of an unknown error, exception or failure.', requestId), requestId);
        case undefined:
          return send(res, handleQuery(this.lookup, params, requestId), requestId);
      }
    } catch (e) {
      // A fake must not die on a bad request; answer as IAM would on an internal fault.
      if (!res.headersSent && !res.destroyed) send(res, errorResponse('ServiceFailure', `fake IAM internal error: ${(e as Error).message}`, requestId), requestId);
    }
  }
}

function send(res: ServerResponse, r: QueryResponse, requestId: string): void {
  if (res.destroyed) return;
  res.writeHead(r.status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(r.body),
    'x-amzn-requestid': requestId,
  });
  res.end(r.body);
}
